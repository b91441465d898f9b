import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { DialectName } from '../../src/config/schema.js';
import { backendOptions, buildDialect } from '../../src/backends/registry.js';
import { TEMPLATE_RENDERS } from '../fixtures/templates/renders.js';

const DIALECTS: DialectName[] = ['vllm', 'sglang', 'llamacpp', 'generic', 'ollama', 'ollama-openai'];
const ENFORCEMENTS = ['native', 'continuation', 'rewrite'] as const;

function dialect(name: DialectName, enforcement: (typeof ENFORCEMENTS)[number] = 'native', more: Record<string, unknown> = {}) {
  const config = validateConfig({ backends: [{ name: 'b', dialect: name, enforcement, url: 'http://127.0.0.1:1', ...more }] });
  return buildDialect(name, backendOptions(config, config.backends[0]));
}

const clientLimit = fc.option(fc.nat({ max: 5000 }), { nil: undefined });

/**
 * The completion limit each engine reads from a request body, in its own order (from each
 * engine's source; llama-server's also measured): vLLM and SGLang take max_completion_tokens,
 * else max_tokens; llama-server n_predict (-1: none), else max_completion_tokens, else
 * max_tokens; Ollama /api/chat options.num_predict; Ollama /v1 max_tokens and nothing else.
 */
function limitTheEngineReads(name: DialectName, body: Record<string, unknown>): number | null {
  const n = (v: unknown) => (typeof v === 'number' ? v : null);
  switch (name) {
    case 'ollama':
      return n((body.options as Record<string, unknown> | undefined)?.num_predict);
    case 'ollama-openai':
      return n(body.max_tokens);
    case 'llamacpp': {
      const own = n(body.n_predict);
      if (own !== null) return own === -1 ? null : own;
      return n(body.max_completion_tokens) ?? n(body.max_tokens);
    }
    default:
      return n(body.max_completion_tokens) ?? n(body.max_tokens);
  }
}

describe.each(DIALECTS)('dialect %s, called directly', (name) => {
  it('limits() computes, without touching the body, exactly what rewriteRequest() writes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ENFORCEMENTS), fc.nat({ max: 4000 }), fc.nat({ max: 4000 }), clientLimit, clientLimit, fc.option(fc.integer({ min: -1, max: 5000 }), { nil: undefined }), fc.boolean(), (enf, budget, answer, a, b, own, stream) => {
        const d = dialect(name, enf);
        const body: Record<string, unknown> = { messages: [{ role: 'user', content: 'x' }], stream };
        if (name === 'ollama') {
          if (a !== undefined) body.options = { num_predict: a, temperature: 0 };
        } else {
          if (a !== undefined) body.max_tokens = a;
          if (b !== undefined) body.max_completion_tokens = b;
          // llama-server's own field (an unknown extra field to the others).
          if (own !== undefined) body.n_predict = own;
        }
        const before = structuredClone(body);
        const plan = { thinkingBudget: budget, answerTokens: answer };
        const limits = d.limits(body, plan);
        expect(body).toEqual(before);
        const nested = name === 'ollama' ? body.options : undefined;
        const result = d.rewriteRequest(body, plan);
        expect({ clientMaxTokens: result.clientMaxTokens, upstreamMaxTokens: result.upstreamMaxTokens }).toEqual(limits);
        // The client's limit is never raised.
        if (limits.clientMaxTokens !== null) expect(limits.upstreamMaxTokens).toBeLessThanOrEqual(limits.clientMaxTokens);
        // The engine reads the cap thinkcap wrote, whatever fields the client sent it in.
        expect(limitTheEngineReads(name, body)).toBe(limits.upstreamMaxTokens);
        // Nested objects are replaced, never edited in place (a kept copy of the request stays the client's).
        if (nested !== undefined) expect(nested).toEqual(before.options);
      }),
      { numRuns: 200 },
    );
  });

  it('contentEvent parses back as answer text; isFinalEvent and hideFinish work on its own events', () => {
    const d = dialect(name);
    const ev = d.contentEvent('</think>');
    const info = d.parseStreamEvent(ev);
    expect(info.content).toBe('</think>');
    expect(info.reasoning).toBe('');
    expect(info.finishReason).toBeNull();
    expect(d.isFinalEvent(ev)).toBe(false);
    if (d.streamFormat === 'ndjson') {
      expect(d.isFinalEvent({ message: { role: 'assistant', content: '' }, done: true, done_reason: 'length' })).toBe(true);
    } else {
      const fin = { choices: [{ index: 0, delta: {}, finish_reason: 'length' }] };
      expect(d.parseStreamEvent(fin).finishReason).toBe('length');
      d.hideFinish(fin);
      expect(d.parseStreamEvent(fin).finishReason).toBeNull();
      expect(d.isUsageOnly({ choices: [], usage: { completion_tokens: 1 } })).toBe(true);
    }
  });

  it('stripReasoning removes the reasoning a stream event carries and nothing else', () => {
    const d = dialect(name);
    const ev: Record<string, unknown> =
      d.streamFormat === 'ndjson'
        ? { message: { role: 'assistant', content: 'a', thinking: 'b' }, done: false }
        : { choices: [{ index: 0, delta: { content: 'a', reasoning: 'b', reasoning_content: 'b' }, finish_reason: null }] };
    d.stripReasoning(ev);
    const info = d.parseStreamEvent(ev);
    expect(info.reasoning).toBe('');
    expect(info.content).toBe('a');
  });
});

