import { isRecord, type ContinuationRequest } from '../backends/types.js';
import { NdjsonFramer, SseFramer } from '../stream/sse.js';

export interface ContinuationRun {
  url: string;
  request: ContinuationRequest;
  signal: AbortSignal;
  onChunk(chunk: Buffer): void;
  /**
   * Whether the answer's end has been read (the stream's `[DONE]`, an NDJSON done line): the
   * rest of the response is not waited for (an engine may keep it open a while after).
   */
  ended?: () => boolean;
  /** Give up when the backend sends nothing for this long, once its answer has begun. */
  idleTimeoutMs?: number;
  /**
   * How long the backend may take to begin its answer (its first body bytes): a busy engine
   * queues the continuation like any request (llama-server sends nothing, headers included,
   * until a slot frees; vLLM sends headers, then nothing until it is scheduled).
   */
  queueTimeoutMs?: number;
  /** Sent with every call (the backend's API key). */
  headers?: Record<string, string>;
  /**
   * How long a probe (render.probe, order) may take: they only choose a form, so a slow or
   * stalled one is dropped and the default taken, not waited for as the continuation is. 2 s.
   */
  probeTimeoutMs?: number;
}

/** A path on the backend at `url`, its own path kept (a url ending in /v1 gets /v1/path). */
export function backendUrl(url: string, path: string): URL {
  return new URL(path.replace(/^\//, ''), url.endsWith('/') ? url : `${url}/`);
}

/** The headers every call thinkcap makes to a backend carries: a JSON body, and no compression (its bytes are read as they come). */
const CALL_HEADERS = { 'content-type': 'application/json', 'accept-encoding': 'identity' } as const;

/**
 * Probe answers by backend, path and body, for a minute: a template does not change between
 * requests, and a continuation backend continues every request that reaches its budget (two
 * /tokenize calls each on vLLM otherwise). Failures are not kept, nor answers over 16 KiB or
 * bodies over 4 KiB (a client's chat_template_kwargs ride in them); at most PROBE_CACHE_SIZE
 * entries, the oldest dropped first: at most 256 x 20 K characters, whatever clients send.
 */
const probeAnswers = new Map<string, { at: number; answer: unknown }>();
const PROBE_CACHE_MS = 60_000;
const PROBE_CACHE_SIZE = 256;
const PROBE_CACHE_ANSWER_CHARS = 16_384;
const PROBE_CACHE_KEY_CHARS = 4_096;

/** Forget every probe answer (a thinkcap server starting; tests). */
export function forgetProbeAnswers(): void {
  probeAnswers.clear();
}

/** A backend call answered with an error status. */
class RefusedCall extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Budget forcing, second leg: thinkcap asks the same backend to answer from prompt + thinking
 * so far + end of thinking and streams the bytes to the caller as they arrive.
 */
export async function runContinuation(run: ContinuationRun): Promise<void> {
  const idle = new AbortController();
  const signal = AbortSignal.any([run.signal, idle.signal]);
  const idleMs = run.idleTimeoutMs ?? 60_000;
  const queueMs = Math.max(idleMs, run.queueTimeoutMs ?? idleMs);
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number, what: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new Error(`continuation ${what} timeout`)), ms);
  };
  const headers: Record<string, string> = { ...run.headers, ...CALL_HEADERS };
  if (run.request.closeConnection) headers.connection = 'close';
  const post = async (path: string, body: unknown, accept: string, probe = false) => {
    // Until the answer begins, the engine may be queueing the call; a probe has its own deadline.
    if (!probe) arm(queueMs, 'queue');
    const res = await fetch(backendUrl(run.url, path), {
      method: 'POST',
      headers: { ...headers, accept },
      body: JSON.stringify(body),
      signal: probe ? AbortSignal.any([signal, AbortSignal.timeout(run.probeTimeoutMs ?? 2000)]) : signal,
    });
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      throw new RefusedCall(`continuation ${path} answered ${res.status}: ${text.slice(0, 200)}`, res.status);
    }
    return res;
  };
  try {
    // A probe: its answer's JSON, or undefined where it failed (cached: probeAnswers).
    const probe = async (path: string, body: Record<string, unknown>): Promise<unknown> => {
      // A client's chat_template_kwargs ride in the body: a long one is asked, not kept (the key would hold it).
      const key = `${run.url} ${path} ${JSON.stringify(body)}`;
      const keep = key.length <= PROBE_CACHE_KEY_CHARS;
      const kept = keep ? probeAnswers.get(key) : undefined;
      if (kept !== undefined && Date.now() - kept.at < PROBE_CACHE_MS) return kept.answer;
      try {
        const text = await (await post(path, body, 'application/json', true)).text();
        const answer: unknown = JSON.parse(text);
        // Kept where small: a client's chat_template_kwargs can make a render as long as it likes.
        if (keep && text.length <= PROBE_CACHE_ANSWER_CHARS) {
          probeAnswers.delete(key);
          if (probeAnswers.size >= PROBE_CACHE_SIZE) probeAnswers.delete(probeAnswers.keys().next().value!);
          probeAnswers.set(key, { at: Date.now(), answer });
        }
        return answer;
      } catch {
        return undefined;
      }
    };
    const { request } = run;
    let body = request.body;
    if (request.render) {
      const { render } = request;
      // The probe is a hint: where it fails, the prompt is built the default way.
      const probed = render.probe ? probe(render.path, render.probe) : undefined;
      const rendered: unknown = await (await post(render.path, render.body, 'application/json')).json();
      const prompt = render.prompt(rendered, await probed);
      if (prompt === null) throw new Error(`continuation ${render.path} returned no prompt`);
      body = { ...body, prompt };
    }
    let fallback = request.fallback;
    if (request.order && fallback) {
      const { order } = request;
      const [a, b] = await Promise.all([probe(order.path, order.bodies[0]), probe(order.path, order.bodies[1])]);
      if (a !== undefined && b !== undefined && order.fallbackFirst(a, b)) [body, fallback] = [fallback, body];
    }
    const accept = request.ndjson ? 'application/x-ndjson' : 'text/event-stream';
    let res: Response;
    try {
      res = await post(request.path, body, accept);
    } catch (err) {
      // Refused before answering (nothing reached the client yet): the other form, once.
      if (!(fallback && err instanceof RefusedCall && err.status === 400)) throw err;
      res = await post(request.path, fallback, accept);
    }
    const convert =
      request.convert === 'text-completion' ? textCompletionToChat() : request.convert === 'ollama-generate' ? ollamaGenerateToChat() : request.convert === 'ollama-generate-openai' ? ollamaGenerateToOpenAiChat() : null;
    for await (const chunk of res.body!) {
      arm(idleMs, 'idle');
      const bytes = Buffer.from(chunk);
      const out = convert ? convert(bytes) : bytes;
      if (out.length > 0) run.onChunk(out);
      if (run.ended?.()) break;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One short call to the backend (RewriteResult.release after a response; thinkcap check's
 * renders): POST `body` to `path` and resolve with the answer's text. Rejects on a status other
 * than 2xx, or past `timeoutMs`.
 */
export async function postToBackend(url: string, path: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<string> {
  const res = await fetch(backendUrl(url, path), {
    method: 'POST',
    headers: { ...headers, ...CALL_HEADERS },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 200)}`);
  return text;
}

/**
 * Text-completion SSE (`choices[].text`) rewritten as chat.completion.chunk events
 * (`choices[].delta.content`), so the client's chat stream continues in its own format.
 */
export function textCompletionToChat(): (chunk: Buffer) => Buffer {
  const framer = new SseFramer();
  return (chunk) => {
    const parts: string[] = [];
    for (const ev of framer.push(chunk)) {
      if (ev.data === null || ev.data === '[DONE]') {
        parts.push(ev.raw.toString('utf8'));
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(ev.data);
      } catch {
        parts.push(ev.raw.toString('utf8'));
        continue;
      }
      if (!isRecord(json)) continue;
      const choices = Array.isArray(json.choices) ? json.choices : [];
      json.object = 'chat.completion.chunk';
      json.choices = choices.filter(isRecord).map((c) => {
        const { text, ...rest } = c;
        return { ...rest, delta: typeof text === 'string' && text !== '' ? { content: text } : {} };
      });
      parts.push(`data: ${JSON.stringify(json)}\n\n`);
    }
    return Buffer.from(parts.join(''), 'utf8');
  };
}

/**
 * Ollama /api/generate NDJSON (`response`) rewritten as /api/chat lines (`message.content`),
 * so the client's chat stream continues in its own format; counts and `done` pass through.
 */
export function ollamaGenerateToChat(): (chunk: Buffer) => Buffer {
  const framer = new NdjsonFramer();
  return (chunk) => {
    const parts: string[] = [];
    for (const { raw, line } of framer.push(chunk)) {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        parts.push(raw.toString('utf8'));
        continue;
      }
      if (!isRecord(json)) continue;
      const { response, thinking: _thinking, context: _context, ...rest } = json;
      parts.push(`${JSON.stringify({ ...rest, message: { role: 'assistant', content: typeof response === 'string' ? response : '' } })}\n`);
    }
    return Buffer.from(parts.join(''), 'utf8');
  };
}

/**
 * Ollama /api/generate NDJSON rewritten as the /v1 chat stream Ollama's own /v1 writes
 * (middleware/openai.go): a chunk per `response`, then at `done` a finish chunk (done_reason as
 * finish_reason), a usage chunk (prompt_eval_count, eval_count; the rewriter removes it where the
 * client did not ask) and `[DONE]`. A line's `logprobs` go on its chunk as /v1 writes them
 * (`choices[0].logprobs.content`, the same fields). An error line becomes an error event.
 */
export function ollamaGenerateToOpenAiChat(): (chunk: Buffer) => Buffer {
  const framer = new NdjsonFramer();
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', system_fingerprint: 'fp_ollama', choices, ...extra })}\n\n`;
  return (bytes) => {
    const parts: string[] = [];
    for (const { line } of framer.push(bytes)) {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        continue;
      }
      if (!isRecord(json)) continue;
      const model = typeof json.model === 'string' ? { model: json.model } : {};
      if (typeof json.error === 'string') {
        parts.push(`data: ${JSON.stringify({ error: { message: json.error, type: 'api_error' } })}\n\n`);
        continue;
      }
      const logprobs = Array.isArray(json.logprobs) && json.logprobs.length > 0 ? { logprobs: { content: json.logprobs } } : {};
      if ((typeof json.response === 'string' && json.response !== '') || 'logprobs' in logprobs) {
        parts.push(chunk([{ index: 0, delta: typeof json.response === 'string' && json.response !== '' ? { content: json.response } : {}, ...logprobs, finish_reason: null }], model));
      }
      if (json.done === true) {
        const reason = typeof json.done_reason === 'string' && json.done_reason !== '' ? json.done_reason : 'stop';
        parts.push(chunk([{ index: 0, delta: {}, finish_reason: reason }], model));
        const prompt = typeof json.prompt_eval_count === 'number' ? json.prompt_eval_count : 0;
        const completion = typeof json.eval_count === 'number' ? json.eval_count : 0;
        parts.push(chunk([], { ...model, usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } }));
        parts.push('data: [DONE]\n\n');
      }
    }
    return Buffer.from(parts.join(''), 'utf8');
  };
}
