import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgetProbeAnswers, runContinuation, type ContinuationRun } from '../../src/extproc/continuation.js';

/** A stand-in engine for one describe block: each request's JSON body handed to `answer`; listening before its tests, closed after. */
function fakeEngine(answer: (path: string, body: Record<string, unknown>, res: ServerResponse, req: IncomingMessage) => void): { readonly url: string } {
  const engine = { url: '' };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => answer(req.url ?? '', JSON.parse(raw || '{}') as Record<string, unknown>, res, req));
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    engine.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  return engine;
}

/** What a continuation's requests ask of the connection (llama-server closes it after each streamed answer). */
describe('continuation requests and connection reuse', () => {
  const seen: Array<{ path: string; connection: string | undefined; port: number }> = [];
  const engine = fakeEngine((path, _body, res, req) => {
    seen.push({ path, connection: req.headers.connection, port: req.socket.remotePort ?? 0 });
    if (path === '/apply-template') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ prompt: 'P<think>\n' }));
    } else {
      res.setHeader('content-type', 'text/event-stream');
      res.end('data: {"choices":[{"text":"42","finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
    }
  });

  const run = (closeConnection: boolean) =>
    runContinuation({
      url: engine.url,
      signal: AbortSignal.timeout(5000),
      onChunk: () => {},
      request: { path: '/v1/completions', body: { stream: true }, render: { path: '/apply-template', body: {}, prompt: () => 'P' }, convert: 'text-completion', closeConnection },
    });

  it('closeConnection: every request says connection: close, and no connection carries two requests', async () => {
    seen.length = 0;
    for (let i = 0; i < 3; i++) await run(true);
    expect(seen).toHaveLength(6);
    expect(seen.every((s) => s.connection === 'close')).toBe(true);
    expect(new Set(seen.map((s) => s.port)).size).toBe(6);
  });

  it('otherwise connections are kept alive and reused', async () => {
    seen.length = 0;
    for (let i = 0; i < 3; i++) await run(false);
    expect(seen.every((s) => s.connection === 'keep-alive')).toBe(true);
    expect(new Set(seen.map((s) => s.port)).size).toBeLessThan(6);
  });
});

/** One continuation against a fake engine, its chunks dropped. */
const continueAt = (engine: { url: string }, request: ContinuationRun['request']) => runContinuation({ url: engine.url, signal: AbortSignal.timeout(5000), onChunk: () => {}, request });

const SSE_ANSWER = 'data: {"choices":[{"text":"42","delta":{"content":"42"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';

/** The probe render (the template's thinking format) rides beside the render; where it fails, the default prompt. */
describe('continuation render with a probe', () => {
  let probeStatus = 200;
  const sentPrompts: string[] = [];
  const engine = fakeEngine((path, body, res) => {
    if (path === '/apply-template') {
      res.statusCode = body.probe ? probeStatus : 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ prompt: body.probe ? 'PROBED' : 'RENDERED' }));
      return;
    }
    sentPrompts.push(String(body.prompt ?? ''));
    res.setHeader('content-type', 'text/event-stream');
    res.end(SSE_ANSWER);
  });

  const run = () =>
    continueAt(engine, {
      path: '/v1/completions',
      body: { stream: true },
      render: { path: '/apply-template', body: {}, probe: { probe: true }, prompt: (r, p) => `${(r as { prompt: string }).prompt}+${p === undefined ? 'none' : (p as { prompt: string }).prompt}` },
      convert: 'text-completion',
    });

  it('the probe’s answer reaches the prompt builder; a refused probe leaves the default', async () => {
    forgetProbeAnswers();
    probeStatus = 200;
    await run();
    forgetProbeAnswers();
    probeStatus = 500;
    await run();
    expect(sentPrompts).toEqual(['RENDERED+PROBED', 'RENDERED+none']);
  });
});

