import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack, type StackOptions } from '../../devkit/stack.js';
import { extProcStat, freePort } from '../../devkit/envoy.js';
import { expectedAnswer, type EmulatedDialect } from '../../devkit/emulator/server.js';
import { readStream, type SeenStream } from '../../devkit/openai.js';
import { FORMAT_PROBE } from '../../src/backends/think-prompt.js';

const NATURAL_THINKING = 300;
const ANSWER = 25;
const EASY = 'Hello'; // trivial: 32 thinking tokens

async function streamChat(stack: Stack, extra: Record<string, unknown> = {}): Promise<SeenStream & { headers: Headers }> {
  const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
  const { data, response } = await client.chat.completions
    .create({ model: 'm', messages: [{ role: 'user', content: EASY }], stream: true, ...extra } as never)
    .withResponse();
  return { ...(await readStream(data as unknown as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>)), headers: response.headers };
}

async function fullChatWith(stack: Stack, content: string) {
  const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
  const data = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content }] });
  return { content: data.choices[0]!.message.content ?? '' };
}

/** The answer the openai SDK gets for EASY from this model, streamed or whole. */
async function answerOf(stack: Stack, model: string, stream: boolean): Promise<string> {
  const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
  if (stream) {
    const data = await client.chat.completions.create({ model, messages: [{ role: 'user', content: EASY }], stream: true });
    return (await readStream(data as unknown as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>)).content;
  }
  const data = await client.chat.completions.create({ model, messages: [{ role: 'user', content: EASY }] });
  return data.choices[0]!.message.content ?? '';
}

async function fullChat(stack: Stack) {
  const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
  const { data, response } = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }] }).withResponse();
  const m = data.choices[0]!.message as { content: string | null; reasoning?: string | null; reasoning_content?: string | null };
  return { content: m.content ?? '', reasoning: m.reasoning ?? m.reasoning_content ?? '', headers: response.headers, usage: data.usage };
}

function stackFor(dialect: EmulatedDialect, more: { emulator?: StackOptions['emulator']; backend?: Record<string, unknown>; envoy?: StackOptions['envoy'] } = {}) {
  return async (): Promise<Stack> => {
    let stack: Stack | null = null;
    const backend = { name: 'b', dialect, ...more.backend };
    stack = await startStack({
      emulator: { dialect, plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }), eventsPerWrite: 2, splitWritesAt: 37, ...more.emulator },
      thinkcap: { defaultDialect: dialect, backends: [backend] },
      envoy: more.envoy,
    });
    return stack;
  };
}

/** Whether a request is one of thinkcap's probes of a template (vLLM /tokenize, a probe render: think-prompt.ts FORMAT_PROBE). */
const isProbe = (r: { path: string; body: unknown }) => r.path === '/tokenize' || JSON.stringify(r.body ?? null).includes(FORMAT_PROBE.question);
/** The requests the emulator received from index `from` on, thinkcap's template probes left out. */
const chatCalls = (stack: Stack, from = 0) => stack.emulator.requests.slice(from).filter((r) => !isProbe(r));

/** A stack whose backend continues at the budget (enforcement continuation, the emulator its url), behind a full-duplex Envoy; `requests` is thinkcap's requests section, where a test sets one. */
function continuationStack(emulator: NonNullable<StackOptions['emulator']> & { dialect: EmulatedDialect }, backend: Record<string, unknown> = {}, requests?: Record<string, unknown>): Promise<Stack> {
  const { dialect } = emulator;
  return startStack({ emulator, thinkcap: (emu) => ({ defaultDialect: dialect, ...(requests ? { requests } : {}), backends: [{ name: 'b', dialect, enforcement: 'continuation', url: emu.url, ...backend }] }), envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' } });
}

async function checkEnvoyClean(stack: Stack) {
  const stats = await stack.envoy.stats();
  expect(extProcStat(stats, 'streams_failed')).toBe(0);
  expect(extProcStat(stats, 'spurious_msgs_received')).toBe(0);
}

describe.each([
  { dialect: 'vllm' as const, nativeCap: true, emulator: {}, backend: {} },
  { dialect: 'vllm' as const, nativeCap: true, emulator: { reasoningField: 'reasoning_content' as const }, backend: {} },
  { dialect: 'sglang' as const, nativeCap: true, emulator: { sglangProcessor: 'PROC' }, backend: { logitProcessor: 'PROC' } },
  { dialect: 'sglang' as const, nativeCap: true, emulator: { sglangStrictThinking: true }, backend: { strictThinking: true } },
  { dialect: 'sglang' as const, nativeCap: false, emulator: {}, backend: {} },
  { dialect: 'llamacpp' as const, nativeCap: true, emulator: {}, backend: {} },
  { dialect: 'llamacpp' as const, nativeCap: true, emulator: { llamacppBudgetFields: ['thinking_budget_tokens'] }, backend: { budgetField: 'thinking_budget_tokens' } },
  // An older server with no per-request budget field (a server-wide --reasoning-budget at most).
  { dialect: 'llamacpp' as const, nativeCap: false, emulator: { llamacppBudgetFields: [] }, backend: { budgetField: false } },
  { dialect: 'ollama-openai' as const, nativeCap: false, emulator: {}, backend: {} },
  { dialect: 'vllm' as const, nativeCap: false, emulator: { ignoreBudget: true }, backend: {} },
])('$dialect (native cap honoured: $nativeCap) $emulator', ({ dialect, nativeCap, emulator, backend }) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackFor(dialect, { emulator, backend })();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('streaming: thinking capped, answer whole, figures in headers and a stream comment', async () => {
    const seen = await streamChat(stack);
    expect(seen.headers.get('x-thinkcap-tier')).toBe('trivial');
    expect(seen.headers.get('x-thinkcap-budget')).toBe('32');
    const generated = stack.emulator.generatedThinking.at(-1)!;
    if (nativeCap) expect(generated).toBeLessThanOrEqual(32);
    else expect(generated).toBeGreaterThan(32); // the engine kept thinking: only the stream rewrite held the line
    expect(seen.reasoning.length).toBeLessThanOrEqual(32);
    expect(seen.reasoning.length).toBe(Math.min(32, generated));
    expect(seen.content).toBe(stack.emulator.generatedAnswers.at(-1));
    expect(seen.content).toBe(expectedAnswer(ANSWER));
    expect(seen.content).not.toContain('</think>');
    await new Promise((r) => setTimeout(r, 30));
    expect(stack.thinkcap!.history.at(-1)!.thinkingTokens).toBe(generated);
    await checkEnvoyClean(stack);
  });

  it('streaming (raw): usage the client did not ask for is removed, the report is an SSE comment', async () => {
    const r = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: EASY }] }),
    });
    const text = await r.text();
    expect(text).toMatch(/^: thinkcap tier=trivial budget=32 thinking_tokens=\d+ cost_usd=[\d.]+ cost_basis=tokens$/m);
    expect(text).not.toContain('"usage"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('streaming: usage the client asked for is kept', async () => {
    const r = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: EASY }] }),
    });
    expect(await r.text()).toContain('"completion_tokens"');
  });

  it('non-streaming: reasoning capped, answer whole, x-thinkcap-thinking-tokens', async () => {
    const res = await fullChat(stack);
    const generated = stack.emulator.generatedThinking.at(-1)!;
    expect(Number(res.headers.get('x-thinkcap-thinking-tokens'))).toBe(generated);
    expect(res.reasoning.split(' ').filter(Boolean).length).toBeLessThanOrEqual(32);
    expect(res.content).toBe(expectedAnswer(ANSWER));
    // The backend's own usage, untouched (llama.cpp also counts the 3 tokens of the closing tag it hides).
    expect(res.usage!.completion_tokens).toBe(generated + ANSWER + (dialect === 'llamacpp' ? 3 : 0));
  });
});

describe.each([
  { prefilled: false, responseBodyMode: 'STREAMED' as const },
  { prefilled: true, responseBodyMode: 'STREAMED' as const },
  { prefilled: false, responseBodyMode: 'FULL_DUPLEX_STREAMED' as const },
])('generic <think> in content (prefilled $prefilled, $responseBodyMode)', ({ prefilled, responseBodyMode }) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackFor('generic', { emulator: { thinkPrefilled: prefilled }, backend: { thinkPrefilled: prefilled }, envoy: { responseBodyMode } })();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('streaming: one </think>, thinking inside it capped, answer whole', async () => {
    const seen = await streamChat(stack);
    expect(seen.content.split('</think>').length - 1).toBe(1);
    const [think, answer] = seen.content.split('</think>') as [string, string];
    expect(think.replace('<think>', '').trim().split(' ').length).toBeLessThanOrEqual(32);
    expect(answer.trim()).toBe(expectedAnswer(ANSWER));
    expect(seen.content.startsWith('<think>')).toBe(!prefilled);
    await checkEnvoyClean(stack);
  });

  it('non-streaming: one </think>, answer whole', async () => {
    const res = await fullChat(stack);
    expect(res.content.split('</think>').length - 1).toBe(1);
    expect(res.content.split('</think>')[1]!.trim()).toBe(expectedAnswer(ANSWER));
    expect(Number(res.headers.get('x-thinkcap-thinking-tokens') ?? NATURAL_THINKING)).toBe(NATURAL_THINKING);
  });
});

// A template whose thinking is no `<think>` block (Seed-OSS's `<seed:think>`), served without a
// reasoning parser (a generic engine; llama.cpp --reasoning-format none with no budget field): the
// markers reach content. Before, the tracker knew `<think>` only and the whole thinking went to
// the client as answer, uncapped; backends[].thinkingFormat names the markers.
describe.each([
  { dialect: 'generic' as const, emulator: {}, backend: {} },
  { dialect: 'llamacpp' as const, emulator: { reasoningFormat: 'none' as const, llamacppBudgetFields: [] }, backend: { budgetField: false } },
])("$dialect, the template's own markers in content (thinkingFormat)", ({ dialect, emulator, backend }) => {
  const SEED = { open: '<seed:think>', close: '</seed:think>' };
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackFor(dialect, { emulator: { thinkTags: SEED, ...emulator }, backend: { thinkingFormat: { open: SEED.open, close: `${SEED.close}\n` }, ...backend } })();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('streaming: one closing marker, the thinking inside it capped, the answer whole', async () => {
    const seen = await streamChat(stack);
    expect(seen.headers.get('x-thinkcap-budget')).toBe('32');
    expect(stack.emulator.generatedThinking.at(-1)).toBe(NATURAL_THINKING);
    expect(seen.content.startsWith(SEED.open)).toBe(true);
    expect(seen.content.split(SEED.close).length - 1).toBe(1);
    const [think, answer] = seen.content.split(SEED.close) as [string, string];
    expect(think.slice(SEED.open.length).trim().split(' ').length).toBeLessThanOrEqual(32);
    expect(answer.trim()).toBe(expectedAnswer(ANSWER));
    expect(seen.content).not.toContain('</think>');
    await new Promise((r) => setTimeout(r, 30));
    expect(stack.thinkcap!.history.at(-1)!.thinkingTokens).toBe(NATURAL_THINKING);
    await checkEnvoyClean(stack);
  });

  it('non-streaming: one closing marker, the answer whole, the thinking counted', async () => {
    const res = await fullChat(stack);
    expect(res.content.split(SEED.close).length - 1).toBe(1);
    expect(res.content.split(SEED.close)[0]!.slice(SEED.open.length).trim().split(' ').length).toBeLessThanOrEqual(32);
    expect(res.content.split(SEED.close)[1]!.trim()).toBe(expectedAnswer(ANSWER));
    expect(Number(res.headers.get('x-thinkcap-thinking-tokens'))).toBe(NATURAL_THINKING);
  });
});