describe('thinking off at a zero budget', () => {
  it.each(['vllm', 'sglang', 'llamacpp', 'generic'] as DialectName[])('%s: every template switch (enable_thinking, thinking, reasoning, thinking_budget), over the client\'s, the rest of its kwargs kept', (name) => {
    const body: Record<string, unknown> = { messages: [{ role: 'user', content: 'x' }], chat_template_kwargs: { thinking: true, enable_thinking: true, reasoning: true, thinking_budget: 4096, other: 1 } };
    dialect(name).rewriteRequest(body, { thinkingBudget: 0, answerTokens: 64 });
    expect(body.chat_template_kwargs).toEqual({ thinking: false, enable_thinking: false, reasoning: false, thinking_budget: 0, other: 1 });
  });
});

describe('llama.cpp budget fields', () => {
  it("with budgetField thinking_budget_tokens, a client's reasoning_budget_tokens (read first by llama-server) is removed; with the default the client's alias is", () => {
    const plan = { thinkingBudget: 24, answerTokens: 64 };
    const alias = dialect('llamacpp', 'native', { budgetField: 'thinking_budget_tokens' });
    const body: Record<string, unknown> = { messages: [{ role: 'user', content: 'x' }], reasoning_budget_tokens: -1 };
    alias.rewriteRequest(body, plan);
    expect(body.reasoning_budget_tokens).toBeUndefined();
    expect(body.thinking_budget_tokens).toBe(24);
    const plain = { messages: [{ role: 'user', content: 'x' }], thinking_budget_tokens: 100_000 } as Record<string, unknown>;
    dialect('llamacpp').rewriteRequest(plain, plan);
    expect(plain).toMatchObject({ reasoning_budget_tokens: 24 });
    expect(plain.thinking_budget_tokens).toBeUndefined();
  });
});