/** The order probe (vLLM /tokenize): where it says so the fallback goes first; where it fails, the body. */
describe('continuation order', () => {
  let tokenize: 'renders' | 'drops' | 'missing' | 'stalls' = 'renders';
  let tokenizeCalls = 0;
  const sent: string[] = [];
  const engine = fakeEngine((path, body, res) => {
    if (path === '/tokenize') {
      tokenizeCalls++;
      if (tokenize === 'stalls') return; // never answers (the socket closes with the server)
      res.statusCode = tokenize === 'missing' ? 404 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(tokenize === 'missing' ? '{"detail":"Not Found"}' : JSON.stringify({ count: 10 + (body.withReasoning && tokenize === 'renders' ? 40 : 0) }));
      return;
    }
    sent.push(String(body.form ?? ''));
    res.setHeader('content-type', 'text/event-stream');
    res.end(SSE_ANSWER);
  });

  const count = (a: unknown) => (a as { count: number }).count;
  const run = () =>
    continueAt(engine, {
      path: '/v1/chat/completions',
      body: { form: 'block' },
      fallback: { form: 'reasoning' },
      order: { path: '/tokenize', bodies: [{ withReasoning: true }, { withReasoning: false }], fallbackFirst: (a, b) => count(a) - count(b) >= 16 },
    });

  it('a /tokenize that never answers is dropped at the probe deadline: the body first, in about that time', async () => {
    forgetProbeAnswers();
    sent.length = 0;
    tokenize = 'stalls';
    const t0 = Date.now();
    await runContinuation({ url: engine.url, signal: AbortSignal.timeout(5000), onChunk: () => {}, probeTimeoutMs: 200, request: { path: '/v1/chat/completions', body: { form: 'block' }, fallback: { form: 'reasoning' }, order: { path: '/tokenize', bodies: [{ withReasoning: true }, { withReasoning: false }], fallbackFirst: () => true } } });
    expect(sent).toEqual(['block']);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('renders the reasoning: the fallback first; drops it, or no /tokenize: the body first', async () => {
    sent.length = 0;
    for (const t of ['renders', 'drops', 'missing'] as const) {
      forgetProbeAnswers();
      tokenize = t;
      await run();
    }
    expect(sent).toEqual(['reasoning', 'block', 'block']);
  });

  it('the answers are kept a while: ten continuations ask /tokenize twice in all; a failed answer is not kept', async () => {
    forgetProbeAnswers();
    tokenize = 'renders';
    tokenizeCalls = 0;
    for (let i = 0; i < 10; i++) await run();
    expect(tokenizeCalls).toBe(2);
    forgetProbeAnswers();
    tokenize = 'missing';
    tokenizeCalls = 0;
    for (let i = 0; i < 3; i++) await run();
    expect(tokenizeCalls).toBe(6);
  });

  it('a probe body over 4 KiB (a client’s long chat_template_kwargs) is asked each time, not kept', async () => {
    forgetProbeAnswers();
    tokenize = 'renders';
    tokenizeCalls = 0;
    const long = { filler: 'x'.repeat(5000) };
    for (let i = 0; i < 3; i++) {
      await continueAt(engine, {
        path: '/v1/chat/completions',
        body: { form: 'block' },
        fallback: { form: 'reasoning' },
        order: { path: '/tokenize', bodies: [{ withReasoning: true, ...long }, { withReasoning: false, ...long }], fallbackFirst: (a, b) => count(a) - count(b) >= 16 },
      });
    }
    expect(tokenizeCalls).toBe(6);
    expect(sent.slice(-3)).toEqual(['reasoning', 'reasoning', 'reasoning']);
  });

  it('at most 256 answers are kept, the oldest dropped first: a flood of distinct bodies cannot grow it', async () => {
    forgetProbeAnswers();
    tokenize = 'renders';
    const distinct = (i: number) =>
      continueAt(engine, {
        path: '/v1/chat/completions',
        body: { form: 'block' },
        fallback: { form: 'reasoning' },
        order: { path: '/tokenize', bodies: [{ withReasoning: true, client: i }, { withReasoning: false, client: i }], fallbackFirst: (a, b) => count(a) - count(b) >= 16 },
      });
    // 128 continuations of two probes each fill the 256 places.
    for (let i = 0; i < 128; i++) await distinct(i);
    tokenizeCalls = 0;
    await distinct(0);
    await distinct(127);
    expect(tokenizeCalls).toBe(0);
    // One more body: its two answers push out the two oldest (body 0's), and only those.
    await distinct(128);
    expect(tokenizeCalls).toBe(2);
    await distinct(1);
    expect(tokenizeCalls).toBe(2);
    await distinct(0);
    expect(tokenizeCalls).toBe(4);
  });
});

/**
 * A busy engine queues a continuation like any request: llama-server sends nothing, headers
 * included, until a slot frees; vLLM sends its headers, then nothing until it is scheduled. The
 * wait for the answer to begin is the queue allowance; the idle limit applies once it has.
 */
describe('continuation timeouts: the queue, then the idle limit', () => {
  type Shape = 'late-headers' | 'late-body' | 'stall';
  let shape: Shape = 'late-headers';
  const engine = fakeEngine((_path, _body, res) => {
    const event = 'data: {"choices":[{"text":"42","finish_reason":null}]}\n\n';
    if (shape === 'late-headers') {
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`${event}data: [DONE]\n\n`), 400);
    } else if (shape === 'late-body') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      setTimeout(() => res.end(`${event}data: [DONE]\n\n`), 400);
    } else {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(event);
      setTimeout(() => res.end('data: [DONE]\n\n'), 400);
    }
  });

  const run = async (s: Shape, queueTimeoutMs: number | undefined) => {
    shape = s;
    const chunks: string[] = [];
    await runContinuation({
      url: engine.url,
      signal: AbortSignal.timeout(5000),
      idleTimeoutMs: 150,
      queueTimeoutMs,
      onChunk: (c) => chunks.push(c.toString()),
      request: { path: '/v1/completions', body: { stream: true } },
    });
    return chunks.join('');
  };

  it.each(['late-headers', 'late-body'] as const)('an answer that begins after the idle limit but inside the queue allowance arrives (%s)', async (s) => {
    expect(await run(s, 2000)).toContain('"42"');
  });

  it.each(['late-headers', 'late-body'] as const)('past the queue allowance (or with none, the idle limit) the call gives up (%s)', async (s) => {
    await expect(run(s, 250)).rejects.toThrow(/continuation queue timeout/);
    await expect(run(s, undefined)).rejects.toThrow(/continuation queue timeout/);
  });

  it('once the answer has begun, the idle limit applies, not the queue allowance', async () => {
    await expect(run('stall', 2000)).rejects.toThrow(/continuation idle timeout/);
  });
});