// Templates that open `<think>` in their generation prompt and read enable_thinking close the
// block in the prompt when it is false (Qwen3.5, Nemotron 3, GLM-4.7: generation-prompts.json),
// and the model writes the answer alone. Read as thinking, it was lost at a zero budget (thinkcap
// turns thinking off there) and cut at the budget where the client turned thinking off.
describe.each([{ prefilled: true as const }, { prefilled: 'always' as const }])('generic, template opens <think> (thinkPrefilled $prefilled), thinking switched off', ({ prefilled }) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { dialect: 'generic', plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }), thinkPrefilled: prefilled, eventsPerWrite: 2, splitWritesAt: 37 },
      thinkcap: { defaultDialect: 'generic', backends: [{ name: 'b', dialect: 'generic', thinkPrefilled: prefilled }], tiers: { trivial: { budget: 0 }, simple: { budget: 8 } } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a zero budget: the whole answer arrives, streamed and whole, with no thinking', async () => {
    const seen = await streamChat(stack);
    expect(seen.headers.get('x-thinkcap-budget')).toBe('0');
    expect(seen.content.replace('</think>', '').trim()).toBe(expectedAnswer(ANSWER));
    const res = await fullChat(stack);
    expect(res.content.replace('</think>', '').trim()).toBe(expectedAnswer(ANSWER));
    await checkEnvoyClean(stack);
  });

  it('the client turns thinking off on a budget above zero: the answer is not cut at the budget', async () => {
    // simple: a budget of 8 thinking tokens, under the answer's 25.
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'What is the capital of Australia?' }], chat_template_kwargs: { enable_thinking: false } } as never)
      .withResponse();
    expect(response.headers.get('x-thinkcap-budget')).toBe('8');
    expect(data.choices[0]!.message.content!.replace('</think>', '').trim()).toBe(expectedAnswer(ANSWER));
  });
});

describe('cut-off + continuation (generic model, FULL_DUPLEX_STREAMED)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await continuationStack({ dialect: 'generic', plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }), tokenDelayMs: 12, eventsPerWrite: 3 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the backend stops thinking at the budget and still answers, in one client response', async () => {
    const calls = stack.emulator.chatCalls();
    const seen = await streamChat(stack);
    expect(stack.emulator.chatCalls()).toBe(calls + 2);
    const [first, second] = stack.emulator.generatedThinking.slice(-2) as [number, number];
    expect(first).toBeLessThanOrEqual(32); // capped by max_tokens at the budget
    expect(second).toBe(0); // the continuation does not think
    const cont = stack.emulator.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }>; continue_final_message: boolean };
    expect(cont.continue_final_message).toBe(true);
    expect(cont.messages.at(-1)!.content).toMatch(/<\/think>\n\n$/);
    expect(seen.content.split('</think>').length - 1).toBe(1);
    expect(seen.content.split('</think>')[1]!.trim()).toBe(expectedAnswer(ANSWER));
    await checkEnvoyClean(stack);
    await new Promise((r) => setTimeout(r, 30));
    const rec = stack.thinkcap!.history.at(-1)!;
    expect(rec.thinkingTokens).toBeLessThanOrEqual(33);
    expect(rec.followUp).toEqual({ kind: 'continuation', failed: false });
  });

  it("usage the client asked for: the prompt it sent (the continuation's own holds the thinking), both legs' completion", async () => {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    const s = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }], stream: true, stream_options: { include_usage: true } });
    let usage: OpenAI.Completions.CompletionUsage | undefined;
    for await (const chunk of s) if (chunk.usage) usage = chunk.usage;
    const cont = stack.emulator.requests.at(-1)!.body as { continue_final_message?: boolean };
    expect(cont.continue_final_message).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    const rec = stack.thinkcap!.history.at(-1)!;
    // The emulator's count of the client's one message: its words + 4.
    expect(usage!.prompt_tokens).toBe(EASY.split(/\s+/).filter(Boolean).length + 4);
    expect({ prompt: usage!.prompt_tokens, completion: usage!.completion_tokens }).toEqual({ prompt: rec.promptTokens, completion: rec.completionTokens });
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);
  });
});

describe('a vLLM backend with a context length: the limit thinkcap writes fits beside the prompt', () => {
  // vLLM refuses a prompt + completion limit past --max-model-len with 400, where a request with
  // no limit gets what is left. Budget + answer allowance (1,024 + 4,096 here) beside a prompt of
  // ~1,500 tokens passes a 3,000-token context: through thinkcap such a request failed.
  const stacks: Partial<Record<'bounded' | 'unbounded' | 'continuation', Stack>> = {};
  const tiers = Object.fromEntries(['trivial', 'simple', 'moderate', 'complex', 'deep'].map((t) => [t, { budget: 1024 }]));
  beforeAll(async () => {
    for (const which of ['bounded', 'unbounded', 'continuation'] as const) {
      stacks[which] = await startStack({
        emulator: { dialect: 'vllm', maxModelLen: 3000, promptBilling: { factor: 1, overhead: 10 }, plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) },
        thinkcap: (emu) => ({
          defaultDialect: 'vllm',
          tiers: which === 'continuation' ? Object.fromEntries(Object.keys(tiers).map((t) => [t, { budget: 100 }])) : tiers,
          backends: [{ name: 'b', dialect: 'vllm', ...(which !== 'unbounded' ? { contextTokens: 3000 } : {}), ...(which === 'continuation' ? { enforcement: 'continuation', url: emu.url } : {}) }],
        }),
        envoy: which === 'continuation' ? { responseBodyMode: 'FULL_DUPLEX_STREAMED' } : undefined,
      });
    }
  });
  afterAll(async () => {
    for (const s of Object.values(stacks)) await s?.stop();
  });
  // ~1,500 o200k tokens of plain words, then an ask.
  const long = `${'the quick brown fox jumps over the lazy dog '.repeat(166)}What is the dog doing?`;

  it('without contextTokens: 400 from the engine, the limit it names being thinkcap\'s', async () => {
    const client = new OpenAI({ baseURL: stacks.unbounded!.baseURL, apiKey: 'test', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: long }] })).rejects.toMatchObject({ status: 400 });
    expect((stacks.unbounded!.emulator.requests.at(-1)!.body as { max_tokens: number }).max_tokens).toBe(1024 + 4096);
  });

  it.each([true, false])('with contextTokens: held to what the prompt leaves, and answered (stream=%s)', async (stream) => {
    const stack = stacks.bounded!;
    const seen = stream ? await streamChat(stack, { messages: [{ role: 'user', content: long }] }) : await fullChatWith(stack, long);
    expect(seen.content.trim()).toBe(expectedAnswer(ANSWER));
    const sent = stack.emulator.requests.at(-1)!.body as { max_tokens: number; thinking_token_budget: number };
    expect(sent.max_tokens).toBeLessThan(3000 - 1500);
    expect(sent.max_tokens).toBeGreaterThan(1024);
    expect(sent.thinking_token_budget).toBe(1024);
  });

  it("the continuation's limit fits too: the context left shrinks by the first leg's tokens", async () => {
    const stack = stacks.continuation!;
    const seen = await streamChat(stack, { messages: [{ role: 'user', content: long }] });
    expect(seen.content.trim()).toBe(expectedAnswer(ANSWER));
    const [first, cont] = chatCalls(stack).slice(-2).map((r) => r.body as { max_tokens: number });
    expect(first!.max_tokens).toBe(100);
    expect(cont!.max_tokens).toBeLessThan(3000 - 1500 - 100);
    expect(stack.thinkcap!.history.at(-1)?.reason ?? null).toBeNull();
  });

  it('a context the prompt leaves too little of: the thinking budget is lowered so the answer keeps its room', async () => {
    const stack = stacks.bounded!;
    const longer = `${'the quick brown fox jumps over the lazy dog '.repeat(290)}What is the dog doing?`;
    const seen = await streamChat(stack, { messages: [{ role: 'user', content: longer }] });
    expect(seen.content.trim()).toBe(expectedAnswer(ANSWER));
    const sent = stack.emulator.requests.at(-1)!.body as { max_tokens: number; thinking_token_budget: number };
    expect(sent.max_tokens).toBeLessThan(3000 - 2600);
    expect(sent.thinking_token_budget).toBeLessThan(sent.max_tokens);
    expect(Number(seen.headers.get('x-thinkcap-budget'))).toBe(sent.thinking_token_budget);
  });
});

describe('a continuation backend behind an Envoy that is not full duplex (STREAMED)', () => {
  // No continuation can follow there, so the upstream is not cut at the budget: capped as native
  // (the engine's budget field, room for an answer). Before, it stopped at the budget inside
  // thinking and the client got no answer.
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { dialect: 'vllm', plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) },
      thinkcap: (emu) => ({ defaultDialect: 'vllm', backends: [{ name: 'b', dialect: 'vllm', enforcement: 'continuation', url: emu.url }] }),
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('the engine ends thinking at the budget and the answer arrives (stream=%s)', async (stream) => {
    const calls = stack.emulator.chatCalls();
    const seen = stream ? await streamChat(stack) : await fullChat(stack);
    expect(seen.content.trim()).toBe(expectedAnswer(ANSWER));
    expect(stack.emulator.chatCalls()).toBe(calls + 1);
    expect((stack.emulator.requests.at(-1)!.body as { thinking_token_budget?: number }).thinking_token_budget).toBe(32);
    expect(stack.emulator.generatedThinking.at(-1)).toBeLessThanOrEqual(32);
  });
});

describe.each(['vllm', 'sglang'] as const)('%s started with --api-key: the continuation carries the key from apiKeyEnv', (dialect) => {
  // The client's key reaches the engine through Envoy; thinkcap's own continuation call carries
  // only what thinkcap sends. The emulator refuses a /v1 call without the key, as vLLM does.
  const ENV_NAME = `DIALECTS_TEST_KEY_${dialect.toUpperCase()}`;
  const stacks: Partial<Record<'keyed' | 'unkeyed', Stack>> = {};
  beforeAll(async () => {
    process.env[ENV_NAME] = 'test';
    for (const which of ['keyed', 'unkeyed'] as const) {
      stacks[which] = await startStack({
        emulator: { dialect, apiKey: 'test', plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }), tokenDelayMs: 2 },
        thinkcap: (emu) => ({ defaultDialect: dialect, backends: [{ name: 'b', dialect, enforcement: 'continuation', url: emu.url, ...(which === 'keyed' ? { apiKeyEnv: ENV_NAME } : {}) }] }),
        envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
      });
    }
  });
  afterAll(async () => {
    for (const s of Object.values(stacks)) await s?.stop();
    delete process.env[ENV_NAME];
  });

  it('with it: cut at the budget, continued, answered; the continuation call sent the key', async () => {
    const stack = stacks.keyed!;
    const seen = await streamChat(stack);
    expect(seen.content.trim()).toBe(expectedAnswer(ANSWER));
    expect(stack.emulator.chatCalls()).toBe(2);
    expect(stack.emulator.requests.at(-1)!.headers.authorization).toBe('Bearer test');
  });

  it('without it: the engine refuses the continuation with 401, and the record says so', async () => {
    const stack = stacks.unkeyed!;
    const seen = await streamChat(stack);
    expect(seen.content.trim()).toBe('');
    // The record is written as the stream ends, after the client has read it.
    for (let i = 0; i < 50 && !stack.thinkcap!.history.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(stack.thinkcap!.history.at(-1)!.reason).toMatch(/^continuation failed: .*401/);
    expect(stack.thinkcap!.history.at(-1)!.followUp).toEqual({ kind: 'continuation', failed: true });
  });
});

