/**
 * thinkcap's request handling in process, without Envoy or gRPC: one RequestProcessor per
 * request driven through the four phases of a whole-JSON chat request, with every feature on
 * (spend on the memory ledger, estimated energy). Reports µs and CPU µs per request. Then a
 * streamed request (30 reasoning + 30 answer SSE events, vLLM's format, one event per
 * response_body message): µs per chunk and bytes allocated on the JS heap per chunk (the heap's
 * growth over a batch of 1,200 chunks, median of 200 batches, with a fixed 64 MB young
 * generation so that most batches run without a garbage collection). Last, the framing of one
 * SSE event that a backend sends in 1 KB reads (1 MB and 4 MB of data): ms for the whole event.
 *
 *   npm run build && node dist/benchmarks/processor.js [--against <other checkout>] [--n 20000]
 *
 * --against runs the same loop on another built checkout (its dist/ and node_modules/) in
 * alternating child processes: a before/after comparison free of Envoy's noise.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/paths.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const N = Number(arg('--n') ?? 20000);

/** A build's processor with every feature on (spend on the memory ledger, estimated energy), as the gRPC server builds it. */
async function everyFeature(root: string) {
  const { validateConfig } = await import(`${root}/dist/src/config/load.js`);
  const { RequestProcessor, planDepsFor } = await import(`${root}/dist/src/extproc/processor.js`);
  const { SpendController } = await import(`${root}/dist/src/budget/spend.js`);
  const { MemoryLedger } = await import(`${root}/dist/src/ledger/memory.js`);
  const { EnergyMonitor } = await import(`${root}/dist/src/energy/monitor.js`);
  const { pino } = await import('pino');
  const log = pino({ level: 'silent' });
  const config = validateConfig({
    spend: { enabled: true, ledger: 'memory', limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 1e9 }] },
    energy: { source: 'estimated', estimatedWatts: 300 },
  });
  const spend = new SpendController(config, new MemoryLedger(), log);
  const energy = new EnergyMonitor(config, log);
  await energy.start?.();
  const base = { config, log, onFinish: () => {}, spend, energy };
  // The planner's dependencies built once (builds that have planDepsFor).
  const planDeps = typeof planDepsFor === 'function' ? planDepsFor(base) : undefined;
  return { newProcessor: () => new RequestProcessor({ ...base, planDeps }), stop: () => energy.stop() };
}

const hv = (o: Record<string, string>) => ({ headers: { headers: Object.entries(o).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) } });
const reqH = { request: 'request_headers', request_headers: hv({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }) };