describe('continuation requests, per dialect', () => {
  it('OpenAI-compatible engines continue the final assistant message with thinking closed', () => {
    const c = dialect('vllm', 'continuation').buildContinuation!({ model: 'm', messages: [{ role: 'user', content: 'q' }], thinking_token_budget: 5, max_completion_tokens: 9, echo: true }, 'so far', '', 50);
    expect(c.path).toBe('/v1/chat/completions');
    const msgs = c.body.messages as Array<{ role: string; content: string }>;
    expect(msgs.at(-1)).toEqual({ role: 'assistant', content: '<think>\nso far\n</think>\n\n' });
    expect(c.body.continue_final_message).toBe(true);
    expect(c.body).not.toHaveProperty('thinking_token_budget');
    expect(c.body).not.toHaveProperty('max_completion_tokens');
    // vLLM's echo prepends the last message where it has the new one's role: here the prefilled
    // thinking, which the client would get as answer text.
    expect(c.body).not.toHaveProperty('echo');
    expect(c.body.max_tokens).toBe(50);
    expect(c.closeConnection).toBeUndefined();
  });

  it('llama.cpp renders with its own template, then completes the raw prompt', () => {
    const c = dialect('llamacpp', 'continuation').buildContinuation!({ model: 'm', temperature: 0, messages: [{ role: 'user', content: 'q' }] }, 'so far', 'The', 40);
    expect(c.render!.path).toBe('/apply-template');
    expect(c.render!.prompt({ prompt: 'P<think>\n' })).toBe('P<think>\nso far\n</think>\n\nThe');
    expect(c.render!.prompt({})).toBeNull();
    expect(c.convert).toBe('text-completion');
    expect(c.body).toMatchObject({ max_tokens: 40, stream: true, temperature: 0 });
    // llama-server closes a connection after each streamed answer: no connection is reused.
    expect(c.closeConnection).toBe(true);
  });

  it("Ollama renders with _debug_render_only, then /api/generate continues the raw prompt without thinking", () => {
    const original = { model: 'qwen3', think: true, messages: [{ role: 'user', content: 'q' }], options: { temperature: 0, num_predict: 32 }, keep_alive: '5m' };
    const c = dialect('ollama', 'continuation').buildContinuation!(original, 'so far', '', 64);
    expect(c.path).toBe('/api/generate');
    expect(c.ndjson).toBe(true);
    expect(c.convert).toBe('ollama-generate');
    expect(c.render!.path).toBe('/api/chat');
    // The render schedules the model as the chat did: the same options and keep_alive; a limit of
    // one token, should a server older than render-only requests answer it as a chat.
    expect(c.render!.body).toMatchObject({ model: 'qwen3', think: true, _debug_render_only: true, stream: false, keep_alive: '5m', options: { temperature: 0, num_predict: 1 } });
    expect(c.body).toMatchObject({ model: 'qwen3', raw: true, think: false, stream: true, keep_alive: '5m', options: { temperature: 0, num_predict: 64 } });
    // A template that leaves <think> to the model gets it opened; one that opens it is not opened twice.
    expect(c.render!.prompt({ _debug_info: { rendered_template: '<|im_start|>assistant\n' } })).toBe('<|im_start|>assistant\n<think>\nso far\n</think>\n\n');
    expect(c.render!.prompt({ _debug_info: { rendered_template: 'A<think>\n' } })).toBe('A<think>\nso far\n</think>\n\n');
    expect(c.render!.prompt({ error: 'x' })).toBeNull();
    // The client's request is not edited.
    expect(original.options.num_predict).toBe(32);
  });

  it("Ollama: the think value the chat is sent with is the one its continuation renders with (a level, not the client's true)", () => {
    const leveled = dialect('ollama', 'continuation', { thinkLevels: true });
    const body: Record<string, unknown> = { model: 'gpt-oss', think: true, messages: [{ role: 'user', content: 'q' }] };
    const r = leveled.rewriteRequest(body, { thinkingBudget: 32, answerTokens: 64, cutOff: true });
    expect(body.think).toMatch(/^(low|medium|high)$/);
    expect(r.continuationFields).toEqual({ think: body.think });
    // Thinking off stays off, and nothing is kept where thinkcap writes no think (rewrite only).
    const off: Record<string, unknown> = { model: 'gpt-oss', think: false, messages: [] };
    expect(leveled.rewriteRequest(off, { thinkingBudget: 32, answerTokens: 64, cutOff: true }).continuationFields).toEqual({ think: false });
    const untouched = dialect('ollama', 'rewrite').rewriteRequest({ model: 'q', messages: [] }, { thinkingBudget: 32, answerTokens: 64, cutOff: false });
    expect(untouched.continuationFields).toBeUndefined();
  });

  it('Ollama merges a whole answer: content, finish and both legs\' counts', () => {
    const d = dialect('ollama', 'continuation');
    const first = Buffer.from(JSON.stringify({ model: 'q', message: { role: 'assistant', content: '', thinking: 't' }, done: true, done_reason: 'length', eval_count: 32 }));
    const merged = JSON.parse(d.mergeContinuation!(first, { content: 'Answer', finishReason: 'stop', completionTokens: 40, reasoningTokens: 32 }).toString('utf8'));
    expect(merged).toMatchObject({ message: { content: 'Answer', thinking: 't' }, done_reason: 'stop', eval_count: 40 });
  });
});

