import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { startExtProcServer, type ExtProcServer } from './extproc/server.js';
import { forgetProbeAnswers } from './extproc/continuation.js';
import type { RequestRecord } from './accounting/record.js';
import { createAdminServer } from './http/admin.js';
import { warmTokenizer } from './stream/tokens.js';
import { warmClassifier } from './classify/warmup.js';
import { SpendController } from './budget/spend.js';
import { MemoryLedger } from './ledger/memory.js';
import { RedisLedger } from './ledger/redis.js';
import type { Ledger } from './ledger/types.js';
import { budgetRoutes } from './http/budget-api.js';
import { Metrics } from './http/metrics.js';
import { Stats } from './http/stats.js';
import { dashboardRoutes } from './http/dashboard.js';
import { EnergyMonitor } from './energy/monitor.js';
import { Router } from './routing/router.js';

export interface Thinkcap {
  /** 0 where this process runs no gRPC server (the primary of serve --workers). */
  grpcPort: number;
  /** 0 where this process runs no admin port (a worker of serve --workers). */
  adminPort: number;
  extProc: ExtProcServer | null;
  /** Recently finished requests, newest last (bounded). */
  history: RequestRecord[];
  spend: SpendController;
  metrics: Metrics;
  stats: Stats;
  energy: EnergyMonitor;
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Injected clock for budget windows (tests). */
  clock?: () => number;
  /**
   * What this process runs: everything, or one side of `serve --workers` (a worker runs the
   * gRPC server, the primary the admin port; see workers.ts).
   */
  role?: 'all' | 'grpc' | 'admin';
  /** A ledger to use instead of one built from the config (a worker's link to the primary's). */
  ledger?: Ledger;
  /** Also told of each finished request (a worker passes it to the primary). */
  onRecord?: (r: RequestRecord) => void;
  /** The text /metrics serves, where it is more than this process's registry (the primary's). */
  metricsText?: () => Promise<string>;
  /** ext_proc streams in flight, where they run in other processes (the primary's /health). */
  activeStreams?: () => number;
  /** Why this process is not ready beyond its ledger, or null (the primary: workers still starting). */
  notReady?: () => string | null;
}

const HISTORY_LIMIT = 1000;