describe.each(['vllm', 'sglang'] as const)('%s: client fields the engine checks against what thinkcap writes (min_tokens, prompt_logprobs)', (dialect) => {
  // Both engines refuse min_tokens above the completion limit with 400 before anything runs
  // (a client may set it to fix an output's length); vLLM refuses prompt_logprobs on a stream.
  const stacks: Partial<Record<'continuation' | 'native', Stack>> = {};
  beforeAll(async () => {
    for (const which of ['continuation', 'native'] as const) {
      stacks[which] = await startStack({
        emulator: { dialect, plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) },
        thinkcap: (emu) => ({ defaultDialect: dialect, backends: [{ name: 'b', dialect, ...(which === 'continuation' ? { enforcement: 'continuation', url: emu.url } : {}) }] }),
        envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
      });
    }
  });
  afterAll(async () => {
    for (const s of Object.values(stacks)) await s?.stop();
  });

  it('cut off at the budget: the first leg holds the floor to its limit, the continuation asks what is left of it', async () => {
    const stack = stacks.continuation!;
    const seen = await streamChat(stack, { max_tokens: 60, min_tokens: 40 });
    expect(seen.content.trim()).toBe(expectedAnswer(ANSWER));
    const [first, second] = chatCalls(stack).slice(-2).map((r) => r.body as { max_tokens: number; min_tokens: number });
    // The budget (lowered to leave the answer room in 60) is the first leg's limit, and its floor.
    const cut = first!.max_tokens;
    expect(cut).toBeLessThan(40);
    expect(first!.min_tokens).toBe(cut);
    // 40 asked of the whole completion, `cut` generated before the cut; the continuation may write 60 - cut.
    expect([second!.max_tokens, second!.min_tokens]).toEqual([60 - cut, 40 - cut]);
  });

  it("a whole answer with prompt_logprobs (vLLM refuses them on a stream, and the continuation streams): answered", async () => {
    const stack = stacks.continuation!;
    const r = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: EASY }], prompt_logprobs: 1 }),
    });
    expect(r.status).toBe(200);
    const j = (await r.json()) as { choices: Array<{ message: { content: string } }> };
    expect(j.choices[0]!.message.content.trim()).toBe(expectedAnswer(ANSWER));
    const [first, second] = chatCalls(stack).slice(-2).map((q) => q.body as Record<string, unknown>);
    expect(first!.prompt_logprobs).toBe(1);
    expect('prompt_logprobs' in second!).toBe(false);
    expect(r.headers.get('x-thinkcap-enforced')).toBe('continuation');
  });

  it('capped natively: a floor above budget + answer allowance is held to it', async () => {
    const stack = stacks.native!;
    const seen = await streamChat(stack, { min_tokens: 1_000_000 });
    expect(seen.content.trim()).toBe(expectedAnswer(ANSWER));
    const sent = stack.emulator.requests.at(-1)!.body as { max_tokens: number; min_tokens: number };
    expect(sent.min_tokens).toBe(sent.max_tokens);
  });
});

describe.each(['vllm', 'sglang'] as const)('%s started without a reasoning parser: <think> in content', (dialect) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackFor(dialect, { emulator: { noReasoningParser: true } })();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('thinkcap finds the block in the stream, cuts it at the budget and closes it once (stream=%s)', async (stream) => {
    let content: string;
    if (stream) content = (await streamChat(stack)).content;
    else content = (await fullChat(stack)).content;
    expect(content.startsWith('<think>')).toBe(true);
    expect(content.split('</think>').length - 1).toBe(1);
    const [thinking, answer] = content.slice('<think>'.length).split('</think>') as [string, string];
    // The emulator's words are one o200k token each.
    expect(thinking.split(' ').filter(Boolean).length).toBeLessThanOrEqual(32);
    expect(answer.trim()).toBe(expectedAnswer(ANSWER));
    await checkEnvoyClean(stack);
  });
});

describe.each(['native', 'rewrite'] as const)("sglang running thinkcap's logit processor (enforcement %s): a client's own processor never reaches the engine", (enforcement) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackFor('sglang', { emulator: { sglangProcessor: 'PROC' }, backend: { logitProcessor: 'PROC', enforcement } })();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('refused with 400 reserved_field through Envoy, no upstream call (stream=%s)', async (stream) => {
    const calls = stack.emulator.chatCalls();
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    // A dill-pickled callable, as SGLang expects it ({"callable": hex}); the engine would unpickle it.
    const body = { model: 'm', messages: [{ role: 'user', content: EASY }], stream, custom_logit_processor: '{"callable": "80049500"}' };
    const err = await client.chat.completions.create(body as never).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('reserved_field');
    expect(stack.emulator.chatCalls()).toBe(calls);
    await checkEnvoyClean(stack);
    // The same request without it goes through.
    const seen = await streamChat(stack);
    expect(seen.content).toBe(expectedAnswer(ANSWER));
    expect(stack.emulator.chatCalls()).toBe(calls + 1);
  });
});

describe('client hints named like what every object inherits', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackFor('vllm')();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each(['constructor', 'toString', '__proto__'])('reasoning_effort %s is no hint: capped at the tier budget, not passed uncapped by the error path', async (effort) => {
    const seen = await streamChat(stack, { reasoning_effort: effort });
    expect(seen.headers.get('x-thinkcap-budget')).toBe('32');
    expect(stack.emulator.generatedThinking.at(-1)).toBeLessThanOrEqual(32);
    await new Promise((r) => setTimeout(r, 30));
    expect(stack.thinkcap!.history.at(-1)!.outcome).toBe('ok');
  });
});

describe("sglang without thinkcap's processor: a client's custom_logit_processor is the engine's to judge", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackFor('sglang')();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('passed as sent; a server without --enable-custom-logit-processor answers 400 itself', async () => {
    const calls = stack.emulator.chatCalls();
    const r = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: EASY }], custom_logit_processor: '{"callable": "80049500"}' }),
    });
    expect(r.status).toBe(400);
    // SGLang's own error body, not thinkcap's (which would say reserved_field).
    const err = (await r.json()) as { message?: string; code?: unknown };
    expect(err.message).toMatch(/--enable-custom-logit-processor/);
    expect(stack.emulator.chatCalls()).toBe(calls + 1);
    await checkEnvoyClean(stack);
  });
});

describe('cut-off + continuation when the model answers before the budget', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      // Thinks 20 tokens (under the trivial budget of 32), then answers 25: the cap at 32 cuts the answer.
      emulator: { dialect: 'vllm', ignoreBudget: true, plan: () => ({ thinkingTokens: 20, answerTokens: ANSWER }), eventsPerWrite: 2 },
      thinkcap: (emu) => ({ defaultDialect: 'vllm', backends: [{ name: 'b', dialect: 'vllm', enforcement: 'continuation', url: emu.url }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the continuation finishes the answer that the cap cut', async () => {
    const calls = stack.emulator.chatCalls();
    const seen = await streamChat(stack);
    expect(stack.emulator.chatCalls()).toBe(calls + 2);
    expect(seen.reasoning).toHaveLength(20);
    expect(seen.content).toBe(expectedAnswer(ANSWER));
    await checkEnvoyClean(stack);
  });

  it("max_tokens below the budget: thinking stops short of it for an answer, and the client's own cut is not continued", async () => {
    const calls = stack.emulator.chatCalls();
    const seen = await streamChat(stack, { max_tokens: 25 });
    // Answer reserve: 25 - min(128, 12) leaves 13 thinking tokens; the continuation gets the other 12.
    expect(seen.headers.get('x-thinkcap-budget')).toBe('13');
    expect(seen.headers.get('x-thinkcap-tier-budget')).toBe('32');
    expect(seen.reasoning).toHaveLength(13);
    // One continuation, cut by the client's own limit, and no third call.
    expect(stack.emulator.chatCalls()).toBe(calls + 2);
    expect(seen.content).toBe(expectedAnswer(12));
  });
});

