/**
 * Several choices in one response (n > 1): engines stream each choice's deltas as events of
 * their own, interleaved. Each choice keeps its own thinking budget and gets its own think block
 * closed, once; another choice's finish asks for no continuation and its text is not the first
 * choice's answer. Before, the stream was read as one choice: a `</think>` went into whichever
 * choice came next, a choice's thinking leaked into its answer, and a second choice stopping on
 * the length cap started a continuation of the first.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDialect, backendOptions } from '../../src/backends/registry.js';
import { validateConfig } from '../../src/config/load.js';
import { ResponseRewriter } from '../../src/stream/rewriter.js';
import { countTokens } from '../../src/stream/tokens.js';
import { splitAt } from '../harness/split.js';

const config = validateConfig({ backends: [{ name: 'v', dialect: 'vllm', url: 'http://127.0.0.1:1' }] });
const dialect = buildDialect('vllm', backendOptions(config, config.backends[0]!));

const ev = (index: number, delta: object, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index, delta, finish_reason: finish }] })}\n\n`;

function rewriter(budget: number, o: { continuation?: boolean; fast?: boolean; format?: 'sse' | 'json' } = {}) {
  return new ResponseRewriter({ dialect, format: o.format ?? 'sse', budget, clientWantsUsage: false, thinkPrefilled: false, continuation: o.continuation ?? false, tier: 'simple', fastAnswerEvents: o.fast ?? true });
}

function run(r: ResponseRewriter, input: string, cuts: number[] = []): string {
  let out = '';
  const pieces = splitAt(Buffer.from(input), cuts);
  pieces.forEach((p, i) => {
    const o = r.push(p, i === pieces.length - 1);
    out += (o ?? p).toString('utf8');
  });
  return out;
}

/** What a client assembles per choice: content, reasoning and finish reason by index. */
function perChoice(sse: string): Map<number, { content: string; reasoning: string; finish: string | null }> {
  const m = new Map<number, { content: string; reasoning: string; finish: string | null }>();
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const j = JSON.parse(line.slice(6)) as { choices?: Array<{ index: number; delta?: { content?: string; reasoning_content?: string }; finish_reason?: string | null }> };
    for (const c of j.choices ?? []) {
      const e = m.get(c.index) ?? { content: '', reasoning: '', finish: null };
      e.content += c.delta?.content ?? '';
      e.reasoning += c.delta?.reasoning_content ?? '';
      if (c.finish_reason) e.finish = c.finish_reason;
      m.set(c.index, e);
    }
  }
  return m;
}

/** Two choices of `<think>` in content, interleaved event by event, one word an event. */
function interleavedTags(a: string[], b: string[]): string {
  const streams = [
    ['<think>', ...a.map((w) => ` ${w}`), '</think>', 'Four.'],
    ['<think>', ...b.map((w) => ` ${w}`), '</think>', 'Five.'],
  ];
  let s = '';
  for (let k = 0; k < Math.max(streams[0]!.length, streams[1]!.length); k++) {
    for (const i of [0, 1]) if (k < streams[i]!.length) s += ev(i, { content: streams[i]![k] });
  }
  return `${s}${ev(0, {}, 'stop')}${ev(1, {}, 'stop')}data: [DONE]\n\n`;
}

