/**
 * Property test of the ext_proc server over gRPC, as an attacker with a gRPC connection (or a
 * broken Envoy) could drive it: random message orders, random and malformed bodies, random
 * chunking of response bodies, spend budgets on. The server never errors a stream, answers
 * every message, and never lets a request body through without a reservation.
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { loadExtProcPackage, type ProcessingRequest, type ProcessingResponse } from '../../src/extproc/proto.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { SpendController } from '../../src/budget/spend.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { ReserveItem } from '../../src/ledger/types.js';
import { warmTokenizer } from '../../src/stream/tokens.js';

type Client = grpc.Client & { Process(): grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse> };

const hdrs = (list: Record<string, string>, eos = false) => ({ headers: { headers: Object.entries(list).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) }, end_of_stream: eos });

/** A ledger that counts the reservations it granted. */
class CountingLedger extends MemoryLedger {
  granted = 0;
  override async reserve(id: string, items: ReserveItem[], now: number, ttlMs: number, deadline?: number) {
    const r = await super.reserve(id, items, now, ttlMs, deadline);
    if (r.ok) this.granted++;
    return r;
  }
}

const chatBodies = [
  JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }),
  JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Prove Fermat, step by step' }], max_tokens: 50 }),
  '{"messages":[null]}',
  '{"messages":[{"role":"user","content":"x"}],"max_tokens":"100"}',
  `{"messages":[{"role":"user","content":"x"}],"x":${'['.repeat(3000)}${']'.repeat(3000)}}`,
  '{"messages":',
  '',
  '\uFFFF\u0000',
];

const message = fc.oneof(
  fc.record({ kind: fc.constant('request_headers' as const), chat: fc.boolean(), eos: fc.boolean() }),
  fc.record({ kind: fc.constant('request_body' as const), body: fc.oneof(fc.constantFrom(...chatBodies), fc.string({ maxLength: 200 })), eos: fc.boolean(), garbage: fc.uint8Array({ maxLength: 64 }), raw: fc.boolean() }),
  fc.record({ kind: fc.constant('response_headers' as const), sse: fc.boolean(), status: fc.constantFrom(200, 400, 503) }),
  fc.record({ kind: fc.constant('response_body' as const), text: fc.oneof(fc.constant('data: {"choices":[{"index":0,"delta":{"reasoning":" x"}}]}\n\n'), fc.constant('data: [DONE]\n\n'), fc.string({ maxLength: 80 })), eos: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('request_trailers' as const, 'response_trailers' as const) }),
);

function toRequest(m: fc.Arbitrary<unknown> extends never ? never : any): ProcessingRequest {
  switch (m.kind) {
    case 'request_headers':
      return { request: 'request_headers', request_headers: hdrs(m.chat ? { ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' } : { ':method': 'GET', ':path': '/v1/models' }, m.eos) };
    case 'request_body':
      return { request: 'request_body', request_body: { body: m.raw ? Buffer.from(m.garbage) : Buffer.from(m.body), end_of_stream: m.eos } };
    case 'response_headers':
      return { request: 'response_headers', response_headers: hdrs({ ':status': String(m.status), 'content-type': m.sse ? 'text/event-stream' : 'application/json' }) };
    case 'response_body':
      return { request: 'response_body', response_body: { body: Buffer.from(m.text), end_of_stream: m.eos } };
    default:
      return { request: m.kind, [m.kind]: { headers: { headers: [] } } } as ProcessingRequest;
  }
}

describe('ext_proc server under random message sequences (spend on)', () => {
  let server: ExtProcServer;
  let client: Client;
  let ledger: CountingLedger;
  beforeAll(async () => {
    const config = validateConfig({ server: { grpcHost: '127.0.0.1', grpcPort: 0 }, spend: { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 1e9 }] } });
    const log = pino({ level: 'silent' });
    // As thinkcap's start does: the first request must not pay for loading the tokenizer.
    warmTokenizer();
    ledger = new CountingLedger();
    const spend = new SpendController(config, ledger, log);
    server = await startExtProcServer({ config, log, spend });
    const pkg = grpc.loadPackageDefinition(loadExtProcPackage()) as any;
    client = new pkg.envoy.service.ext_proc.v3.ExternalProcessor(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown(100);
  });

  it('never errors a stream, answers every message, forwards no request body without a reservation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 8 }), async (msgs) => {
        let forwarded = 0;
        let nonChat: boolean | null = null;
        const grantedBefore = ledger.granted;
        const call = client.Process();
        let streamError: unknown = null;
        call.on('error', (e) => (streamError = e));
        const it = call[Symbol.asyncIterator]();
        for (const m of msgs) {
          const req = toRequest(m);
          // The first request headers decide what the request is (as they do in Envoy).
          if (m.kind === 'request_headers' && nonChat === null) nonChat = !m.chat;
          call.write(req);
          // Generous for a loaded CI machine: an unanswered message would never come at all.
          const next = await Promise.race([it.next(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
          expect(next, `no answer to ${req.request}`).not.toBe('timeout');
          if (next === 'timeout' || next.done) break;
          const res = next.value as ProcessingResponse;
          if (res.immediate_response) break; // Envoy sends nothing more after an immediate response
          // A chat request body (or one whose request is unknown) let through to the backend.
          if (req.request === 'request_body' && res.request_body && nonChat !== true) forwarded++;
        }
        call.end();
        await new Promise((r) => setTimeout(r, 5));
        expect(streamError).toBeNull();
        // Every body that went through had its reservation.
        expect(forwarded).toBeLessThanOrEqual(ledger.granted - grantedBefore);
      }),
      // FUZZ_SEED and FUZZ_PATH replay a failure as fast-check prints it.
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300), ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED), path: process.env.FUZZ_PATH } : {}) },
    );
  }, 120_000);
});
