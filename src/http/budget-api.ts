import type { IncomingMessage } from 'node:http';
import { SCOPES, WINDOWS, limitSchema, type Config } from '../config/schema.js';
import { isRecord } from '../backends/types.js';
import type { SpendController } from '../budget/spend.js';
import { windowBounds } from '../ledger/windows.js';
import { HttpError, readJsonBody, sendJson, tokenEquals, type RouteHandler } from './admin.js';

function requireAdmin(config: Config, req: IncomingMessage): void {
  const token = config.admin.token;
  if (!token) throw new HttpError(403, 'admin API disabled: set admin.token in the config');
  // Writes take the bearer header only (never the dashboard's cookie).
  const got = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  if (!tokenEquals(got, token)) throw new HttpError(401, 'missing or wrong admin token');
}

function parseScope(raw: string | null): { kind: (typeof SCOPES)[number]; id: string } {
  const m = /^(tenant|user|session|route):(.+)$/.exec(raw ?? '');
  if (!m) throw new HttpError(400, 'scope query parameter must be <tenant|user|session|route>:<id>');
  return { kind: m[1] as (typeof SCOPES)[number], id: m[2]! };
}

/** GET/POST/DELETE /api/budget on the admin port (admin token required). */
export function budgetRoutes(config: Config, spend: SpendController, clock: () => number = Date.now): Array<[string, string, RouteHandler]> {
  return [
    [
      'GET',
      '/api/budget',
      async (req, res, url) => {
        requireAdmin(config, req);
        const { kind, id } = parseScope(url.searchParams.get('scope'));
        const now = clock();
        const counters = await spend.countersFor({ [kind]: id } as Record<string, string>, now);
        const out = [];
        for (const c of counters.filter((c) => c.scope === kind)) {
          const st = await spend.counterState(c, now);
          const used = st.spent + st.reserved;
          out.push({
            scope: `${c.scope}:${c.id}`,
            window: c.window,
            unit: c.unit,
            limit: c.limit,
            spent: st.spent,
            reserved: st.reserved,
            remaining: Math.max(0, c.limit - used),
            windowStart: new Date(windowBounds(c.window, now).start).toISOString(),
            resetAt: c.resetAt === null ? null : new Date(c.resetAt).toISOString(),
            softReached: used >= c.softFraction * c.limit,
            hardReached: used >= c.limit,
          });
        }
        sendJson(res, 200, { scope: `${kind}:${id}`, ledger: spend.ledgerKind, budgets: out });
      },
    ],
    [
      'POST',
      '/api/budget',
      async (req, res) => {
        requireAdmin(config, req);
        // The API says scope as "tenant:acme"; the limit itself is validated by the config's own schema.
        const body = await readJsonBody(req);
        if (!isRecord(body)) throw new HttpError(400, 'body must be a JSON object');
        const { scope, ...rest } = body;
        const { kind, id } = parseScope(typeof scope === 'string' ? scope : null);
        const parsed = limitSchema.safeParse({ ...rest, scope: kind, id });
        if (!parsed.success) {
          throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
        }
        const limit = parsed.data;
        await spend.setLimit(limit);
        sendJson(res, 200, { ok: true, limit });
      },
    ],
    [
      'DELETE',
      '/api/budget',
      async (req, res, url) => {
        requireAdmin(config, req);
        const { kind, id } = parseScope(url.searchParams.get('scope'));
        const window = url.searchParams.get('window');
        const windows = window ? [window] : [...WINDOWS];
        let deleted = 0;
        for (const w of windows) if (await spend.removeLimit(`${kind}:${id}`, w)) deleted++;
        sendJson(res, deleted ? 200 : 404, { ok: deleted > 0, deleted });
      },
    ],
  ];
}
