/**
 * Every dialect under every enforcement mode, through the real Envoy in full duplex, in
 * streamed mode, and in streamed mode where thinkcap may hold the last message for a follow-up
 * (requests.streamedFollowUpMs), with a backend url, against model behaviours: one that answers
 * within its budget, one that thinks far past it (300 tokens against a trivial budget of 32 and
 * an answer allowance of 40), one that ends its turn inside its thinking, and the rest below. Whatever the combination: the request succeeds
 * (never a thinkcap error: ollama-openai under budget forcing once answered 500, and had no follow-up before it went through Ollama's native API), the client sees
 * at most the budget's worth of thinking, a think block is closed at most once, an answer
 * arrives wherever thinkcap can ask for one, and no bill passes its reservation (spend is on).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUntil } from '../harness/read.js';
import { startStack, type Stack } from '../../devkit/stack.js';
import { extProcStat } from '../../devkit/envoy.js';
import { roomyTimeouts } from '../harness/timeouts.js';
import type { EmulatedDialect } from '../../devkit/emulator/server.js';

const BEHAVIOURS = {
  answers: { thinkingTokens: 10, answerTokens: 5 },
  'thinks long': { thinkingTokens: 300, answerTokens: 25 },
  'stops inside': { thinkingTokens: 10, answerTokens: 0 },
  // The turn ends with nothing at all: no thinking, no answer (a model that ends its turn as the
  // thinking begins, or a stop string the engine matched there).
  'ends with nothing': { thinkingTokens: 0, answerTokens: 0 },
  // The same model, and the client's own limit of 50 tokens: its length is the client's.
  'thinks long, client limit': { thinkingTokens: 300, answerTokens: 25 },
  // The engine dies: in its first answer (after 10 events; a whole answer before any byte), or
  // in the continuation thinkcap asked for after a model that thought far past the budget.
  dies: { thinkingTokens: 300, answerTokens: 25, dropAfter: 10 },
  'dies in the follow-up': { thinkingTokens: 300, answerTokens: 25 },
  // Thinking, then a tool call and no text: a complete turn (Ollama ends it with "stop").
  'calls a tool': { thinkingTokens: 10, answerTokens: 0, toolCall: true },
  // A question of the simple tier, whose budget is 0 here: thinkcap turns thinking off where the
  // engine has a switch; a model that thinks anyway shows the client none of it.
  'thinks at budget 0': { thinkingTokens: 300, answerTokens: 25 },
  // The client leaves: while the model thinks (300 tokens, 3 ms apart), or once the answer thinkcap
  // asked for has begun (the follow-up's 6 tokens, 100 ms apart).
  'client leaves': { thinkingTokens: 300, answerTokens: 25, tokenDelayMs: 3 },
  'client leaves in the follow-up': { thinkingTokens: 300, answerTokens: 25 },
} as const;
type Behaviour = keyof typeof BEHAVIOURS;
/** What the client asks for each behaviour: greetings, all in the trivial tier (a budget of 32). */
const PROMPTS: Record<Behaviour, string> = {
  answers: 'Hello',
  'thinks long': 'Hi there',
  'stops inside': 'Good morning',
  'ends with nothing': 'Hiya',
  'thinks long, client limit': 'Hey!',
  dies: 'Thanks',
  'dies in the follow-up': 'Good evening',
  'calls a tool': 'Good night',
  'thinks at budget 0': 'Who wrote Hamlet?',
  'client leaves': 'Thank you!',
  'client leaves in the follow-up': 'hello there',
};
const LEAVES = new Set<Behaviour>(['client leaves', 'client leaves in the follow-up']);
const FAILS = new Set<Behaviour>(['dies', 'dies in the follow-up']);
const ADMIN = 'matrix-admin-token-0123456789abcdef';
const CLIENT_LIMIT = 50;
type Enforcement = 'native' | 'continuation' | 'rewrite';

