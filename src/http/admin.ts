import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { classifyMessages } from '../classify/classifier.js';
import { resolveThinkingBudget } from '../budget/thinking.js';
import { VERSION } from '../version.js';

export interface AdminDeps {
  config: Config;
  log: Logger;
  startedAt: number;
  /** Description of the GPU energy source, or 'none'. */
  gpuSource(): string;
  activeStreams(): number;
  /** Whether this replica should take traffic, and why not. */
  readiness(): { ready: boolean; reason?: string };
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

const MAX_API_BODY = 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_API_BODY) throw new HttpError(413, `body larger than ${MAX_API_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

/** Constant-time check of a presented token against the configured admin token. */
export function tokenEquals(presented: string, token: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const COOKIE = 'thinkcap_admin';

/** The admin token a request presents: `authorization: Bearer`, or the dashboard's cookie. */
export function presentedToken(req: IncomingMessage): string {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return '';
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The admin port: health, APIs, metrics, dashboard. Routes are added by the modules that own them. */
export function createAdminServer(deps: AdminDeps): { server: Server; route(method: string, path: string, h: RouteHandler): void } {
  const routes = new Map<string, RouteHandler>();
  const route = (method: string, path: string, h: RouteHandler) => routes.set(`${method} ${path}`, h);

  route('GET', '/health', (_req, res) => {
    sendJson(res, 200, {
      status: 'ok',
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      activeStreams: deps.activeStreams(),
      backends: deps.config.backends.map((b) => ({ name: b.name, dialect: b.dialect })),
      defaultDialect: deps.config.defaultDialect,
      gpu: deps.gpuSource(),
    });
  });

  // Readiness, apart from liveness (/health): not ready while a fail-closed ledger is unreachable,
  // so a Kubernetes Service sends Envoy's streams to replicas that can admit requests.
  route('GET', '/ready', (_req, res) => {
    const r = deps.readiness();
    sendJson(res, r.ready ? 200 : 503, r.ready ? { ready: true } : { ready: false, reason: r.reason });
  });

  route('POST', '/api/classify', async (req, res) => {
    const body = await readJsonBody(req);
    const b = body as { messages?: unknown; query?: unknown; text?: unknown };
    let messages: Array<{ role: string; content: unknown }>;
    if (Array.isArray(b?.messages)) messages = b.messages as typeof messages;
    else if (typeof b?.query === 'string' || typeof b?.text === 'string') messages = [{ role: 'user', content: (b.query ?? b.text) as string }];
    else throw new HttpError(400, 'expected {"messages": [...]} or {"query": "..."}');
    const c = classifyMessages(messages, deps.config.classifier.underTierCost);
    const { budget } = resolveThinkingBudget(deps.config, c.tier, {});
    sendJson(res, 200, { ...c, budget });
  });

  const token = deps.config.admin.token;
  const protectReads = deps.config.admin.protectReads && token !== undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (protectReads && url.pathname !== '/health' && url.pathname !== '/ready') {
      // The dashboard page is opened once with ?token=…; it sets a same-site cookie so the page's
      // own requests (fetch, EventSource, which cannot send headers) carry it.
      const fromQuery = url.pathname === '/dashboard' ? (url.searchParams.get('token') ?? '') : '';
      if (fromQuery && tokenEquals(fromQuery, token)) {
        res.setHeader('set-cookie', `${COOKIE}=${encodeURIComponent(fromQuery)}; HttpOnly; SameSite=Strict; Path=/`);
      } else if (!tokenEquals(presentedToken(req), token)) {
        sendJson(res, 401, { error: 'missing or wrong admin token (admin.protectReads is on)' });
        return;
      }
    }
    const h = routes.get(`${req.method} ${url.pathname}`);
    if (!h) {
      const known = [...routes.keys()].some((k) => k.endsWith(` ${url.pathname}`));
      sendJson(res, known ? 405 : 404, { error: known ? 'method not allowed' : 'not found' });
      return;
    }
    Promise.resolve()
      .then(() => h(req, res, url))
      .catch((err: unknown) => {
        if (err instanceof HttpError) sendJson(res, err.status, { error: err.message });
        else {
          deps.log.error({ err, path: url.pathname }, 'admin request failed');
          if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
          else res.end();
        }
      });
  });
  return { server, route };
}