describe("the engine's budget field on a continuation backend", () => {
  // Where each dialect writes its per-request budget (SGLang only with a route configured).
  const cases = [
    { name: 'vllm' as const, more: {}, read: (b: Record<string, unknown>) => b.thinking_token_budget },
    { name: 'sglang' as const, more: { strictThinking: true }, read: (b: Record<string, unknown>) => (b.custom_params as Record<string, unknown> | undefined)?.thinking_budget },
    { name: 'llamacpp' as const, more: {}, read: (b: Record<string, unknown>) => b.reasoning_budget_tokens },
  ];
  it.each(cases)('$name: written where there is no cut-off (several choices), not under cut-off, never in rewrite mode', ({ name, more, read }) => {
    const rewrite = (enforcement: (typeof ENFORCEMENTS)[number], cutOff: boolean) => {
      const body: Record<string, unknown> = { model: 'm', messages: [{ role: 'user', content: 'q' }], n: 2 };
      dialect(name, enforcement, more).rewriteRequest(body, { thinkingBudget: 24, answerTokens: 64, cutOff });
      return read(body);
    };
    expect(rewrite('continuation', false)).toBe(24);
    expect(rewrite('continuation', true)).toBeUndefined();
    expect(rewrite('native', true)).toBe(24);
    expect(rewrite('rewrite', false)).toBeUndefined();
  });
});

describe('vLLM serving gpt-oss: the rescue gives the thinking back as the analysis it was', () => {
  const original = (model: string) => ({ model, messages: [{ role: 'user', content: 'q' }], stream: false, max_tokens: 900, thinking_token_budget: 32 });
  it("an assistant message with the thinking as its reasoning, no content and no continuation flags: vLLM's harmony path reads them so", () => {
    // The rescue runs where no answer came, blank lines at most.
    for (const blank of ['', '\n\n']) expect(dialect('vllm').buildContinuation!(original('openai/gpt-oss-20b'), 'so far', blank, 64, 40).body.messages).toEqual([{ role: 'user', content: 'q' }, { role: 'assistant', reasoning: 'so far' }]);
    const c = dialect('vllm').buildContinuation!(original('openai/gpt-oss-20b'), 'so far', '', 64, 40);
    expect(c.path).toBe('/v1/chat/completions');
    expect(c.body.messages).toEqual([{ role: 'user', content: 'q' }, { role: 'assistant', reasoning: 'so far' }]);
    expect('continue_final_message' in c.body).toBe(false);
    expect('add_generation_prompt' in c.body).toBe(false);
    expect(c.body).toMatchObject({ max_tokens: 64, stream: true, stream_options: { include_usage: true } });
    expect('thinking_token_budget' in c.body).toBe(false);
  });

  it('other models, and an answer already begun, are continued as before (a prefilled final message)', () => {
    for (const [model, answer] of [['Qwen/Qwen3-8B', ''], ['openai/gpt-oss-120b', 'The answer']] as const) {
      const c = dialect('vllm').buildContinuation!(original(model), 'so far', answer, 64, 40);
      expect(c.body.messages).toEqual([{ role: 'user', content: 'q' }, { role: 'assistant', content: `<think>\nso far\n</think>\n\n${answer}` }]);
      expect(c.body).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
    }
  });
});

