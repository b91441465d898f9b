/**
 * The shortcut for plain answer deltas (read without JSON.parse) is only a shortcut: over random
 * OpenAI-format streams, split at random points, a rewriter with it and one that parses every
 * event forward the same bytes and end with the same figures.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDialect, backendOptions } from '../../src/backends/registry.js';
import { validateConfig } from '../../src/config/load.js';
import type { DialectName } from '../../src/config/schema.js';
import { ResponseRewriter } from '../../src/stream/rewriter.js';
import { thinkTagsOf, type ThinkTags } from '../../src/stream/think.js';
import { splitAt } from '../harness/split.js';

const config = validateConfig({});

/** Text that tries the shortcut's edges: quotes, backslashes, escapes, tags, their halves, keys. */
const piece = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('"', '\\', '\\"', '\n', 'é', '👍', '<think>', '</think>', '</thi', 'nk>', '<seed:think>', '</seed:think>', '</seed:', '<|END_THINKING|>', 'usage', 'reasoning', '"content":"x', 'finish_reason', '{', '}', ' '),
);
const text = fc.array(piece, { maxLength: 4 }).map((a) => a.join(''));

type Ev = { kind: 'reasoning' | 'content' | 'finish' | 'usage' | 'error' | 'spaced' | 'escaped' | 'null-content' | 'two-choices'; text: string; finish: string };

const event = fc.record({
  kind: fc.constantFrom('reasoning', 'content', 'content', 'content', 'finish', 'usage', 'error', 'spaced', 'escaped', 'null-content', 'two-choices') as fc.Arbitrary<Ev['kind']>,
  text,
  finish: fc.constantFrom('stop', 'length'),
});

function render(evs: Ev[], n: { i: number }): string {
  return evs
    .map((e) => {
      const chunk = (choices: unknown[], extra: object = {}) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices, ...extra })}\n\n`;
      n.i++;
      switch (e.kind) {
        case 'reasoning':
          return chunk([{ index: 0, delta: { reasoning_content: e.text }, logprobs: null, finish_reason: null }]);
        case 'content':
          return chunk([{ index: 0, delta: { content: e.text }, logprobs: null, finish_reason: null }]);
        case 'finish':
          return chunk([{ index: 0, delta: { content: e.text }, finish_reason: e.finish }]);
        case 'usage':
          return chunk([], { usage: { prompt_tokens: 3, completion_tokens: n.i, total_tokens: 3 + n.i } });
        case 'error':
          return `data: ${JSON.stringify({ object: 'error', message: e.text || 'boom' })}\n\n`;
        case 'spaced':
          return `data: {"choices": [{"index": 0, "delta": {"content": ${JSON.stringify(e.text)}}, "finish_reason": null}]}\n\n`;
        case 'escaped':
          // As Go's encoder writes it: `<` and `>` as \u003c and \u003e.
          return `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(e.text).replace(/</g, '\\u003c').replace(/>/g, '\\u003e')}},"finish_reason":null}]}\n\n`;
        case 'null-content':
          return chunk([{ index: 0, delta: { content: null }, finish_reason: null }]);
        case 'two-choices':
          return chunk([{ index: 0, delta: { content: e.text }, finish_reason: null }, { index: 1, delta: { content: 'other' }, finish_reason: null }]);
      }
    })
    .join('');
}

const TAGS: Record<string, ThinkTags | undefined> = {
  default: undefined,
  seed: thinkTagsOf({ open: '<seed:think>', close: '</seed:think>\n' }),
  cohere: thinkTagsOf({ open: '', close: '<|END_THINKING|><|START_TEXT|>' }),
};

function run(input: Buffer, cuts: number[], fast: boolean, o: { dialect: DialectName; budget: number; wantsUsage: boolean; continuation: boolean; rescue: boolean; prefilled: boolean; tags: string }) {
  const r = new ResponseRewriter({
    dialect: buildDialect(o.dialect, backendOptions(config, undefined)),
    format: 'sse',
    budget: o.budget,
    clientWantsUsage: o.wantsUsage,
    thinkPrefilled: o.prefilled,
    thinkTags: TAGS[o.tags],
    continuation: o.continuation,
    rescue: o.rescue,
    tier: 'simple',
    fastAnswerEvents: fast,
  });
  const parts = splitAt(input, cuts);
  const out = parts.map((p, i) => r.push(p, i === parts.length - 1) ?? p);
  return {
    bytes: Buffer.concat(out).toString('utf8'),
    answer: r.answer,
    keptReasoning: r.keptReasoning,
    thinking: r.thinkingTokens,
    tokenEvents: r.tokenEvents,
    completion: r.completionTokens,
    finish: r.finishReason,
    error: r.error,
    enforced: r.enforced,
    continuationWanted: r.continuationWanted,
  };
}

describe('plain answer deltas read without parsing', () => {
  it('forward the same bytes and give the same figures as parsing every event', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.record({
          dialect: fc.constantFrom<DialectName>('vllm', 'sglang', 'llamacpp', 'generic'),
          budget: fc.integer({ min: 0, max: 12 }),
          wantsUsage: fc.boolean(),
          continuation: fc.boolean(),
          rescue: fc.boolean(),
          prefilled: fc.boolean(),
          tags: fc.constantFrom('default', 'seed', 'cohere'),
        }),
        fc.boolean(),
        (evs, cuts, o, done) => {
          const input = Buffer.from(render(evs, { i: 0 }) + (done ? 'data: [DONE]\n\n' : ''), 'utf8');
          expect(run(input, cuts, true, o)).toEqual(run(input, cuts, false, o));
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
  });

  it('the shortcut is taken: an answer-phase delta is passed on as the same bytes and counted', () => {
    const r = new ResponseRewriter({ dialect: buildDialect('vllm', backendOptions(config, undefined)), format: 'sse', budget: 5, clientWantsUsage: true, thinkPrefilled: false, continuation: false, tier: 'simple' });
    r.push(Buffer.from('data: {"choices":[{"index":0,"delta":{"reasoning_content":"hm"},"finish_reason":null}]}\n\n'), false);
    const ev = Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"a \\"quoted\\" \\\\ line\\n"},"finish_reason":null}]}\n\n');
    expect(r.push(ev, false)).toBeNull();
    expect(r.answer).toBe('a "quoted" \\ line\n');
    expect(r.tokenEvents).toBe(2);
  });
});
