import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { loadExtProcPackage, type ProcessingRequest, type ProcessingResponse } from '../../src/extproc/proto.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';

type Client = grpc.Client & { Process(): grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse> };

function hdrs(list: Record<string, string>) {
  return { headers: { headers: Object.entries(list).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) } };
}

/** Send messages one at a time on one stream, collecting one answer per message. */
async function converse(client: Client, msgs: ProcessingRequest[]): Promise<ProcessingResponse[]> {
  const call = client.Process();
  const out: ProcessingResponse[] = [];
  const it = call[Symbol.asyncIterator]();
  for (const m of msgs) {
    call.write(m);
    const next = await it.next();
    if (next.done) break;
    out.push(next.value as ProcessingResponse);
  }
  call.end();
  return out;
}

describe('ext_proc server', () => {
  let server: ExtProcServer;
  let client: Client;
  const records: unknown[] = [];
  beforeAll(async () => {
    const config = validateConfig({ server: { grpcHost: '127.0.0.1', grpcPort: 0 } });
    server = await startExtProcServer({ config, log: pino({ level: 'silent' }), onFinish: (r) => records.push(r) });
    const pkg = grpc.loadPackageDefinition(loadExtProcPackage()) as any;
    client = new pkg.envoy.service.ext_proc.v3.ExternalProcessor(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown(100);
  });

  const chatHeaders: ProcessingRequest = {
    request: 'request_headers',
    request_headers: hdrs({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }),
  };
  const chatBody: ProcessingRequest = {
    request: 'request_body',
    request_body: { body: Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] })), end_of_stream: true },
  };

  it('a body out of order in one stream is refused there (never forwarded unread) and other streams carry on', async () => {
    // A body before any headers: no request to plan for.
    const [broken, healthy] = await Promise.all([converse(client, [chatBody]), converse(client, [chatHeaders, chatBody])]);
    expect(broken[0]!.immediate_response!.status!.code).toBe('BadRequest');
    expect(broken[0]!.immediate_response!.body!.toString()).toMatch(/out of order/);
    const rewritten = JSON.parse(healthy[1]!.request_body!.response!.body_mutation!.body!.toString());
    expect(rewritten.thinking_token_budget).toBe(32);
    const cl = healthy[1]!.request_body!.response!.header_mutation!.set_headers!.find((h) => h.header.key === 'content-length');
    expect(Number(cl!.header.raw_value.toString())).toBe(healthy[1]!.request_body!.response!.body_mutation!.body!.length);
    // Header values go out as raw_value only.
    for (const h of healthy[1]!.request_body!.response!.header_mutation!.set_headers!) expect((h.header as { value?: string }).value ?? '').toBe('');
  });

  it('skips bodies of non-chat requests with a mode override', async () => {
    const [r] = await converse(client, [{ request: 'request_headers', request_headers: hdrs({ ':method': 'GET', ':path': '/v1/models' }) }]);
    expect(r!.mode_override).toMatchObject({ request_body_mode: 'NONE', response_body_mode: 'NONE', response_header_mode: 'SKIP' });
  });

  it('in FULL_DUPLEX_STREAMED response mode echoes chunks as streamed responses', async () => {
    const resp = await converse(client, [
      { ...chatHeaders, protocol_config: { request_body_mode: 'BUFFERED', response_body_mode: 'FULL_DUPLEX_STREAMED' } },
      chatBody,
      { request: 'response_headers', response_headers: hdrs({ ':status': '200', 'content-type': 'text/event-stream' }) },
      { request: 'response_body', response_body: { body: Buffer.from('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'), end_of_stream: false } },
      { request: 'response_body', response_body: { body: Buffer.from('data: [DONE]\n\n'), end_of_stream: true } },
    ]);
    expect(resp[0]!.mode_override).toBeUndefined();
    const sr = resp[3]!.response_body!.response!.body_mutation!.streamed_response!;
    expect(sr.body!.toString()).toContain('"hi"');
    expect(resp[4]!.response_body!.response!.body_mutation!.streamed_response!.end_of_stream).toBe(true);
    expect(resp[4]!.dynamic_metadata!.fields!.thinkcap).toBeDefined();
  });

  it("says once, in a warning, that Envoy sends bodies before thinkcap's answer to their headers", async () => {
    const lines: string[] = [];
    const config = validateConfig({ server: { grpcHost: '127.0.0.1', grpcPort: 0 } });
    const s = await startExtProcServer({ config, log: pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) }) });
    const pkg = grpc.loadPackageDefinition(loadExtProcPackage()) as any;
    const c: Client = new pkg.envoy.service.ext_proc.v3.ExternalProcessor(`127.0.0.1:${s.port}`, grpc.credentials.createInsecure());
    const early = { ...chatHeaders, protocol_config: { request_body_mode: 'BUFFERED' as const, response_body_mode: 'STREAMED' as const, send_body_without_waiting_for_header_response: true } };
    await converse(c, [{ ...chatHeaders, protocol_config: { request_body_mode: 'BUFFERED', response_body_mode: 'STREAMED' } }, chatBody]);
    expect(lines.filter((l) => l.includes('send_body_without_waiting_for_header_response'))).toHaveLength(0);
    await converse(c, [early, chatBody]);
    await converse(c, [early, chatBody]);
    expect(lines.filter((l) => l.includes('send_body_without_waiting_for_header_response'))).toHaveLength(1);
    c.close();
    await s.shutdown(100);
  });

  it('lets an in-flight stream finish on shutdown', async () => {
    const config = validateConfig({ server: { grpcHost: '127.0.0.1', grpcPort: 0 } });
    const s = await startExtProcServer({ config, log: pino({ level: 'silent' }) });
    const pkg = grpc.loadPackageDefinition(loadExtProcPackage()) as any;
    const c: Client = new pkg.envoy.service.ext_proc.v3.ExternalProcessor(`127.0.0.1:${s.port}`, grpc.credentials.createInsecure());
    const call = c.Process();
    const it = call[Symbol.asyncIterator]();
    call.write(chatHeaders);
    await it.next();
    expect(s.active).toBe(1);
    const stopped = s.shutdown(5000);
    call.write(chatBody);
    const next = await it.next();
    expect((next.value as ProcessingResponse).request_body?.response?.body_mutation?.body).toBeDefined();
    call.end();
    await stopped;
    expect(s.active).toBe(0);
    c.close();
  });
});

