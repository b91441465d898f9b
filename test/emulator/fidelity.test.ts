/**
 * The emulator's llama.cpp dialect holds to what the real llama-server sent for the same
 * requests (fixtures recorded by scripts/record-llamacpp-fixtures.ts): field names, event
 * order, finish_reason, where usage and timings appear. Token text and counts differ (the
 * emulator's model is a word list); runs of identical event shapes are collapsed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { RECORDED_CASES } from '../fixtures/llamacpp/cases.js';
import { TEMPLATE_RENDERS } from '../fixtures/templates/renders.js';
import { engineOutcome, ollamaDecode, renderedAssistant, rendersBack, startEmulator, type Emulator } from '../../devkit/emulator/server.js';

const keys = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).sort().join(',') : String(v));

/** One SSE event's shape: which fields exist where, and the finish reason. */
function eventShape(data: string): string {
  if (data === '[DONE]') return '[DONE]';
  const j = JSON.parse(data) as Record<string, unknown>;
  const choices = (j.choices as Array<Record<string, unknown>>) ?? [];
  const c = choices[0];
  const delta = c?.delta as Record<string, unknown> | undefined;
  const deltaShape = delta ? Object.entries(delta).map(([k, v]) => `${k}${v === null ? '=null' : ''}`).sort().join(',') : '-';
  return [`top:${keys(j)}`, `choices:${choices.length}`, `choice:${c ? keys(c) : '-'}`, `delta:${deltaShape}`, `finish:${c?.finish_reason ?? null}`, `usage:${j.usage ? keys(j.usage) : '-'}`].join(' ');
}

function streamShape(sse: string): string[] {
  const out: string[] = [];
  for (const block of sse.split('\n\n')) {
    const line = block.split('\n').find((l) => l.startsWith('data: '));
    if (!line) continue;
    const shape = eventShape(line.slice(6));
    if (out.at(-1) !== shape) out.push(shape);
  }
  return out;
}

/** A whole response's shape: every key path, with finish_reason's value. */
function wholeShape(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.length ? wholeShape(v[0], `${path}[]`) : [`${path}[]`];
  if (v && typeof v === 'object') {
    return Object.entries(v)
      .flatMap(([k, x]) => (path === 'choices[]' && k === 'finish_reason' ? [`${path}.${k}=${String(x)}`] : wholeShape(x, path ? `${path}.${k}` : k)))
      .sort();
  }
  return [path];
}

const recorded = (file: string) => readFileSync(join(packageRoot(), 'test', 'fixtures', 'llamacpp', 'recorded', file), 'utf8');

