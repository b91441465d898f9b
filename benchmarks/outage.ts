/**
 * What the spend controller holds, and how long it takes, when many identities meet an outage or
 * a busy window: in process, one SpendController per scenario, in a fresh child process per build
 * (run with --expose-gc, so heap growth is read after a full collection).
 *
 *   npm run build && node dist/benchmarks/outage.js [--against <other built checkout>] [--n 100000]
 *
 * - fail-closed, ledger away: n requests, each from its own user, all refused (503). Heap growth
 *   and what waits for the ledger's return.
 * - fail-open, ledger away: the same n requests admitted on the local allowance where the
 *   controller admits them (each user has a whole allowance of its own), each settled.
 * - ledger up (memory ledger), a session limit: 40,000 sessions reserve once each. ms in all
 *   (every counter of an open window stays in the ledger).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/paths.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const N = Number(arg('--n') ?? 100_000);

interface Row {
  closedMb: number;
  closedWaiting: number;
  openAdmitted: number;
  openMb: number;
  openWaiting: number;
  sessionsMs: number;
}

async function measure(root: string): Promise<Row> {
  const { validateConfig } = await import(`${root}/dist/src/config/load.js`);
  const { SpendController } = await import(`${root}/dist/src/budget/spend.js`);
  const { MemoryLedger } = await import(`${root}/dist/src/ledger/memory.js`);
  const { LedgerUnavailableError } = await import(`${root}/dist/src/ledger/types.js`);
  const { pino } = await import('pino');
  const log = pino({ level: 'silent' });
  const gc = (globalThis as { gc?: () => void }).gc!;
  const heap = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const away = () => {
    const ledger = new MemoryLedger();
    ledger.reserve = async () => {
      throw new LedgerUnavailableError('away');
    };
    ledger.settle = async () => {
      throw new LedgerUnavailableError('away');
    };
    return ledger;
  };
  const run = async (mode: 'closed' | 'open') => {
    const config = validateConfig({ spend: { enabled: true, onLedgerError: mode, limits: [{ scope: 'user', id: '*', window: 'day', usd: 10 }] } });
    const spend = new SpendController(config, away(), log);
    const before = heap();
    let admitted = 0;
    for (let i = 0; i < N; i++) {
      const r = await spend.preflight({ tenant: 't', user: `u${i}` }, 0.001, 10);
      if (r.ok) {
        admitted++;
        await spend.settle(r.reservation, 0.0005, 5);
      }
    }
    await new Promise((r) => setTimeout(r, 20));
    const mb = (heap() - before) / 1e6;
    const waiting = spend.pendingReconciliation as number;
    spend.close();
    return { mb, waiting, admitted };
  };
  const closed = await run('closed');
  const open = await run('open');
  const config = validateConfig({ spend: { enabled: true, limits: [{ scope: 'session', id: '*', window: 'hour', usd: 1 }] } });
  const spend = new SpendController(config, new MemoryLedger(), log);
  const t0 = performance.now();
  for (let i = 0; i < 40_000; i++) await spend.preflight({ tenant: 't', session: `s${i}` }, 0.001, 10);
  const sessionsMs = performance.now() - t0;
  spend.close();
  return { closedMb: closed.mb, closedWaiting: closed.waiting, openAdmitted: open.admitted, openMb: open.mb, openWaiting: open.waiting, sessionsMs };
}

async function main(): Promise<void> {
  const child = arg('--child');
  if (child) {
    console.log(JSON.stringify(await measure(child)));
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const roots = [packageRoot(), ...(arg('--against') ? [arg('--against')!] : [])];
  console.log(`${N} requests, each from its own user, with the spend ledger away; then 40,000 sessions reserving with it up (one run per build, a fresh process each)\n`);
  console.log('| build | fail-closed: heap growth MB | waiting for the ledger | fail-open: admitted | heap growth MB | waiting | 40,000 session reserves, ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const root of roots) {
    const out = execFileSync(process.execPath, ['--expose-gc', self, '--child', root, '--n', String(N)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as Row;
    console.log(`| ${root} | ${r.closedMb.toFixed(1)} | ${r.closedWaiting} | ${r.openAdmitted} | ${r.openMb.toFixed(1)} | ${r.openWaiting} | ${r.sessionsMs.toFixed(0)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