async function measure(root: string): Promise<{ us: number; cpuUs: number }> {
  const { newProcessor, stop } = await everyFeature(root);
  const reqB = { request: 'request_body', request_body: { body: Buffer.from(JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Hello there' }] })), end_of_stream: true } };
  const respH = { request: 'response_headers', response_headers: hv({ ':status': '200', 'content-type': 'application/json' }) };
  const answer = {
    id: 'x',
    object: 'chat.completion',
    model: 'bench',
    choices: [{ index: 0, message: { role: 'assistant', reasoning: 'Let me think about this carefully step by step '.repeat(3), content: 'The answer is that it depends on the details given here.' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: 60, total_tokens: 70 },
  };
  const respB = { request: 'response_body', response_body: { body: Buffer.from(JSON.stringify(answer)), end_of_stream: true } };
  const one = async () => {
    const p = newProcessor();
    for (const m of [reqH, reqB, respH, respB]) await p.handle(m);
    p.close(false);
  };
  for (let i = 0; i < 2000; i++) await one();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await one();
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(c0);
  await stop();
  return { us: ns / N / 1000, cpuUs: (cpu.user + cpu.system) / N };
}

const CHUNKS_PER_STREAM = 60;

/** A streamed chat request in the default dialect (vLLM's SSE). */
async function measureStream(root: string): Promise<{ usPerChunk: number; bytesPerChunk: number }> {
  const { newProcessor, stop } = await everyFeature(root);
  // A deep question: its budget is far above the 30 reasoning events, so every arm carries the same bytes.
  const question = 'Prove that there are infinitely many primes, rigorously, step by step, and discuss the history of the proof.';
  const reqB = { request: 'request_body', request_body: { body: Buffer.from(JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: question }] })), end_of_stream: true } };
  const respH = { request: 'response_headers', response_headers: hv({ ':status': '200', 'content-type': 'text/event-stream' }) };
  const event = (delta: Record<string, string>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'bench', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const chunks = [
    ...Array.from({ length: 30 }, (_, i) => event({ reasoning_content: ` step${i}` })),
    ...Array.from({ length: 29 }, (_, i) => event({ content: ` word${i}` })),
    event({ content: '.' }, 'stop') + 'data: [DONE]\n\n',
  ].map((text, i) => ({ request: 'response_body', response_body: { body: Buffer.from(text), end_of_stream: i === CHUNKS_PER_STREAM - 1 } }));
  const open = async () => {
    const p = newProcessor();
    for (const m of [reqH, reqB, respH]) await p.handle(m);
    return p;
  };
  // Warm up, then time the chunks only (streams opened before each batch).
  for (let i = 0; i < 300; i++) {
    const p = await open();
    for (const c of chunks) await p.handle(c);
    p.close(false);
  }
  const STREAMS = 20;
  const perChunkBytes: number[] = [];
  let ns = 0;
  let timed = 0;
  for (let batch = 0; batch < 200; batch++) {
    const open20 = await Promise.all(Array.from({ length: STREAMS }, open));
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = process.hrtime.bigint();
    for (const p of open20) {
      for (const c of chunks) {
        // Chunks are answered synchronously; awaiting a plain value would allocate a promise the server never makes.
        const r = p.handle(c);
        if (r instanceof Promise) await r;
      }
    }
    ns += Number(process.hrtime.bigint() - t0);
    timed += STREAMS * CHUNKS_PER_STREAM;
    const heap1 = process.memoryUsage().heapUsed;
    perChunkBytes.push((heap1 - heap0) / (STREAMS * CHUNKS_PER_STREAM));
    for (const p of open20) p.close(false);
  }
  await stop();
  perChunkBytes.sort((a, b) => a - b);
  // The median batch: one that a scavenge interrupted reads low, and with a 64 MB young
  // generation and ~8 MB a batch, at most about one in eight is.
  return { usPerChunk: ns / timed / 1000, bytesPerChunk: perChunkBytes[Math.floor(perChunkBytes.length / 2)]! };
}

/** ms to frame one SSE event of `mb` MB of data that arrives in 1 KB reads (the framer alone). */
async function measureLongEvent(root: string, mb: number): Promise<{ ms: number }> {
  const { SseFramer } = await import(`${root}/dist/src/stream/sse.js`);
  const read = Buffer.alloc(1024, 'x');
  const framer = new SseFramer();
  const t0 = performance.now();
  let bytes = framer.push(Buffer.from('data: ')).length;
  for (let n = 0; n < mb * 1024 * 1024; n += read.length) for (const ev of framer.push(read)) bytes += ev.raw.length;
  for (const ev of framer.push(Buffer.from('\n\n'))) bytes += ev.raw.length;
  if (bytes !== mb * 1024 * 1024 + 8) throw new Error(`framed ${bytes} bytes`);
  return { ms: performance.now() - t0 };
}

async function main(): Promise<void> {
  const child = arg('--child');
  if (child) {
    const longEvent = arg('--long-event');
    console.log(JSON.stringify(longEvent ? await measureLongEvent(child, Number(longEvent)) : process.argv.includes('--stream') ? await measureStream(child) : await measure(child)));
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const roots = [packageRoot(), ...(arg('--against') ? [arg('--against')!] : [])];
  const rows: Record<string, Array<{ us: number; cpuUs: number }>> = {};
  for (let round = 0; round < 3; round++) {
    for (const root of round % 2 === 0 ? roots : [...roots].reverse()) {
      const out = execFileSync(process.execPath, [self, '--child', root, '--n', String(N)], { encoding: 'utf8' });
      (rows[root] ??= []).push(JSON.parse(out.trim().split('\n').at(-1)!));
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  console.log(`whole-JSON chat request, in process, every feature on; ${N} requests per run, 3 runs, median`);
  console.log('| build | µs per request | CPU µs per request |');
  console.log('|---|---:|---:|');
  for (const root of roots) console.log(`| ${root} | ${med(rows[root]!.map((r) => r.us)).toFixed(1)} | ${med(rows[root]!.map((r) => r.cpuUs)).toFixed(1)} |`);

  const streamRows: Record<string, Array<{ usPerChunk: number; bytesPerChunk: number }>> = {};
  for (let round = 0; round < 3; round++) {
    for (const root of round % 2 === 0 ? roots : [...roots].reverse()) {
      // A fixed 64 MB semi-space (min = max; it otherwise starts at 1 MB and grows): most
      // batches of 1,200 chunks then run without a scavenge.
      const out = execFileSync(process.execPath, ['--min-semi-space-size=64', '--max-semi-space-size=64', self, '--child', root, '--stream'], { encoding: 'utf8' });
      (streamRows[root] ??= []).push(JSON.parse(out.trim().split('\n').at(-1)!));
    }
  }
  console.log(`\nstreamed chat request (vLLM SSE, ${CHUNKS_PER_STREAM} events, one per response_body message), in process, every feature on; 3 runs, median`);
  console.log('| build | µs per chunk | JS heap bytes allocated per chunk (median of 200 batches) |');
  console.log('|---|---:|---:|');
  for (const root of roots) {
    const r = streamRows[root]!;
    console.log(`| ${root} | ${med(r.map((x) => x.usPerChunk)).toFixed(2)} | ${med(r.map((x) => x.bytesPerChunk)).toFixed(0)} |`);
  }

  const SIZES = [1, 4];
  console.log('\none SSE event a backend sends in 1 KB reads (the framer alone; one run each, in a fresh process)');
  console.log(`| build | ${SIZES.map((mb) => `${mb} MB event, ms`).join(' | ')} |`);
  console.log(`|---|${SIZES.map(() => '---:').join('|')}|`);
  for (const root of roots) {
    const cells = SIZES.map((mb) => {
      const out = execFileSync(process.execPath, [self, '--child', root, '--long-event', String(mb)], { encoding: 'utf8' });
      return (JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number }).ms.toFixed(0);
    });
    console.log(`| ${root} | ${cells.join(' | ')} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
