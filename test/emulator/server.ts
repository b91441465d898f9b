/**
 * Backend emulator (test infrastructure, not the product). Speaks the wire format of a
 * reasoning-model server and obeys, or ignores, its thinking-budget fields the way the real
 * engine does, so tests can count exactly how many thinking tokens were generated.
 *
 * vLLM (OpenAI-compatible) behaviour emulated:
 *  - POST /v1/chat/completions, GET /v1/models.
 *  - Streaming: SSE `data: {chat.completion.chunk}` events, one token per event, first delta
 *    carries role "assistant" and empty content, reasoning in `delta.reasoning` (or
 *    `delta.reasoning_content`, older vLLM), answer in `delta.content`, the last choice chunk
 *    has finish_reason, then an optional usage chunk with `choices: []`, then `data: [DONE]`.
 *  - stream_options.include_usage / continuous_usage_stats as vLLM does.
 *  - thinking_token_budget: the reasoning section ends after that many tokens and the model
 *    answers; max_tokens caps reasoning + answer together (finish_reason "length").
 *  - chat_template_kwargs.enable_thinking=false: no reasoning at all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  body: unknown;
  at: number;
}

export interface GenerationPlan {
  /** Reasoning tokens the model would produce if nothing stopped it. */
  thinkingTokens: number;
  /** Answer tokens it produces after thinking. */
  answerTokens: number;
}

export interface EmulatorOptions {
  /** Natural lengths for a request (default: 200 thinking, 20 answer). */
  plan?: (body: Record<string, unknown>) => GenerationPlan;
  /** Delay between tokens in ms (0 = as fast as possible). */
  tokenDelayMs?: number;
  /** Ignore thinking_token_budget (a server started without a reasoning config). */
  ignoreBudget?: boolean;
  /** Reasoning field name in deltas. */
  reasoningField?: 'reasoning' | 'reasoning_content';
  /** Events written per network write (>1 puts several events in one read). */
  eventsPerWrite?: number;
  /** Split every write at this byte offset too (events split across reads). */
  splitWritesAt?: number;
  model?: string;
  /** Stamp every SSE event with `emu_ts` (CLOCK_MONOTONIC ns when written), for latency benchmarks. */
  stampEvents?: boolean;
}

export interface Emulator {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Chat completions served (the requests that reached the backend). */
  chatCalls(): number;
  /** Reasoning tokens generated across all requests. */
  generatedThinking: number[];
  options: EmulatorOptions;
  close(): Promise<void>;
}

const THINK_WORDS = ['Let', 'me', 'think', 'about', 'this', 'carefully', 'step', 'by', 'step', 'first', 'consider', 'the', 'problem', 'then', 'check', 'each', 'case', 'and', 'verify', 'it'];
const ANSWER_WORDS = ['The', 'answer', 'is', 'that', 'it', 'depends', 'on', 'the', 'details', 'given', 'here', 'so', 'we', 'conclude', 'with', 'a', 'clear', 'result', 'as', 'follows'];

export function thinkingToken(i: number): string {
  return THINK_WORDS[i % THINK_WORDS.length]! + ' ';
}
export function answerToken(i: number): string {
  return ANSWER_WORDS[i % ANSWER_WORDS.length]! + (i % 10 === 9 ? '. ' : ' ');
}

function promptTokens(body: Record<string, unknown>): number {
  let n = 0;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const m of messages) {
    const c = (m as { content?: unknown }).content;
    if (typeof c === 'string') n += c.split(/\s+/).filter(Boolean).length + 4;
  }
  return n;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Work out what vLLM would generate for this request. */