/** The fallback form (vLLM: the thinking as `reasoning` where its template refuses a think block): sent once, after a 400 only. */
describe('continuation fallback', () => {
  const bodies: unknown[] = [];
  let status = 400;
  const engine = fakeEngine((_path, body, res) => {
    bodies.push(body);
    if (body.form === 'first') {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end('{"object":"error","message":"refused"}');
      return;
    }
    res.setHeader('content-type', 'text/event-stream');
    res.end('data: {"choices":[{"delta":{"content":"42"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
  });

  const run = (fallback: Record<string, unknown> | undefined) => {
    const chunks: string[] = [];
    const done = runContinuation({ url: engine.url, signal: AbortSignal.timeout(5000), onChunk: (c) => chunks.push(c.toString()), request: { path: '/v1/chat/completions', body: { form: 'first' }, fallback } });
    return done.then(() => chunks.join(''));
  };

  it('a 400 sends the fallback, whose answer streams on', async () => {
    bodies.length = 0;
    status = 400;
    expect(await run({ form: 'fallback' })).toContain('"content":"42"');
    expect(bodies).toEqual([{ form: 'first' }, { form: 'fallback' }]);
  });

  it('no fallback, or another status, fails as before: one call', async () => {
    for (const [s, fallback] of [[400, undefined], [500, { form: 'fallback' }], [429, { form: 'fallback' }]] as const) {
      bodies.length = 0;
      status = s;
      await expect(run(fallback)).rejects.toThrow(new RegExp(`answered ${s}`));
      expect(bodies).toEqual([{ form: 'first' }]);
    }
  });
});

/** An engine that keeps its response open after the answer's end: the read stops at that end. */
describe('a continuation whose engine keeps its response open after the answer ends', () => {
  const engine = fakeEngine((_path, _body, res) => {
    res.setHeader('content-type', 'text/event-stream');
    res.write('data: {"choices":[{"delta":{"content":"42"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
    // Ended only after 3 s (the test's own wait is under that).
    const timer = setTimeout(() => res.end(), 3000);
    res.on('close', () => clearTimeout(timer));
  });

  it('ends as soon as ended() says the answer has ended; without it, it waits for the response to end', async () => {
    let text = '';
    const started = performance.now();
    await runContinuation({ url: engine.url, signal: AbortSignal.timeout(5000), onChunk: (c) => (text += c.toString()), ended: () => text.includes('data: [DONE]'), request: { path: '/v1/chat/completions', body: { stream: true } } });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(text).toContain('"content":"42"');
    const waited = performance.now();
    await runContinuation({ url: engine.url, signal: AbortSignal.timeout(5000), onChunk: () => {}, request: { path: '/v1/chat/completions', body: { stream: true } } });
    expect(performance.now() - waited).toBeGreaterThanOrEqual(2500);
  }, 10_000);
});