describe.each(['deepseek', 'none'] as const)('emulated llama-server (--reasoning-format %s) matches the recorded one', (format) => {
  let emu: Emulator;
  beforeAll(async () => {
    // A model as verbose as the recorded one: every case ends on the length cap.
    emu = await startEmulator({ dialect: 'llamacpp', reasoningFormat: format, plan: () => ({ thinkingTokens: 200, answerTokens: 200 }) });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it.each(RECORDED_CASES)('$name', async (c) => {
    const r = await fetch(`${emu.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) });
    const text = await r.text();
    if (c.body.stream) {
      expect(streamShape(text)).toEqual(streamShape(recorded(`${format}-${c.name}.sse`)));
    } else {
      expect(wholeShape(JSON.parse(text))).toEqual(wholeShape(JSON.parse(recorded(`${format}-${c.name}.json`))));
    }
  });
});

describe('the emulator reads request fields as each engine does', () => {
  it("Ollama (Go's encoding/json): keys match fields ignoring case, ſ as s and the Kelvin sign as k; the last wins; options merge; unknown keys are dropped", () => {
    const decoded = ollamaDecode('ollama', {
      model: 'a',
      options: { num_predict: 50, temperature: 0 },
      Options: { num_predict: 100_000 },
      MODEL: 'b',
      'thin\u212a': false,
      'me\u017f\u017fages': [{ role: 'user', content: 'hi', CONTENT: 'long' }],
      chat_template_kwargs: { enable_thinking: false },
    });
    expect(decoded).toEqual({ model: 'b', options: { num_predict: 100_000, temperature: 0 }, think: false, messages: [{ role: 'user', content: 'long' }] });
    // Ollama /v1 has max_tokens and no max_completion_tokens.
    expect(ollamaDecode('ollama-openai', { max_completion_tokens: 5, Max_Tokens: 7 })).toEqual({ max_tokens: 7 });
    expect(engineOutcome('ollama-openai', { max_completion_tokens: 5 }, { plan: () => ({ thinkingTokens: 300, answerTokens: 20 }) }).finish).toBe('stop');
  });

  it("llama-server: n_predict before max_completion_tokens and max_tokens, -1 for none (measured on the real one)", () => {
    const plan = () => ({ thinkingTokens: 300, answerTokens: 20 });
    const total = (body: Record<string, unknown>) => {
      const o = engineOutcome('llamacpp', body, { plan });
      return o.thinking + o.answer;
    };
    expect(total({ max_tokens: 5, n_predict: 40 })).toBe(40);
    expect(total({ max_tokens: 5, n_predict: -1 })).toBe(320);
    expect(total({ max_tokens: 5 })).toBe(5);
  });

  it('SGLang serving gpt-oss: a final assistant message is text after the template\'s `<|start|>assistant` (serving_chat.py), so only a harmony prefill that ends the analysis continues the answer', () => {
    const plan = () => ({ thinkingTokens: 300, answerTokens: 20 });
    const continuing = (content: string, harmony = true) =>
      engineOutcome('sglang', { continue_final_message: true, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content }] }, { plan, harmony });
    const harmonyPrefill = '<|channel|>analysis<|message|>so far<|end|><|start|>assistant<|channel|>final<|message|>';
    expect(continuing(harmonyPrefill)).toMatchObject({ continuation: true, thinking: 0, answer: 20 });
    expect(continuing(`${harmonyPrefill}one two three`)).toMatchObject({ continuation: true, thinking: 0, answer: 17, answerFrom: 3 });
    // A think block opens no channel: the model analyses again.
    expect(continuing('<think>\nso far\n</think>\n\n')).toMatchObject({ continuation: false, thinking: 300 });
    // Other models take the think block.
    expect(continuing('<think>\nso far\n</think>\n\n', false)).toMatchObject({ continuation: true, thinking: 0 });
  });
});

describe("the emulator's Ollama logprobs (api.Logprob in its api/types.go, top_logprobs checked in server/routes.go)", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ dialect: 'ollama', plan: () => ({ thinkingTokens: 3, answerTokens: 2 }) });
  });
  afterAll(async () => {
    await emu?.close();
  });
  const chat = (extra: Record<string, unknown>) =>
    fetch(`${emu.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'q' }], ...extra }) });

  it('a streamed line carries its token in a top-level list; top_logprobs only where asked', async () => {
    const lines = (await (await chat({ logprobs: true })).text()).trim().split('\n').map((l) => JSON.parse(l) as { done: boolean; logprobs?: Array<Record<string, unknown>> });
    const tokens = lines.filter((l) => !l.done);
    expect(tokens.every((l) => l.logprobs?.length === 1 && Object.keys(l.logprobs[0]!).sort().join() === 'logprob,token')).toBe(true);
    const top = (await (await chat({ logprobs: true, top_logprobs: 4 })).text()).trim().split('\n').map((l) => JSON.parse(l) as { logprobs?: Array<{ top_logprobs: unknown[] }> });
    expect(top[0]!.logprobs![0]!.top_logprobs).toHaveLength(4);
    const none = (await (await chat({})).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(none.some((l) => 'logprobs' in l)).toBe(false);
  });

  it('a whole answer: every token in one list; top_logprobs past 20 is refused with 400', async () => {
    const whole = (await (await chat({ stream: false, logprobs: true })).json()) as { logprobs: unknown[]; eval_count: number };
    expect(whole.logprobs).toHaveLength(whole.eval_count);
    const r = await chat({ logprobs: true, top_logprobs: 21 });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: 'top_logprobs must be between 0 and 20' });
  });
});

describe("the emulator's Ollama scheduler: a reload where the runner options or the context shift change (needsReload in server/sched.go)", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ dialect: 'ollama', plan: () => ({ thinkingTokens: 1, answerTokens: 1 }) });
  });
  afterAll(async () => {
    await emu?.close();
  });
  const call = (path: string, body: Record<string, unknown>) =>
    fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream: false, messages: [{ role: 'user', content: 'q' }], ...body }) }).then((r) => r.text());

  it('counts loads: sampling options and keep_alive do not reload, num_ctx, num_gpu and shift do, a render-only chat schedules too', async () => {
    await call('/api/chat', { options: { num_ctx: 8192, temperature: 0.2 } });
    expect(emu.ollamaLoads()).toBe(1);
    await call('/api/chat', { options: { num_ctx: 8192, temperature: 0.9, num_predict: 5 }, keep_alive: '1h' });
    await call('/api/generate', { raw: true, prompt: 'x', options: { num_ctx: 8192 } });
    expect(emu.ollamaLoads()).toBe(1);
    await call('/api/chat', { _debug_render_only: true });
    expect(emu.ollamaLoads()).toBe(2);
    await call('/api/chat', { options: { num_ctx: 8192 }, shift: false });
    expect(emu.ollamaLoads()).toBe(3);
    await call('/api/chat', { options: { num_ctx: 8192, num_gpu: 10 }, shift: false });
    expect(emu.ollamaLoads()).toBe(4);
  });

  it("Ollama's unload request (no prompt, or no messages, and keep_alive 0) expires the runner and runs nothing", async () => {
    const post = (path: string, body: Record<string, unknown>) =>
      fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<Record<string, unknown>>);
    await call('/api/chat', {});
    expect(emu.ollamaLoaded()).toBe(true);
    const calls = emu.chatCalls();
    expect(await post('/api/generate', { model: 'm', keep_alive: 0 })).toMatchObject({ model: 'm', response: '', done: true, done_reason: 'unload' });
    expect(emu.ollamaLoaded()).toBe(false);
    await call('/api/chat', {});
    expect(await post('/api/chat', { model: 'm', messages: [], keep_alive: '0s' })).toMatchObject({ model: 'm', message: { role: 'assistant', content: '' }, done: true, done_reason: 'unload' });
    expect(emu.ollamaLoaded()).toBe(false);
    expect(emu.chatCalls()).toBe(calls + 1);
    // No messages with a keep_alive other than 0 is no unload.
    await call('/api/chat', {});
    await call('/api/chat', { messages: [], keep_alive: '5m' });
    expect(emu.ollamaLoaded()).toBe(true);
  });
});