/** Start the ext_proc gRPC server and the admin HTTP server with one config. */
export async function startThinkcap(config: Config, log: Logger, opts: StartOptions = {}): Promise<Thinkcap> {
  // Probe answers are by backend url: a server started anew (in tests, on a port an earlier one
  // had) starts without them.
  forgetProbeAnswers();
  warmTokenizer();
  // Before the servers listen: the first requests would otherwise compile the classifier's regexes.
  const warmUpMs = warmClassifier();
  const clock = opts.clock ?? Date.now;
  // Redis only when budgets are on: no connection attempts for a feature that is off.
  const role = opts.role ?? 'all';
  const ledger: Ledger = opts.ledger ?? (config.spend.enabled && config.spend.ledger === 'redis' ? new RedisLedger(config.spend.redis) : new MemoryLedger());
  const metrics = new Metrics(config.metrics.tenantLabels);
  const stats = new Stats(HISTORY_LIMIT);
  const spend = new SpendController(config, ledger, log, clock, {
    onRefused: (scope, code) => metrics.refusals.inc({ scope, code }),
    onSoftCap: (scope) => metrics.softCaps.inc({ scope }),
    onLedgerError: (mode) => metrics.ledgerErrors.inc({ mode }),
    onOverReservation: (unit, amount) => metrics.settleOverReservation.inc({ unit }, amount),
    onRefundDropped: () => metrics.refundsDropped.inc(),
  });
  if (ledger instanceof RedisLedger) {
    ledger.onDataLost((loss) => {
      metrics.ledgerDataLost.inc();
      log.error({ seen: loss.seen, now: loss.now }, 'spend ledger lost its data: every budget restarted from zero (run Redis with persistence)');
    });
    ledger.onMasterMoved((move) => {
      metrics.ledgerMasterMoves.inc();
      log.warn(move, 'spend ledger was on a Redis master the sentinels no longer name: moved to theirs (spend written on the old one since the failover is lost)');
    });
    let evictable: boolean | null = null;
    ledger.onEvictionChecked((risks) => {
      metrics.ledgerEvictable.set(risks.length > 0 ? 1 : 0);
      // Checked on every connect and every 30 s: said when it changes, not each time.
      if ((risks.length > 0) === evictable) return;
      evictable = risks.length > 0;
      if (evictable) log.warn({ nodes: risks }, 'the Redis holding the spend ledger may evict its keys when full, which silently restarts budgets from zero: set maxmemory-policy noeviction there (or give the ledger a Redis of its own)');
    });
  }
  if (config.spend.enabled) {
    await ledger.ready(2000).catch((err: unknown) => log.error({ err: (err as Error).message, onLedgerError: config.spend.onLedgerError }, 'spend ledger not reachable at start'));
  }
  if (config.spend.enabled) log.info({ ledger: ledger.kind, limits: config.spend.limits.length, onLedgerError: config.spend.onLedgerError }, 'spend budgets on');
  const startedAt = Date.now();
  const history = stats.history;
  const onFinish = (r: RequestRecord) => {
    opts.onRecord?.(r);
    // A worker's history is kept by the primary (onRecord), which serves the dashboard.
    if (role !== 'grpc') stats.add(r);
    metrics.record(r);
    if (r.outcome === 'rejected' && r.status === 401) metrics.refusals.inc({ scope: 'identity', code: 'missing_identity' });
    // Per-request lines at debug: Envoy's access log (dynamic metadata `thinkcap`), /metrics and
    // the dashboard carry the same figures without a log write on the hot path.
    log.debug(
      { req: r.id, requestId: r.requestId ?? undefined, tier: r.tier, budget: r.budget, thinking: r.thinkingTokens, outcome: r.outcome, ms: r.durationMs, reason: r.reason ?? undefined },
      'request done',
    );
  };
  const energy = new EnergyMonitor(config.energy, log);
  energy.onPower = (w) => stats.addPower(w);
  energy.onSample = (gpus, source) => {
    for (const g of gpus) {
      const labels = { gpu: String(g.index), source };
      if (g.powerMw !== null) metrics.gpuPower.set(labels, g.powerMw / 1000);
      if (g.memUsed !== null) metrics.gpuMemoryUsed.set(labels, g.memUsed);
      if (g.memTotal !== null) metrics.gpuMemoryTotal.set(labels, g.memTotal);
      if (g.utilGpu !== null) metrics.gpuUtil.set(labels, g.utilGpu);
      if (g.energyMj !== null) metrics.gpuEnergy.set(labels, g.energyMj / 1000);
    }
  };
  if (config.energy.source !== 'none') await energy.start();
  const router = new Router(config.routing, energy, log);
  if (config.routing.enabled) await router.load();
  const extProc =
    role === 'admin'
      ? null
      : await startExtProcServer({
          config,
          log,
          onFinish,
          onUnauthenticated: () => metrics.grpcUnauthenticated.inc(),
          spend,
          energy,
          router,
          metrics: {
            chunk: (sec) => metrics.chunkSeconds.observe(sec),
            responseUnread: (format) => metrics.responseUnread.inc({ format }),
            release: (outcome) => metrics.release.inc({ outcome }),
            classify: (sec) => metrics.classifySeconds.observe(sec),
            promptCounted: (sec, shortHead) => {
              metrics.promptCountingSeconds.inc(sec);
              if (shortHead) metrics.promptShortHead.inc();
            },
          },
        });
  let adminServer: Server | null = null;
  let adminPort = 0;
  if (role !== 'grpc') {
    const admin = createAdminServer({
      config,
      log,
      startedAt,
      gpuSource: () => energy.source?.description ?? 'none',
      activeStreams: opts.activeStreams ?? (() => extProc?.active ?? 0),
      readiness: () => {
        if (config.spend.enabled && config.spend.onLedgerError === 'closed' && ledger.status !== undefined && ledger.status !== 'ready') {
          return { ready: false, reason: `spend ledger unreachable (${ledger.status}) and spend.onLedgerError is closed` };
        }
        const reason = opts.notReady?.() ?? null;
        return reason === null ? { ready: true } : { ready: false, reason };
      },
    });
    for (const [method, path, h] of budgetRoutes(config, spend, clock)) admin.route(method, path, h);
    for (const [method, path, h] of dashboardRoutes(stats, metrics, () => energy.view(), opts.metricsText)) admin.route(method, path, h);
    const server = admin.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.adminPort, config.server.adminHost, () => resolve());
    });
    const addr = server.address();
    adminPort = typeof addr === 'object' && addr ? addr.port : config.server.adminPort;
    adminServer = server;
  }
  log.info({ grpcPort: extProc?.port, adminPort: adminPort || undefined, classifierWarmUpMs: Math.round(warmUpMs) }, 'thinkcap listening');
  return {
    grpcPort: extProc?.port ?? 0,
    adminPort,
    extProc,
    history,
    spend,
    metrics,
    stats,
    energy,
    async stop(graceMs = config.server.shutdownGraceMs) {
      await extProc?.shutdown(graceMs);
      spend.close();
      await energy.stop();
      await ledger.close();
      if (adminServer) {
        const server = adminServer;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
    },
  };
}
