/**
 * The floor under thinkcap's per-message overhead on this machine: one ext_proc message round
 * trip from a grpc-js client to thinkcap's server, for a message thinkcap answers with no work
 * (a non-chat request's headers), on a new stream and on an open one.
 *
 *   npm run build && node dist/benchmarks/grpc-floor.js
 */
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { validateConfig } from '../src/config/load.js';
import { loadExtProcPackage, type ProcessingRequest, type ProcessingResponse } from '../src/extproc/proto.js';
import { startExtProcServer } from '../src/extproc/server.js';

type Client = grpc.Client & { Process(): grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse> };
const hdr = (l: Record<string, string>) => ({ headers: { headers: Object.entries(l).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) } });
const pct = (a: number[], p: number) => a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))]!;

async function main(): Promise<void> {
  const config = validateConfig({ server: { grpcHost: '127.0.0.1', grpcPort: 0 } });
  const s = await startExtProcServer({ config, log: pino({ level: 'silent' }) });
  const pkg = grpc.loadPackageDefinition(loadExtProcPackage()) as any;
  const c: Client = new pkg.envoy.service.ext_proc.v3.ExternalProcessor(`127.0.0.1:${s.port}`, grpc.credentials.createInsecure());
  const msg: ProcessingRequest = { request: 'request_headers', request_headers: hdr({ ':method': 'GET', ':path': '/v1/models' }) };
  const fresh: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const call = c.Process();
    const it = call[Symbol.asyncIterator]();
    const t0 = process.hrtime.bigint();
    call.write(msg);
    await it.next();
    fresh.push(Number(process.hrtime.bigint() - t0) / 1e6);
    call.end();
  }
  // Same stream: a response body chunk answered unchanged, as for most streamed chunks.
  const call = c.Process();
  const it = call[Symbol.asyncIterator]();
  call.write(msg);
  await it.next();
  const open: number[] = [];
  const chunk: ProcessingRequest = { request: 'response_body', response_body: { body: Buffer.from('data: {"choices":[{"delta":{"content":"x"}}]}\n\n'), end_of_stream: false } };
  for (let i = 0; i < 5000; i++) {
    const t0 = process.hrtime.bigint();
    call.write(chunk);
    await it.next();
    open.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  call.end();
  fresh.sort((a, b) => a - b);
  open.sort((a, b) => a - b);
  console.log('| message | p50 ms | p99 ms | n |');
  console.log('|---|---:|---:|---:|');
  console.log(`| first message on a new ext_proc stream | ${pct(fresh, 50).toFixed(3)} | ${pct(fresh, 99).toFixed(3)} | ${fresh.length} |`);
  console.log(`| body chunk on an open stream | ${pct(open, 50).toFixed(3)} | ${pct(open, 99).toFixed(3)} | ${open.length} |`);
  // Message conversion alone (proto-loader / protobufjs), for scale.
  const def = loadExtProcPackage()['envoy.service.ext_proc.v3.ExternalProcessor'] as unknown as {
    Process: { requestSerialize(v: unknown): Buffer; requestDeserialize(b: Buffer): unknown; responseSerialize(v: unknown): Buffer };
  };
  const bytes = def.Process.requestSerialize(chunk);
  const N = 50_000;
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) def.Process.requestDeserialize(bytes);
  const de = Number(process.hrtime.bigint() - t0) / N / 1000;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) def.Process.responseSerialize({ response_body: {} });
  const ser = Number(process.hrtime.bigint() - t0) / N / 1000;
  console.log(`| decode one response_body request (protobufjs) | ${(de / 1000).toFixed(4)} | | ${N} |`);
  console.log(`| encode one empty BodyResponse (protobufjs) | ${(ser / 1000).toFixed(4)} | | ${N} |`);
  c.close();
  await s.shutdown(100);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