const last = (body: Record<string, unknown>) => (Array.isArray(body.messages) ? (body.messages.at(-1) as Record<string, unknown>) : {});
/** thinkcap's own continuation: a chat ending in the assistant's message, or a raw prompt. */
const continued = (body: Record<string, unknown>) => last(body).role === 'assistant' || typeof body.prompt === 'string';
/** The behaviour a request asks for: by its first message, or in a raw continuation's rendered prompt. */
const behaviourOf = (body: Record<string, unknown>): Behaviour => {
  const first = Array.isArray(body.messages) ? (body.messages[0] as { content?: unknown }).content : undefined;
  const prompt = typeof body.prompt === 'string' ? body.prompt : null;
  return (Object.keys(PROMPTS) as Behaviour[]).find((b) => PROMPTS[b] === first || (prompt !== null && prompt.includes(PROMPTS[b]))) ?? 'answers';
};
/** What the emulated engine does with a request: a continuation answers (or dies, for that behaviour). */
const planFor = (body: Record<string, unknown>) => {
  if (!continued(body)) return BEHAVIOURS[behaviourOf(body)];
  const behaviour = behaviourOf(body);
  if (behaviour === 'dies in the follow-up') return { thinkingTokens: 0, answerTokens: 6, dropAfter: 2 };
  if (behaviour === 'client leaves in the follow-up') return { thinkingTokens: 0, answerTokens: 6, tokenDelayMs: 100 };
  return { thinkingTokens: 0, answerTokens: 6 };
};

/** Envoy's response body mode; `STREAMED, held`: STREAMED, and thinkcap may hold the last message (requests.streamedFollowUpMs). */
type Mode = 'FULL_DUPLEX_STREAMED' | 'STREAMED' | 'STREAMED, held';

/** thinkcap can follow the upstream answer with a continuation (budget forcing or a rescue): not in plain STREAMED. */
const followsUp = (_dialect: EmulatedDialect, enforcement: Enforcement, mode: Mode) => mode !== 'STREAMED' && enforcement !== 'rewrite';
/** The engine ends the thinking at the budget itself (the emulated vLLM and llama.cpp read their budget fields). */
const engineCaps = (dialect: EmulatedDialect, enforcement: Enforcement) => enforcement !== 'rewrite' && (dialect === 'vllm' || dialect === 'llamacpp');

/**
 * Whether an answer must arrive (true), must not (false) or either may (null): the model gives
 * one (within its budget, or the engine ends the thinking there), or thinkcap can ask for one.
 * Otherwise a model that thinks into the length cap or ends inside its thinking leaves none.
 */
const answerExpected = (dialect: EmulatedDialect, enforcement: Enforcement, mode: Mode, behaviour: Behaviour): boolean | null => {
  if (behaviour === 'answers') return true;
  if (behaviour === 'calls a tool') return false; // the call is the answer
  // Thinking off: an engine that honours the switch answers at once; one that thinks anyway
  // (no switch it reads) is answered for where thinkcap can follow up. Elsewhere: not asserted.
  if (behaviour === 'thinks at budget 0') return followsUp(dialect, enforcement, mode) ? true : null;
  if (behaviour === 'thinks long, client limit') {
    // No rescue at the client's own limit; budget forcing still cuts at the (lowered) budget and
    // answers in what the limit leaves.
    return engineCaps(dialect, enforcement) || (followsUp(dialect, enforcement, mode) && enforcement === 'continuation');
  }
  return followsUp(dialect, enforcement, mode) || (behaviour === 'thinks long' && engineCaps(dialect, enforcement));
};

interface Seen {
  reasoning: string;
  content: string;
  /** The client saw an error (a status, or a stream that broke off). */
  failed?: boolean;
  /** Tool calls the client received. */
  toolCalls: number;
}

async function ask(stack: Stack, dialect: EmulatedDialect, behaviour: Behaviour, stream: boolean, mode: Mode): Promise<Seen> {
  try {
    return await askOnce(stack, dialect, behaviour, stream, mode);
  } catch {
    return { reasoning: '', content: '', failed: true, toolCalls: 0 };
  }
}