describe("vLLM's chat continuation against real chat templates (HF transformers' continue_final_message, recorded)", () => {
  const original = { model: 'm', messages: [{ role: 'user', content: 'What is 1+2?' }], stream: true, max_tokens: 900 };
  const T = TEMPLATE_RENDERS.thinking;
  const recorded = (template: string, form: string, answer: string) => TEMPLATE_RENDERS.cases.find((c) => c.template === template && c.form === form && c.answer === answer)!;

  it('the think block thinkcap sends is the recorded one, whatever line breaks the reasoning parser left around the thinking; the fallback carries it as reasoning', () => {
    for (const answer of ['', 'The sum']) {
      for (const thinking of [T, `\n${T}\n`, `\n\n${T}`]) {
        const c = dialect('vllm', 'continuation').buildContinuation!(original, thinking, answer, 64, 40);
        expect((c.body.messages as Array<Record<string, unknown>>).at(-1)).toEqual(recorded('Qwen-Qwen3-0.6B', 'think-block', answer).message);
        expect((c.fallback!.messages as Array<Record<string, unknown>>).at(-1)).toEqual({ role: 'assistant', reasoning: thinking, content: answer });
        expect(c.fallback).toMatchObject({ continue_final_message: true, add_generation_prompt: false, max_tokens: 64, stream: true });
      }
      // The answer so far goes on after the block's own line breaks.
      const c = dialect('vllm', 'continuation').buildContinuation!(original, T, `\n\n${answer}`, 64, 40);
      expect((c.body.messages as Array<Record<string, unknown>>).at(-1)).toEqual(recorded('Qwen-Qwen3-0.6B', 'think-block', answer).message);
    }
  });

  it('a thinking of a million line feeds either side is trimmed in one pass, to the same block', () => {
    const lf = '\n'.repeat(1_000_000);
    const c = dialect('vllm', 'continuation').buildContinuation!(original, `${lf}${T}${lf}`, `${lf}The sum`, 64, 40);
    expect((c.body.messages as Array<Record<string, unknown>>).at(-1)).toEqual(recorded('Qwen-Qwen3-0.6B', 'think-block', 'The sum').message);
    // Only line feeds go: other blank characters are the thinking's own.
    const spaced = dialect('vllm', 'continuation').buildContinuation!(original, ` \n${T}\n `, '', 64, 40);
    expect((spaced.body.messages as Array<Record<string, unknown>>).at(-1)).toEqual({ role: 'assistant', content: `<think>\n \n${T}\n \n</think>\n\n` });
  });

  it('every recorded template takes one of the two: the think block, or where it refuses that, the reasoning field', () => {
    const templates = [...new Set(TEMPLATE_RENDERS.cases.map((c) => c.template))];
    expect(templates.length).toBeGreaterThanOrEqual(10);
    for (const t of templates) for (const answer of ['', 'The sum']) expect(recorded(t, 'think-block', answer).ok || recorded(t, 'reasoning', answer).ok, `${t} ${JSON.stringify(answer)}`).toBe(true);
    // The block as it was sent before (the thinking's own line breaks kept) was refused by Qwen3's, Qwen3.5's and MiniMax-M2's.
    for (const t of ['Qwen-Qwen3-0.6B', 'Qwen3.5-4B', 'MiniMax-M2']) expect(recorded(t, 'think-block-untrimmed', '').ok).toBe(false);
  });

  it("DeepSeek-R1 and its distills: their templates drop the thinking in both forms (recorded), so vLLM gives them no cut-off", () => {
    for (const form of ['think-block', 'reasoning'] as const) {
      const r = recorded('deepseek-ai-DeepSeek-R1-Distill-Qwen-32B', form, '');
      expect(r.ok && r.assistant!.includes(T)).toBe(false);
    }
    const d = dialect('vllm', 'continuation');
    for (const model of ['deepseek-ai/DeepSeek-R1-Distill-Qwen-32B', 'deepseek-ai/DeepSeek-R1-0528', 'DeepSeek-R1']) expect(d.continuationLoses!({ model, messages: [] })).toMatch(/^its answer \(DeepSeek-R1/);
    for (const model of ['deepseek-ai/DeepSeek-V3.1', 'Qwen/Qwen3-8B', 'zai-org/GLM-4.7-Flash']) expect(d.continuationLoses!({ model, messages: [] })).toBeNull();
  });

  it('the order is asked of /tokenize: the same short chat with and without reasoning, as the continuation is flagged; 16 tokens more put the reasoning form first', () => {
    const c = dialect('vllm', 'continuation').buildContinuation!({ ...original, model: 'm', chat_template_kwargs: { enable_thinking: true } }, T, '', 64, 40);
    const [withReasoning, without] = c.order!.bodies;
    expect(c.order!.path).toBe('/tokenize');
    for (const b of [withReasoning, without]) expect(b).toMatchObject({ model: 'm', add_generation_prompt: false, continue_final_message: true, chat_template_kwargs: { enable_thinking: true } });
    const last = (b: Record<string, unknown>) => (b.messages as Array<Record<string, unknown>>).at(-1)!;
    expect(typeof last(withReasoning).reasoning).toBe('string');
    expect('reasoning' in last(without)).toBe(false);
    expect(c.order!.fallbackFirst({ count: 60 }, { count: 44 })).toBe(true);
    expect(c.order!.fallbackFirst({ count: 59 }, { count: 44 })).toBe(false);
    expect(c.order!.fallbackFirst({ detail: 'x' }, { count: 44 })).toBe(false);
  });

  it('generic servers (often vLLM without a reasoning parser) get the same fallback; SGLang none (it appends the prefill to its rendering, and no template reads it back)', () => {
    // The order's decision is a function: the requests compared as JSON.
    const json = (c: unknown) => JSON.parse(JSON.stringify(c)) as unknown;
    expect(json(dialect('generic', 'continuation').buildContinuation!(original, T, '', 64, 40))).toEqual(json(dialect('vllm', 'continuation').buildContinuation!(original, T, '', 64, 40)));
    expect(dialect('sglang', 'continuation').buildContinuation!(original, T, '', 64, 40).fallback).toBeUndefined();
  });
});

describe('SGLang serving gpt-oss: the continuation goes on in harmony', () => {
  const original = (model: string, more: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'q' }], stream: false, max_tokens: 900, ...more });
  it('the prefill ends the analysis with the thinking in it and opens the final channel, the answer so far after it', () => {
    for (const answer of ['', 'The ans']) {
      const c = dialect('sglang', 'continuation').buildContinuation!(original('openai/gpt-oss-20b'), 'so far', answer, 64, 40);
      // SGLang appends this to its rendering, which ends at `<|start|>assistant`.
      expect(c.body.messages).toEqual([{ role: 'user', content: 'q' }, { role: 'assistant', content: `<|channel|>analysis<|message|>so far<|end|><|start|>assistant<|channel|>final<|message|>${answer}` }]);
      expect(c.body).toMatchObject({ continue_final_message: true, max_tokens: 64, stream: true });
    }
  });

  it('other models keep the <think> prefill; only gpt-oss with tools loses something to a continuation', () => {
    const c = dialect('sglang', 'continuation').buildContinuation!(original('Qwen/Qwen3-8B'), 'so far', '', 64, 40);
    expect(c.body.messages).toEqual([{ role: 'user', content: 'q' }, { role: 'assistant', content: '<think>\nso far\n</think>\n\n' }]);
    const d = dialect('sglang', 'continuation');
    const tools = [{ type: 'function', function: { name: 'f', parameters: {} } }];
    expect(d.continuationLoses!(original('gpt-oss-120b', { tools }))).toMatch(/^tool calls/);
    expect(d.continuationLoses!(original('gpt-oss-120b'))).toBeNull();
    expect(d.continuationLoses!(original('gpt-oss-120b', { tools: [] }))).toBeNull();
    expect(d.continuationLoses!(original('Qwen/Qwen3-8B', { tools }))).toBeNull();
  });
});

