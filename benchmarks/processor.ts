/**
 * thinkcap's request handling in process, without Envoy or gRPC: one RequestProcessor per
 * request driven through the four phases of a whole-JSON chat request, with every feature on
 * (spend on the memory ledger, estimated energy). Reports µs and CPU µs per request.
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

async function measure(root: string): Promise<{ us: number; cpuUs: number }> {
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
  const hv = (o: Record<string, string>) => ({ headers: { headers: Object.entries(o).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) } });
  const reqH = { request: 'request_headers', request_headers: hv({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }) };
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
  // As the gRPC server does: the planner's dependencies built once (builds that have planDepsFor).
  const base = { config, log, onFinish: () => {}, spend, energy };
  const planDeps = typeof planDepsFor === 'function' ? planDepsFor(base) : undefined;
  const one = async () => {
    const p = new RequestProcessor({ ...base, planDeps });
    for (const m of [reqH, reqB, respH, respB]) await p.handle(m);
    p.close(false);
  };
  for (let i = 0; i < 2000; i++) await one();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await one();
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(c0);
  await energy.stop();
  return { us: ns / N / 1000, cpuUs: (cpu.user + cpu.system) / N };
}

async function main(): Promise<void> {
  const child = arg('--child');
  if (child) {
    console.log(JSON.stringify(await measure(child)));
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
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
