import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runContinuation } from '../../src/extproc/continuation.js';

/** What a continuation's requests ask of the connection (llama-server closes it after each streamed answer). */
describe('continuation requests and connection reuse', () => {
  const seen: Array<{ path: string; connection: string | undefined; port: number }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ path: req.url ?? '', connection: req.headers.connection, port: req.socket.remotePort ?? 0 });
      if (req.url === '/apply-template') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ prompt: 'P<think>\n' }));
      } else {
        res.setHeader('content-type', 'text/event-stream');
        res.end('data: {"choices":[{"text":"42","finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
      }
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const run = (closeConnection: boolean) =>
    runContinuation({
      url,
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
