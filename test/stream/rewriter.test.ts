import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDialect, backendOptions } from '../../src/backends/registry.js';
import { validateConfig } from '../../src/config/load.js';
import { ResponseRewriter, type RewriterOptions } from '../../src/stream/rewriter.js';
import { SseFramer } from '../../src/stream/sse.js';
import { countTokens } from '../../src/stream/tokens.js';
import type { DialectName } from '../../src/config/schema.js';
import { splitAt } from '../harness/split.js';

const config = validateConfig({});

/** A first leg's rewriter where a rescue may follow (budget 50), fed `body` whole. */
function rescueRun(dialect: DialectName, format: 'sse' | 'json' | 'ndjson', body: string, o: Partial<RewriterOptions> = {}): ResponseRewriter {
  const r = new ResponseRewriter({ dialect: buildDialect(dialect, backendOptions(config, undefined)), format, budget: 50, clientWantsUsage: true, thinkPrefilled: false, continuation: false, rescue: true, tier: 'simple', ...o });
  r.push(Buffer.from(body), true);
  return r;
}

/** A recorded-shape vLLM / generic stream: role chunk, reasoning or <think> content, answer, usage, [DONE]. */
function recorded(kind: 'vllm' | 'generic', thinking: number, answer: string[]): string {
  const ev = (delta: object, finish: string | null = null, usage?: object) =>
    `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
  let n = 0;
  const u = () => ({ prompt_tokens: 3, completion_tokens: n, total_tokens: 3 + n });
  let s = ev({ role: 'assistant', content: '' }, null, kind === 'vllm' ? u() : undefined);
  if (kind === 'generic') s += ev({ content: '<think>' });
  for (let i = 0; i < thinking; i++) {
    n++;
    s += kind === 'vllm' ? ev({ reasoning: i ? ' ставим' : 'думаю' }, null, u()) : ev({ content: i ? ' 思考' : '思考' });
  }
  if (kind === 'generic') s += ev({ content: '</think>' }) + ev({ content: '\n\n' });
  answer.forEach((a, i) => {
    n++;
    s += ev({ content: a }, i === answer.length - 1 ? 'stop' : null, kind === 'vllm' ? u() : undefined);
  });
  s += `data: ${JSON.stringify({ id: 'x', choices: [], usage: u() })}\n\ndata: [DONE]\n\n`;
  return s;
}


function parseOut(bytes: Buffer) {
  const f = new SseFramer();
  const events = f.push(bytes);
  let reasoning = 0;
  let content = '';
  let done = 0;
  let comments = 0;
  let usage = 0;
  for (const e of events) {
    if (e.data === null) {
      if (e.raw.toString().startsWith(': thinkcap')) comments++;
      continue;
    }
    if (e.data === '[DONE]') {
      done++;
      continue;
    }
    const j = JSON.parse(e.data);
    if (j.usage) usage++;
    const d = j.choices?.[0]?.delta ?? {};
    if (d.reasoning) reasoning++;
    if (d.content) content += d.content;
  }
  return { reasoning, content, done, comments, usage, leftover: f.takeRemainder() };
}

describe('ResponseRewriter over random chunk splits of recorded streams', () => {
  const answer = ['Ответ', ' — ', 'да', ' ✓', ' 👍', ' done.'];
  for (const kind of ['vllm', 'generic'] as const) {
    it(`${kind}: reasoning <= budget, one </think>, answer identical, one [DONE], one report`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 30 }), fc.array(fc.nat(), { maxLength: 25 }), fc.boolean(), (thinking, budget, cuts, wantsUsage) => {
          const input = Buffer.from(recorded(kind, thinking, answer), 'utf8');
          const r = new ResponseRewriter({
            dialect: buildDialect(kind as DialectName, backendOptions(config, undefined)),
            format: 'sse',
            budget,
            clientWantsUsage: wantsUsage,
            thinkPrefilled: false,
            continuation: false,
            tier: 'simple',
          });
          const parts = splitAt(input, cuts);
          const out: Buffer[] = [];
          parts.forEach((p, i) => out.push(r.push(p, i === parts.length - 1) ?? p));
          const seen = parseOut(Buffer.concat(out));
          expect(seen.leftover).toBeNull();
          expect(seen.done).toBe(1);
          expect(seen.comments).toBe(1);
          if (kind === 'vllm') {
            expect(seen.reasoning).toBe(Math.min(thinking, budget));
            expect(seen.content).toBe(answer.join(''));
            expect(r.thinkingTokens).toBe(thinking);
            expect(seen.usage > 0).toBe(wantsUsage);
          } else {
            expect(seen.content.split('</think>').length - 1).toBe(1);
            expect(seen.content.split('</think>')[1]).toBe('\n\n' + answer.join(''));
            const kept = seen.content.split('</think>')[0]!.replace('<think>', '');
            const pieces = kept.split('思考').length - 1;
            // Each piece is at least one token: forwarded pieces never exceed budget + the one that crosses it.
            expect(pieces).toBeLessThanOrEqual(Math.min(thinking, budget + 1));
            if (budget >= thinking * 3) expect(pieces).toBe(thinking);
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('ResponseRewriter edge cases', () => {
  const make = (kind: DialectName, budget = 2) =>
    new ResponseRewriter({ dialect: buildDialect(kind, backendOptions(config, undefined)), format: 'sse', budget, clientWantsUsage: true, thinkPrefilled: false, continuation: false, tier: 'simple' });

  it('records an error event and forwards it unchanged', () => {
    const r = make('vllm');
    const ev = Buffer.from('event: error\ndata: {"error":{"message":"CUDA out of memory","type":"server_error"}}\n\n');
    expect(r.push(ev, false)).toBeNull();
    expect(r.error).toBe('CUDA out of memory');
  });

  it('thinkPrefilled on an engine with a reasoning parser: the answer after the reasoning field is not read as thinking', () => {
    for (const kind of ['vllm', 'sglang'] as const) {
      const r = new ResponseRewriter({ dialect: buildDialect(kind, backendOptions(config, undefined)), format: 'sse', budget: 2, clientWantsUsage: true, thinkPrefilled: true, continuation: false, tier: 'simple' });
      const field = kind === 'vllm' ? 'reasoning' : 'reasoning_content';
      const events = [
        { choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
        { choices: [{ index: 0, delta: { [field]: 'a b c d e f' } }] },
        { choices: [{ index: 0, delta: { content: 'The answer is four, as asked.' } }] },
        { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      ];
      const out = events.map((e) => r.push(Buffer.from(`data: ${JSON.stringify(e)}\n\n`), false)?.toString() ?? `data: ${JSON.stringify(e)}\n\n`).join('') + (r.push(Buffer.from('data: [DONE]\n\n'), true)?.toString() ?? '');
      expect(out, kind).toContain('The answer is four, as asked.');
    }
  });

  it('a stream cut without [DONE] still closes an open think block', () => {
    const r = make('generic', 50);
    const out = Buffer.concat([r.push(Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"<think> a b c"}}]}\n\n'), false) ?? Buffer.alloc(0), r.push(Buffer.alloc(0), true) ?? Buffer.alloc(0)]).toString();
    expect(out.split('</think>').length - 1).toBe(1);
  });

  it('non-streaming: reasoning truncated on a token boundary, answer untouched', () => {
    const r = new ResponseRewriter({ dialect: buildDialect('vllm', backendOptions(config, undefined)), format: 'json', budget: 3, clientWantsUsage: true, thinkPrefilled: false, continuation: false, tier: 'simple' });
    const body = JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'Answer: 42 ✓', reasoning: 'one two three four five six' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 10 } });
    const out = JSON.parse(r.push(Buffer.from(body), true)!.toString());
    expect(out.choices[0].message.reasoning).toBe('one two three');
    expect(out.choices[0].message.content).toBe('Answer: 42 ✓');
    expect(r.enforced).toBe(true);
  });

  it('reasoning that quotes special tokens is counted and cut like any text (it threw, and the stream went on uncapped)', () => {
    const json = new ResponseRewriter({ dialect: buildDialect('vllm', backendOptions(config, undefined)), format: 'json', budget: 3, clientWantsUsage: true, thinkPrefilled: false, continuation: false, tier: 'simple' });
    const body = JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'Done.', reasoning: '<|endoftext|> <|im_start|> one two three four five' }, finish_reason: 'stop' }] });
    const out = JSON.parse(json.push(Buffer.from(body), true)!.toString());
    expect(out.choices[0].message.content).toBe('Done.');
    expect(out.choices[0].message.reasoning.length).toBeLessThan(20);
    expect(json.enforced).toBe(true);
    // Streamed, in <think> inside content: the think block is closed at the budget.
    const sse = make('generic', 4);
    const ev = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;
    const text = Buffer.concat([
      sse.push(Buffer.from(ev('<think>') + Array.from({ length: 40 }, () => ev(' <|endoftext|>')).join('') + ev('</think>') + ev('Answer.')), false) ?? Buffer.alloc(0),
      sse.push(Buffer.from('data: [DONE]\n\n'), true) ?? Buffer.alloc(0),
    ]).toString();
    expect(text.split('</think>').length - 1).toBe(1);
    expect(text.split('<|endoftext|>').length - 1).toBeLessThan(40);
    expect(text).toContain('Answer.');
  });
});

describe('ResponseRewriter: what is too long to hold passes unread', () => {
  const dialect = buildDialect('vllm', backendOptions(config, undefined));
  const ev = (delta: object) => `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`;

  it('an SSE event past the limit passes as it came; the events around it are still rewritten', () => {
    const r = new ResponseRewriter({ dialect, format: 'sse', budget: 2, clientWantsUsage: true, thinkPrefilled: false, continuation: false, tier: 'simple', maxHeldBytes: 4096 });
    const huge = ev({ content: 'q'.repeat(20_000) });
    const before = ev({ reasoning: 'one' }) + ev({ reasoning: ' two' });
    const after = ev({ reasoning: ' three' }) + ev({ reasoning: ' four' }) + ev({ content: 'Answer.' }) + 'data: [DONE]\n\n';
    const input = Buffer.from(before + huge + after);
    const out: Buffer[] = [];
    for (let at = 0; at < input.length; at += 500) out.push(r.push(input.subarray(at, at + 500), at + 500 >= input.length) ?? input.subarray(at, at + 500));
    const text = Buffer.concat(out).toString();
    expect(r.unread).toBe('sse');
    expect(text).toContain(huge); // byte for byte
    expect(text).not.toContain('three'); // reasoning past the budget is still dropped after it
    expect(text).toContain('Answer.');
    expect(text.split('data: [DONE]').length - 1).toBe(1);
    expect(text).toMatch(/^: thinkcap tier=simple budget=2 thinking_tokens=\d+ unread=sse$/m); // the report says its figures leave the event out
  });

  it('a whole JSON answer past the limit goes out as it came, what was held first, then the rest unchanged', () => {
    const r = new ResponseRewriter({ dialect, format: 'json', budget: 1, clientWantsUsage: true, thinkPrefilled: false, continuation: false, tier: 'simple', maxHeldBytes: 10_000 });
    const body = Buffer.from(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'x', reasoning: 'word '.repeat(5000) }, finish_reason: 'stop' }] }));
    const out: Buffer[] = [];
    let held = 0;
    for (let at = 0; at < body.length; at += 4000) {
      const part = body.subarray(at, at + 4000);
      const o = r.push(part, at + 4000 >= body.length);
      if (o !== null && o.length === 0) held++;
      out.push(o ?? part);
    }
    expect(held).toBe(2); // 8,000 bytes held, the third piece crosses the limit
    expect(r.unread).toBe('json');
    expect(Buffer.concat(out).equals(body)).toBe(true);
    expect(r.rewrittenBody).toBeNull();
  });

  it('an NDJSON line past the limit passes as it came', () => {
    const ollama = buildDialect('ollama', backendOptions(config, undefined));
    const r = new ResponseRewriter({ dialect: ollama, format: 'ndjson', budget: 5, clientWantsUsage: true, thinkPrefilled: false, continuation: false, tier: 'simple', maxHeldBytes: 2048 });
    const long = `${JSON.stringify({ message: { role: 'assistant', content: 'c'.repeat(5000) }, done: false })}\n`;
    const last = `${JSON.stringify({ message: { role: 'assistant', content: '' }, done: true, eval_count: 3 })}\n`;
    const out = Buffer.concat([r.push(Buffer.from(long.slice(0, 3000)), false) ?? Buffer.from(long.slice(0, 3000)), r.push(Buffer.from(long.slice(3000) + last), true) ?? Buffer.alloc(0)]).toString();
    expect(r.unread).toBe('ndjson');
    expect(out.startsWith(long)).toBe(true);
    expect(JSON.parse(out.trim().split('\n').at(-1)!).thinkcap).toMatchObject({ tier: 'simple', unread: 'ndjson' }); // the final line still carries the report
  });
});

describe('an answer from an engine that reports no usage', () => {
  const ev = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'x', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

  it('is counted by the tokenizer; a count kept from mid-stream does not stand for the grown answer', () => {
    const deltas = Array.from({ length: 400 }, (_, i) => (i % 5 === 4 ? '数据模型的' : ` word${i % 97}`));
    const r = new ResponseRewriter({ dialect: buildDialect('vllm', backendOptions(config, undefined)), format: 'sse', budget: 100, clientWantsUsage: false, thinkPrefilled: false, continuation: false, tier: 'simple' });
    r.push(Buffer.from(ev({ reasoning: 'Thinking.' }) + deltas.slice(0, 200).map((d) => ev({ content: d })).join('')), false);
    const half = r.answerTokens();
    expect(half).toBe(countTokens(deltas.slice(0, 200).join('')));
    r.push(Buffer.from(deltas.slice(200).map((d, i) => ev({ content: d }, i === 199 ? 'stop' : null)).join('') + 'data: [DONE]\n\n'), true);
    expect(r.completionTokens).toBeNull();
    expect(r.answerTokens()).toBe(countTokens(deltas.join('')));
    expect(r.answerTokens()).toBeGreaterThan(half);
  });

  it('an answer that ends in what could have begun a tag has that text forwarded and counted', () => {
    for (const kind of ['vllm', 'generic'] as const) {
      const r = new ResponseRewriter({ dialect: buildDialect(kind, backendOptions(config, undefined)), format: 'sse', budget: 100, clientWantsUsage: false, thinkPrefilled: false, continuation: false, tier: 'simple' });
      const out = r.push(Buffer.from(ev({ content: '<think>a</think>The answer is 4 <thi' }) + ev({ content: '' }, 'stop') + 'data: [DONE]\n\n'), true);
      expect(parseOut(out!).content).toBe('<think>a</think>The answer is 4 <thi');
      expect(r.answer).toBe('The answer is 4 <thi');
      expect(r.answerTokens()).toBe(countTokens('The answer is 4 <thi'));
    }
  });
});

describe('a turn that ends in a tool call is complete: no rescue', () => {
  const toolCall = { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } };
  // Thinking, then a tool call and no text, then the end: Ollama ends such a turn with done_reason
  // "stop" (llm/server.go has no other reason), which reads like a model that stopped inside its
  // thinking. A rescue would add a text answer beside the call.
  const ollama = (withCall: boolean) =>
    [
      { message: { role: 'assistant', content: '', thinking: 'I should look it up.' }, done: false },
      ...(withCall ? [{ message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'lookup', arguments: { q: 'x' } } }] }, done: false }] : []),
      { message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', eval_count: 9 },
    ]
      .map((l) => `${JSON.stringify(l)}\n`)
      .join('');
  const sse = (withCall: boolean) =>
    [
      { choices: [{ index: 0, delta: { reasoning: 'I should look it up.' }, finish_reason: null }] },
      ...(withCall ? [{ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...toolCall }] }, finish_reason: null }] }] : []),
      { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ]
      .map((e) => `data: ${JSON.stringify(e)}\n\n`)
      .join('') + 'data: [DONE]\n\n';
  const whole = (withCall: boolean) =>
    JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: null, reasoning: 'I should look it up.', ...(withCall ? { tool_calls: [toolCall] } : {}) }, finish_reason: 'stop' }] });

  it.each([
    { name: 'ollama NDJSON', dialect: 'ollama' as DialectName, format: 'ndjson' as const, body: ollama },
    { name: 'OpenAI SSE', dialect: 'vllm' as DialectName, format: 'sse' as const, body: sse },
    { name: 'OpenAI whole answer', dialect: 'vllm' as DialectName, format: 'json' as const, body: whole },
  ])('$name: a call after thinking ends the turn; without it, the rescue follows', ({ dialect, format, body }) => {
    for (const withCall of [true, false]) {
      for (const fast of [true, false]) {
        const r = rescueRun(dialect, format, body(withCall), { rescueAtLength: true, fastAnswerEvents: fast });
        expect(r.continuationWanted, `${withCall} ${fast}`).toBe(!withCall);
        expect(r.followUp).toBe(withCall ? null : 'rescue');
      }
    }
  });
});

describe('a turn that ended with nothing at all', () => {
  // No reasoning, no answer, then the end: what a reasoning parser shows of a turn that ended as
  // the thinking its template opened began (a model's end of turn at once, or a client stop
  // string the engine matched in the thinking). Each format an engine writes it in, with
  // whitespace content or none, and, beside it, a tool call and no text (a complete turn).
  const toolCall = { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } };
  const sse = (o: { content?: string; call?: boolean }) =>
    [
      { choices: [{ index: 0, delta: { role: 'assistant', content: o.content ?? null }, finish_reason: null }] },
      ...(o.call ? [{ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...toolCall }] }, finish_reason: null }] }] : []),
      { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      { choices: [], usage: { prompt_tokens: 9, completion_tokens: 1 } },
    ]
      .map((e) => `data: ${JSON.stringify(e)}\n\n`)
      .join('') + 'data: [DONE]\n\n';
  const whole = (o: { content?: string; call?: boolean }) =>
    JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: o.content ?? '', ...(o.call ? { tool_calls: [toolCall] } : {}) }, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 1 } });
  const ndjson = (o: { content?: string; call?: boolean }) =>
    [
      ...(o.content ? [{ message: { role: 'assistant', content: o.content }, done: false }] : []),
      ...(o.call ? [{ message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'lookup', arguments: { q: 'x' } } }] }, done: false }] : []),
      { message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', eval_count: 1 },
    ]
      .map((l) => `${JSON.stringify(l)}\n`)
      .join('');
  const run = (dialect: DialectName, format: 'sse' | 'json' | 'ndjson', body: string, rescueEmpty: boolean | undefined) => rescueRun(dialect, format, body, { rescueEmpty });

  it.each([
    { dialect: 'llamacpp' as DialectName, format: 'sse' as const, body: sse },
    { dialect: 'vllm' as DialectName, format: 'json' as const, body: whole },
    { dialect: 'ollama' as DialectName, format: 'ndjson' as const, body: ndjson },
  ])('$dialect $format: rescued where the plan says so (rescueEmpty), not after a prefill (off), not beside a tool call', ({ dialect, format, body }) => {
    for (const content of [undefined, '\n\n']) {
      const rescued = run(dialect, format, body({ content }), true);
      expect(rescued.followUp, `${content}`).toBe('rescue');
      expect(rescued.continuationWanted).toBe(true);
      for (const off of [false, undefined]) {
        const left = run(dialect, format, body({ content }), off);
        expect(left.followUp).toBeNull();
        expect(left.continuationWanted).toBe(false);
      }
    }
    expect(run(dialect, format, body({ call: true }), true).followUp).toBeNull();
    // An answer came: nothing to rescue.
    expect(run(dialect, format, body({ content: 'Four.' }), true).followUp).toBeNull();
  });
});

describe('a length stop: whose limit it was decides the follow-up', () => {
  // Thinking of `tokens` tokens, then a length stop with no answer (an engine that ran out of
  // context, or one that thought into thinkcap's cap), in each format an engine writes it.
  const sse = (tokens: number, answer = '') =>
    Array.from({ length: tokens }, (_, i) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { reasoning_content: i ? ' step' : 'step' }, finish_reason: null }] })}\n\n`).join('') +
    (answer ? `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: answer }, finish_reason: null }] })}\n\n` : '') +
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }] })}\n\ndata: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 9, completion_tokens: tokens } })}\n\ndata: [DONE]\n\n`;
  const whole = (tokens: number, answer = '') =>
    JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: answer, reasoning_content: Array.from({ length: tokens }, () => 'step').join(' ') }, finish_reason: 'length' }], usage: { prompt_tokens: 9, completion_tokens: tokens } });
  const ndjson = (tokens: number, answer = '') =>
    [...Array.from({ length: tokens }, () => ({ message: { role: 'assistant', content: '', thinking: 'step ' }, done: false })), ...(answer ? [{ message: { role: 'assistant', content: answer }, done: false }] : []), { message: { role: 'assistant', content: '' }, done: true, done_reason: 'length', eval_count: tokens }]
      .map((l) => `${JSON.stringify(l)}\n`)
      .join('');
  // The same with the thinking as a <think> block in content (llama-server --reasoning-format none):
  // thinkcap closes a block the answer ended inside, which is not the budget being spent.
  const sseTags = (tokens: number, answer = '') =>
    Array.from({ length: tokens }, (_, i) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: i ? ' step' : '<think>step' }, finish_reason: null }] })}\n\n`).join('') +
    (answer ? `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: `</think>${answer}` }, finish_reason: null }] })}\n\n` : '') +
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }] })}\n\ndata: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 9, completion_tokens: tokens } })}\n\ndata: [DONE]\n\n`;
  const wholeTags = (tokens: number, answer = '') =>
    JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: `<think>${Array.from({ length: tokens }, () => 'step').join(' ')}${answer ? `</think>${answer}` : ''}` }, finish_reason: 'length' }], usage: { prompt_tokens: 9, completion_tokens: tokens } });
  const run = (dialect: DialectName, format: 'sse' | 'json' | 'ndjson', body: string, o: { rescueAtLength: boolean; continuation?: boolean }) => rescueRun(dialect, format, body, o);

  it.each([
    { dialect: 'llamacpp' as DialectName, format: 'sse' as const, body: sse },
    { dialect: 'llamacpp' as DialectName, format: 'json' as const, body: whole },
    { dialect: 'ollama' as DialectName, format: 'ndjson' as const, body: ndjson },
    { dialect: 'llamacpp' as DialectName, format: 'sse' as const, body: sseTags },
    { dialect: 'llamacpp' as DialectName, format: 'json' as const, body: wholeTags },
  ])('$dialect $format: inside the budget the limit was the engine\'s (rescue_at_context); past it thinkcap\'s (rescue_at_length); none with an answer or where the limit may be the client\'s', ({ dialect, format, body }) => {
    const inside = run(dialect, format, body(20), { rescueAtLength: true });
    expect(inside.followUp).toBe('rescue_at_context');
    expect(inside.continuationWanted).toBe(true);
    expect(inside.keptReasoning.split('step').length - 1).toBe(20);
    expect(run(dialect, format, body(120), { rescueAtLength: true }).followUp).toBe('rescue_at_length');
    // An answer came: it stands, cut where the engine stopped, as it would without thinkcap.
    const answered = run(dialect, format, body(20, 'Four.'), { rescueAtLength: true });
    expect(answered.followUp).toBeNull();
    expect(answered.continuationWanted).toBe(false);
    // rescueAtLength off: the client's own max_tokens may be the limit (plan.ts, capIsOurs).
    expect(run(dialect, format, body(20), { rescueAtLength: false }).followUp).toBeNull();
    // Budget forcing continues any length stop; the processor tells the engine's limit by its count.
    expect(run(dialect, format, body(20), { rescueAtLength: false, continuation: true }).followUp).toBe('continuation');
  });
});

describe('holdEnd (a follow-up leg): the end of the answer goes out only with the end of the stream', () => {
  const make = (dialect: DialectName, format: 'sse' | 'ndjson', holdEnd: boolean) =>
    new ResponseRewriter({ dialect: buildDialect(dialect, backendOptions(config, undefined)), format, budget: 0, clientWantsUsage: false, thinkPrefilled: false, thinkingClosed: true, continuation: false, holdEnd, tier: 'simple' });

  it('SSE: [DONE] and the report before it are held; answerEnded is set at [DONE] either way', () => {
    for (const holdEnd of [true, false]) {
      const r = make('vllm', 'sse', holdEnd);
      const body = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Four.' }, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;
      const out = (r.push(Buffer.from(body), false) ?? Buffer.from(body)).toString();
      expect(r.answerEnded).toBe(true);
      expect(out).toContain('Four.');
      expect(out.includes('data: [DONE]'), `${holdEnd}`).toBe(!holdEnd);
      const end = (r.push(Buffer.alloc(0), true) ?? Buffer.alloc(0)).toString();
      expect(end.includes('data: [DONE]'), `${holdEnd}`).toBe(holdEnd);
      expect((out + end).match(/data: \[DONE\]/g)).toHaveLength(1);
    }
  });

  it("NDJSON: the final line, with thinkcap's report on it, is held", () => {
    for (const holdEnd of [true, false]) {
      const r = make('ollama', 'ndjson', holdEnd);
      const body = `${JSON.stringify({ message: { role: 'assistant', content: 'Four.' }, done: false })}\n${JSON.stringify({ message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', eval_count: 2 })}\n`;
      const out = (r.push(Buffer.from(body), false) ?? Buffer.from(body)).toString();
      expect(r.answerEnded).toBe(true);
      expect(out.includes('"done":true'), `${holdEnd}`).toBe(!holdEnd);
      const end = (r.push(Buffer.alloc(0), true) ?? Buffer.alloc(0)).toString();
      expect(end.includes('"done":true') && end.includes('"thinkcap"'), `${holdEnd}`).toBe(holdEnd);
    }
  });
});