describe('vLLM serving gpt-oss, native with a url: a model that ends its turn inside its analysis is rescued', () => {
  let stack: Stack;
  const last = (body: Record<string, unknown>) => (Array.isArray(body.messages) ? (body.messages.at(-1) as Record<string, unknown>) : {});
  beforeAll(async () => {
    stack = await startStack({
      // The first leg thinks 10 tokens and ends (no answer); the rescue answers.
      emulator: { dialect: 'vllm', plan: (body) => (last(body).role === 'assistant' ? { thinkingTokens: 0, answerTokens: 6 } : { thinkingTokens: 10, answerTokens: 0 }) },
      thinkcap: (emu) => ({ defaultDialect: 'vllm', backends: [{ name: 'b', dialect: 'vllm', url: emu.url }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('stream %s: the rescue sends the thinking as the assistant\'s reasoning, and the answer arrives', async (stream) => {
    const before = stack.emulator.requests.length;
    const content = await answerOf(stack, 'openai/gpt-oss-20b', stream);
    expect(content).toBe(expectedAnswer(6));
    const sent = stack.emulator.requests.slice(before).map((r) => r.body as Record<string, unknown>);
    expect(sent).toHaveLength(2);
    const rescue = sent[1]!;
    const thinking = last(rescue).reasoning;
    expect(last(rescue)).toEqual({ role: 'assistant', reasoning: thinking });
    expect(typeof thinking === 'string' && thinking.split(' ').length).toBe(10);
    expect('continue_final_message' in rescue).toBe(false);
    expect('add_generation_prompt' in rescue).toBe(false);
    await new Promise((r) => setTimeout(r, 30));
    expect(stack.thinkcap!.history.at(-1)!.followUp).toEqual({ kind: 'rescue', failed: false });
    await checkEnvoyClean(stack);
  });
});

// An engine that does not end the thinking at the budget (no budget field it reads: here vLLM
// without a reasoning parser's budget, `ignoreBudget`) thinks on into thinkcap's length cap
// (budget + answer allowance) and the stream ends there with no answer. With a url and full
// duplex the rescue answers, as for a model that ends its turn inside thinking; at the client's
// own limit it does not (the client asked for that length).
describe.each([
  { dialect: 'vllm' as const, emulator: { ignoreBudget: true }, backend: {} },
  { dialect: 'sglang' as const, emulator: {}, backend: {} },
  { dialect: 'generic' as const, emulator: {}, backend: {} },
  // llama.cpp: on the real llama-server (llamacpp-real.test.ts; the emulator renders no
  // /apply-template); Ollama's native API below, and its /v1 (ollama-openai) in the next block.
])("$dialect, native with a url: thinking that runs into thinkcap's length cap is rescued", ({ dialect, emulator, backend }) => {
  let stack: Stack;
  const last = (body: Record<string, unknown>) => (Array.isArray(body.messages) ? (body.messages.at(-1) as Record<string, unknown>) : {});
  // thinkcap's continuation: a chat whose last message is the assistant's, or a raw prompt (llama.cpp, Ollama).
  const continued = (body: Record<string, unknown>) => last(body).role === 'assistant' || typeof body.prompt === 'string';
  const answerIn = (content: string) => content.split('</think>').at(-1)!.trim();
  beforeAll(async () => {
    stack = await startStack({
      emulator: { dialect, ...emulator, plan: (body) => (continued(body) ? { thinkingTokens: 0, answerTokens: 6 } : { thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) },
      thinkcap: (emu) => ({ defaultDialect: dialect, requests: { answerTokens: 40 }, backends: [{ name: 'b', dialect, url: emu.url, ...backend }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('stream %s: the first leg ends at budget + allowance inside thinking; the rescue answers', async (stream) => {
    const before = stack.emulator.requests.length;
    const content = await answerOf(stack, 'm', stream);
    expect(answerIn(content)).toBe(expectedAnswer(6));
    const calls = chatCalls(stack, before);
    const sent = calls.map((r) => r.body as Record<string, unknown>);
    expect(sent).toHaveLength(2);
    // The engine can tie thinkcap's own call to the request: the gateway's id, with the kind after it.
    const gatewayId = String(calls[0]!.headers['x-request-id']);
    expect(gatewayId).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls[1]!.headers['x-request-id']).toBe(`${gatewayId}-rescue_at_length`);
    // The first leg's cap: the trivial budget (32) and the allowance (40); the engine thought all of it.
    expect(stack.emulator.generatedThinking.at(-2)).toBe(72);
    expect(continued(sent[1]!)).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(stack.thinkcap!.history.at(-1)!.followUp).toEqual({ kind: 'rescue_at_length', failed: false });
    await checkEnvoyClean(stack);
  });

  it('the metrics count the rescues by kind, and the history shows each: an engine that does not end the thinking shows', async () => {
    const admin = `http://127.0.0.1:${stack.thinkcap!.adminPort}`;
    const text = await (await fetch(`${admin}/metrics`)).text();
    expect(text).toMatch(/^thinkcap_follow_ups_total\{kind="rescue_at_length",backend="b",outcome="answered"\} 2$/m);
    const history = ((await (await fetch(`${admin}/api/history`)).json()) as { requests: Array<{ followUp: unknown }> }).requests;
    expect(history.filter((r) => JSON.stringify(r.followUp) === '{"kind":"rescue_at_length","failed":false}')).toHaveLength(2);
  });

  it("at the client's own limit: no rescue, the length is the client's", async () => {
    const before = stack.emulator.requests.length;
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    const data = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }], max_tokens: 60 });
    expect(data.choices[0]!.finish_reason).toBe('length');
    expect(answerIn(data.choices[0]!.message.content ?? '')).toBe('');
    expect(chatCalls(stack, before)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(stack.thinkcap!.history.at(-1)!.followUp).toBeNull();
  });
});

// A turn with nothing in it (no thinking, no answer): what a reasoning parser shows of a model
// that ended its turn as the thinking its template opened began, or of a client stop string the
// engine matched at the thinking's start (llamacpp-real.test.ts has it on the real engine). With a
// url and full duplex the rescue answers; after the client's own assistant prefill it does not
// (the empty turn completes the prefill).
describe.each(['vllm', 'sglang', 'ollama-openai'] as const)('%s, native with a url: a turn that ended with nothing at all is rescued', (dialect) => {
  let stack: Stack;
  const last = (body: Record<string, unknown>) => (Array.isArray(body.messages) ? (body.messages.at(-1) as Record<string, unknown>) : {});
  // thinkcap's continuation: a chat whose last message is the assistant's, or a raw prompt (Ollama's /api/generate).
  const continued = (body: Record<string, unknown>) => typeof body.prompt === 'string' || (last(body).role === 'assistant' && !String(last(body).content ?? '').startsWith('Sure'));
  beforeAll(async () => {
    stack = await startStack({
      emulator: { dialect, plan: (body) => (continued(body) ? { thinkingTokens: 0, answerTokens: 6 } : { thinkingTokens: 0, answerTokens: 0 }) },
      thinkcap: (emu) => ({ defaultDialect: dialect, backends: [{ name: 'b', dialect, url: emu.url }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('stream %s: the first leg is empty; the rescue answers', async (stream) => {
    const before = stack.emulator.requests.length;
    const content = await answerOf(stack, 'm', stream);
    expect(content.trim()).toBe(expectedAnswer(6));
    const sent = chatCalls(stack, before).map((r) => r.body as Record<string, unknown>);
    // The first leg and the continuation (Ollama's /v1: the render of the request between them).
    expect(sent).toHaveLength(dialect === 'ollama-openai' ? 3 : 2);
    expect(sent.filter(continued)).toEqual([sent.at(-1)]);
    await new Promise((r) => setTimeout(r, 30));
    expect(stack.thinkcap!.history.at(-1)!.followUp).toEqual({ kind: 'rescue', failed: false });
    await checkEnvoyClean(stack);
  });

  it("after the client's own assistant prefill an empty turn stands: no second call", async () => {
    const before = stack.emulator.requests.length;
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    const data = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }, { role: 'assistant', content: 'Sure, here it is.' }] });
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.choices[0]!.message.content ?? '').toBe('');
    expect(chatCalls(stack, before)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(stack.thinkcap!.history.at(-1)!.followUp).toBeNull();
  });
});

/**
 * Ollama's /v1 (ollama-openai) has no raw continuation, but the server behind it has Ollama's own:
 * thinkcap renders the request through /v1 itself (`_debug_render_only`, so its messages, tools
 * and reasoning effort are converted as the first leg's were), has /api/generate continue the
 * rendered prompt with the thinking closed, and passes its answer on as /v1 chat chunks. As a
 * rescue (native: a model that thinks into thinkcap's length cap) and as budget forcing.
 */
describe.each(['native', 'continuation'] as const)("ollama-openai (Ollama's /v1), enforcement %s: a follow-up through the server's native API", (enforcement) => {
  let stack: Stack;
  const isGenerate = (r: { path: string }) => r.path === '/api/generate';
  beforeAll(async () => {
    stack = await startStack({
      emulator: { dialect: 'ollama-openai', plan: (body) => (typeof body.prompt === 'string' ? { thinkingTokens: 0, answerTokens: 6 } : { thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) },
      thinkcap: (emu) => ({ defaultDialect: 'ollama-openai', requests: { answerTokens: 40 }, backends: [{ name: 'b', dialect: 'ollama-openai', enforcement, url: emu.url }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('stream %s: the answer arrives in /v1 chunks; the calls are the ones Ollama reads', async (stream) => {
    const before = stack.emulator.requests.length;
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    // A client's own reasoning object (Ollama reads it before reasoning_effort), sampling fields and a JSON format.
    const request = { model: 'qwen3', messages: [{ role: 'user', content: EASY }], temperature: 0.2, seed: 7, stop: 'END', response_format: { type: 'json_object' }, reasoning: { effort: 'high' } } as const;
    let content: string;
    let finish: string | null = null;
    let usage: OpenAI.Completions.CompletionUsage | undefined;
    if (stream) {
      const s = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } } as never);
      content = '';
      for await (const chunk of s as unknown as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
        content += chunk.choices[0]?.delta?.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
    } else {
      const data = await client.chat.completions.create(request as never) as OpenAI.Chat.Completions.ChatCompletion;
      content = data.choices[0]!.message.content ?? '';
      finish = data.choices[0]!.finish_reason;
      usage = data.usage;
    }
    expect(content.split('</think>').at(-1)!.trim()).toBe(expectedAnswer(6));
    expect(finish).toBe('stop');
    const sent = stack.emulator.requests.slice(before);
    const first = sent[0]!.body as Record<string, unknown>;
    expect(sent[0]!.path).toBe('/v1/chat/completions');
    // Budget forcing stops the first leg at the budget (32); a rescue at budget + allowance (72).
    expect(first.max_tokens).toBe(enforcement === 'continuation' ? 32 : 72);
    expect(first.reasoning).toBeUndefined();
    const renders = sent.filter((r) => (r.body as { _debug_render_only?: boolean })._debug_render_only === true);
    expect(renders.length).toBeGreaterThanOrEqual(1);
    for (const r of renders) {
      expect(r.path).toBe('/v1/chat/completions');
      const b = r.body as Record<string, unknown>;
      // Rendered with the effort the first leg ran with, not the client's reasoning object.
      expect({ effort: b.reasoning_effort, reasoning: b.reasoning, stream: b.stream }).toEqual({ effort: first.reasoning_effort, reasoning: undefined, stream: false });
    }
    const gen = sent.find(isGenerate)!.body as { model: string; raw: boolean; think: boolean; prompt: string; format: unknown; options: Record<string, unknown> };
    expect({ model: gen.model, raw: gen.raw, think: gen.think, format: gen.format }).toEqual({ model: 'qwen3', raw: true, think: false, format: 'json' });
    // The sampling Ollama's /v1 gave the first leg (openai/openai.go): top_p 1.0 where unset, stop as a list.
    expect(gen.options).toMatchObject({ temperature: 0.2, top_p: 1, seed: 7, stop: ['END'] });
    expect(gen.prompt).toMatch(/<\|im_start\|>user\nHello<\|im_end\|>\n<\|im_start\|>assistant\n<think>\n[\s\S]*\n<\/think>\n\n$/);
    await new Promise((r) => setTimeout(r, 30));
    const rec = stack.thinkcap!.history.at(-1)!;
    expect(rec.followUp).toEqual({ kind: enforcement === 'continuation' ? 'continuation' : 'rescue_at_length', failed: false });
    // Usage: the client's prompt (the first leg's count), both legs' completion.
    expect({ prompt: usage!.prompt_tokens, completion: usage!.completion_tokens }).toEqual({ prompt: rec.promptTokens, completion: rec.completionTokens });
    expect(usage!.completion_tokens).toBe((enforcement === 'continuation' ? 32 : 72) + 6);
    await checkEnvoyClean(stack);
  });

  it.each([true, false])('stream %s: logprobs asked for come with the follow-up\'s answer too', async (stream) => {
    const before = stack.emulator.requests.length;
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    const request = { model: 'qwen3', messages: [{ role: 'user', content: EASY }], logprobs: true, top_logprobs: 2 };
    const entries: Array<{ token: string; top_logprobs: unknown[] }> = [];
    let content = '';
    if (stream) {
      const s = await client.chat.completions.create({ ...request, stream: true } as never);
      for await (const chunk of s as unknown as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
        content += chunk.choices[0]?.delta?.content ?? '';
        entries.push(...((chunk.choices[0]?.logprobs?.content ?? []) as never[]));
      }
    } else {
      const data = (await client.chat.completions.create(request as never)) as OpenAI.Chat.Completions.ChatCompletion;
      content = data.choices[0]!.message.content ?? '';
      entries.push(...((data.choices[0]!.logprobs?.content ?? []) as never[]));
    }
    const gen = stack.emulator.requests.slice(before).find(isGenerate)!.body as { logprobs: boolean; top_logprobs: number };
    expect({ logprobs: gen.logprobs, top: gen.top_logprobs }).toEqual({ logprobs: true, top: 2 });
    // The emulated /v1 writes none for the first leg; the follow-up's six answer tokens each have theirs.
    expect(entries).toHaveLength(6);
    expect(entries.map((e) => e.token).join('')).toBe(content.split('</think>').at(-1));
    expect(entries.every((e) => e.top_logprobs.length === 2)).toBe(true);
  });
});

/**
 * An Ollama older than render-only requests (0.11.5 for /api/chat, 0.12.0 for /v1) answers the
 * follow-up's render as a chat: thinkcap asks it with a one-token limit, so such a server runs the
 * model for one token, not a whole answer, and the follow-up ends as failed (thinkcap check warns
 * of such a server).
 */
describe.each(['ollama', 'ollama-openai'] as const)('%s, a server that predates render-only requests', (dialect) => {
  let stack: Stack;
  const renderPath = dialect === 'ollama' ? '/api/chat' : '/v1/chat/completions';
  beforeAll(async () => {
    stack = await startStack({
      emulator: { dialect, ollamaNoRender: true, plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) },
      thinkcap: (emu) => ({ defaultDialect: dialect, requests: { answerTokens: 40 }, backends: [{ name: 'b', dialect, url: emu.url }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the render runs one token at most; the follow-up fails and the response ends cleanly', async () => {
    const before = stack.emulator.requests.length;
    const thought = stack.emulator.generatedThinking.length;
    const r = await fetch(`${stack.envoy.url}${renderPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3', messages: [{ role: 'user', content: EASY }], stream: false }) });
    expect(r.status).toBe(200);
    const renders = stack.emulator.requests.slice(before).filter((q) => (q.body as { _debug_render_only?: boolean })._debug_render_only === true);
    expect(renders.length).toBeGreaterThanOrEqual(1);
    for (const q of renders) expect(dialect === 'ollama' ? (q.body as { options: { num_predict: number } }).options.num_predict : (q.body as { max_tokens: number }).max_tokens).toBe(1);
    // The first leg thought to its cap (72); each render the old server ran as a chat, one token.
    const legs = stack.emulator.generatedThinking.slice(thought);
    expect(legs[0]).toBe(72);
    expect(legs.slice(1).every((n) => n <= 1)).toBe(true);
    await new Promise((res) => setTimeout(res, 30));
    const rec = stack.thinkcap!.history.at(-1)!;
    expect(rec.followUp).toEqual({ kind: 'rescue_at_length', failed: true });
    expect(rec.reason).toMatch(/returned no prompt/);
    await checkEnvoyClean(stack);
  });
});

// GLM's template writes a think block back without its line breaks (HF's check refuses it: 400)
// and renders a message's reasoning; the Cohere-style `markers` one renders content as it is (a
// think block passes, and reads as text) and the reasoning between its own markers. vLLM's
// /tokenize tells thinkcap the template renders reasoning: that form goes first. A server that
// cannot say (no /tokenize) gets the think block first and the reasoning after a 400.
describe.each([
  { template: 'glm' as const, tokenize: true, calls: 2 },
  { template: 'markers' as const, tokenize: true, calls: 2 },
  { template: 'glm' as const, tokenize: false, calls: 3 },
])("vLLM, a template that renders a continued message's reasoning ($template, /tokenize $tokenize)", ({ template, tokenize, calls }) => {
  let stack: Stack;
  const last = (body: Record<string, unknown>) => (Array.isArray(body.messages) ? (body.messages.at(-1) as Record<string, unknown>) : {});
  beforeAll(async () => {
    stack = await continuationStack({ dialect: 'vllm', chatTemplate: template, noTokenize: !tokenize, plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('stream %s: the thinking goes as the message\'s reasoning, and the whole answer arrives', async (stream) => {
    const before = stack.emulator.requests.length;
    const content = await answerOf(stack, 'some/reasoning-model', stream);
    expect(content).toBe(expectedAnswer(ANSWER));
    const sent = chatCalls(stack, before).map((r) => r.body as Record<string, unknown>);
    expect(sent).toHaveLength(calls);
    // Without /tokenize: the think block first, refused (400).
    if (calls === 3) expect(String(last(sent[1]!).content)).toMatch(/^<think>\n[^<]+\n<\/think>\n\n$/);
    const thinking = last(sent.at(-1)!).reasoning;
    expect(last(sent.at(-1)!)).toEqual({ role: 'assistant', reasoning: thinking, content: '' });
    expect(typeof thinking === 'string' && thinking.trim().split(/\s+/).length).toBe(32);
    expect(stack.emulator.generatedThinking.slice(-2)).toEqual([32, 0]);
    await checkEnvoyClean(stack);
  });
});

describe('SGLang serving gpt-oss, cut-off + continuation (FULL_DUPLEX_STREAMED)', () => {
  let stack: Stack;
  const last = (body: Record<string, unknown>) => (Array.isArray(body.messages) ? (body.messages.at(-1) as Record<string, unknown>) : {});
  beforeAll(async () => {
    stack = await continuationStack({ dialect: 'sglang', harmony: true, plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('stream %s: the continuation ends the analysis and opens the final channel, and the answer arrives', async (stream) => {
    const before = stack.emulator.requests.length;
    const content = await answerOf(stack, 'openai/gpt-oss-20b', stream);
    expect(content).toBe(expectedAnswer(ANSWER));
    const sent = stack.emulator.requests.slice(before).map((r) => r.body as Record<string, unknown>);
    expect(sent).toHaveLength(2);
    expect(last(sent[1]!).content).toMatch(/^<\|channel\|>analysis<\|message\|>[^<]+<\|end\|><\|start\|>assistant<\|channel\|>final<\|message\|>$/);
    expect(sent[1]!.continue_final_message).toBe(true);
    // It thought up to the budget, then answered with no more thinking.
    expect(stack.emulator.generatedThinking.slice(-2)).toEqual([32, 0]);
    await checkEnvoyClean(stack);
  });

  it('a request with tools is not cut off (its continuation could call no tool): one call, capped natively', async () => {
    const before = stack.emulator.requests.length;
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
    await client.chat.completions.create({ model: 'openai/gpt-oss-20b', messages: [{ role: 'user', content: EASY }], tools });
    const sent = stack.emulator.requests.slice(before).map((r) => r.body as Record<string, unknown>);
    expect(sent).toHaveLength(1);
    // Budget + the answer allowance, not the budget alone as a cut-off would write.
    expect(sent[0]!.max_tokens).toBeGreaterThan(32);
    await checkEnvoyClean(stack);
  });
});

// A template whose generation prompt opens `<think>` (Qwen3.5, MiniMax-M2, DeepSeek-R1:
// generation-prompts.json): SGLang appends the prefill after it, so the prefill goes on inside
// that block; and its reasoning parser still takes the thinking out of content.
describe('SGLang, template opens <think> (thinkPrefilled always), cut-off + continuation (FULL_DUPLEX_STREAMED)', () => {
  let stack: Stack;
  const last = (body: Record<string, unknown>) => (Array.isArray(body.messages) ? (body.messages.at(-1) as Record<string, unknown>) : {});
  beforeAll(async () => {
    stack = await continuationStack({ dialect: 'sglang', plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) }, { thinkPrefilled: 'always' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('stream %s: the prefill opens no second block, and the whole answer arrives', async (stream) => {
    const before = stack.emulator.requests.length;
    const content = await answerOf(stack, 'deepseek-ai/DeepSeek-R1-0528', stream);
    expect(content).toBe(expectedAnswer(ANSWER));
    const sent = stack.emulator.requests.slice(before).map((r) => r.body as Record<string, unknown>);
    expect(sent).toHaveLength(2);
    const prefill = last(sent[1]!).content as string;
    expect(prefill).not.toContain('<think>');
    expect(prefill).toMatch(/^[^<]+\n<\/think>\n\n$/);
    expect(stack.emulator.generatedThinking.slice(-2)).toEqual([32, 0]);
    await checkEnvoyClean(stack);
  });
});

// A template whose thinking is no <think> block (Cohere's style) on SGLang: thinkcap cannot see
// the rendering, so the operator names the markers (backends[].thinkingFormat); the continuation
// ends thinking with them. A <think> block there opens no end of thinking the model knows.
describe.each([{ configured: true }, { configured: false }])('SGLang, a template with its own thinking markers (thinkingFormat configured: $configured)', ({ configured }) => {
  let stack: Stack;
  const last = (body: Record<string, unknown>) => (Array.isArray(body.messages) ? (body.messages.at(-1) as Record<string, unknown>) : {});
  const thinkingFormat = { open: '', close: '<|END_THINKING|><|START_TEXT|>' };
  beforeAll(async () => {
    stack = await continuationStack({ dialect: 'sglang', chatTemplate: 'markers', plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) }, configured ? { thinkingFormat } : {});
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([true, false])('stream %s: the prefill ends thinking with the configured markers; without them the model thinks again', async (stream) => {
    const before = stack.emulator.requests.length;
    const content = await answerOf(stack, 'CohereLabs/command-a-reasoning', stream);
    const sent = chatCalls(stack, before).map((r) => r.body as Record<string, unknown>);
    expect(sent).toHaveLength(2);
    const prefill = String(last(sent[1]!).content);
    if (configured) {
      expect(prefill).toMatch(/^[^<]+<\|END_THINKING\|><\|START_TEXT\|>$/);
      expect(content).toBe(expectedAnswer(ANSWER));
      expect(stack.emulator.generatedThinking.slice(-2)).toEqual([32, 0]);
    } else {
      expect(prefill).toMatch(/^<think>\n/);
      expect(stack.emulator.generatedThinking.at(-1)).toBeGreaterThan(0);
    }
    await checkEnvoyClean(stack);
  });
});

describe('ollama native /api/chat (NDJSON)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackFor('ollama')();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('streaming: think on, thinking past the budget dropped, answer whole, figures on the final line', async () => {
    const r = await fetch(`${stack.envoy.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen3', messages: [{ role: 'user', content: EASY }] }),
    });
    expect(r.headers.get('x-thinkcap-budget')).toBe('32');
    const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as { message: { thinking?: string; content: string }; done: boolean; thinkcap?: { thinking_tokens: number } });
    const thinking = lines.filter((l) => l.message.thinking).length;
    expect(thinking).toBe(32);
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(ANSWER));
    const last = lines.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.thinkcap!.thinking_tokens).toBe(NATURAL_THINKING);
    const sent = stack.emulator.requests.at(-1)!.body as { think: unknown; options: { num_predict: number } };
    expect(sent.think).toBe(true);
    expect(sent.options.num_predict).toBe(32 + 4096);
  });

  it('non-streaming: thinking truncated, header with the count', async () => {
    const r = await fetch(`${stack.envoy.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen3', stream: false, messages: [{ role: 'user', content: EASY }], options: { num_predict: 100 } }),
    });
    const j = (await r.json()) as { message: { thinking: string; content: string }; eval_count: number };
    expect(Number(r.headers.get('x-thinkcap-thinking-tokens'))).toBeGreaterThan(32);
    expect(j.message.thinking.split(' ').length).toBeLessThanOrEqual(32);
    expect((stack.emulator.requests.at(-1)!.body as { options: { num_predict: number } }).options.num_predict).toBe(100);
  });
});

type OllamaLine = { message: { thinking?: string; content: string }; done: boolean; done_reason?: string; eval_count?: number; prompt_eval_count?: number; thinkcap?: Record<string, string | number> };

async function ollamaChat(stack: Stack, extra: Record<string, unknown> = {}): Promise<{ lines: OllamaLine[]; headers: Headers }> {
  const r = await fetch(`${stack.envoy.url}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'qwen3', messages: [{ role: 'user', content: EASY }], ...extra }),
  });
  expect(r.status).toBe(200);
  const text = await r.text();
  return { lines: text.trim().split('\n').map((l) => JSON.parse(l) as OllamaLine), headers: r.headers };
}

// Ollama has no numeric thinking budget: a model thinks on to thinkcap's length cap (num_predict:
// budget + answer allowance), where the rescue answers (the render, then a raw generate).
describe('ollama native with a url: thinking that runs into thinkcap\'s length cap is rescued', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { dialect: 'ollama', plan: (body) => (typeof body.prompt === 'string' ? { thinkingTokens: 0, answerTokens: 6 } : { thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) },
      thinkcap: (emu) => ({ defaultDialect: 'ollama', requests: { answerTokens: 40 }, backends: [{ name: 'b', dialect: 'ollama', url: emu.url }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the first leg thinks to num_predict 72 with no answer; the client gets 32 tokens of thinking and the answer', async () => {
    const before = stack.emulator.requests.length;
    const { lines } = await ollamaChat(stack);
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(6));
    expect(lines.filter((l) => l.message.thinking).length).toBe(32);
    const sent = chatCalls(stack, before).map((r) => r.body as { options?: { num_predict?: number }; raw?: boolean });
    expect(sent[0]!.options!.num_predict).toBe(72);
    expect(stack.emulator.generatedThinking[stack.emulator.generatedThinking.length - 2]).toBe(72);
    expect(sent.at(-1)!.raw).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(stack.thinkcap!.history.at(-1)!.followUp).toEqual({ kind: 'rescue_at_length', failed: false });
    await checkEnvoyClean(stack);
  });
});

// Ollama's renderer for Cohere's reasoning models writes thinking between its own markers
// (model/renderers/cohere.go; Gemma 4's has others). The continuation renders a probe beside the
// conversation and ends thinking with the markers the renderer wrote; before, with `</think>`,
// which that model does not know (the emulator's model then thinks again).
describe('ollama native, a renderer with its own thinking markers: cut-off + continuation', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await continuationStack({ dialect: 'ollama', chatTemplate: 'markers', plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the generate prompt ends thinking with <|END_THINKING|><|START_TEXT|>, and the whole answer arrives', async () => {
    const before = stack.emulator.requests.length;
    const { lines } = await ollamaChat(stack, { model: 'command-a-reasoning' });
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(ANSWER));
    const probes = stack.emulator.requests.slice(before).filter(isProbe);
    expect(probes).toHaveLength(1);
    const gen = chatCalls(stack).at(-1)!.body as { prompt: string };
    expect(gen.prompt).toMatch(/<\|CHATBOT_TOKEN\|><\|START_THINKING\|>[^<]+<\|END_THINKING\|><\|START_TEXT\|>$/);
    expect(gen.prompt).not.toContain('think>');
    expect(stack.emulator.generatedThinking.slice(-2)).toEqual([32, 0]);
    await checkEnvoyClean(stack);
  });
});

// requests.graceRatio lets thinking run on past the budget to the end of a line. Ollama's
// num_predict was the budget alone under cut-off, so the engine stopped where the window began.
describe('ollama native: cut-off + continuation with a grace window', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await continuationStack({ dialect: 'ollama', plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) }, {}, { graceRatio: 0.25 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the chat may think 32 + 8 tokens (no line break in them: all 40 kept), then the raw generate answers', async () => {
    const before = stack.emulator.requests.length;
    const { lines } = await ollamaChat(stack);
    const chat = chatCalls(stack, before).find((r) => r.path === '/api/chat' && (r.body as { _debug_render_only?: boolean })._debug_render_only !== true)!;
    expect((chat.body as { options: { num_predict: number } }).options.num_predict).toBe(40);
    expect(stack.emulator.generatedThinking.slice(-2)).toEqual([40, 0]);
    expect(lines.filter((l) => l.message.thinking).length).toBe(40);
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(ANSWER));
    expect(lines.filter((l) => l.done)).toHaveLength(1);
    await checkEnvoyClean(stack);
    await new Promise((r) => setTimeout(r, 30));
    expect(stack.thinkcap!.history.at(-1)!.thinkingTokens).toBe(40);
  });
});

describe('ollama native: cut-off + continuation (FULL_DUPLEX_STREAMED)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await continuationStack({ dialect: 'ollama', plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }), eventsPerWrite: 2, splitWritesAt: 37 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('streaming: Ollama stops thinking at the budget, renders its own prompt, and raw /api/generate answers in the same NDJSON stream', async () => {
    const calls = stack.emulator.chatCalls();
    const { lines } = await ollamaChat(stack);
    // The capped chat call and the generate call (the render call does not run the model).
    expect(stack.emulator.chatCalls()).toBe(calls + 2);
    const [first, second] = stack.emulator.generatedThinking.slice(-2) as [number, number];
    expect(first).toBe(32);
    expect(second).toBe(0);
    const chat = chatCalls(stack).find((r) => r.path === '/api/chat' && (r.body as { _debug_render_only?: boolean })._debug_render_only !== true && r.at >= chatCalls(stack).at(-3)!.at)!;
    expect((chat.body as { options: { num_predict: number } }).options.num_predict).toBe(32);
    const render = chatCalls(stack).at(-2)!;
    expect(render.path).toBe('/api/chat');
    expect((render.body as { _debug_render_only: boolean; think: unknown })._debug_render_only).toBe(true);
    const gen = chatCalls(stack).at(-1)!.body as { raw: boolean; think: boolean; prompt: string; options: { num_predict: number } };
    expect(gen.raw).toBe(true);
    expect(gen.think).toBe(false);
    expect(gen.prompt).toMatch(/<\|im_start\|>assistant\n<think>\n[\s\S]*\n<\/think>\n\n$/);
    // The client sees the thinking up to the budget, the whole answer, and one final line.
    expect(lines.filter((l) => l.message.thinking).length).toBe(32);
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(ANSWER));
    expect(lines.filter((l) => l.done)).toHaveLength(1);
    const last = lines.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.done_reason).toBe('stop');
    // Ollama's own count on the final line covers both legs.
    expect(last.eval_count).toBe(32 + ANSWER);
    expect(last.thinkcap!.thinking_tokens).toBe(32);
    expect(Number(last.thinkcap!.cost_usd)).toBeGreaterThan(0);
    expect(last.thinkcap!.cost_basis).toBe('tokens');
    await checkEnvoyClean(stack);
    await new Promise((r) => setTimeout(r, 30));
    const rec = stack.thinkcap!.history.at(-1)!;
    expect(rec.thinkingTokens).toBe(32);
    expect(rec.completionTokens).toBe(32 + ANSWER);
    // The prompt the client sent (the first leg's count), not the raw continuation's, which holds the thinking.
    expect(rec.promptTokens).toBeGreaterThan(0);
    expect(last.prompt_eval_count).toBe(rec.promptTokens);
  });

  it('non-streaming: one JSON answer with the continuation merged in and the figures in headers', async () => {
    const r = await fetch(`${stack.envoy.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen3', stream: false, messages: [{ role: 'user', content: EASY }] }),
    });
    const j = (await r.json()) as { message: { thinking: string; content: string }; done_reason: string; eval_count: number };
    expect(j.message.thinking.split(' ').length).toBe(32);
    expect(j.message.content).toBe(expectedAnswer(ANSWER));
    expect(j.done_reason).toBe('stop');
    expect(j.eval_count).toBe(32 + ANSWER);
    expect(r.headers.get('x-thinkcap-enforced')).toBe('continuation');
    expect(r.headers.get('x-thinkcap-thinking-tokens')).toBe('32');
    expect(Number(r.headers.get('x-thinkcap-cost-usd'))).toBeGreaterThan(0);
    await checkEnvoyClean(stack);
  });

  it("a client's num_ctx, shift and keep_alive reach the render and the generate call: Ollama keeps the model it loaded for the chat", async () => {
    const extra = { options: { num_ctx: 8192, num_gpu: 99 }, shift: false, truncate: false, keep_alive: '1h' };
    await ollamaChat(stack, extra);
    const loads = stack.emulator.ollamaLoads();
    const { lines } = await ollamaChat(stack, extra);
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(ANSWER));
    // The chat, its render and its generate call all schedule the model: none of them reloads it.
    expect(stack.emulator.ollamaLoads()).toBe(loads);
    const [render, gen] = chatCalls(stack).slice(-2).map((r) => r.body as Record<string, unknown>);
    expect(render).toMatchObject({ _debug_render_only: true, options: { num_ctx: 8192, num_gpu: 99 }, shift: false, truncate: false, keep_alive: '1h' });
    expect(gen).toMatchObject({ raw: true, options: { num_ctx: 8192, num_gpu: 99 }, shift: false, truncate: false, keep_alive: '1h' });
    await checkEnvoyClean(stack);
  });

  it('keep_alive 0: the chat, the render and the generate call hold the model, and thinkcap unloads it after the answer (one load a capped answer, not three)', async () => {
    const extra = { options: { num_ctx: 8192 }, keep_alive: 0 };
    await ollamaChat(stack, extra);
    const loads = stack.emulator.ollamaLoads();
    await ollamaChat(stack, extra);
    // The chat loads the model its predecessor unloaded; render and generate use it.
    expect(stack.emulator.ollamaLoads()).toBe(loads + 1);
    const isUnload = (body: unknown) => JSON.stringify(body) === JSON.stringify({ model: 'qwen3', keep_alive: 0 });
    expect(await eventually(() => isUnload(chatCalls(stack).at(-1)!.body))).toBe(true);
    const [chat, render, gen, unload] = chatCalls(stack).slice(-4).map((r) => r.body as Record<string, unknown>);
    expect([chat!.keep_alive, render!.keep_alive, gen!.keep_alive]).toEqual(['10s', '10s', '10s']);
    expect(unload).toEqual({ model: 'qwen3', keep_alive: 0 });
    expect(stack.emulator.ollamaLoaded()).toBe(false);
    await checkEnvoyClean(stack);
  });

  type Logprob = { token: string; logprob: number; top_logprobs?: Array<{ token: string }> };

  it('logprobs, streaming: the answer lines carry those of their tokens, as Ollama gives them', async () => {
    const { lines } = await ollamaChat(stack, { logprobs: true, top_logprobs: 2 });
    const gen = chatCalls(stack).at(-1)!.body as { logprobs: boolean; top_logprobs: number };
    expect([gen.logprobs, gen.top_logprobs]).toEqual([true, 2]);
    const all = lines.flatMap((l) => (l as { logprobs?: Logprob[] }).logprobs ?? []);
    expect(all).toHaveLength(32 + ANSWER);
    const answer = lines.filter((l) => l.message.content).flatMap((l) => (l as { logprobs?: Logprob[] }).logprobs ?? []);
    expect(answer.map((e) => e.token).join('')).toBe(expectedAnswer(ANSWER));
    expect(answer.every((e) => e.top_logprobs?.length === 2)).toBe(true);
    await checkEnvoyClean(stack);
  });

  it("logprobs, non-streaming: the merged answer's list has both legs' tokens", async () => {
    const r = await fetch(`${stack.envoy.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen3', stream: false, logprobs: true, messages: [{ role: 'user', content: EASY }] }),
    });
    const j = (await r.json()) as { message: { content: string }; logprobs: Logprob[]; eval_count: number };
    expect(j.message.content).toBe(expectedAnswer(ANSWER));
    expect(j.logprobs).toHaveLength(j.eval_count);
    expect(j.logprobs.slice(32).map((e) => e.token).join('')).toBe(expectedAnswer(ANSWER));
    await checkEnvoyClean(stack);
  });
});

/** The text of a request body's last message (the emulator's plans pick by it). */
function lastUser(body: Record<string, unknown>): string {
  const msgs = Array.isArray(body.messages) ? (body.messages as Array<{ content?: unknown }>) : [];
  return String(msgs.at(-1)?.content ?? '');
}

/** Polls `done` every 20 ms for at most `ms` (a call thinkcap makes after the response arrives a little later). */
async function eventually(done: () => boolean, ms = 3000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (done()) return true;
  return done();
}

describe("ollama native with a rescue: a client's keep_alive 0 loads the model once and unloads it after", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: {
        dialect: 'ollama',
        // Thinking ends well before the budget; "stops thinking" ends the turn inside it (no answer).
        plan: (body) => (body.raw === true ? { thinkingTokens: 0, answerTokens: 4 } : lastUser(body).includes('stops thinking') ? { thinkingTokens: 10, answerTokens: 0 } : { thinkingTokens: 5, answerTokens: 3 }),
      },
      thinkcap: (emu) => ({ defaultDialect: 'ollama', backends: [{ name: 'b', dialect: 'ollama', url: emu.url }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const chat = async (content: string, extra: Record<string, unknown>) => {
    const before = stack.emulator.requests.length;
    const r = await fetch(`${stack.envoy.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen3', messages: [{ role: 'user', content }], ...extra }),
    });
    expect(r.status).toBe(200);
    const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as OllamaLine);
    return { lines, sent: () => chatCalls(stack, before) };
  };

  it('an answer with no continuation: the chat holds the model 10 s, and thinkcap unloads it when the response is over', async () => {
    const { lines, sent } = await chat('Hello', { keep_alive: 0 });
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(3));
    expect(await eventually(() => sent().length >= 2)).toBe(true);
    const [first, release] = sent();
    expect(first!.path).toBe('/api/chat');
    expect((first!.body as Record<string, unknown>).keep_alive).toBe('10s');
    // Ollama's unload request: no prompt, keep_alive 0.
    expect(release!.path).toBe('/api/generate');
    expect(release!.body).toEqual({ model: 'qwen3', keep_alive: 0 });
    expect(stack.emulator.ollamaLoaded()).toBe(false);
    expect(sent()).toHaveLength(2);
    await checkEnvoyClean(stack);
  });

  it('a model that ends inside thinking: the chat, the render and the generate call load it once (twice before), and thinkcap unloads it after', async () => {
    await chat('Hello', { keep_alive: 0 });
    await eventually(() => !stack.emulator.ollamaLoaded());
    const loads = stack.emulator.ollamaLoads();
    const { lines, sent } = await chat('Hello, it stops thinking', { keep_alive: 0 });
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(4));
    expect(stack.emulator.ollamaLoads()).toBe(loads + 1);
    const [first, render, gen] = sent().map((r) => r.body as Record<string, unknown>);
    expect(first!.keep_alive).toBe('10s');
    expect(render!._debug_render_only).toBe(true);
    expect(render!.keep_alive).toBe('10s');
    expect(gen!.raw).toBe(true);
    expect(gen!.keep_alive).toBe('10s');
    // After the answer, Ollama's unload request, and nothing more.
    expect(await eventually(() => sent().length >= 4)).toBe(true);
    expect(sent()[3]).toMatchObject({ path: '/api/generate', body: { model: 'qwen3', keep_alive: 0 } });
    await new Promise((r) => setTimeout(r, 200));
    expect(sent()).toHaveLength(4);
    expect(stack.emulator.ollamaLoaded()).toBe(false);
    await checkEnvoyClean(stack);
  });

  it("a keep_alive that keeps the model is sent as it is, and nothing follows", async () => {
    const { lines, sent } = await chat('Hello', { keep_alive: '1h' });
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(3));
    await new Promise((r) => setTimeout(r, 200));
    expect(sent()).toHaveLength(1);
    expect((sent()[0]!.body as Record<string, unknown>).keep_alive).toBe('1h');
    expect(stack.emulator.ollamaLoaded()).toBe(true);
  });
});

describe("ollama: a server that unloads models at once (OLLAMA_KEEP_ALIVE=0, backends[].serverKeepAlive '0'), requests with no keep_alive", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: {
        dialect: 'ollama',
        ollamaKeepAlive: '0',
        // Past the budget unless the ask says "short"; "stops thinking" ends the turn inside it (no answer).
        plan: (body) => (body.raw === true ? { thinkingTokens: 0, answerTokens: 4 } : lastUser(body).includes('stops thinking') ? { thinkingTokens: 10, answerTokens: 0 } : lastUser(body).includes('short') ? { thinkingTokens: 5, answerTokens: 3 } : { thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }),
      },
      thinkcap: (emu) => ({
        defaultDialect: 'ollama',
        backends: [{ name: 'b', dialect: 'ollama', enforcement: 'continuation', url: emu.url, serverKeepAlive: '0' }],
      }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const chat = async (content: string) => {
    const before = stack.emulator.requests.length;
    const loads = stack.emulator.ollamaLoads();
    const r = await fetch(`${stack.envoy.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen3', messages: [{ role: 'user', content }] }),
    });
    expect(r.status).toBe(200);
    const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as OllamaLine);
    return { lines, sent: () => chatCalls(stack, before).map((q) => ({ path: q.path, body: q.body as Record<string, unknown> })), loads: () => stack.emulator.ollamaLoads() - loads };
  };

  it('cut off at the budget: the chat, the render and the generate call hold the model, so it is loaded once (three times without the setting), and unloaded after the answer', async () => {
    const { lines, sent, loads } = await chat(EASY);
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(4));
    expect(lines.filter((l) => l.message.thinking).length).toBe(32);
    const [first, render, gen] = sent();
    expect(first!.body.keep_alive).toBe('10s');
    expect(render!.body._debug_render_only).toBe(true);
    expect(render!.body.keep_alive).toBe('10s');
    expect(gen!.body.raw).toBe(true);
    expect(gen!.body.keep_alive).toBe('10s');
    expect(loads()).toBe(1);
    // The model goes after the answer: thinkcap's unload request.
    expect(await eventually(() => sent().length >= 4)).toBe(true);
    expect(sent()[3]).toEqual({ path: '/api/generate', body: { model: 'qwen3', keep_alive: 0 } });
    expect(stack.emulator.ollamaLoaded()).toBe(false);
    await checkEnvoyClean(stack);
  });

  it('a model that ends inside thinking (the rescue): one load, then unloaded', async () => {
    const { lines, sent, loads } = await chat('Hello, it stops thinking');
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(4));
    expect(await eventually(() => sent().length >= 4)).toBe(true);
    expect(sent().map((q) => q.body.keep_alive)).toEqual(['10s', '10s', '10s', 0]);
    expect(loads()).toBe(1);
    expect(stack.emulator.ollamaLoaded()).toBe(false);
  });

  it('an answer that needs no continuation: thinkcap unloads the model the chat held when the response is over', async () => {
    const { lines, sent } = await chat('A short one, please');
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(3));
    expect(await eventually(() => sent().length >= 2)).toBe(true);
    const [first, release] = sent();
    expect(first!.body.keep_alive).toBe('10s');
    expect(release).toEqual({ path: '/api/generate', body: { model: 'qwen3', keep_alive: 0 } });
    expect(stack.emulator.ollamaLoaded()).toBe(false);
  });
});

describe('ollama: two requests hold one model at once (keep_alive 0), the first ends while the second is still running', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: {
        dialect: 'ollama',
        tokenDelayMs: 5,
        // "quick" answers at once; "stops thinking" thinks 20 tokens and ends its turn inside them (a rescue follows).
        plan: (body) => (body.raw === true ? { thinkingTokens: 0, answerTokens: 4 } : lastUser(body).includes('stops thinking') ? { thinkingTokens: 20, answerTokens: 0 } : { thinkingTokens: 1, answerTokens: 1 }),
      },
      thinkcap: (emu) => ({ defaultDialect: 'ollama', backends: [{ name: 'b', dialect: 'ollama', url: emu.url }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const chat = async (content: string) => {
    const r = await fetch(`${stack.envoy.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen3', messages: [{ role: 'user', content }], keep_alive: 0 }),
    });
    expect(r.status).toBe(200);
    return (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as OllamaLine);
  };

  it('only the last of them unloads the model: the second one\'s render and generate find it loaded (one load, one unload)', async () => {
    const before = stack.emulator.requests.length;
    const loads = stack.emulator.ollamaLoads();
    const slow = chat('Hello, it stops thinking');
    // The quick one starts once the slow one is running, and ends long before it.
    await new Promise((r) => setTimeout(r, 30));
    const quick = await chat('Hello, quick');
    expect(quick.map((l) => l.message.content).join('')).toBe(expectedAnswer(1));
    const slowLines = await slow;
    expect(slowLines.map((l) => l.message.content).join('')).toBe(expectedAnswer(4));
    const isUnload = (r: { path: string; body: unknown }) => r.path === '/api/generate' && JSON.stringify(r.body) === JSON.stringify({ model: 'qwen3', keep_alive: 0 });
    const sent = () => chatCalls(stack, before);
    expect(await eventually(() => sent().some(isUnload))).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    // Two chats, the slow one's render and generate, then one unload, last.
    expect(sent()).toHaveLength(5);
    expect(sent().filter(isUnload)).toHaveLength(1);
    expect(isUnload(sent().at(-1)!)).toBe(true);
    expect(stack.emulator.ollamaLoads() - loads).toBe(1);
    expect(stack.emulator.ollamaLoaded()).toBe(false);
    await checkEnvoyClean(stack);
  });

  it('a client that leaves mid-stream ends its hold: the unload still goes out, and the next request is its own last holder', async () => {
    const isUnload = (r: { path: string; body: unknown }) => r.path === '/api/generate' && JSON.stringify(r.body) === JSON.stringify({ model: 'qwen3', keep_alive: 0 });
    const before = stack.emulator.requests.length;
    const sent = () => chatCalls(stack, before);
    const gone = new AbortController();
    const r = await fetch(`${stack.envoy.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen3', messages: [{ role: 'user', content: 'Hello, it stops thinking' }], keep_alive: 0 }),
      signal: gone.signal,
    });
    // The first line arrives, then the client is gone (the thinking runs on for ~100 ms).
    await r.body!.getReader().read();
    gone.abort();
    expect(await eventually(() => sent().some(isUnload))).toBe(true);
    expect(sent().filter(isUnload)).toHaveLength(1);
    // Had the hold stayed counted, this request would not be the last holder: no unload after it.
    const next = before + sent().length;
    const lines = await chat('Hello, quick');
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(1));
    expect(await eventually(() => chatCalls(stack, next).some(isUnload))).toBe(true);
    expect(await eventually(() => !stack.emulator.ollamaLoaded())).toBe(true);
  });
});

describe('ollama: the unload after a response fails (the backend url unreachable)', () => {
  let stack: Stack;
  beforeAll(async () => {
    const dead = await freePort();
    stack = await startStack({
      emulator: { dialect: 'ollama', plan: () => ({ thinkingTokens: 5, answerTokens: 3 }) },
      thinkcap: () => ({ defaultDialect: 'ollama', backends: [{ name: 'b', dialect: 'ollama', url: `http://127.0.0.1:${dead}` }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the request is answered as usual; the failure is counted (the model stays its 10 s)', async () => {
    const { lines } = await ollamaChat(stack, { keep_alive: 0 });
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(3));
    const failed = async () => {
      const text = await (await fetch(`http://127.0.0.1:${stack.thinkcap!.adminPort}/metrics`)).text();
      return /thinkcap_backend_release_total\{outcome="failed"\} 1\b/.test(text);
    };
    let seen = false;
    for (const end = Date.now() + 8000; !seen && Date.now() < end; await new Promise((r) => setTimeout(r, 50))) seen = await failed();
    expect(seen).toBe(true);
    expect((chatCalls(stack).at(-1)!.body as Record<string, unknown>).keep_alive).toBe('10s');
  });
});

describe('ollama native, a gpt-oss model (harmony, think levels): cut-off + continuation', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await continuationStack({ dialect: 'ollama', harmony: true, plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) }, { thinkLevels: true });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([false, true])('stream %s: the continuation ends the analysis message and opens the final channel, rendered at the level the chat was sent', async (stream) => {
    const r = await fetch(`${stack.envoy.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-oss:20b', stream, think: true, messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: EASY }] }),
    });
    expect(r.status).toBe(200);
    const text = await r.text();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as OllamaLine);
    const [chat, render, gen] = chatCalls(stack).slice(-3).map((q) => q.body as Record<string, unknown>);
    // The chat went out at a think level; the render carries that level, not the client's true.
    expect(chat!.think).toMatch(/^(low|medium|high)$/);
    expect(render).toMatchObject({ _debug_render_only: true, think: chat!.think });
    const prompt = gen!.prompt as string;
    expect(prompt).toContain(`Reasoning: ${String(chat!.think)}`);
    expect(prompt).toMatch(/<\|start\|>assistant<\|channel\|>analysis<\|message\|>[^<]+<\|end\|><\|start\|>assistant<\|channel\|>final<\|message\|>$/);
    expect(prompt).not.toContain('<think>');
    // The model answered (it thought no further) and the client has the whole answer.
    expect(stack.emulator.generatedThinking.slice(-2)).toEqual([32, 0]);
    expect(lines.map((l) => l.message.content).join('')).toBe(expectedAnswer(ANSWER));
    expect(lines.map((l) => l.message.thinking ?? '').join('').split(' ').filter(Boolean)).toHaveLength(32);
    await checkEnvoyClean(stack);
  });
});

/** Budget forcing whose continuation backend is gone: the chat goes through Envoy to the emulator; thinkcap's continuation URL points at a closed port. */
async function goneContinuationStack(dialect: EmulatedDialect): Promise<Stack> {
  const dead = `http://127.0.0.1:${await freePort()}`;
  return startStack({
    emulator: { dialect, plan: () => ({ thinkingTokens: NATURAL_THINKING, answerTokens: ANSWER }) },
    thinkcap: { defaultDialect: dialect, backends: [{ name: 'b', dialect, enforcement: 'continuation', url: dead }] },
    envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
  });
}

describe('ollama native: the continuation backend is gone', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await goneContinuationStack('ollama');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the stream still ends, with an Ollama error line carrying the figures, and nothing past the budget was generated or shown', async () => {
    const { lines } = await ollamaChat(stack);
    expect(stack.emulator.generatedThinking.at(-1)).toBe(32);
    expect(lines.filter((l) => l.message?.thinking).length).toBe(32);
    const last = lines.at(-1)! as OllamaLine & { error?: string };
    expect(last.error).toBe('continuation_failed');
    expect(last.thinkcap).toMatchObject({ tier: 'trivial', budget: 32, thinking_tokens: 32, error: 'continuation_failed' });
    expect(lines.filter((l) => l.done)).toHaveLength(0);
    await checkEnvoyClean(stack);
    await new Promise((r) => setTimeout(r, 30));
    const rec = stack.thinkcap!.history.at(-1)!;
    expect(rec.reason).toMatch(/^continuation failed/);
    expect(rec.thinkingTokens).toBe(32);
  });
});

describe('an OpenAI-compatible continuation backend that is gone (SSE)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await goneContinuationStack('generic');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("the stream ends as the engine ended the first answer (its finish, held back for the follow-up), with the usage asked for", async () => {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
    const s = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: EASY }], stream: true, stream_options: { include_usage: true } });
    let finish: string | null = null;
    let usage: OpenAI.Completions.CompletionUsage | undefined;
    for await (const chunk of s) {
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    // Cut at the budget (32) by max_tokens: the engine's length stop.
    expect(finish).toBe('length');
    await new Promise((r) => setTimeout(r, 30));
    const rec = stack.thinkcap!.history.at(-1)!;
    expect(rec.reason).toMatch(/^continuation failed/);
    expect(rec.followUp).toEqual({ kind: 'continuation', failed: true });
    // What thinkcap prices: the first leg as the engine counted it (its 32 thinking tokens and the opening tag).
    expect({ prompt: usage!.prompt_tokens, completion: usage!.completion_tokens }).toEqual({ prompt: rec.promptTokens, completion: rec.completionTokens });
    expect(usage!.completion_tokens).toBeGreaterThanOrEqual(32);
    await checkEnvoyClean(stack);
  });
});

describe('ollama native with a model that writes <think> into content', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackFor('ollama', { emulator: { noReasoningParser: true } })();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the NDJSON stream gets the same think tracking as SSE: cut at the budget, closed once, answer whole', async () => {
    const { lines } = await ollamaChat(stack);
    const content = lines.map((l) => l.message.content).join('');
    expect(content.startsWith('<think>')).toBe(true);
    expect(content.split('</think>').length - 1).toBe(1);
    const [thinking, answer] = content.slice('<think>'.length).split('</think>') as [string, string];
    expect(thinking.split(' ').filter(Boolean).length).toBeLessThanOrEqual(32);
    expect(answer.trim()).toBe(expectedAnswer(ANSWER));
    expect(lines.filter((l) => l.done)).toHaveLength(1);
    expect(lines.at(-1)!.thinkcap!.thinking_tokens).toBe(NATURAL_THINKING);
    await checkEnvoyClean(stack);
  });
});

describe('compressed responses', () => {
  it('thinkcap asks the backend for identity encoding', async () => {
    const stack = await stackFor('vllm', { emulator: { gzipWhenAccepted: true } })();
    try {
      const res = await fullChat(stack);
      expect(chatCalls(stack).at(-1)!.headers['accept-encoding']).toBe('identity');
      expect(res.headers.get('x-thinkcap-thinking-tokens')).toBe('32');
    } finally {
      await stack.stop();
    }
  });
});

/**
 * Ollama reads requests through Go structs (encoding/json: a key matches a field ignoring case,
 * the last such key wins, map fields merge), and its /v1 reads max_tokens and no
 * max_completion_tokens (Ollama's openai/openai.go). The emulator decodes as Ollama does, so each
 * of these reached it uncapped before thinkcap read them the same way.
 */
describe.each(['ollama', 'ollama-openai'] as const)('%s: field spellings Ollama reads differently from JSON.parse', (dialect) => {
  let stack: Stack;
  const cap = 32 + 64; // trivial budget + requests.answerTokens
  beforeAll(async () => {
    stack = await startStack({
      emulator: { dialect, plan: () => ({ thinkingTokens: 300, answerTokens: 400 }), tokenDelayMs: 0 },
      thinkcap: { defaultDialect: dialect, requests: { answerTokens: 64 } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const path = dialect === 'ollama' ? '/api/chat' : '/v1/chat/completions';
  const send = (body: Record<string, unknown>) =>
    fetch(`${stack.envoy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3', stream: false, messages: [{ role: 'user', content: EASY }], ...body }) });

  const respelled: Array<[string, Record<string, unknown>]> =
    dialect === 'ollama'
      ? [
          ['a second options spelled Options', { options: { num_predict: 50 }, Options: { num_predict: 100_000 } }],
          ['Options and Think alone (thinkcap would not see the client\'s num_predict)', { Options: { num_predict: 100_000 }, Think: true }],
          ['a message whose Content is the real prompt', { messages: [{ role: 'user', content: EASY, Content: 'Prove the Riemann hypothesis. '.repeat(50) }] }],
        ]
      : [
          ['Max_Tokens beside max_tokens', { max_tokens: 50, Max_Tokens: 100_000 }],
          ['Model beside model (routing writes model)', { model: 'small', MODEL: 'large' }],
        ];

  it.each(respelled)('%s: refused with 400 before any upstream call', async (_name, body) => {
    const before = stack.emulator.requests.length;
    const r = await send(body);
    const j = (await r.json()) as { error: { code: string } };
    expect(r.status).toBe(400);
    expect(j.error.code).toBe('ambiguous_field');
    expect(stack.emulator.requests.length).toBe(before);
  });

  if (dialect === 'ollama-openai') {
    it.each([{ effort: 'high' }, {}])("a reasoning object %j (read before reasoning_effort) does not replace the effort thinkcap writes", async (reasoning) => {
      const r = await send({ reasoning });
      await r.text();
      expect(r.status).toBe(200);
      const sent = stack.emulator.requests.at(-1)!.body as Record<string, unknown>;
      expect(sent.reasoning).toBeUndefined();
      expect(sent.reasoning_effort).toBe('low');
      // low: a quarter of the model's 300 (the emulator's share), not all of it.
      expect(stack.emulator.generatedThinking.at(-1)).toBe(75);
    });

    it('max_completion_tokens alone: the cap is written as max_tokens, the one field Ollama /v1 reads', async () => {
      const r = await send({ max_completion_tokens: 100_000 });
      const j = (await r.json()) as { usage: { completion_tokens: number } };
      expect(r.status).toBe(200);
      expect((stack.emulator.requests.at(-1)!.body as Record<string, unknown>).max_tokens).toBe(cap);
      expect(j.usage.completion_tokens).toBeLessThanOrEqual(cap);
    });
  }
});
