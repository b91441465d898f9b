import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { promptTokenBound, textTokens } from '../../src/budget/prompt.js';
import { countTokens, TOKENIZE_MAX_CHARS } from '../../src/stream/tokens.js';

const o200k = (text: string) => encode(text, { disallowedSpecial: new Set() }).length;
const BOUND = { safetyFactor: 2, overheadTokens: 64 };
const english = (n: number) => 'We need to decide how to roll out the new billing system, region by region. '.repeat(Math.ceil(n / 76)).slice(0, n);
/** Yi syllables with a space every six: o200k takes about 2.5 tokens a character (short pieces, quick to encode whole). */
const yi = (n: number) => {
  let s = '';
  for (let i = 0; s.length < n; i++) s += String.fromCharCode(0xa000 + ((i * 7919) % 0x48c)) + (i % 6 === 5 ? ' ' : '');
  return s.slice(0, n);
};

describe('the prompt token bound', () => {
  it('up to 32 KiB of text: the exact count, as estimate and as bound, plus 4 a message', () => {
    const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: english(20_000) }];
    const exact = o200k('Be brief.' + english(20_000));
    expect(promptTokenBound({ messages }, BOUND)).toEqual({ estimate: exact + 8, bound: (exact + 8) * 2 + 64, cut: false, media: 0 });
  });

  it("what vLLM's template may render beside the messages (documents, a chat_template of the client's, its kwargs) is in the bound", () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const plain = promptTokenBound({ messages }, BOUND).bound;
    const doc = english(20_000);
    for (const extra of [{ documents: [{ title: 't', text: doc }] }, { chat_template: `{{ '${doc}' }}{% for m in messages %}{{ m.content }}{% endfor %}` }, { chat_template_kwargs: { context: doc } }]) {
      expect(promptTokenBound({ messages, ...extra }, BOUND).bound - plain, Object.keys(extra)[0]).toBeGreaterThanOrEqual(o200k(doc));
    }
  });

  it('each image, audio or video part (no text of its own; Ollama images) adds mediaPartTokens: the engine bills them, thinkcap cannot count them', () => {
    const text = { type: 'text', text: 'What is in these?' };
    const parts = [text, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }, { type: 'video_url', video_url: { url: 'http://x/v.mp4' } }];
    const plain = promptTokenBound({ messages: [{ role: 'user', content: [text] }] }, { ...BOUND, mediaPartTokens: 1000 }).bound;
    const withMedia = promptTokenBound({ messages: [{ role: 'user', content: parts }, { role: 'user', content: 'and', images: ['AAAA', 'BBBB'] }] }, { ...BOUND, mediaPartTokens: 1000 }).bound;
    const withoutImages = promptTokenBound({ messages: [{ role: 'user', content: [text] }, { role: 'user', content: 'and' }] }, { ...BOUND, mediaPartTokens: 1000 }).bound;
    expect(withMedia - withoutImages).toBe(5 * 1000);
    expect(withoutImages).toBeGreaterThan(plain);
    // The parts are counted beside the bound (the context room takes them at mediaPartTokens too).
    expect(promptTokenBound({ messages: [{ role: 'user', content: parts }, { role: 'user', content: 'and', images: ['AAAA', 'BBBB'] }] }, BOUND).media).toBe(5);
    // Without the option, as before: text only.
    expect(promptTokenBound({ messages: [{ role: 'user', content: parts }] }, BOUND).bound).toBe(promptTokenBound({ messages: [{ role: 'user', content: [text] }] }, BOUND).bound);
  });

  it('text in every part form an engine renders is counted: bare strings (vLLM), refusals, thinking parts', () => {
    const doc = english(8_000);
    const plain = promptTokenBound({ messages: [{ role: 'user', content: 'hi' }] }, BOUND).bound;
    for (const content of [[doc], [{ type: 'refusal', refusal: doc }], [{ type: 'thinking', thinking: doc }], [{ type: 'reasoning', text: doc }]]) {
      const b = promptTokenBound({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content }] }, { ...BOUND, mediaPartTokens: 1000 }).bound;
      expect(b - plain, JSON.stringify(content).slice(0, 30)).toBeGreaterThanOrEqual(o200k(doc));
    }
  });

  it('a part that holds media counts as media whatever text it also carries, and a part of no text type does too', () => {
    const o = { ...BOUND, mediaPartTokens: 1000 };
    const bound = (content: unknown[]) => promptTokenBound({ messages: [{ role: 'user', content }] }, o).bound;
    const text = bound([{ type: 'text', text: 'x' }]);
    // vLLM reads the image by the part's type and keys; a text beside it does not make it free.
    expect(bound([{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' }, text: 'x' }]) - text).toBeGreaterThanOrEqual(1000);
    expect(bound([{ type: 'text', text: 'x', image_url: { url: 'data:image/png;base64,AAAA' } }]) - text).toBeGreaterThanOrEqual(1000);
    expect(bound([{ type: 'image_embeds', image_embeds: 'AAAA', text: 'x' }]) - text).toBeGreaterThanOrEqual(1000);
    expect(bound([{ text: 'x' }]) - text).toBeGreaterThanOrEqual(1000);
    expect(bound([{ type: 'file', file: { file_data: 'AAAA' }, text: 'x' }]) - text).toBeGreaterThanOrEqual(1000);
  });

  it('earlier reasoning and tool calls, which templates render into the prompt, are in the bound', () => {
    const args = english(8_000);
    const plain = promptTokenBound({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'ok' }] }, BOUND).bound;
    // SGLang renders a system message's own `tools`; a chat template can read any key of a message.
    for (const extra of [{ tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }] }, { reasoning_content: args }, { thinking: args }, { function_call: { name: 'f', arguments: args } }, { tools: [{ type: 'function', function: { name: 'f', description: args } }] }, { name: args }, { anything_else: { nested: args } }]) {
      const b = promptTokenBound({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'ok', ...extra }] }, BOUND).bound;
      expect(b - plain, Object.keys(extra)[0]).toBeGreaterThanOrEqual(o200k(args));
    }
  });

  it("SGLang's input_ids (the prompt as token ids, its messages then only decide stop tokens) are counted one token each", () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const plain = promptTokenBound({ messages }, BOUND);
    const ids = promptTokenBound({ messages, input_ids: Array.from({ length: 50_000 }, (_, i) => i % 1000) }, BOUND);
    expect(plain.bound).toBeLessThan(100);
    expect(ids.bound).toBe(50_000);
    expect(ids.estimate).toBe(50_000);
  });

  it('past 32 KiB, whatever the rest holds, the bound is at least the count (a scaled count of the head is not)', () => {
    const text = english(TOKENIZE_MAX_CHARS) + yi(40_000);
    const exact = o200k(text);
    const t = textTokens(text);
    expect(t.bound).toBeGreaterThanOrEqual(exact);
    // The estimate (the head's rate scaled by length) falls far short here: why the bound is not it.
    expect(t.estimate).toBeLessThan(exact / 2);
    // And the bound before this change: chars / 2 past 64 KiB, times the safety factor 2.
    const big = english(1000) + yi(70_000);
    expect(textTokens(big).bound).toBeGreaterThanOrEqual(o200k(big));
    expect(big.length).toBeLessThan(o200k(big) / 2);
  });

  it('the bound is never below the estimate, and a cut at the limit never splits a surrogate pair', () => {
    for (const text of [english(40_000), 'a'.repeat(TOKENIZE_MAX_CHARS - 1) + '😀'.repeat(1000), yi(50_000) + english(10_000), '😀'.repeat(30_000)]) {
      const t = textTokens(text);
      expect(t.bound).toBeGreaterThanOrEqual(t.estimate);
      expect(Number.isFinite(t.bound)).toBe(true);
    }
    // An emoji across the cut: counted whole on one side (no U+FFFD), so the bound is at least the count.
    const across = 'a'.repeat(TOKENIZE_MAX_CHARS - 1) + '😀' + 'b'.repeat(100);
    expect(textTokens(across).bound).toBeGreaterThanOrEqual(o200k(across) - 1);
  });

  it('tools, functions and a response schema are bounded too', () => {
    const tools = [{ type: 'function', function: { name: 'lookup', description: yi(40_000), parameters: { type: 'object' } } }];
    const r = promptTokenBound({ messages: [{ role: 'user', content: 'hi' }], tools }, BOUND);
    expect(r.bound).toBeGreaterThanOrEqual((o200k('hi') + 4 + o200k(JSON.stringify(tools))) * 2 + 64);
  });
});