describe('ext_proc server without protocol_config (older Envoy)', () => {
  it('uses config.envoyBodyModes: full-duplex responses are answered as streamed responses', async () => {
    const config = validateConfig({ server: { grpcHost: '127.0.0.1', grpcPort: 0 }, envoyBodyModes: { response: 'FULL_DUPLEX_STREAMED' } });
    const s = await startExtProcServer({ config, log: pino({ level: 'silent' }) });
    const pkg = grpc.loadPackageDefinition(loadExtProcPackage()) as any;
    const c: Client = new pkg.envoy.service.ext_proc.v3.ExternalProcessor(`127.0.0.1:${s.port}`, grpc.credentials.createInsecure());
    try {
      const resp = await converse(c, [
        { request: 'request_headers', request_headers: hdrs({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }) },
        { request: 'request_body', request_body: { body: Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] })), end_of_stream: true } },
        { request: 'response_headers', response_headers: hdrs({ ':status': '200', 'content-type': 'text/event-stream' }) },
        { request: 'response_body', response_body: { body: Buffer.from('data: [DONE]\n\n'), end_of_stream: true } },
      ]);
      expect(resp[0]!.mode_override).toBeUndefined();
      expect(resp[3]!.response_body!.response!.body_mutation!.streamed_response!.end_of_stream).toBe(true);
    } finally {
      c.close();
      await s.shutdown(100);
    }
  });
});
