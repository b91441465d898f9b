import { describe, expect, it } from 'vitest';
import { ContinuationLogprobs } from '../../src/stream/logprobs.js';
import { mergeOpenAiContinuation } from '../../src/backends/openai.js';
import { validateConfig } from '../../src/config/load.js';
import { backendOptions, buildDialect } from '../../src/backends/registry.js';

const entry = (token: string) => ({ token, logprob: -0.5, bytes: [...Buffer.from(token)], top_logprobs: [] });
const event = (tokens: string[]) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: tokens.join('') }, logprobs: { content: tokens.map(entry) } }] })}\n\n`;

/** An Ollama chat line (a continuation's /api/generate line, converted) with one logprobs entry per token. */
const line = (tokens: string[]) => `${JSON.stringify({ model: 'm', message: { role: 'assistant', content: tokens.join('') }, done: false, logprobs: tokens.map((token) => ({ token, logprob: -0.5 })) })}\n`;

/**
 * Each framing: its event of tokens with their logprobs; a stream of three tokens with an event
 * without logprobs between them; events without usable logprobs (none, malformed, not a list);
 * a hold limit the second of two events passes.
 */
const FORMATS = [
  {
    format: 'sse' as const,
    framed: event,
    stream: event(['A', ' hash']) + 'data: {"choices":[],"usage":{"completion_tokens":3}}\n\n' + event([' map']) + 'data: [DONE]\n\n',
    step: 7,
    useless: 'data: {"choices":[{"delta":{"content":"x"}}]}\n\ndata: {not json\n\n',
    smallLimit: 200,
  },
  {
    format: 'ndjson' as const,
    framed: line,
    stream: line(['A', ' hash']) + '{"model":"m","message":{"role":"assistant","content":""},"done":true,"eval_count":3}\n' + line([' map']),
    step: 5,
    useless: '{"message":{"content":"x"},"done":false}\n{not json\n{"logprobs":{"token":"x"}}\n',
    smallLimit: 150,
  },
];

describe.each(FORMATS)('ContinuationLogprobs ($format)', ({ format, framed, stream, step, useless, smallLimit }) => {
  it('collects the entries of every event in order, events split at any byte', () => {
    const bytes = Buffer.from(stream);
    for (let cut = 0; cut <= bytes.length; cut += step) {
      const c = new ContinuationLogprobs(1 << 20, format);
      c.push(bytes.subarray(0, cut));
      c.push(bytes.subarray(cut));
      expect((c.entries as Array<{ token: string }>).map((e) => e.token)).toEqual(['A', ' hash', ' map']);
    }
  });

  it('none, not garbage: events without logprobs, malformed events, and more than it may hold', () => {
    const plain = new ContinuationLogprobs(1 << 20, format);
    plain.push(Buffer.from(useless));
    expect(plain.entries).toBeNull();
    const small = new ContinuationLogprobs(smallLimit, format);
    small.push(Buffer.from(framed(['a', 'b']) + framed(['c', 'd', 'e', 'f'])));
    expect(small.entries).toBeNull();
  });
});

describe('the Ollama continuation and logprobs', () => {
  const config = validateConfig({ backends: [{ name: 'b', dialect: 'ollama', enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
  const ollama = buildDialect('ollama', backendOptions(config, config.backends[0]));
  const first = Buffer.from(JSON.stringify({ model: 'm', message: { role: 'assistant', thinking: 'so', content: '' }, done: true, done_reason: 'length', eval_count: 2, logprobs: [{ token: 'so', logprob: -1 }] }));
  const merge = (logprobs: unknown[] | null) => JSON.parse(ollama.mergeContinuation!(first, { content: 'A map', finishReason: 'stop', completionTokens: 4, reasoningTokens: 2, logprobs }).toString()) as { logprobs: Array<{ token: string }>; message: { content: string } };

  it("the continuation asks for them as the client did (/api/generate reads logprobs and top_logprobs)", () => {
    const c = ollama.buildContinuation!({ model: 'm', messages: [{ role: 'user', content: 'q' }], logprobs: true, top_logprobs: 3 }, 'so', '', 64);
    expect(c.body.logprobs).toBe(true);
    expect(c.body.top_logprobs).toBe(3);
  });

  it("a whole answer: the continuation's entries after the first leg's", () => {
    const j = merge([{ token: 'A', logprob: -0.1 }, { token: ' map', logprob: -0.2 }]);
    expect(j.logprobs.map((e) => e.token)).toEqual(['so', 'A', ' map']);
    expect(j.message.content).toBe('A map');
    expect(merge(null).logprobs.map((e) => e.token)).toEqual(['so']);
  });
});

describe('mergeOpenAiContinuation with logprobs', () => {
  const first = Buffer.from(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: '' }, logprobs: { content: [entry('<think>'), entry('so')] }, finish_reason: 'length' }], usage: { prompt_tokens: 5, completion_tokens: 2 } }));
  const merge = (logprobs: unknown[] | null) => JSON.parse(mergeOpenAiContinuation(first, { content: 'A map', finishReason: 'stop', completionTokens: 4, reasoningTokens: 2, logprobs }).toString()) as { choices: Array<{ logprobs: { content: Array<{ token: string }> } }> };
  it("appends the continuation's entries to the first leg's", () => {
    expect(merge([entry('A'), entry(' map')]).choices[0]!.logprobs.content.map((e) => e.token)).toEqual(['<think>', 'so', 'A', ' map']);
  });
  it('leaves them as they were without any', () => {
    expect(merge(null).choices[0]!.logprobs.content.map((e) => e.token)).toEqual(['<think>', 'so']);
  });
});