export function vllmOutcome(body: Record<string, unknown>, opts: EmulatorOptions) {
  const plan = opts.plan ? opts.plan(body) : { thinkingTokens: 200, answerTokens: 20 };
  let thinking = plan.thinkingTokens;
  const kwargs = body.chat_template_kwargs as { enable_thinking?: unknown } | undefined;
  if (kwargs && kwargs.enable_thinking === false) thinking = 0;
  const budget = body.thinking_token_budget;
  if (!opts.ignoreBudget && typeof budget === 'number' && budget >= 0) thinking = Math.min(thinking, budget);
  const maxTokens =
    typeof body.max_completion_tokens === 'number'
      ? body.max_completion_tokens
      : typeof body.max_tokens === 'number'
        ? body.max_tokens
        : Infinity;
  let answer = plan.answerTokens;
  let finish: 'stop' | 'length' = 'stop';
  if (thinking >= maxTokens) {
    thinking = maxTokens;
    answer = 0;
    finish = 'length';
  } else if (thinking + answer > maxTokens) {
    answer = maxTokens - thinking;
    finish = 'length';
  }
  return { thinking, answer, finish };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const requests: ReceivedRequest[] = [];
  const generatedThinking: number[] = [];
  const opts = options;
  let chatCalls = 0;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(err), type: 'server_error' } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    let body: unknown = null;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    requests.push({ method: req.method ?? '', path, headers: req.headers, rawBody, body, at: Date.now() });

    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: opts.model ?? 'emulated-reasoner', object: 'model', owned_by: 'emulator' }] }));
      return;
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      chatCalls++;
      if (body === undefined || body === null || typeof body !== 'object') {
        // vLLM answers malformed JSON with a 400 error object.
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'error', message: 'Invalid JSON body', type: 'BadRequestError', param: null, code: 400 }));
        return;
      }
      const delayHeader = req.headers['x-emulator-token-delay-ms'];
      await chat(body as Record<string, unknown>, res, typeof delayHeader === 'string' ? Number(delayHeader) : undefined);
      return;
    }
    if (req.method === 'POST' && path === '/echo') {
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' });
      res.end(rawBody);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: 'not_found' } }));
  }

  async function chat(body: Record<string, unknown>, res: ServerResponse, delayOverride?: number): Promise<void> {
    const { thinking, answer, finish } = vllmOutcome(body, opts);
    generatedThinking.push(thinking);
    const id = `chatcmpl-emu${chatCalls}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof body.model === 'string' ? body.model : (opts.model ?? 'emulated-reasoner');
    const field = opts.reasoningField ?? 'reasoning';
    const prompt = promptTokens(body);
    const delay = delayOverride ?? opts.tokenDelayMs ?? 0;

    if (body.stream !== true) {
      let reasoning = '';
      for (let i = 0; i < thinking; i++) reasoning += thinkingToken(i);
      let content = '';
      for (let i = 0; i < answer; i++) content += answerToken(i);
      if (delay > 0) await sleep(delay * (thinking + answer));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content, [field]: thinking > 0 ? reasoning : null, tool_calls: [] },
              logprobs: null,
              finish_reason: finish,
              stop_reason: null,
            },
          ],
          usage: { prompt_tokens: prompt, total_tokens: prompt + thinking + answer, completion_tokens: thinking + answer, prompt_tokens_details: null },
          prompt_logprobs: null,
        }),
      );
      return;
    }

    const so = (body.stream_options ?? {}) as { include_usage?: unknown; continuous_usage_stats?: unknown };
    const includeUsage = so.include_usage === true;
    const continuous = includeUsage && so.continuous_usage_stats === true;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    let completion = 0;
    const usage = () => ({ prompt_tokens: prompt, total_tokens: prompt + completion, completion_tokens: completion });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null) => {
      const obj: Record<string, unknown> = {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      };
      if (continuous) obj.usage = usage();
      if (opts.stampEvents) obj.emu_ts = process.hrtime.bigint().toString();
      return `data: ${JSON.stringify(obj)}\n\n`;
    };

    const perWrite = Math.max(1, opts.eventsPerWrite ?? 1);
    let pending = '';
    let queued = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    const write = async (ev: string, force = false) => {
      pending += ev;
      queued++;
      if (queued < perWrite && !force) return;
      const buf = Buffer.from(pending, 'utf8');
      pending = '';
      queued = 0;
      const split = opts.splitWritesAt;
      if (split && split > 0 && buf.length > split) {
        res.write(buf.subarray(0, split));
        await sleep(1);
        res.write(buf.subarray(split));
      } else res.write(buf);
      if (delay > 0) await sleep(delay);
    };

    await write(chunk({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < thinking && !closed; i++) {
      completion++;
      await write(chunk({ [field]: thinkingToken(i) }, null));
    }
    for (let i = 0; i < answer && !closed; i++) {
      completion++;
      const last = i === answer - 1;
      await write(chunk({ content: answerToken(i) }, last ? finish : null));
    }
    if (answer === 0 && !closed) await write(chunk({ content: '' }, finish));
    if (includeUsage && !closed) {
      await write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usage() })}\n\n`);
    }
    if (!closed) await write('data: [DONE]\n\n', true);
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    chatCalls: () => chatCalls,
    generatedThinking,
    options: opts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
