import { connect, constants, type ClientHttp2Session } from 'node:http2';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { startExtProcServer } from '../../src/extproc/server.js';

/**
 * Envoy resets every ext_proc stream when its request ends; Node's HTTP/2 server closes a
 * connection whose peer resets more streams than its limit allows (nghttp2's token bucket, 1000 in
 * a burst by default). thinkcap sets the limit (server.grpcStreamResets) on the server grpc-js
 * builds. Node reads it from 22 on (22.23, 24.22 and 26.12 checked); npm test runs on 26.
 */
const nodeReadsResetLimit = Number(process.versions.node.split('.')[0]) >= 22;

/** Open `count` ext_proc streams on one connection and reset each at once, as Envoy does at a request's end; stops at a GOAWAY. */
async function resetStreams(port: number, count: number): Promise<{ reset: number; goaway: boolean; open: boolean }> {
  const session: ClientHttp2Session = connect(`http://127.0.0.1:${port}`);
  let goaway = false;
  session.on('goaway', () => (goaway = true));
  session.on('error', () => {});
  await new Promise((r) => session.once('connect', r));
  let reset = 0;
  for (; reset < count && !goaway && !session.destroyed; reset++) {
    const stream = session.request({ ':method': 'POST', ':path': '/envoy.service.ext_proc.v3.ExternalProcessor/Process', 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => {});
    stream.close(constants.NGHTTP2_CANCEL);
    // Let the frames out now and then, as requests ending over time do.
    if (reset % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 300));
  const open = !goaway && !session.destroyed;
  session.destroy();
  return { reset, goaway, open };
}

async function withServer<T>(grpcStreamResets: Record<string, number> | undefined, f: (port: number) => Promise<T>): Promise<T> {
  const config = validateConfig({ server: { grpcHost: '127.0.0.1', grpcPort: 0, ...(grpcStreamResets ? { grpcStreamResets } : {}) } });
  const server = await startExtProcServer({ config, log: pino({ level: 'silent' }) });
  try {
    return await f(server.port);
  } finally {
    await server.shutdown(100);
  }
}

describe.runIf(nodeReadsResetLimit)('stream resets on one gRPC connection (server.grpcStreamResets)', () => {
  it('3,000 streams reset back to back: the connection stays open (defaults)', async () => {
    const r = await withServer(undefined, (port) => resetStreams(port, 3000));
    expect(r).toEqual({ reset: 3000, goaway: false, open: true });
  });

  it("set to Node's own 1000 and 33 a second: the server answers GOAWAY after about 1000", async () => {
    const r = await withServer({ burst: 1000, perSecond: 33 }, (port) => resetStreams(port, 3000));
    expect(r.goaway).toBe(true);
    expect(r.open).toBe(false);
    expect(r.reset).toBeGreaterThanOrEqual(1000);
    expect(r.reset).toBeLessThan(1500);
  });

  it('a small limit is what the server holds to: GOAWAY after about 100', async () => {
    const r = await withServer({ burst: 100, perSecond: 1 }, (port) => resetStreams(port, 3000));
    expect(r.goaway).toBe(true);
    expect(r.reset).toBeGreaterThanOrEqual(100);
    expect(r.reset).toBeLessThan(500);
  });
});

describe('server.grpcStreamResets', () => {
  it('defaults to 10,000 in a burst and 10,000 a second; both are whole numbers of at least 1', () => {
    expect(validateConfig({}).server.grpcStreamResets).toEqual({ burst: 10_000, perSecond: 10_000 });
    expect(() => validateConfig({ server: { grpcStreamResets: { burst: 0 } } })).toThrow(/burst/);
    expect(() => validateConfig({ server: { grpcStreamResets: { perSecond: 1.5 } } })).toThrow(/perSecond/);
    expect(() => validateConfig({ server: { grpcStreamResets: { rate: 5 } } })).toThrow(/Unrecognized key/);
  });
});
