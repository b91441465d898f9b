import { describe, expect, it } from 'vitest';
import { ContinuationLogprobs } from '../../src/stream/logprobs.js';
import { mergeOpenAiContinuation } from '../../src/backends/openai.js';

const entry = (token: string) => ({ token, logprob: -0.5, bytes: [...Buffer.from(token)], top_logprobs: [] });
const event = (tokens: string[]) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: tokens.join('') }, logprobs: { content: tokens.map(entry) } }] })}\n\n`;

describe('ContinuationLogprobs', () => {
  it('collects the entries of every event in order, events split at any byte', () => {
    const stream = Buffer.from(event(['A', ' hash']) + 'data: {"choices":[],"usage":{"completion_tokens":3}}\n\n' + event([' map']) + 'data: [DONE]\n\n');
    for (let cut = 0; cut <= stream.length; cut += 7) {
      const c = new ContinuationLogprobs(1 << 20);
      c.push(stream.subarray(0, cut));
      c.push(stream.subarray(cut));
      expect((c.entries as Array<{ token: string }>).map((e) => e.token)).toEqual(['A', ' hash', ' map']);
    }
  });

  it('none, not garbage: events without logprobs, malformed events, and more than it may hold', () => {
    const plain = new ContinuationLogprobs(1 << 20);
    plain.push(Buffer.from('data: {"choices":[{"delta":{"content":"x"}}]}\n\ndata: {not json\n\n'));
    expect(plain.entries).toBeNull();
    const small = new ContinuationLogprobs(200);
    small.push(Buffer.from(event(['a', 'b']) + event(['c', 'd', 'e', 'f'])));
    expect(small.entries).toBeNull();
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