async function askOnce(stack: Stack, dialect: EmulatedDialect, behaviour: Behaviour, stream: boolean, mode: Mode): Promise<Seen> {
  const messages = [{ role: 'user', content: PROMPTS[behaviour] }];
  const limited = behaviour === 'thinks long, client limit';
  // A client that leaves: a whole answer after a while; a stream at its first event, or at the
  // first answer text where it waits for the follow-up (held: the follow-up's answer comes whole
  // at the end, so after a while, as for a whole answer).
  const leave = new AbortController();
  const timed = !stream || (mode === 'STREAMED, held' && behaviour === 'client leaves in the follow-up');
  if (LEAVES.has(behaviour) && timed) setTimeout(() => leave.abort(), behaviour === 'client leaves' ? 80 : 300);
  const leaves = (content: string) => stream && (behaviour === 'client leaves' || (behaviour === 'client leaves in the follow-up' && !timed && answerPart(content).trim() !== ''));
  const signal = leave.signal;
  if (dialect === 'ollama') {
    const r = await fetch(`${stack.envoy.url}/api/chat`, { method: 'POST', signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages, stream, ...(limited ? { options: { num_predict: CLIENT_LIMIT } } : {}) }) });
    if (r.status !== 200) return { reasoning: '', content: '', failed: true, toolCalls: 0 };
    if (LEAVES.has(behaviour) && stream) {
      // Read line by line and leave as a client would.
      const content = (text: string) => text.split('\n').filter(Boolean).map((l) => { try { return (JSON.parse(l) as { message?: { content?: string } }).message?.content ?? ''; } catch { return ''; } }).join('');
      const text = await readUntil(r.body!, (t) => leaves(content(t)));
      if (text !== '' && leaves(content(text))) {
        leave.abort();
        return { reasoning: '', content: '', failed: true, toolCalls: 0 };
      }
    }
    const lines = (await r.text().catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message?: { thinking?: string; content?: string; tool_calls?: unknown[] } });
    return { reasoning: lines.map((l) => l.message?.thinking ?? '').join(''), content: lines.map((l) => l.message?.content ?? '').join(''), toolCalls: lines.reduce((n, l) => n + (l.message?.tool_calls?.length ?? 0), 0) };
  }
  const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'test', maxRetries: 0 });
  const limit = limited ? { max_tokens: CLIENT_LIMIT } : {};
  if (!stream) {
    const data = await client.chat.completions.create({ model: 'm', messages: messages as never, ...limit }, { signal });
    const m = data.choices[0]!.message as { content: string | null; reasoning?: string; reasoning_content?: string; tool_calls?: unknown[] };
    return { reasoning: m.reasoning ?? m.reasoning_content ?? '', content: m.content ?? '', toolCalls: m.tool_calls?.length ?? 0 };
  }
  const s = await client.chat.completions.create({ model: 'm', messages: messages as never, stream: true, ...limit }, { signal });
  const seen: Seen = { reasoning: '', content: '', toolCalls: 0 };
  for await (const chunk of s) {
    const d = chunk.choices[0]?.delta as { content?: string | null; reasoning?: string; reasoning_content?: string; tool_calls?: unknown[] } | undefined;
    seen.reasoning += d?.reasoning ?? d?.reasoning_content ?? '';
    seen.content += d?.content ?? '';
    seen.toolCalls += d?.tool_calls?.length ?? 0;
    if (leaves(seen.content)) {
      leave.abort();
      return { ...seen, failed: true };
    }
  }
  return seen;
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
/** Content past a closed think block (`<think>` or Seed's markers): the answer. */
const answerPart = (content: string) => content.replace(/^[\s\S]*<\/(?:seed:)?think>/, '');

/**
 * The engines: each dialect as the emulator speaks it, and two generic engines whose template
 * shapes the thinking in content: one that opens `<think>` in its generation prompt
 * (thinkPrefilled), one that writes Seed-OSS's markers (thinkingFormat).
 */