describe('several choices in one stream (n > 1)', () => {
  it('think tags in content: each choice thinks up to the budget, its block closed once, in its own events, its answer its own', () => {
    const words = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (na, nb, cuts, fast) => {
        const budget = 5;
        const r = rewriter(budget, { fast });
        const out = perChoice(run(r, interleavedTags(words(na, 'a'), words(nb, 'b')), cuts));
        for (const [i, answer] of [[0, 'Four.'], [1, 'Five.']] as const) {
          const c = out.get(i)!;
          expect(c.content.split('<think>')).toHaveLength(2);
          expect(c.content.split('</think>')).toHaveLength(2);
          const [thinking, after] = c.content.slice('<think>'.length).split('</think>') as [string, string];
          expect(after).toBe(answer);
          // Its own words only, and at most the budget of them.
          expect(thinking.includes(i === 0 ? 'b' : 'a')).toBe(false);
          expect(countTokens(thinking)).toBeLessThanOrEqual(budget + 1);
          expect(c.finish).toBe('stop');
        }
        expect(r.answer).toBe('Four.');
        expect(r.finishReason).toBe('stop');
      }),
      { numRuns: 60 },
    );
  });

  it('reasoning fields: each choice keeps its own budget of reasoning', () => {
    let s = '';
    for (let k = 0; k < 20; k++) s += ev(0, { reasoning_content: ` a${k}` }) + ev(1, { reasoning_content: ` b${k}` });
    s += ev(0, { content: 'Four.' }) + ev(1, { content: 'Five.' }) + ev(0, {}, 'stop') + ev(1, {}, 'stop') + 'data: [DONE]\n\n';
    const r = rewriter(6);
    const out = perChoice(run(r, s));
    for (const [i, p, answer] of [[0, 'a', 'Four.'], [1, 'b', 'Five.']] as const) {
      const c = out.get(i)!;
      // Kept while under the budget: both choices keep theirs (before, the first 6 tokens of both together).
      expect(countTokens(c.reasoning)).toBeGreaterThanOrEqual(6);
      expect(countTokens(c.reasoning)).toBeLessThan(10);
      expect(c.reasoning.startsWith(` ${p}0 ${p}1`)).toBe(true);
      expect(c.content).toBe(answer);
    }
    expect(r.enforced).toBe(true);
    // Thinking counts every choice's reasoning (40 events of 2 tokens).
    expect(r.thinkingTokens).toBe(countTokens(Array.from({ length: 20 }, (_, k) => ` a${k} b${k}`).join('')));
  });

  it('another choice stopping on the length cap asks for no continuation; the first choice\'s still does', () => {
    const other = ev(0, { reasoning_content: 'x' }) + ev(1, { reasoning_content: 'y' }) + ev(0, { content: 'The answer is 4.' }) + ev(0, {}, 'stop') + ev(1, {}, 'length') + 'data: [DONE]\n\n';
    const r = rewriter(50, { continuation: true });
    const out = run(r, other);
    expect(r.continuationWanted).toBe(false);
    expect(r.finishReason).toBe('stop');
    expect(out).toContain('data: [DONE]');
    expect(perChoice(out).get(1)!.finish).toBe('length');

    const first = ev(1, { reasoning_content: 'y' }) + ev(1, { content: 'Five.' }) + ev(1, {}, 'stop') + ev(0, { reasoning_content: 'x' }) + ev(0, {}, 'length') + 'data: [DONE]\n\n';
    const r2 = rewriter(50, { continuation: true });
    run(r2, first);
    expect(r2.continuationWanted).toBe(true);
    expect(r2.answer).toBe('');
  });

  it('a whole answer of several choices: each one\'s reasoning cut at the budget and its think block closed', () => {
    const long = Array.from({ length: 30 }, (_, k) => ` w${k}`).join('');
    const body = {
      object: 'chat.completion',
      choices: [
        { index: 0, message: { role: 'assistant', reasoning_content: long, content: 'Four.' }, finish_reason: 'stop' },
        { index: 1, message: { role: 'assistant', reasoning_content: long, content: 'Five.' }, finish_reason: 'stop' },
        { index: 2, message: { role: 'assistant', content: `<think>${long}` }, finish_reason: 'length' },
      ],
    };
    const r = rewriter(8, { format: 'json' });
    const out = JSON.parse(run(r, JSON.stringify(body))) as typeof body;
    for (const i of [0, 1]) {
      expect(countTokens(out.choices[i]!.message.reasoning_content!)).toBeLessThanOrEqual(8);
      expect(out.choices[i]!.message.content).toBe(i === 0 ? 'Four.' : 'Five.');
    }
    const third = out.choices[2]!.message.content;
    expect(third.startsWith('<think>')).toBe(true);
    expect(third.endsWith('</think>')).toBe(true);
    expect(countTokens(third.slice(7, -8))).toBeLessThanOrEqual(9);
    expect(r.enforced).toBe(true);
  });
});
