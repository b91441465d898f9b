/**
 * `thinkcap serve --workers 2` behind the real Envoy: one gRPC port, two worker processes, the
 * memory ledger in the primary (or Redis, reached by every process). The cap holds across
 * workers, every request shows on the primary's dashboard history and /metrics, and a worker
 * that dies is replaced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { startStack, type Stack } from '../../devkit/stack.js';
import { extProcFilter, freePort } from '../../devkit/envoy.js';
import { startRedis, type RunningRedis } from '../../devkit/redis.js';
import { anonymousBudget, concurrentHellos, TEST_ADMIN_TOKEN } from '../harness/spend.js';
import { waitServing } from '../harness/serve.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** $1,000 per million prompt tokens: "Hello" reserves $0.074 and costs $0.014 (the emulator bills 14). */
const PRICING = { promptUsdPerMTok: 1000, completionUsdPerMTok: 0 };
const CAP = 0.3;

interface HistoryRow {
  id: string;
  outcome: string;
  costUsd: number | null;
}

describe.each(['memory', 'redis'] as const)('serve --workers 2 behind Envoy, %s ledger', (ledgerKind) => {
  let redis: RunningRedis | null = null;
  let stack: Stack;
  let child: ChildProcess;
  let dir: string;
  let adminPort: number;
  let log = '';
  const admin = (path: string) => fetch(`http://127.0.0.1:${adminPort}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  const history = async (): Promise<HistoryRow[]> => ((await (await admin('/api/history?limit=1000')).json()) as { requests: HistoryRow[] }).requests;
  /** Requests sent through Envoy so far (every one is recorded once). */
  let sent = 0;
  const hellos = (n: number) => {
    sent += n;
    return concurrentHellos(stack, n);
  };
  /** The worker that handled a request: its id starts with the process id in base 36. */
  const pidOf = (id: string) => parseInt(id.split('-')[0]!, 36);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tc-workers-'));
    // memory: the ledger lives in the primary, workers reach it over IPC; redis: each process talks to Redis.
    if (ledgerKind === 'redis') redis = await startRedis();
    const ledger = redis ? { ledger: 'redis', redis: { url: redis.url } } : {};
    const grpcPort = await freePort();
    adminPort = await freePort();
    writeFileSync(
      join(dir, 'thinkcap.yaml'),
      stringify({
        server: { grpcPort, adminPort },
        log: { level: 'warn' },
        admin: { token: TEST_ADMIN_TOKEN },
        energy: { source: 'none' },
        // Inside Envoy's message_timeout below with margin: 300 requests at once on two cores,
        // with Envoy, the emulator and three thinkcap processes on them, take longer than 200 ms.
        requests: { deadlineMs: 600 },
        spend: { enabled: true, ...ledger, pricing: PRICING, limits: [{ scope: 'tenant', id: '*', window: 'total', usd: CAP }] },
      }),
    );
    child = spawn(process.execPath, [join(packageRoot(), 'dist/src/cli.js'), 'serve', '--workers', '2', '--config', join(dir, 'thinkcap.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitServing({ child, output: () => log.slice(-4096) }, adminPort);
    // Failing closed: a message Envoy gives up on (message_timeout, on a loaded machine) is a 504,
    // not an uncapped request, so what reached the backend is what thinkcap admitted.
    stack = await startStack({
      noThinkcap: true,
      envoy: { thinkcapPort: grpcPort, failureModeAllow: false, mutate: (cfg) => (extProcFilter(cfg).message_timeout = '1s') },
    });
  }, 60_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await redis?.stop();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('300 concurrent requests: the cap holds across workers, upstream calls = admitted, the ledger = the true cost', async () => {
    const statuses = await hellos(300);
    const admitted = statuses.filter((s) => s === 200).length;
    const counts = JSON.stringify(statuses.reduce((m: Record<number, number>, s) => ((m[s] = (m[s] ?? 0) + 1), m), {}));
    expect(admitted, counts).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length, counts).toBeGreaterThan(0);
    // Refused for want of budget (429), or failing closed when an answer came too late (503 from
    // thinkcap, 504 from Envoy): never anything that reached the backend unadmitted.
    expect(statuses.every((s) => [200, 429, 503, 504].includes(s)), counts + log.slice(-3000)).toBe(true);
    expect(stack.emulator.chatCalls()).toBe(admitted);
    // Settlements a loaded primary answered late are retried once a second: wait (bounded) for them.
    let b = await anonymousBudget(adminPort);
    for (let i = 0; i < 200 && b.reserved > 1e-9; i++) {
      await sleep(100);
      b = await anonymousBudget(adminPort);
    }
    expect(b.reserved, counts + log.slice(-3000)).toBeCloseTo(0, 9);
    expect(b.spent).toBeLessThanOrEqual(CAP + 1e-9);
    // Workers send finished requests to the primary in batches (every 50 ms).
    let rows = await history();
    for (let i = 0; i < 40 && rows.length < 300; i++) {
      await sleep(50);
      rows = await history();
    }
    expect(rows).toHaveLength(300);
    // Every request with a reservation is settled at what its record says it cost (a request cut
    // short is charged for what it used).
    expect(b.spent).toBeCloseTo(
      rows.reduce((s, r) => s + (r.costUsd ?? 0), 0),
      9,
    );
  }, 90_000);

  it("both workers serve streams, and the primary's /metrics counts every request once", async () => {
    // Envoy recycles its connection to thinkcap every 500 streams; each new one goes to the next worker.
    for (let i = 0; i < 6 && new Set((await history()).map((r) => pidOf(r.id))).size < 2; i++) await hellos(200);
    await sleep(300); // the last batch of finished requests reaches the primary
    const rows = await history();
    const pids = new Set(rows.map((r) => pidOf(r.id)));
    expect(pids.size).toBe(2);
    expect(pids.has(child.pid!)).toBe(false);
    const text = await (await admin('/metrics')).text();
    const total = text
      .split('\n')
      .filter((l) => l.startsWith('thinkcap_requests_total{'))
      .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
    // Every request sent so far, once (the history keeps the last 1,000 only).
    expect(total).toBe(sent);
    // The per-tenant series too, summed over the workers (these requests carry no tenant).
    const perTenant = text
      .split('\n')
      .filter((l) => l.startsWith('thinkcap_tenant_requests_total{tenant="(none)"'))
      .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
    expect(perTenant).toBe(sent);
    expect(text).toMatch(/thinkcap_budget_refusals_total\{[^}]*\} [1-9]/);
  }, 120_000);

  it('a worker that dies is replaced, and requests are served again', async () => {
    const before = new Set((await history()).map((r) => pidOf(r.id)));
    const victim = [...before][0]!;
    process.kill(victim, 'SIGKILL');
    let served = false;
    let fresh = false;
    // A new worker gets Envoy's next connection: one Envoy opens when the dead worker's resets,
    // or every 500 streams. Bounded by time, not by rounds (rounds are slow on a loaded machine).
    const until = Date.now() + 45_000;
    while (Date.now() < until && !(served && fresh)) {
      await sleep(100);
      const statuses = await hellos(50);
      served = statuses.some((s) => s === 429 || s === 200);
      fresh = (await history()).some((r) => !before.has(pidOf(r.id)));
    }
    expect(served).toBe(true);
    expect(fresh).toBe(true);
    expect(log).toMatch(/worker exited; starting another/);
  }, 90_000);
});