const SEED = { open: '<seed:think>', close: '</seed:think>' };
const ENGINES: Array<{ dialect: EmulatedDialect; variant: string; emulator: Record<string, unknown>; backend: Record<string, unknown>; tags: { open: string; close: string } }> = [
  ...(['vllm', 'sglang', 'llamacpp', 'ollama', 'ollama-openai', 'generic'] as const).map((dialect) => ({ dialect, variant: '', emulator: {}, backend: {}, tags: { open: '<think>', close: '</think>' } })),
  { dialect: 'generic', variant: ' (template opens <think>)', emulator: { thinkPrefilled: true }, backend: { thinkPrefilled: true }, tags: { open: '<think>', close: '</think>' } },
  { dialect: 'generic', variant: ' (Seed-OSS markers)', emulator: { thinkTags: SEED }, backend: { thinkingFormat: { open: SEED.open, close: `${SEED.close}\n` } }, tags: SEED },
];

const COMBINATIONS: Array<(typeof ENGINES)[number] & { name: string; enforcement: Enforcement; mode: Mode }> = [];
for (const engine of ENGINES) {
  for (const enforcement of ['native', 'continuation', 'rewrite'] as const) {
    for (const mode of ['FULL_DUPLEX_STREAMED', 'STREAMED', 'STREAMED, held'] as const) COMBINATIONS.push({ ...engine, name: `${engine.dialect}${engine.variant}`, enforcement, mode });
  }
}