describe("Ollama's keep_alive, read as its api.Duration reads it", () => {
  it('seconds for numbers and Go durations, forever for negatives, null for what Ollama refuses', async () => {
    const { keepAliveSeconds } = await import('../../src/backends/keep-alive.js');
    expect(keepAliveSeconds(0)).toBe(0);
    expect(keepAliveSeconds(300)).toBe(300);
    expect(keepAliveSeconds(-1)).toBe(Infinity);
    expect(keepAliveSeconds('0')).toBe(0);
    expect(keepAliveSeconds('5m')).toBe(300);
    expect(keepAliveSeconds('1h30m')).toBe(5400);
    expect(keepAliveSeconds('500ms')).toBe(0.5);
    expect(keepAliveSeconds('1.5s')).toBe(1.5);
    expect(keepAliveSeconds('-1m')).toBe(Infinity);
    expect(keepAliveSeconds('5')).toBeNull();
    expect(keepAliveSeconds('5 m')).toBeNull();
    expect(keepAliveSeconds('')).toBeNull();
    expect(keepAliveSeconds(true)).toBeNull();
  });

  it('the render and generate calls keep the model where the client unloads it at once (thinkcap unloads it after the response)', () => {
    const build = (keep_alive: unknown) => dialect('ollama', 'continuation').buildContinuation!({ model: 'q', messages: [{ role: 'user', content: 'q' }], keep_alive }, 'so far', '', 64);
    for (const unload of [0, '0', '0s', '300ms']) {
      const c = build(unload);
      // A hold of their own, not the server's default (which may unload at once too).
      expect([c.render!.body.keep_alive, c.body.keep_alive], String(unload)).toEqual(['10s', '10s']);
    }
    for (const keep of ['5m', -1, 60, '24h']) expect([build(keep).render!.body.keep_alive, build(keep).body.keep_alive]).toEqual([keep, keep]);
    // None: the server's default, which thinkcap takes to keep the model unless told otherwise.
    const none = build(undefined);
    expect('keep_alive' in none.render!.body).toBe(false);
    expect('keep_alive' in none.body).toBe(false);
  });

  it("the server's own default (OLLAMA_KEEP_ALIVE) as the config gives it: a Go duration, whole seconds or a number", async () => {
    const { serverKeepAliveSeconds } = await import('../../src/backends/keep-alive.js');
    expect(serverKeepAliveSeconds('0')).toBe(0);
    expect(serverKeepAliveSeconds('300')).toBe(300);
    expect(serverKeepAliveSeconds('-1')).toBe(Infinity);
    expect(serverKeepAliveSeconds('5m')).toBe(300);
    expect(serverKeepAliveSeconds(0)).toBe(0);
    expect(serverKeepAliveSeconds(1.5)).toBeNull();
    expect(serverKeepAliveSeconds('5 m')).toBeNull();
    expect(serverKeepAliveSeconds('')).toBeNull();
  });
});