describe('the prompt token bound on a short exact head (counting over its time budget)', () => {
  it('is still at least the count, whatever the text, and the head is counted exactly', () => {
    for (const text of [english(20_000), english(3000) + yi(20_000), yi(20_000), 'a'.repeat(4095) + '😀'.repeat(500), '😀'.repeat(9000), english(100)]) {
      const full = textTokens(text);
      const short = textTokens(text, 4096);
      expect(short.bound, text.slice(0, 20)).toBeGreaterThanOrEqual(o200k(text));
      expect(short.bound).toBeGreaterThanOrEqual(full.bound);
      expect(short.bound).toBeGreaterThanOrEqual(short.estimate);
    }
    // A text within the head is counted whole either way.
    expect(textTokens(english(3000), 4096)).toEqual(textTokens(english(3000)));
    // Past the head, the rest is bounded by its UTF-8 bytes.
    const text = english(20_000);
    expect(textTokens(text, 4096).bound).toBe(o200k(text.slice(0, 4096)) + 20_000 - 4096);
  });

  it('promptTokenBound passes the head to the messages and the tools', () => {
    const tools = [{ type: 'function', function: { name: 'lookup', description: english(10_000) } }];
    const body = { messages: [{ role: 'user', content: english(10_000) }], tools };
    const full = promptTokenBound(body, BOUND);
    const short = promptTokenBound(body, { ...BOUND, exactChars: 4096 });
    // (The tools' JSON opens with a run of 66 characters without a space, cut once by countTokens.)
    const json = JSON.stringify(tools);
    expect(short.bound).toBe((o200k(english(4096)) + 10_000 - 4096 + 4 + countTokens(json.slice(0, 4096)) + json.length - 4096) * 2 + 64);
    expect(short.bound).toBeGreaterThan(full.bound);
  });
});