describe.each(COMBINATIONS)('$name, enforcement $enforcement, $mode', ({ dialect, emulator, backend, tags, enforcement, mode }) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { dialect, ...emulator, plan: planFor },
      // Spend on (a route budget no test reaches): every request is reserved and settled.
      thinkcap: (emu) => ({
        defaultDialect: dialect,
        requests: { answerTokens: 40, ...(mode === 'STREAMED, held' ? { streamedFollowUpMs: 10_000 } : {}) },
        tiers: { simple: { budget: 0 } },
        backends: [{ name: 'b', dialect, enforcement, url: emu.url, ...backend }],
        spend: { enabled: true, limits: [{ scope: 'route', id: '*', window: 'total', usd: 1000 }] },
        admin: { token: ADMIN },
      }),
      // Envoy's message_timeout at 2 s: Envoy's side is asserted below (no message timeout), and a
      // CI machine busy with other test files must not turn slowness into one.
      envoy: { responseBodyMode: mode === 'STREAMED, held' ? 'STREAMED' : mode, mutate: roomyTimeouts },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const cases = (Object.keys(BEHAVIOURS) as Behaviour[]).flatMap((behaviour) => [true, false].map((stream) => ({ behaviour, stream })));
  it.each(cases)('$behaviour (stream $stream)', async ({ behaviour, stream }) => {
    // The emulator renders no chat template (/apply-template): llama.cpp's continuations run on
    // the real llama-server (llamacpp-real.test.ts).
    if (dialect === 'llamacpp' && !FAILS.has(behaviour) && behaviour !== 'answers' && followsUp(dialect, enforcement, mode) && !(enforcement === 'native' && behaviour === 'thinks long')) return;
    const before = stack.thinkcap!.history.length;
    const seen = await ask(stack, dialect, behaviour, stream, mode);
    for (let i = 0; i < 100 && stack.thinkcap!.history.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 30));
    const record = stack.thinkcap!.history.at(-1)!;
    if (LEAVES.has(behaviour)) {
      // The client's leaving ends the request (and any follow-up) as aborted, never as an error.
      expect(record.outcome, JSON.stringify(record)).not.toBe('error');
      const followed = followsUp(dialect, enforcement, mode) && !(enforcement === 'native' && engineCaps(dialect, enforcement));
      if (behaviour === 'client leaves' || followed) expect(record.outcome, JSON.stringify(record)).toBe('aborted');
      // A follow-up the client left is over, not answered.
      if (behaviour === 'client leaves in the follow-up' && followed) expect(record.followUp).toEqual({ kind: enforcement === 'continuation' ? 'continuation' : 'rescue_at_length', failed: true });
      return;
    }
    if (FAILS.has(behaviour)) {
      // The engine's failure is the engine's: never a thinkcap error, and what the client saw of
      // the thinking is still within the budget.
      expect(record.outcome, JSON.stringify(record)).not.toBe('error');
      expect(words(seen.reasoning)).toBeLessThanOrEqual(record.budget!);
      if (behaviour === 'dies') expect(seen.content.split(tags.close).at(-1)!.trim(), JSON.stringify(seen)).toBe('');
      // A follow-up ran where the model thought past the budget and the engine did not end it.
      const followed = followsUp(dialect, enforcement, mode) && !(enforcement === 'native' && engineCaps(dialect, enforcement));
      if (behaviour === 'dies in the follow-up') expect(record.followUp, JSON.stringify(record)).toEqual(followed ? { kind: enforcement === 'continuation' ? 'continuation' : 'rescue_at_length', failed: true } : null);
      return;
    }
    expect(record.outcome, JSON.stringify(record)).toBe('ok');
    expect(record.status).toBe(200);
    // The trivial tier's 32, or less where the client's limit must leave room for an answer.
    if (behaviour === 'thinks long, client limit') expect(record.budget).toBeLessThanOrEqual(32);
    else expect(record.budget).toBe(behaviour === 'thinks at budget 0' ? 0 : 32);
    if (behaviour === 'thinks long, client limit') expect(record.followUp?.kind ?? null).not.toBe('rescue_at_length');
    // At most one closing tag; the thinking the client sees is within the budget.
    expect(seen.content.split(tags.close).length - 1).toBeLessThanOrEqual(1);
    const [inContent, answer] = seen.content.includes(tags.close) ? (seen.content.split(tags.close) as [string, string]) : ['', seen.content];
    expect(words(seen.reasoning) + words(inContent.replace(tags.open, ''))).toBeLessThanOrEqual(record.budget!);
    // A tool call reaches the client once, and is the end of the turn: no follow-up adds text to it.
    expect(seen.toolCalls).toBe(behaviour === 'calls a tool' ? 1 : 0);
    if (behaviour === 'calls a tool') expect(record.followUp).toBeNull();
    const expected = answerExpected(dialect, enforcement, mode, behaviour);
    if (expected === true) expect(answer.trim().length, JSON.stringify({ seen, record })).toBeGreaterThan(0);
    else if (expected === false) expect(answer.trim()).toBe('');
  });

  it('every bill, follow-ups included, stayed within its reservation, and nothing stays reserved', async () => {
    const admin = `http://127.0.0.1:${stack.thinkcap!.adminPort}`;
    const text = await (await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(text).toMatch(/^thinkcap_requests_total\{.*outcome="ok"\} [1-9]/m);
    expect(text).not.toMatch(/^thinkcap_budget_settle_over_reservation_total\{unit="usd"\} /m);
    // A follow-up the client left is counted as aborted, not as the engine's failure.
    const followed = followsUp(dialect, enforcement, mode) && !(enforcement === 'native' && engineCaps(dialect, enforcement));
    if (followed && dialect !== 'llamacpp') expect(text).toMatch(/^thinkcap_follow_ups_total\{kind="[a-z_]+",backend="b",outcome="aborted"\} [1-9]/m);
    // Every request settled, those whose client left or whose engine died included (the route is
    // the one Envoy names: chat).
    let state = { spent: 0, reserved: -1 };
    for (let i = 0; i < 100 && state.reserved !== 0; i++) {
      if (i) await new Promise((r) => setTimeout(r, 20));
      const r = await fetch(`${admin}/api/budget?scope=route:chat`, { headers: { authorization: `Bearer ${ADMIN}` } });
      state = ((await r.json()) as { budgets: Array<{ spent: number; reserved: number }> }).budgets[0]!;
    }
    expect(state.reserved).toBe(0);
    expect(state.spent).toBeGreaterThan(0);
    // Envoy's side: every message answered in time and in order; where thinkcap held the last
    // message for a follow-up, Envoy got the longer timer it asked for (it counts the override as
    // ignored where it runs no timer for that message: sent while an earlier one was unanswered).
    const stats = await stack.envoy.stats();
    expect({ message_timeouts: extProcStat(stats, 'message_timeouts'), spurious: extProcStat(stats, 'spurious_msgs_received') }).toEqual({ message_timeouts: 0, spurious: 0 });
    if (mode === 'STREAMED, held' && followed) expect(extProcStat(stats, 'override_message_timeout_received') + extProcStat(stats, 'override_message_timeout_ignored')).toBeGreaterThan(0);
  });
});
