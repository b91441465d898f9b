/**
 * `thinkcap serve --workers N`: N processes behind one gRPC port (node:cluster shares the
 * listening socket; each connection, and so each ext_proc stream, stays on the worker that
 * accepted it). The primary process runs the admin port and holds what must be one for all:
 * the memory ledger (workers reach it over IPC; a Redis ledger they reach directly), the
 * dashboard's request history (workers send each finished request), and /metrics (every
 * worker's registry summed with the primary's).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { startThinkcap, type Thinkcap } from './app.js';
import type { RequestRecord } from './accounting/record.js';
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { answerLedgerCall, IpcLedger, type LedgerCall } from './ledger/ipc.js';
import { MemoryLedger } from './ledger/memory.js';
import { RedisLedger } from './ledger/redis.js';
import type { Ledger } from './ledger/types.js';

type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>;

/** What a worker tells the primary. */
type FromWorker =
  | LedgerCall
  | { t: 'records'; rs: RequestRecord[] }
  | { t: 'active'; n: number }
  | { t: 'metrics'; id: number; json: MetricsJson }
  | { t: 'up'; grpcPort: number };

/** `--workers` as given: a count, or `auto` (one per core). */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new ConfigError(`--workers must be a whole number from 1 to 256, or auto (got '${value}')`);
  return n;
}

/** What keeps a config from running in N workers, or null. */
export function workersProblem(config: Config, n: number): string | null {
  if (n <= 1) return null;
  // Energy is shared among the requests a process sees at once; a worker sees only its own.
  if (config.energy.source !== 'none') {
    return `--workers ${n} needs energy.source: none (GPU energy is shared among the requests in flight in one process, and each worker would see only its own; run --workers 1 where energy is measured)`;
  }
  return null;
}

export interface Primary {
  app: Thinkcap;
  /** Resolves once every worker listens; the shared gRPC port. */
  ready: Promise<number>;
  stop(): Promise<void>;
}

/** The primary: forks the workers, answers their ledger calls, serves the admin port for all. */
export async function startPrimary(config: Config, log: Logger, n: number, onFatal: () => void): Promise<Primary> {
  const ledger: Ledger = config.spend.enabled && config.spend.ledger === 'redis' ? new RedisLedger(config.spend.redis) : new MemoryLedger();
  const active = new Map<number, number>();
  const metricsWaiters = new Map<number, (json: MetricsJson | null) => void>();
  /** Workers listening now, and every worker that ever came up. */
  const upWorkers = new Set<number>();
  const everUp = new Set<number>();
  let nextMetricsId = 0;
  let stopping = false;

  const workerMetrics = (w: Worker): Promise<MetricsJson | null> =>
    new Promise((resolve) => {
      const id = nextMetricsId++;
      const timer = setTimeout(() => {
        metricsWaiters.delete(id);
        resolve(null); // a worker that does not answer in time is left out of this scrape
      }, 1000);
      metricsWaiters.set(id, (json) => {
        clearTimeout(timer);
        metricsWaiters.delete(id);
        resolve(json);
      });
      if (!w.isConnected() || !w.send({ t: 'metrics', id })) metricsWaiters.get(id)?.(null);
    });

  const app = await startThinkcap(config, log, {
    role: 'admin',
    ledger,
    activeStreams: () => [...active.values()].reduce((a, b) => a + b, 0),
    notReady: () => (upWorkers.size < n ? `${upWorkers.size} of ${n} workers listening` : null),
    metricsText: async () => {
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      const parts = (await Promise.all(workers.map(workerMetrics))).filter((j): j is MetricsJson => j !== null);
      parts.push((await app.metrics.registry.getMetricsAsJSON()) as MetricsJson);
      return AggregatorRegistry.aggregate(parts).metrics();
    },
  });

  let resolveReady!: (port: number) => void;
  const ready = new Promise<number>((r) => (resolveReady = r));
  const fork = () => cluster.fork();
  cluster.on('message', (w: Worker, m: FromWorker) => {
    switch (m?.t) {
      case 'ledger':
        void answerLedgerCall(ledger, m).then((reply) => {
          if (reply && w.isConnected()) w.send(reply);
        });
        return;
      case 'records':
        for (const r of m.rs) app.stats.add(r);
        return;
      case 'active':
        active.set(w.id, m.n);
        return;
      case 'metrics':
        metricsWaiters.get(m.id)?.(m.json);
        return;
      case 'up':
        upWorkers.add(w.id);
        everUp.add(w.id);
        if (upWorkers.size === n) resolveReady(m.grpcPort);
        return;
    }
  });
  cluster.on('exit', (w, code, signal) => {
    active.delete(w.id);
    upWorkers.delete(w.id);
    if (stopping) return;
    if (!everUp.has(w.id)) {
      // It never came up (a bad config, a port in use): starting it again would fail the same way.
      log.fatal({ worker: w.process.pid, code, signal }, 'a worker failed to start; stopping');
      onFatal();
      return;
    }
    log.error({ worker: w.process.pid, code, signal }, 'worker exited; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, 500).unref();
  });
  for (let i = 0; i < n; i++) fork();
  log.info({ workers: n, adminPort: app.adminPort }, 'thinkcap primary up');

  return {
    app,
    ready,
    async stop() {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              // Each worker drains its streams (server.shutdownGraceMs); past that, it is killed.
              const kill = setTimeout(() => w.process.kill('SIGKILL'), config.server.shutdownGraceMs + 3000);
              w.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              w.process.kill('SIGTERM');
            }),
        ),
      );
      await app.stop(0);
    },
  };
}

/** A worker: the gRPC server, its ledger calls and finished requests going to the primary. */
export async function startWorker(config: Config, log: Logger, n: number): Promise<Thinkcap> {
  const send = (m: unknown) => (process.connected && process.send ? process.send(m) : false);
  // The fail-open allowance is the fleet's: every worker is one more process that may use a share.
  const shared: Config = { ...config, spend: { ...config.spend, replicas: config.spend.replicas * n } };
  const ledger = config.spend.ledger === 'redis' ? undefined : new IpcLedger({ send, onMessage: (l) => process.on('message', l) });
  // Finished requests go to the primary in batches (one IPC message per 50 ms or 100 requests).
  let batch: RequestRecord[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    send({ t: 'records', rs: batch });
    batch = [];
  };
  const flushTimer = setInterval(flush, 50);
  flushTimer.unref();
  const onRecord = (r: RequestRecord) => {
    batch.push(r);
    if (batch.length >= 100) flush();
  };
  const app = await startThinkcap(shared, log, { role: 'grpc', ledger, onRecord });
  process.on('message', (m: { t?: string; id?: number }) => {
    if (m?.t !== 'metrics') return;
    void app.metrics.registry.getMetricsAsJSON().then((json) => send({ t: 'metrics', id: m.id, json }));
  });
  const report = setInterval(() => send({ t: 'active', n: app.extProc?.active ?? 0 }), 500);
  report.unref();
  send({ t: 'up', grpcPort: app.grpcPort });
  const worker: Thinkcap = {
    ...app,
    // Requests that finish while draining still reach the primary.
    async stop(graceMs?: number) {
      clearInterval(report);
      clearInterval(flushTimer);
      await app.stop(graceMs);
      flush();
    },
  };
  // The primary is gone: stop taking streams rather than run without a ledger or a dashboard.
  process.once('disconnect', () => void worker.stop().finally(() => process.exit(0)));
  return worker;
}