describe("the emulator's Ollama scheduler: a keep-alive of 0 takes the model once no request runs on it (server/sched.go)", () => {
  let emu: Emulator;
  beforeAll(async () => {
    // Tokens 10 ms apart: a streamed request runs ~0.8 s asked something "long", else ~0.1 s.
    emu = await startEmulator({ dialect: 'ollama', tokenDelayMs: 10, plan: (b) => (JSON.stringify(b.messages ?? '').includes('long') ? { thinkingTokens: 40, answerTokens: 40 } : { thinkingTokens: 5, answerTokens: 5 }) });
  });
  afterAll(async () => {
    await emu?.close();
  });
  const post = (body: Record<string, unknown>, path = '/api/chat') => fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', ...body }) });
  const waitUntil = async (done: () => boolean) => {
    for (const end = Date.now() + 3000; !done() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    return done();
  };

  it('an unload while a request runs: the model stays until that request ends (expireRunner)', async () => {
    const running = post({ messages: [{ role: 'user', content: 'long' }] });
    const response = await running;
    expect(await (await post({ keep_alive: 0 }, '/api/generate')).json()).toMatchObject({ done_reason: 'unload' });
    expect(emu.ollamaLoaded()).toBe(true);
    await response.text();
    expect(await waitUntil(() => !emu.ollamaLoaded())).toBe(true);
  });

  it("a request's keep_alive 0 sets the runner's: a request still running keeps it, the model goes when both have ended; one with none on a loaded runner leaves it", async () => {
    const first = await post({ messages: [{ role: 'user', content: 'long' }], keep_alive: '5m' });
    const second = await post({ messages: [{ role: 'user', content: 'q' }], keep_alive: 0 });
    await second.text();
    expect(emu.ollamaLoaded()).toBe(true);
    await first.text();
    expect(await waitUntil(() => !emu.ollamaLoaded())).toBe(true);
    // Loaded again with a keep-alive that holds; a request with none does not change it.
    await (await post({ messages: [{ role: 'user', content: 'q' }], keep_alive: '5m' })).text();
    await (await post({ messages: [{ role: 'user', content: 'q' }] })).text();
    expect(emu.ollamaLoaded()).toBe(true);
  });
});

describe("the emulator's `markers` template renders thinkcap's two continuation forms as Cohere's reasoning template does (HF transformers, recorded)", () => {
  it('a think block in content as it is (no refusal), the reasoning between the markers', () => {
    const renders = (JSON.parse(readFileSync(join(packageRoot(), 'test/fixtures/templates/generation-prompts.json'), 'utf8')) as { templates: Record<string, Record<string, string | null>> }).templates['Cohere2MoE']!;
    const block = { role: 'assistant', content: '<think>\nLet me add them\n</think>\n\nThe sum' };
    const reasoning = { role: 'assistant', content: 'The sum', reasoning: 'Let me add them' };
    expect(rendersBack('markers', block)).toBe(true);
    expect(renders['continued think-block']!.endsWith(`<|START_TEXT|>${renderedAssistant('markers', block)}`)).toBe(true);
    expect(renders['continued reasoning']!.endsWith(renderedAssistant('markers', reasoning))).toBe(true);
  });
});

describe("the emulator's vLLM chat templates render a continued assistant message as the real ones do (HF transformers, recorded)", () => {
  it.each([
    ['qwen3', 'Qwen-Qwen3-0.6B'],
    ['glm', 'GLM-4.7-Flash'],
  ] as const)('%s is %s: refused where it refuses, and written back as it writes it', (template, real) => {
    const cases = TEMPLATE_RENDERS.cases.filter((c) => c.template === real);
    expect(cases.length).toBe(6);
    for (const c of cases) {
      // vLLM hands the template the reasoning field (the fixture gives both names, as vLLM does).
      const message = { role: 'assistant', content: c.message.content, ...(c.message.reasoning !== undefined ? { reasoning: c.message.reasoning } : {}) };
      expect(rendersBack(template, message), `${c.form} ${JSON.stringify(c.answer)}`).toBe(c.ok);
      if (c.ok) expect(c.assistant!.endsWith(renderedAssistant(template, message)), `${c.form} ${JSON.stringify(c.answer)}`).toBe(true);
    }
  });
});