describe("Ollama: a server whose default keep_alive unloads at once (backends[].serverKeepAlive)", () => {
  const send = (serverKeepAlive: string | number | undefined, body: Record<string, unknown>, mayFollow: boolean) => {
    const b: Record<string, unknown> = { model: 'q', messages: [{ role: 'user', content: 'q' }], ...body };
    const d = dialect('ollama', 'native', serverKeepAlive === undefined ? {} : { serverKeepAlive });
    const r = d.rewriteRequest(b, { thinkingBudget: 32, answerTokens: 64, mayFollow });
    const c = d.buildContinuation!(b, 'so far', '', 64);
    return { chat: b.keep_alive, release: r.release, render: c.render!.body.keep_alive, generate: c.body.keep_alive };
  };
  const unload = { path: '/api/generate', body: { model: 'q', keep_alive: 0 } };

  it('a request with no keep_alive is held as one with keep_alive 0 is, where a continuation may follow', () => {
    for (const server of ['0', 0, '0s', '500ms']) {
      // The continuation request is built from the client's body, as the processor builds it.
      const r = send(server, {}, true);
      expect([r.chat, r.release], String(server)).toEqual(['10s', unload]);
      expect(send(server, {}, false).chat).toBeUndefined();
      // A null keep_alive is none to Ollama.
      expect(send(server, { keep_alive: null }, true).chat).toBe('10s');
    }
    // The continuation of a client's body that carried none: the render and generate calls hold too.
    const d = dialect('ollama', 'continuation', { serverKeepAlive: '0' });
    const c = d.buildContinuation!({ model: 'q', messages: [] }, 'so far', '', 64);
    expect([c.render!.body.keep_alive, c.body.keep_alive]).toEqual(['10s', '10s']);
  });

  it("a client's own keep_alive decides; a server that keeps models (or none configured) changes nothing", () => {
    expect(send('0', { keep_alive: '5m' }, true)).toMatchObject({ chat: '5m', release: undefined });
    for (const server of ['5m', '-1', 300, undefined]) expect(send(server, {}, true)).toMatchObject({ chat: undefined, release: undefined });
  });

  it('the config takes it on the ollama dialect only, in a form Ollama reads', () => {
    expect(() => dialect('ollama', 'native', { serverKeepAlive: '0' })).not.toThrow();
    expect(() => dialect('ollama', 'native', { serverKeepAlive: 'soon' })).toThrow(/serverKeepAlive/);
    expect(() => dialect('vllm', 'native', { serverKeepAlive: '0' })).toThrow(/ollama dialect only/);
    expect(() => dialect('ollama-openai', 'native', { serverKeepAlive: '0' })).toThrow(/ollama dialect only/);
  });
});

