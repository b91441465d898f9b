import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { startExtProcServer, type ExtProcServer } from './extproc/server.js';
import type { RequestRecord } from './extproc/processor.js';
import { createAdminServer } from './http/admin.js';
import { warmTokenizer } from './stream/tokens.js';

export interface Thinkcap {
  grpcPort: number;
  adminPort: number;
  extProc: ExtProcServer;
  /** Recently finished requests, newest last (bounded). */
  history: RequestRecord[];
  stop(graceMs?: number): Promise<void>;
}

const HISTORY_LIMIT = 1000;

/** Start the ext_proc gRPC server and the admin HTTP server with one config. */
export async function startThinkcap(config: Config, log: Logger): Promise<Thinkcap> {
  warmTokenizer();
  const startedAt = Date.now();
  const history: RequestRecord[] = [];
  const onFinish = (r: RequestRecord) => {
    history.push(r);
    if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
    log.info(
      { req: r.id, tier: r.tier, budget: r.budget, thinking: r.thinkingTokens, outcome: r.outcome, ms: r.durationMs, reason: r.reason ?? undefined },
      'request done',
    );
  };
  const extProc = await startExtProcServer({ config, log, onFinish });
  const admin = createAdminServer({
    config,
    log,
    startedAt,
    gpuSource: () => 'none',
    activeStreams: () => extProc.active,
  });
  const adminServer: Server = admin.server;
  await new Promise<void>((resolve, reject) => {
    adminServer.once('error', reject);
    adminServer.listen(config.server.adminPort, config.server.adminHost, () => resolve());
  });
  const addr = adminServer.address();
  const adminPort = typeof addr === 'object' && addr ? addr.port : config.server.adminPort;
  log.info({ grpcPort: extProc.port, adminPort }, 'thinkcap listening');
  return {
    grpcPort: extProc.port,
    adminPort,
    extProc,
    history,
    async stop(graceMs = config.server.shutdownGraceMs) {
      await extProc.shutdown(graceMs);
      await new Promise<void>((resolve) => {
        adminServer.close(() => resolve());
        adminServer.closeAllConnections();
      });
    },
  };
}