describe('the prompt token bound when counting runs out of time (spend.promptBound.counting.promptMs)', () => {
  it('past the deadline the rest is bounded by bytes: still at least the count, and said to be cut', () => {
    for (const text of [english(20_000), english(3000) + yi(20_000), yi(20_000), '😀'.repeat(9000)]) {
      const late = textTokens(text, TOKENIZE_MAX_CHARS, -Infinity);
      expect(late.cut, text.slice(0, 20)).toBe(true);
      expect(late.bound).toBeGreaterThanOrEqual(o200k(text));
      expect(late.bound).toBeGreaterThanOrEqual(late.estimate);
    }
    // In time, nothing is cut: the count as before.
    expect(textTokens(english(20_000), TOKENIZE_MAX_CHARS, Infinity)).toEqual({ ...textTokens(english(20_000)), cut: false });
    expect(textTokens(english(20_000)).bound).toBe(o200k(english(20_000)));
  });

  it('promptTokenBound says when any text was cut by the deadline', () => {
    const body = { messages: [{ role: 'user', content: english(10_000) }] };
    expect(promptTokenBound(body, { ...BOUND, deadline: -Infinity }).cut).toBe(true);
    expect(promptTokenBound(body, BOUND).cut).toBe(false);
    expect(promptTokenBound(body, { ...BOUND, deadline: -Infinity }).bound).toBeGreaterThan(promptTokenBound(body, BOUND).bound);
  });
});
