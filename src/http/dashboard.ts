import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { packageRoot } from '../paths.js';
import type { Stats } from './stats.js';
import { HttpError, sendJson, type RouteHandler } from './admin.js';
import type { Metrics } from './metrics.js';
import type { RequestRecord } from '../accounting/record.js';

const ASSETS: Record<string, string> = {
  '/dashboard': 'index.html',
  '/dashboard/app.js': 'app.js',
  '/dashboard/app.css': 'app.css',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** Fields of a request record the dashboard and /api/history show. */
function publicRecord(r: Stats['history'][number]) {
  return {
    id: r.id,
    requestId: r.requestId,
    time: new Date(r.startedAt).toISOString(),
    tier: r.tier,
    route: r.backend ?? r.route,
    budget: r.budget,
    thinkingTokens: r.thinkingTokens,
    naturalThinkingTokens: r.naturalThinkingTokens,
    completionTokens: r.completionTokens,
    costUsd: r.costUsd,
    costBasis: r.costBasis,
    energyJ: r.energyJ,
    energySource: r.energySource,
    latencyMs: r.durationMs,
    outcome: r.outcome,
    status: r.status,
    reason: r.reason,
    followUp: r.followUp,
    tenant: r.identity.tenant ?? null,
    stream: r.stream,
    preview: r.preview,
    signals: r.signals,
    pressure: r.pressure,
  };
}

/** Unsent bytes one live-feed reader may hold before it is disconnected (about 500 request events). */
export const EVENTS_BUFFER_BYTES = 256 * 1024;

/**
 * Live-feed readers at once, at most: each may hold EVENTS_BUFFER_BYTES, and each is written every
 * request's event, so their number bounds memory and the work a request adds. More get 503.
 */
export const MAX_EVENT_READERS = 64;

/** `metricsText`: what /metrics serves where it is more than this process's registry (serve --workers). */
export function dashboardRoutes(stats: Stats, metrics: Metrics, gpu: () => unknown, metricsText?: () => Promise<string>): Array<[string, string, RouteHandler]> {
  const routes: Array<[string, string, RouteHandler]> = [];
  // Assets are read once at start: everything is served by thinkcap itself, no CDN.
  const dir = join(packageRoot(), 'assets', 'dashboard');
  for (const [path, file] of Object.entries(ASSETS)) {
    const body = readFileSync(join(dir, file));
    const type = TYPES[file.split('.').pop()!]!;
    routes.push([
      'GET',
      path,
      (_req, res) => {
        res.writeHead(200, {
          'content-type': type,
          'cache-control': 'no-cache',
          // Defence in depth: no inline script, no remote origin.
          'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'",
          'x-content-type-options': 'nosniff',
        });
        res.end(body);
      },
    ]);
  }
  routes.push([
    'GET',
    '/api/stats',
    (_req, res) => sendJson(res, 200, stats.snapshot()),
  ]);
  routes.push([
    'GET',
    '/api/history',
    (_req, res, url) => {
      const raw = url.searchParams.get('limit') ?? '50';
      const limit = Number(raw);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be an integer from 1 to 1000');
      // One request by the gateway's id (Envoy's x-request-id, in its access log) or thinkcap's.
      const id = url.searchParams.get('id');
      const rows = id === null ? stats.recent(limit) : stats.history.filter((r) => r.requestId === id || r.id === id).reverse().slice(0, limit);
      sendJson(res, 200, { requests: rows.map(publicRecord) });
    },
  ]);
  routes.push(['GET', '/api/gpu', (_req, res) => sendJson(res, 200, gpu())]);
  let readers = 0;
  // Every reader gets the same event: serialized once per request, not once per reader.
  let lastRecord: RequestRecord | null = null;
  let lastEvent = '';
  const eventOf = (r: RequestRecord): string => {
    if (r !== lastRecord) {
      lastRecord = r;
      lastEvent = `event: request\ndata: ${JSON.stringify(publicRecord(r))}\n\n`;
    }
    return lastEvent;
  };
  routes.push([
    'GET',
    '/api/events',
    (req, res: ServerResponse) => {
      if (readers >= MAX_EVENT_READERS) {
        sendJson(res, 503, { error: { message: `thinkcap: the live feed has its most readers (${MAX_EVENT_READERS}); try again later`, type: 'server_error' } });
        return;
      }
      readers++;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': thinkcap live feed\n\n');
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        readers--;
        clearInterval(ping);
        unsubscribe();
      };
      // Backpressure: a reader that does not keep up is disconnected once its unsent bytes pass
      // the bound (it may reconnect), so slow or stalled readers cannot grow thinkcap's memory.
      const send = (chunk: string) => {
        if (closed) return;
        if (res.writableLength > EVENTS_BUFFER_BYTES) {
          metrics.eventReadersDropped.inc();
          close();
          res.destroy();
          return;
        }
        res.write(chunk);
      };
      const unsubscribe = stats.subscribe((r) => send(eventOf(r)));
      const ping = setInterval(() => send(': ping\n\n'), 15_000);
      ping.unref();
      req.on('close', close);
    },
  ]);
  routes.push([
    'GET',
    '/metrics',
    async (_req, res) => {
      const body = metricsText ? await metricsText() : await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(body);
    },
  ]);
  return routes;
}