describe('Ollama: a chat cut off at the budget keeps the model for its continuation', () => {
  const keepAliveSent = (enforcement: 'native' | 'continuation', body: Record<string, unknown>, cutOff?: boolean) => {
    const b: Record<string, unknown> = { model: 'q', messages: [{ role: 'user', content: 'q' }], ...body };
    dialect('ollama', enforcement).rewriteRequest(b, { thinkingBudget: 32, answerTokens: 64, cutOff });
    return b.keep_alive;
  };
  it("a keep_alive that unloads at once becomes a short hold there, and only there", () => {
    expect(keepAliveSent('continuation', { keep_alive: 0 })).toBe('10s');
    expect(keepAliveSent('continuation', { keep_alive: '0s' })).toBe('10s');
    // Nothing follows: not cut off (native, thinking off, a plan without cut-off), or a keep_alive that holds anyway.
    expect(keepAliveSent('native', { keep_alive: 0 })).toBe(0);
    expect(keepAliveSent('continuation', { keep_alive: 0, think: false })).toBe(0);
    expect(keepAliveSent('continuation', { keep_alive: 0 }, false)).toBe(0);
    expect(keepAliveSent('continuation', { keep_alive: '5m' })).toBe('5m');
    expect(keepAliveSent('continuation', {})).toBeUndefined();
  });

  it('where a rescue may follow (native, mayFollow) too; a held model gets its unload call, to be made unless a continuation answers', () => {
    const rewrite = (enforcement: 'native' | 'continuation', body: Record<string, unknown>, mayFollow?: boolean) => {
      const b: Record<string, unknown> = { model: 'q', messages: [{ role: 'user', content: 'q' }], ...body };
      const r = dialect('ollama', enforcement).rewriteRequest(b, { thinkingBudget: 32, answerTokens: 64, mayFollow });
      return { keepAlive: b.keep_alive, release: r.release };
    };
    const unload = { path: '/api/generate', body: { model: 'q', keep_alive: 0 } };
    expect(rewrite('native', { keep_alive: 0 }, true)).toEqual({ keepAlive: '10s', release: unload });
    expect(rewrite('continuation', { keep_alive: '0ms' })).toEqual({ keepAlive: '10s', release: unload });
    expect(rewrite('native', { keep_alive: 0 }, false)).toEqual({ keepAlive: 0, release: undefined });
    expect(rewrite('native', { keep_alive: '5m' }, true)).toEqual({ keepAlive: '5m', release: undefined });
    expect(rewrite('native', {}, true)).toEqual({ keepAlive: undefined, release: undefined });
  });
});

describe("a client's min_tokens on vLLM and SGLang (a floor above the limit is refused with 400 there)", () => {
  it('the first leg holds it to the limit written; the continuation asks what is left, within its own limit', () => {
    for (const name of ['vllm', 'sglang'] as const) {
      const body: Record<string, unknown> = { model: 'm', messages: [{ role: 'user', content: 'q' }], min_tokens: 500 };
      dialect(name, 'continuation').rewriteRequest(body, { thinkingBudget: 32, answerTokens: 64 });
      expect(body.min_tokens, name).toBe(body.max_tokens);
      const floor = (min: number, maxTokens: number, generated: number) => dialect(name, 'continuation').buildContinuation!({ model: 'm', messages: [], min_tokens: min }, 't', '', maxTokens, generated).body.min_tokens;
      expect(floor(100, 50, 30)).toBe(50);
      expect(floor(40, 50, 30)).toBe(10);
      expect(floor(20, 50, 30)).toBe(0);
    }
    // A floor within the limit is the client's.
    const body: Record<string, unknown> = { model: 'm', messages: [], min_tokens: 10 };
    dialect('vllm').rewriteRequest(body, { thinkingBudget: 32, answerTokens: 64 });
    expect(body.min_tokens).toBe(10);
  });
});
