import type { Config } from './schema.js';
import { backendOptions, buildDialect } from '../backends/registry.js';
import { followUpsFit, generatesUncapped } from '../extproc/plan.js';
import type { BodySendMode } from '../extproc/proto.js';

/** One thing `thinkcap check` found: a plain sentence naming the field. */
export interface Finding {
  level: 'error' | 'warning';
  message: string;
}

const EXT_PROC = 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';
const HEADER_MUTATION = 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation';
/** Envoy's default per-connection buffer limit. */
const ENVOY_DEFAULT_BUFFER = 1024 * 1024;
/** thinkcap's gRPC receive limit (see extproc/server.ts). */
const GRPC_RECEIVE_LIMIT = 64 * 1024 * 1024;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A protobuf Duration as Envoy's YAML writes it ("0.2s", "200ms" is not valid there) in ms. */
function durationMs(v: unknown): number | null {
  if (typeof v === 'string') {
    const m = /^(\d+(?:\.\d+)?)s$/.exec(v.trim());
    return m ? Number(m[1]) * 1000 : null;
  }
  const o = obj(v);
  if (typeof o.seconds === 'number' || typeof o.nanos === 'number') return Number(o.seconds ?? 0) * 1000 + Number(o.nanos ?? 0) / 1e6;
  return null;
}

interface Chain {
  listener: Obj;
  hcm: Obj;
  filters: Obj[];
}

function chains(envoy: Obj): Chain[] {
  const out: Chain[] = [];
  for (const l of arr(obj(envoy.static_resources).listeners)) {
    const listener = obj(l);
    for (const fc of [...arr(listener.filter_chains), ...(listener.default_filter_chain === undefined ? [] : [listener.default_filter_chain])]) {
      for (const f of arr(obj(fc).filters)) {
        const tc = obj(obj(f).typed_config);
        if (!String(tc['@type'] ?? '').endsWith('HttpConnectionManager')) continue;
        out.push({ listener: obj(l), hcm: tc, filters: arr(tc.http_filters).map(obj) });
      }
    }
  }
  return out;
}

/** A field of a cluster's common_http_protocol_options, in the typed protocol options or the deprecated field. */
function commonHttpOption(cluster: Record<string, unknown>, field: string): unknown {
  const protocol = Object.values(obj(cluster.typed_extension_protocol_options)).map(obj);
  return protocol.map((o) => obj(o.common_http_protocol_options)[field]).find((v) => v !== undefined) ?? obj(cluster.common_http_protocol_options)[field];
}
/** max_requests_per_connection: in the protocol options, or the cluster's own deprecated field (older control planes, Istio among them, write that one). */
const maxRequestsPerConnection = (cluster: Record<string, unknown>) => commonHttpOption(cluster, 'max_requests_per_connection') ?? cluster.max_requests_per_connection;

/** How long vLLM's and SGLang's HTTP server (uvicorn) keeps an idle connection, by default. */
const ENGINE_KEEP_ALIVE_MS = 5000;
const UVICORN_DIALECTS = new Set(['vllm', 'sglang']);

const EXT_PROC_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute';

const FILTER_CONFIG = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';

/** Does a typed_per_filter_config turn ext_proc (the filter named extProcName) off? */
function disablesExtProc(perFilter: unknown, extProcName: string): boolean {
  return Object.entries(obj(perFilter)).some(([key, v]) => {
    const o = obj(v);
    // ExtProcPerRoute { disabled }, alone or inside a FilterConfig; or FilterConfig { disabled } for the filter.
    if (o['@type'] === FILTER_CONFIG && key === extProcName && o.disabled === true) return true;
    const inner = o['@type'] === FILTER_CONFIG ? obj(o.config) : o;
    return inner['@type'] === EXT_PROC_PER_ROUTE && inner.disabled === true;
  });
}

/**
 * Whether thinkcap treats a request on this path as chat (match.paths, by suffix). Lower case on
 * both sides: a route with case_sensitive: false matches any case.
 */
function isChatPath(path: string, config: Config): boolean {
  // (A path equal to a chat path also ends with it.)
  return config.match.paths.some((c) => path.toLowerCase().endsWith(c.toLowerCase()));
}

/**
 * Routes (or whole virtual hosts) where ext_proc is off are a way around the budget unless no
 * chat request can match them: only exact `path` matches that are not chat paths are safe.
 */
function extProcDisabledRoutes(hcm: Record<string, unknown>, extProcName: string, config: Config): string[] {
  const out: string[] = [];
  for (const vh of arr(obj(hcm.route_config).virtual_hosts).map(obj)) {
    if (disablesExtProc(vh.typed_per_filter_config, extProcName)) out.push(`virtual host '${String(vh.name)}' turns ext_proc off for all its routes: chat requests through it skip thinkcap (and its budgets).`);
    for (const r of arr(vh.routes).map(obj)) {
      // A route that answers itself (direct_response, redirect) sends nothing to an engine.
      if (!disablesExtProc(r.typed_per_filter_config, extProcName) || r.route === undefined) continue;
      const m = obj(r.match);
      const name = `route '${String(r.name ?? '(unnamed)')}'`;
      if (typeof m.path !== 'string') out.push(`${name} turns ext_proc off and matches by ${Object.keys(m).filter((k) => k !== 'headers').join(', ') || 'nothing stated'}: a chat request could match it and skip thinkcap; turn ext_proc off on exact paths only.`);
      else if (isChatPath(m.path, config)) out.push(`${name} turns ext_proc off on ${m.path}, a chat path (match.paths): those requests would skip thinkcap.`);
    }
  }
  return out;
}

/** Can a route with this match carry chat requests? An exact chat path, a prefix of one ("/", "/v1/"); anything else (regex, templates) may match one. */
function mayCarryChat(m: Obj, config: Config): boolean {
  if (typeof m.path === 'string') return isChatPath(m.path, config);
  if (typeof m.prefix === 'string') return config.match.paths.some((c) => c.toLowerCase().startsWith(String(m.prefix).toLowerCase()));
  return true;
}

/** The connection manager's routes that forward (a route action) and may carry chat requests, with their names as findings say them. */
function* chatRoutes(hcm: Record<string, unknown>, config: Config): Generator<{ action: Obj; name: string }> {
  for (const vh of arr(obj(hcm.route_config).virtual_hosts).map(obj)) {
    for (const route of arr(vh.routes).map(obj)) {
      if (route.route === undefined || !mayCarryChat(obj(route.match), config)) continue;
      yield { action: obj(route.route), name: `route '${String(route.name ?? '(unnamed)')}'` };
    }
  }
}

/**
 * The clusters the connection manager's chat routes send to (route.cluster, weighted_clusters), or
 * null where one picks its cluster at run time (cluster_header: tier routing's x-thinkcap-route,
 * a cluster_specifier_plugin), when any cluster may be one.
 */
function chatRouteClusters(hcm: Record<string, unknown>, config: Config): Set<string> | null {
  const out = new Set<string>();
  for (const { action } of chatRoutes(hcm, config)) {
    if (typeof action.cluster === 'string') out.add(action.cluster);
    else if (action.weighted_clusters !== undefined) for (const w of arr(obj(action.weighted_clusters).clusters)) out.add(String(obj(w).name));
    else return null;
  }
  return out;
}

/**
 * Administration endpoints of the engines thinkcap fronts, one or two each: llama-server's slots,
 * settings and LoRA scales, vLLM's caches, sleep and adapters, SGLang's cache and weights,
 * Ollama's model files. A gateway that forwards them lets any of its clients change the engine.
 */
const ENGINE_ADMIN_PATHS = ['/slots', '/props', '/lora-adapters', '/reset_prefix_cache', '/sleep', '/v1/load_lora_adapter', '/flush_cache', '/update_weights_from_disk', '/api/pull', '/api/delete', '/api/create'];

/** Route match keys that say which paths; any other key (headers, query parameters, runtime fraction…) is a further condition. */
const PATH_MATCH_KEYS = new Set(['path', 'prefix', 'path_separated_prefix', 'safe_regex', 'case_sensitive', 'uri', 'ignoreUriCase', 'name']);

/**
 * Does a route match (Envoy's, or an Istio HTTPMatchRequest read by uriAsRouteMatch) take this
 * path: true, false, or null where thinkcap cannot tell (a regex JavaScript does not read, a URI
 * template). RE2's full-match regex is read as a JavaScript one, which agrees on the plain ones;
 * the operator's own config, tried on paths of at most 25 characters.
 */
function matchTakes(m: Obj, path: string): boolean | null {
  const fold = m.case_sensitive === false || obj(m.case_sensitive).value === false || m.ignoreUriCase === true;
  const norm = (s: string) => (fold ? s.toLowerCase() : s);
  const p = norm(path);
  if (typeof m.path === 'string') return p === norm(m.path);
  if (typeof m.prefix === 'string') return p.startsWith(norm(m.prefix));
  if (typeof m.path_separated_prefix === 'string') return p === norm(m.path_separated_prefix) || p.startsWith(`${norm(m.path_separated_prefix)}/`);
  const regex = obj(m.safe_regex).regex;
  if (typeof regex !== 'string') return null;
  try {
    return new RegExp(`^(?:${regex})$`, fold ? 'i' : '').test(path);
  } catch {
    return null;
  }
}

/** A route as the administration-path walk reads it: the matches it has (any one), and whether it sends to a cluster. */
interface WalkedRoute {
  name: string;
  matches: Obj[];
  forwards: boolean;
}

/**
 * Routes that forward an engine administration path (ENGINE_ADMIN_PATHS) to a cluster, each as
 * "route 'x' forwards /a, /b" ("may forward" where a condition or an unread match leaves it
 * open). Routes are taken in order and the first that surely takes a path decides it. A route
 * that matches on `routedBy`, thinkcap's routing header where the client's copy is removed before
 * ext_proc, carries only chat requests thinkcap routed (null: no such header; a client could set it).
 */
function forwardedAdminPaths(routes: readonly WalkedRoute[], routedBy: string | null): string[] {
  const sure = new Map<string, string[]>();
  const maybe = new Map<string, string[]>();
  const add = (to: Map<string, string[]>, name: string, path: string) => to.set(name, [...(to.get(name) ?? []), path]);
  for (const path of ENGINE_ADMIN_PATHS) {
    for (const route of routes) {
      let takes: 'surely' | 'maybe' | null = null;
      for (const m of route.matches) {
        // Envoy's headers are a list of matchers, Istio's a map by name.
        const headerNames = Array.isArray(m.headers) ? m.headers.map((h) => String(obj(h).name)) : Object.keys(obj(m.headers));
        if (routedBy !== null && headerNames.some((h) => h.toLowerCase() === routedBy)) continue;
        const verdict = matchTakes(m, path);
        if (verdict === false) continue;
        const conditional = Object.keys(m).some((k) => !PATH_MATCH_KEYS.has(k));
        if (verdict === true && !conditional) {
          takes = 'surely';
          break;
        }
        takes = 'maybe';
      }
      if (takes === null) continue;
      if (route.forwards) add(takes === 'surely' ? sure : maybe, route.name, path);
      if (takes === 'surely') break;
    }
  }
  return [...[...sure].map(([name, paths]) => `${name} forwards ${paths.join(', ')}`), ...[...maybe].map(([name, paths]) => `${name} may forward ${paths.join(', ')}`)];
}

/** The connection manager's routes as the administration-path walk reads them. */
function walkedRoutes(hcm: Record<string, unknown>): WalkedRoute[][] {
  return arr(obj(hcm.route_config).virtual_hosts)
    .map(obj)
    .map((vh) => arr(vh.routes).map(obj).map((r) => ({ name: `route '${String(r.name ?? '(unnamed)')}'`, matches: [obj(r.match)], forwards: r.route !== undefined })));
}

const FORWARDS_ADMIN =
  "engine administration endpoints (llama-server's settings and LoRA scales, vLLM's and SGLang's caches, sleep and weights, Ollama's model files), so any client of the gateway can change the engine. Match the inference API's paths only (envoy/envoy.yaml answers the rest with 404 from Envoy; a VirtualService does for what no route matches), or put authentication in front of them.";

/** Envoy's stream_idle_timeout when the connection manager states none. */
const ENVOY_DEFAULT_STREAM_IDLE_MS = 300_000;

/**
 * How much longer than continuationQueueTimeoutMs a chat route's idle timeout must be: Envoy's
 * timer starts at the first answer's last byte, thinkcap's when it asks for the follow-up, after
 * its probes of the engine (up to 2 s each), so equal values are a race Envoy mostly wins
 * (measured: a 504 in 5 of 5 runs at 2 s against 2 s).
 */
const FOLLOW_UP_START_MARGIN_MS = 10_000;

/**
 * Chat routes whose stream idle timer (the route's idle_timeout, else the connection manager's
 * stream_idle_timeout) is shorter than `ms`, each as "route 'x' can carry chat requests, and its
 * … is". While a follow-up waits no byte moves (STREAMED: thinkcap holds the last message; full
 * duplex: the engine has not begun the continuation), and Envoy's idle timer ends the response
 * with a 504, or cuts the stream, first (measured in both modes).
 */
function idleTimeoutsUnder(hcm: Record<string, unknown>, config: Config, ms: number): string[] {
  const hcmIdle = hcm.stream_idle_timeout === undefined ? ENVOY_DEFAULT_STREAM_IDLE_MS : durationMs(hcm.stream_idle_timeout);
  const out: string[] = [];
  for (const { action, name } of chatRoutes(hcm, config)) {
    const stated = action.idle_timeout;
    const idle = stated === undefined ? hcmIdle : durationMs(stated);
    if (idle === null || idle === 0 || idle >= ms) continue;
    const which = stated === undefined ? `stream_idle_timeout (${hcm.stream_idle_timeout === undefined ? "Envoy's default, 300 s" : String(hcm.stream_idle_timeout)})` : `its idle_timeout (${String(stated)})`;
    out.push(`${name} can carry chat requests, and ${which} is`);
  }
  return out;
}

/** Envoy's route timeout when a route states none. */
const ENVOY_DEFAULT_ROUTE_TIMEOUT_MS = 15_000;
/** A route timeout under this cuts answers a reasoning model commonly takes (thousands of thinking tokens). */
const MIN_CHAT_ROUTE_TIMEOUT_MS = 120_000;

/**
 * Routes that can carry chat requests but cut their answers short: Envoy's route timeout (15 s
 * unless stated) spans the whole upstream response, streamed or not. And, with spend on, routes
 * whose streams may outlive their reservation: past spend.reservationTtlSeconds a reservation is
 * released (it is how a crashed replica's holds come back), so a stream still running then no
 * longer holds its budget, and other requests can be admitted against it.
 */
function chatRouteTimeouts(hcm: Record<string, unknown>, config: Config): string[] {
  const out: string[] = [];
  // max_stream_duration bounds every stream of the connection manager, or of a route.
  const hcmMax = durationMs(obj(hcm.common_http_protocol_options).max_stream_duration);
  for (const { action, name } of chatRoutes(hcm, config)) {
    const stated = action.timeout;
    const ms = stated === undefined ? ENVOY_DEFAULT_ROUTE_TIMEOUT_MS : durationMs(stated);
    const problem = routeTimeoutProblem(ms, [durationMs(obj(action.max_stream_duration).max_stream_duration), hcmMax], config);
    if (problem === 'short') {
      out.push(`${name} can carry chat requests and ${stated === undefined ? "states no timeout (Envoy's default is 15 s)" : `has timeout ${String(stated)}`}: ${CUTS_REASONING} Set route.timeout (the shipped configs use 600s; 0s turns it off, which with spend on lets a stream outlive its reservation).`);
    } else if (problem !== null) {
      const runs = problem.longest === Infinity ? 'for as long as they run (no route timeout or max_stream_duration ends them)' : `for up to ${problem.longest / 1000} s`;
      out.push(`${name} can carry chat requests ${runs}, ${outlivesReservation(config)} Keep route.timeout (or max_stream_duration) under reservationTtlSeconds, or raise reservationTtlSeconds.`);
    }
  }
  return out;
}

/** Why a short chat route timeout breaks answers, and why a long one passes budgets (both route checks say it). */
const CUTS_REASONING = 'Envoy cuts any answer, streamed or not, at the route timeout, and a reasoning model thinking a few thousand tokens takes minutes.';
const outlivesReservation = (config: Config) =>
  `not less than spend.reservationTtlSeconds (${config.spend.reservationTtlSeconds} s): a stream that runs past it has its reservation released while it runs, so other requests can be admitted against that budget and the cap be passed by this request's cost.`;

/**
 * What a chat route's timeout (ms; 0 is none) says, beside the other bounds on its streams
 * (max_stream_duration): too short for reasoning answers, or, with spend on, long enough that a
 * stream outlives its reservation (the shortest bound, Infinity where none is set); null where
 * neither. Shared by a bootstrap's routes and a VirtualService's.
 */
function routeTimeoutProblem(ms: number | null, otherBounds: readonly (number | null)[], config: Config): 'short' | { longest: number } | null {
  if (ms !== null && ms !== 0 && ms < MIN_CHAT_ROUTE_TIMEOUT_MS) return 'short';
  if (!config.spend.enabled) return null;
  const bounds = [ms, ...otherBounds].filter((b): b is number => b !== null && b > 0);
  const longest = bounds.length ? Math.min(...bounds) : Infinity;
  return longest < config.spend.reservationTtlSeconds * 1000 ? null : { longest };
}

/**
 * Ways a request thinkcap does not read reaches an SGLang server that runs thinkcap's logit
 * processor: such a server (--enable-custom-logit-processor) unpickles the processor any request
 * carries, and only chat bodies are read (and a client's processor refused) by thinkcap. A body to
 * another path is refused unless match.unbudgetedPaths lists it: with spend on, any path; with
 * spend off, one that generates text (SGLang's /generate and /v1/completions take the field;
 * generatesUncapped), so a listed one is the way there.
 */
function unreadProcessorPaths(config: Config): string[] {
  const backend = config.backends.find((b) => b.dialect === 'sglang' && b.logitProcessor !== undefined);
  if (!backend) return [];
  const listed = config.match.unbudgetedPaths;
  const unread = config.spend.enabled ? listed : listed.filter(generatesUncapped);
  if (unread.length === 0) return [];
  return [`backend '${backend.name}' runs thinkcap's SGLang logit processor, so its server unpickles the custom_logit_processor of any request (code run on the engine), and thinkcap refuses a client's own only in the chat bodies it reads: match.unbudgetedPaths (${unread.join(', ')}) pass unread; none may reach that server.`];
}

/** The headers thinkcap trusts (identity, and the route header when routing is on): a client's own copies must be removed before ext_proc. */
function trustedHeaders(config: Config): string[] {
  return [config.identity.tenantHeader, config.identity.userHeader, config.identity.sessionHeader, ...(config.routing.enabled ? [config.routing.header] : [])];
}
const PICKS_OWN = 'a client could pick its own tenant, user, session or route.';

/** The request headers the header_mutation filters among `filters` remove (lower case). */
function headersRemovedBy(filters: readonly Obj[]): Set<string> {
  const removed = new Set<string>();
  for (const f of filters) {
    const tc = obj(f.typed_config);
    if (tc['@type'] !== HEADER_MUTATION) continue;
    for (const m of arr(obj(tc.mutations).request_mutations)) {
      const r = obj(m).remove;
      if (typeof r === 'string') removed.add(r.toLowerCase());
    }
  }
  return removed;
}

/**
 * Envoy resets every ext_proc stream at its request's end, and Node's HTTP/2 server closes a
 * connection after a burst of this many resets by default: a connection that carries at most this
 * many streams never meets it. thinkcap raises the limit where Node reads it (22 and later:
 * server.grpcStreamResets); the Envoy-side guards hold whatever Node runs thinkcap.
 */
const RESETS_BEFORE_CLOSE = 1000;
const RESETS = `Envoy resets every ext_proc stream, and under load thinkcap's HTTP/2 connection is closed after ${RESETS_BEFORE_CLOSE} resets (Node's default; server.grpcStreamResets where Node is 22 or later), failing every stream on it.`;
const boundedPerConnection = (n: unknown) => typeof n === 'number' && n > 0 && n <= RESETS_BEFORE_CLOSE;

type Say = (message: string) => void;

/**
 * What one ext_proc filter's own config (ExternalProcessor) must say for thinkcap, wherever the
 * filter sits: an Envoy bootstrap, or an Istio EnvoyFilter's patch. `idleUnder(ms)` names the
 * chat routes whose stream idle timer is shorter than ms, where the routes are known (a
 * bootstrap's; Istio builds its own from VirtualServices).
 */
function extProcFilterFindings(ep: Obj, config: Config, error: Say, warning: Say, idleUnder: (ms: number) => string[]): void {
  const mode = obj(ep.processing_mode);
  if (mode.request_body_mode !== 'BUFFERED') error(`processing_mode.request_body_mode is ${String(mode.request_body_mode ?? 'NONE (the default)')}; thinkcap rewrites and reserves for the whole request body: set BUFFERED.`);
  const res = mode.response_body_mode;
  if (res !== 'STREAMED' && res !== 'FULL_DUPLEX_STREAMED') error(`processing_mode.response_body_mode is ${String(res ?? 'NONE (the default)')}; thinkcap enforces on the response stream: set STREAMED or FULL_DUPLEX_STREAMED.`);
  if (res === 'FULL_DUPLEX_STREAMED' && mode.response_trailer_mode !== 'SEND') error('processing_mode.response_trailer_mode must be SEND with response_body_mode FULL_DUPLEX_STREAMED.');
  if (mode.response_header_mode === 'SKIP') error('processing_mode.response_header_mode is SKIP; thinkcap adds its x-thinkcap-* headers there: use SEND.');
  const needsContinuation = config.backends.some((b) => b.enforcement === 'continuation');
  // Follow-ups (a continuation, a rescue) add to the response: full duplex, or STREAMED where
  // thinkcap may hold the last message (requests.streamedFollowUpMs, checked against
  // max_message_timeout below).
  const addable = followUpsFit(res as BodySendMode, config);
  const streamedFollowUps = addable && res === 'STREAMED';
  if (needsContinuation && !addable) error('A backend has enforcement: continuation, which needs processing_mode.response_body_mode FULL_DUPLEX_STREAMED, or STREAMED with requests.streamedFollowUpMs set (at most max_message_timeout).');
  // Where thinkcap writes no cap the engine reads, a model thinks on past the budget, and one
  // still thinking at the length cap leaves no answer unless thinkcap asks for one (the rescue:
  // a url, and a mode that lets it add to the response).
  for (const b of config.backends) {
    const rescued = addable && b.url !== undefined;
    if (b.enforcement !== 'native' || buildDialect(b.dialect, backendOptions(config, b)).writesEngineCap || rescued) continue;
    warning(`backends '${b.name}' (${b.dialect}) gets no thinking cap the engine reads: it thinks on past the budget, and a model still thinking at the length cap leaves the client no answer. thinkcap asks for one where the backend has a url and response_body_mode is FULL_DUPLEX_STREAMED (or STREAMED with requests.streamedFollowUpMs).`);
  }
  if (ep.allow_mode_override !== true) warning('allow_mode_override is not true: thinkcap cannot tell Envoy to skip the bodies of requests it does not act on, or to buffer whole JSON answers.');
  // Envoy ignores every answer of an observing processor: no rewrite, no cap, no refusal.
  if (ep.observability_mode === true) error('observability_mode is true: Envoy ignores every answer thinkcap sends, so requests go out unrewritten and uncapped and no budget refuses one; turn it off.');
  // Envoy sends the response body before thinkcap's answer to its headers, which asks for a whole
  // JSON answer to be buffered (mode_override): measured with Envoy 1.40, non-streamed answers
  // lost thinkcap's x-thinkcap-* figures and its enforced flag, Ollama's /api/chat answers reached
  // the client empty, and held follow-ups (STREAMED) went wrong.
  if (ep.send_body_without_waiting_for_header_response === true) error("send_body_without_waiting_for_header_response is true: Envoy sends the response body before thinkcap's answer to the response headers, which asks Envoy to buffer a whole JSON answer; non-streamed answers then lose their x-thinkcap-* figures, and some arrive empty (Ollama's /api/chat). Leave it unset.");
  const timeout = ep.message_timeout === undefined ? null : durationMs(ep.message_timeout);
  if (ep.message_timeout === undefined) warning(`message_timeout is not set (Envoy's default is 200 ms); state it, above requests.deadlineMs (${config.requests.deadlineMs} ms) with margin.`);
  const effective = timeout ?? 200;
  if (config.requests.deadlineMs > effective * 0.8) error(`requests.deadlineMs (${config.requests.deadlineMs} ms) leaves no margin under message_timeout (${effective} ms): keep it at most 80 % of it, or Envoy applies its failure mode before thinkcap answers.`);
  const maxTimeout = ep.max_message_timeout === undefined ? null : durationMs(ep.max_message_timeout);
  if (streamedFollowUps) {
    const hold = config.requests.streamedFollowUpMs;
    for (const m of idleUnder(hold)) error(`${m} shorter than requests.streamedFollowUpMs (${hold} ms): no byte moves while thinkcap holds the last message for a follow-up, so Envoy ends the response with a 504 first. Raise it, or lower the hold.`);
  }
  // Full duplex: a continuation waits for a busy engine to begin (continuationQueueTimeoutMs)
  // with no byte moving either.
  const duplexFollowUps = res === 'FULL_DUPLEX_STREAMED' && config.backends.some((b) => b.url !== undefined && b.enforcement !== 'rewrite');
  if (duplexFollowUps) {
    const queue = config.requests.continuationQueueTimeoutMs;
    for (const m of idleUnder(queue + FOLLOW_UP_START_MARGIN_MS)) warning(`${m} not ${FOLLOW_UP_START_MARGIN_MS / 1000} s longer than requests.continuationQueueTimeoutMs (${queue} ms): no byte moves while a continuation or rescue waits for a busy engine to begin, and Envoy's idle timer started earlier, at the first answer's last byte, so Envoy cuts the response there, not thinkcap with a clean end. Raise it, or lower continuationQueueTimeoutMs.`);
  }
  if (streamedFollowUps && (maxTimeout === null || maxTimeout < config.requests.streamedFollowUpMs)) {
    // Envoy ignores an override past its max: the held last message times out at message_timeout and the response breaks.
    error(`requests.streamedFollowUpMs (${config.requests.streamedFollowUpMs} ms) needs max_message_timeout at least that long (it is ${maxTimeout === null ? 'not set' : `${maxTimeout} ms`}): Envoy ignores a longer override_message_timeout and breaks the response after message_timeout.`);
  } else if (needsContinuation && res === 'FULL_DUPLEX_STREAMED' && maxTimeout === null) warning('max_message_timeout is not set: a continuation for a whole (non-streaming) answer cannot extend Envoy\'s message timer.');
  if (config.backends.some((b) => b.routeNames.length > 0) && !arr(ep.request_attributes).includes('xds.route_name')) error('request_attributes lacks "xds.route_name", which backends[].routeNames needs.');
  if (ep.failure_mode_allow === undefined) warning('failure_mode_allow is not stated (Envoy\'s default is false: a 500 when thinkcap is unreachable); state what you chose.');
  else if (ep.failure_mode_allow === true && config.spend.enabled) warning('failure_mode_allow is true with spend budgets on: while thinkcap is unreachable, requests go to the backend without a reservation (a fail-open path; see the README).');
}

/** The token thinkcap requires (server.grpcToken), sent by the filter's gRPC service. */
function grpcTokenFindings(grpc: Obj, config: Config, error: Say): void {
  if (config.server.grpcToken === undefined) return;
  const auth = arr(grpc.initial_metadata).map(obj).find((m) => String(m.key).toLowerCase() === 'authorization');
  if (!auth) error('server.grpcToken is set but grpc_service.initial_metadata sends no authorization header: thinkcap will refuse every stream.');
  else if (auth.value !== `Bearer ${config.server.grpcToken}`) error('grpc_service.initial_metadata authorization is not "Bearer " + server.grpcToken: thinkcap will refuse every stream.');
}

const ADMIN_DUMP = 'type.googleapis.com/envoy.admin.v3.';

/**
 * A running Envoy's admin /config_dump as the bootstrap the checks read: its bootstrap, with every
 * listener and cluster it runs (static ones, and the active ones a control plane sent: Istio,
 * Envoy Gateway, any xDS server) under static_resources, and each connection manager's routes
 * (RDS) put in place by name. Null for anything that is not a config dump.
 */
export function bootstrapOfConfigDump(dump: unknown): Obj | null {
  const configs = arr(obj(dump).configs).map(obj);
  if (!configs.some((c) => String(c['@type'] ?? '').startsWith(ADMIN_DUMP))) return null;
  const part = (kind: string) => obj(configs.find((c) => c['@type'] === `${ADMIN_DUMP}${kind}`));
  const listenersDump = part('ListenersConfigDump');
  const clustersDump = part('ClustersConfigDump');
  const routesDump = part('RoutesConfigDump');
  const present = (v: unknown) => Object.keys(obj(v)).length > 0;
  const routes = new Map<string, unknown>();
  for (const r of [...arr(routesDump.static_route_configs), ...arr(routesDump.dynamic_route_configs)]) {
    const rc = obj(obj(r).route_config);
    if (typeof rc.name === 'string') routes.set(rc.name, rc);
  }
  const listeners = [...arr(listenersDump.static_listeners).map((l) => obj(l).listener), ...arr(listenersDump.dynamic_listeners).map((l) => obj(obj(l).active_state).listener)]
    .filter(present)
    .map((l) => structuredClone(l) as Obj);
  const root: Obj = { ...obj(part('BootstrapConfigDump').bootstrap) };
  root.static_resources = {
    listeners,
    clusters: [...arr(clustersDump.static_clusters), ...arr(clustersDump.dynamic_active_clusters)].map((c) => obj(c).cluster).filter(present),
  };
  for (const { hcm } of chains(root)) {
    const name = obj(hcm.rds).route_config_name;
    if (hcm.route_config === undefined && typeof name === 'string' && routes.has(name)) hcm.route_config = routes.get(name);
  }
  return root;
}

/**
 * What thinkcap needs from an Envoy config (a bootstrap with static_resources, or a running
 * Envoy's /config_dump: bootstrapOfConfigDump), checked against thinkcap's own config. Pure: the
 * parsed YAML or JSON in, findings out.
 */
export function checkEnvoyConfig(envoy: unknown, config: Config): Finding[] {
  const out: Finding[] = [];
  const error = (message: string) => out.push({ level: 'error', message });
  const warning = (message: string) => out.push({ level: 'warning', message });
  const root = bootstrapOfConfigDump(envoy) ?? obj(envoy);
  const withExtProc = chains(root).filter((c) => c.filters.some((f) => obj(f.typed_config)['@type'] === EXT_PROC));
  if (withExtProc.length === 0) {
    error('No http_connection_manager has the envoy.filters.http.ext_proc filter (typed_config ExternalProcessor).');
    return out;
  }
  // The runtime guard as its static layers leave it (a later layer overrides an earlier one).
  let gracefulClose = false;
  for (const layer of arr(obj(root.layered_runtime).layers).map(obj)) {
    const v = obj(layer.static_layer)['envoy.reloadable_features.ext_proc_graceful_grpc_close'];
    if (v !== undefined) gracefulClose = v === true || v === 'true';
  }
  // Of thinkcap's config alone: said once, however many listeners run ext_proc.
  for (const message of unreadProcessorPaths(config)) warning(message);
  const clusters = arr(obj(root.static_resources).clusters).map(obj);
  for (const { listener, hcm, filters } of withExtProc) {
    const at = filters.findIndex((f) => obj(f.typed_config)['@type'] === EXT_PROC);
    const ep = obj(filters[at]!.typed_config);
    const router = filters.findIndex((f) => f.name === 'envoy.filters.http.router');
    if (router >= 0 && router < at) error('http_filters: envoy.filters.http.ext_proc must come before envoy.filters.http.router.');
    extProcFilterFindings(ep, config, error, warning, (ms) => idleTimeoutsUnder(hcm, config, ms));
    // Client copies of the headers thinkcap trusts, removed before ext_proc.
    const removed = headersRemovedBy(filters.slice(0, at));
    for (const message of extProcDisabledRoutes(hcm, String(filters[at]!.name ?? ''), config)) error(message);
    for (const message of chatRouteTimeouts(hcm, config)) warning(message);
    const routedBy = removed.has(config.routing.header) ? config.routing.header : null;
    for (const vhost of walkedRoutes(hcm)) for (const found of forwardedAdminPaths(vhost, routedBy)) warning(`${found}: ${FORWARDS_ADMIN}`);
    const missing = trustedHeaders(config).filter((h) => !removed.has(h));
    if (missing.length) (config.spend.enabled || config.routing.enabled ? error : warning)(`No header_mutation filter before ext_proc removes the client's copies of ${missing.join(', ')}: ${PICKS_OWN}`);
    // The gRPC cluster: HTTP/2, and the token when thinkcap requires one.
    const grpc = obj(ep.grpc_service);
    const clusterName = obj(grpc.envoy_grpc).cluster_name;
    const cluster = clusters.find((c) => c.name === clusterName);
    if (typeof clusterName === 'string' && !cluster) error(`grpc_service.envoy_grpc.cluster_name '${clusterName}' names no cluster in static_resources.clusters.`);
    if (cluster) {
      // Envoy resets every ext_proc stream at its request's end; Node's HTTP/2 server closes a
      // connection after a burst of 1000 resets. Either guard keeps that from happening.
      if (!gracefulClose && !boundedPerConnection(maxRequestsPerConnection(cluster))) {
        warning(`Neither layered_runtime envoy.reloadable_features.ext_proc_graceful_grpc_close: true nor max_requests_per_connection (at most ${RESETS_BEFORE_CLOSE}) on cluster '${String(clusterName)}' is set: ${RESETS}`);
      }
      const h2 =
        cluster.http2_protocol_options !== undefined ||
        Object.values(obj(cluster.typed_extension_protocol_options)).some((o) => obj(obj(o).explicit_http_config).http2_protocol_options !== undefined);
      if (!h2) error(`Cluster '${String(clusterName)}' is not HTTP/2 (typed_extension_protocol_options ... explicit_http_config.http2_protocol_options): gRPC needs it.`);
    }
    grpcTokenFindings(grpc, config, error);
    // llama-server closes its connection after every streamed answer although it advertises
    // keep-alive: a request Envoy sends on it before the close arrives fails with a 503.
    // Requests no backend entry matches use defaultDialect, with or without backends.
    const llama = config.defaultDialect === 'llamacpp' || config.backends.some((b) => b.dialect === 'llamacpp');
    // The clusters the chat routes send to (all but thinkcap's where a route picks its cluster
    // at run time): a control plane's config dump holds every service of the mesh besides.
    const targets = chatRouteClusters(hcm, config);
    const backendClusters = clusters.filter((c) => c.name !== clusterName && (targets === null || targets.has(String(c.name))));
    if (llama) {
      const reusing = backendClusters.filter((c) => maxRequestsPerConnection(c) !== 1).map((c) => String(c.name));
      if (reusing.length) warning(`A backend speaks llamacpp, and cluster${reusing.length > 1 ? 's' : ''} ${reusing.join(', ')} reuse${reusing.length > 1 ? '' : 's'} upstream connections: llama-server closes its connection after every streamed answer, and a request sent on it before the close arrives fails with 503. Set common_http_protocol_options.max_requests_per_connection: 1 on the clusters that reach llama-server.`);
    }
    // vLLM and SGLang close a connection idle 5 s; a request Envoy sends on it as the close
    // crosses it fails with a 503. Envoy must close idle connections first (its default: 1 h).
    const uvicorn = UVICORN_DIALECTS.has(config.defaultDialect) || config.backends.some((b) => UVICORN_DIALECTS.has(b.dialect));
    if (uvicorn) {
      const lingering = backendClusters
        .filter((c) => maxRequestsPerConnection(c) !== 1)
        .filter((c) => {
          const idle = durationMs(commonHttpOption(c, 'idle_timeout'));
          return idle === null || idle === 0 || idle >= ENGINE_KEEP_ALIVE_MS;
        })
        .map((c) => String(c.name));
      if (lingering.length) warning(`A backend speaks vllm or sglang, whose server closes a connection idle for 5 s, and cluster${lingering.length > 1 ? 's' : ''} ${lingering.join(', ')} keep${lingering.length > 1 ? '' : 's'} idle connections longer (Envoy's default idle_timeout is 1 h): a request sent as the engine closes one fails with 503. Set common_http_protocol_options.idle_timeout under the engine's keep-alive (4s for the default 5 s).`);
    }
    // Body sizes: Envoy buffers the request body up to its per-connection limit.
    const limit = typeof listener.per_connection_buffer_limit_bytes === 'number' ? listener.per_connection_buffer_limit_bytes : ENVOY_DEFAULT_BUFFER;
    if (limit < config.requests.maxBodyBytes) warning(`per_connection_buffer_limit_bytes (${limit}) is below requests.maxBodyBytes (${config.requests.maxBodyBytes}): Envoy answers 413 itself before thinkcap's limit applies.`);
    if (limit > GRPC_RECEIVE_LIMIT) error(`per_connection_buffer_limit_bytes (${limit}) is above what thinkcap receives in one gRPC message (${GRPC_RECEIVE_LIMIT}): a body in between would fail the ext_proc stream.`);
  }
  // Routes of one name (the shipped configs' API paths are all 'chat') find the same thing: say it once.
  return out.filter((f, i) => out.findIndex((g) => g.level === f.level && g.message === f.message) === i);
}

// --- Istio: EnvoyFilters (and the DestinationRules and VirtualServices beside them) ---

const ROUTER = 'envoy.filters.http.router';

/** Is a parsed YAML document an Istio networking resource (EnvoyFilter, DestinationRule, VirtualService)? */
export function isIstioResource(doc: unknown): boolean {
  return /^networking\.istio\.io\//.test(String(obj(doc).apiVersion ?? ''));
}

/** The host and port of an Istio outbound cluster (`outbound|PORT|SUBSET|HOST`), or null. */
function istioCluster(name: unknown): { port: number; host: string } | null {
  const m = typeof name === 'string' ? /^outbound\|(\d+)\|[^|]*\|(.+)$/.exec(name) : null;
  return m ? { port: Number(m[1]), host: m[2]! } : null;
}

/** A DestinationRule's host as a full service name: a short name is in the rule's own namespace. */
function fullHost(host: string, namespace: string): string {
  if (!host.includes('.')) return `${host}.${namespace}.svc.cluster.local`;
  if (host.endsWith('.svc')) return `${host}.cluster.local`;
  if (host.split('.').length === 2) return `${host}.svc.cluster.local`;
  return host;
}

/**
 * The maxRequestsPerConnection the DestinationRules among `docs` give the host's port (a
 * portLevelSettings entry for the port before the rule's own trafficPolicy), as Istio writes it
 * into the cluster's max_requests_per_connection (pilot's cluster traffic policy); null where no
 * rule names the host.
 */
function ruleMaxRequestsPerConnection(docs: readonly Obj[], host: string, port: number): { rule: string; value: unknown } | null {
  for (const d of docs) {
    if (d.kind !== 'DestinationRule') continue;
    const meta = obj(d.metadata);
    const spec = obj(d.spec);
    if (typeof spec.host !== 'string' || fullHost(spec.host, String(meta.namespace ?? 'default')) !== host) continue;
    const policy = obj(spec.trafficPolicy);
    const atPort = arr(policy.portLevelSettings).map(obj).find((p) => obj(p.port).number === port);
    const value = obj(obj(obj(atPort ?? {}).connectionPool).http).maxRequestsPerConnection ?? obj(obj(policy.connectionPool).http).maxRequestsPerConnection;
    return { rule: `DestinationRule '${String(meta.namespace ?? 'default')}/${String(meta.name)}'`, value };
  }
  return null;
}

/**
 * What thinkcap needs from Istio resources (EnvoyFilters that insert its ext_proc filter, and the
 * DestinationRules and VirtualServices given with them), checked against thinkcap's config: the
 * filter's own config as in an Envoy bootstrap, its place (before the router, after Istio's
 * authentication filters), the client's identity headers removed first, the DestinationRule that
 * keeps Envoy's stream resets from closing thinkcap's connection, and routes where ext_proc is
 * off. What Istio generates from other resources (routes and their timeouts, the cluster's HTTP/2,
 * buffer limits) is not in these files and not checked. Pure.
 */
export function checkIstioResources(docs: readonly unknown[], config: Config): Finding[] {
  const out: Finding[] = [];
  const all = docs.map(obj);
  const filters = all.filter((d) => d.kind === 'EnvoyFilter');
  const services = all.filter((d) => d.kind === 'VirtualService');
  const patchesOf = (f: Obj) => arr(obj(f.spec).configPatches).map(obj);
  const label = (f: Obj) => `EnvoyFilter '${String(obj(f.metadata).namespace ?? 'default')}/${String(obj(f.metadata).name)}'`;
  const selector = (f: Obj) => JSON.stringify(obj(f.spec).workloadSelector ?? null);
  let found = 0;
  for (const f of filters) {
    const error = (message: string) => out.push({ level: 'error', message: `${label(f)}: ${message}` });
    const warning = (message: string) => out.push({ level: 'warning', message: `${label(f)}: ${message}` });
    for (const p of patchesOf(f)) {
      const value = obj(obj(p.patch).value);
      if (p.applyTo !== 'HTTP_FILTER' || obj(value.typed_config)['@type'] !== EXT_PROC) continue;
      found++;
      const ep = obj(value.typed_config);
      const match = obj(p.match);
      const operation = obj(p.patch).operation;
      const sub = obj(obj(obj(obj(match.listener).filterChain).filter).subFilter).name;
      // Before the router, and after the filters Istio puts first (RequestAuthentication's, which
      // may set the identity headers thinkcap reads from a verified token).
      if (operation !== 'INSERT_BEFORE' || sub !== ROUTER) error(`the ext_proc patch is ${String(operation)}${sub ? ` at ${String(sub)}` : ''}: insert it with operation INSERT_BEFORE and match.listener.filterChain.filter.subFilter.name ${ROUTER}, so that it runs after Istio's authentication filters and before the router.`);
      extProcFilterFindings(ep, config, error, warning, () => []);
      // The client's copies of the trusted headers, removed first in the same chain: a
      // header_mutation filter inserted first by this or another EnvoyFilter on the same workloads.
      const strips = filters
        .filter((g) => g === f || selector(g) === selector(f))
        .flatMap(patchesOf)
        .filter((q) => q.applyTo === 'HTTP_FILTER' && obj(q.patch).operation === 'INSERT_FIRST' && obj(q.match).context === match.context)
        .map((q) => obj(obj(q.patch).value));
      const removed = headersRemovedBy(strips);
      const missing = trustedHeaders(config).filter((h) => !removed.has(h));
      if (missing.length) (config.spend.enabled || config.routing.enabled ? error : warning)(`no HTTP_FILTER patch inserts first (INSERT_FIRST, context ${String(match.context)}) a header_mutation filter that removes the client's copies of ${missing.join(', ')}: ${PICKS_OWN}`);
      const grpc = obj(ep.grpc_service);
      const cluster = istioCluster(obj(grpc.envoy_grpc).cluster_name);
      if (cluster) {
        const rule = ruleMaxRequestsPerConnection(all, cluster.host, cluster.port);
        if (!rule || !boundedPerConnection(rule.value)) {
          const now = rule ? `${rule.rule} sets it to ${String(rule.value ?? 'nothing')}` : `no DestinationRule among the files checked names ${cluster.host}`;
          warning(`thinkcap's connections need trafficPolicy.connectionPool.http.maxRequestsPerConnection at most ${RESETS_BEFORE_CLOSE} for ${cluster.host} (port ${cluster.port}), and ${now}: ${RESETS} A stream that fails goes by failure_mode_allow: to the backend without thinkcap, or refused. Apply envoy/istio/destinationrule.yaml (and pass it to --envoy too).`);
        }
      }
      grpcTokenFindings(grpc, config, error);
    }
    // Routes where ext_proc is off, by name: safe only where the VirtualService route of that
    // name matches exact paths that are not chat paths (checked where the VirtualService is given).
    for (const p of patchesOf(f)) {
      if (p.applyTo !== 'HTTP_ROUTE' || !disablesExtProc(obj(obj(p.patch).value).typed_per_filter_config, 'envoy.filters.http.ext_proc')) continue;
      const name = obj(obj(obj(obj(p.match).routeConfiguration).vhost).route).name;
      if (typeof name !== 'string') {
        error('an HTTP_ROUTE patch turns ext_proc off without naming a route (match.routeConfiguration.vhost.route.name): chat requests on every route it matches skip thinkcap.');
        continue;
      }
      for (const vs of services) {
        for (const route of arr(obj(vs.spec).http).map(obj)) {
          if (route.name !== name) continue;
          const matches = arr(route.match).map(obj);
          const unsafe = matches.length === 0 ? ['(no match: every request)'] : matches.map((m) => obj(m.uri)).filter((u) => typeof u.exact !== 'string' || isChatPath(u.exact, config)).map((u) => JSON.stringify(u));
          if (unsafe.length) error(`turns ext_proc off on route '${name}', and ${virtualServiceLabel(vs)} matches it by ${unsafe.join(', ')}: a chat request could match it and skip thinkcap; turn ext_proc off on routes that match exact paths other than chat paths only.`);
        }
      }
    }
  }
  for (const vs of services) {
    for (const message of virtualServiceTimeouts(vs, config)) out.push({ level: 'warning', message });
    // (Which EnvoyFilter strips the routing header for this VirtualService's gateway is not read here: its header routes count as conditions.)
    for (const found of forwardedAdminPaths(virtualServiceRoutes(vs), null)) out.push({ level: 'warning', message: `${found}: ${FORWARDS_ADMIN}` });
  }
  if (found === 0) out.unshift({ level: 'error', message: 'No EnvoyFilter inserts the envoy.filters.http.ext_proc filter (an HTTP_FILTER patch whose value has typed_config ExternalProcessor).' });
  return out;
}

/** How findings name a VirtualService: "VirtualService 'namespace/name'". */
function virtualServiceLabel(vs: Obj): string {
  const meta = obj(vs.metadata);
  return `VirtualService '${String(meta.namespace ?? 'default')}/${String(meta.name)}'`;
}

/** A VirtualService's routes as the administration-path walk reads them: each match its uri and further conditions (headers, method…); none matches every request. */
function virtualServiceRoutes(vs: Obj): WalkedRoute[] {
  return arr(obj(vs.spec).http)
    .map(obj)
    .map((r) => {
      const matches = arr(r.match).map(obj);
      const read = (matches.length === 0 ? [{}] : matches).map((m) => ({ ...m, ...uriAsRouteMatch(m), uri: undefined }));
      return { name: `${virtualServiceLabel(vs)} route '${String(r.name ?? '(unnamed)')}'`, matches: read, forwards: r.route !== undefined };
    });
}

/** An Istio HTTPMatchRequest's uri as the route match chatRoutes reads (exact as path, prefix, anything else as a regex). */
function uriAsRouteMatch(m: Obj): Obj {
  const uri = obj(m.uri);
  if (typeof uri.exact === 'string') return { path: uri.exact };
  if (typeof uri.prefix === 'string') return { prefix: uri.prefix };
  return m.uri === undefined ? { prefix: '/' } : { safe_regex: { regex: uri.regex } };
}

/**
 * A VirtualService's routes that can carry chat requests, against the route timeout: Istio's
 * routes have none unless `timeout` is set (Envoy then ends no stream), so with spend on a stream
 * may outlive its reservation; a short one cuts reasoning answers. As chatRouteTimeouts for a
 * bootstrap's routes.
 */
function virtualServiceTimeouts(vs: Obj, config: Config): string[] {
  const out: string[] = [];
  for (const route of arr(obj(vs.spec).http).map(obj)) {
    const matches = arr(route.match).map(obj);
    if (!(matches.length === 0 ? [{}] : matches).some((m) => mayCarryChat(uriAsRouteMatch(m), config))) continue;
    const name = `${virtualServiceLabel(vs)} route '${String(route.name ?? '(unnamed)')}'`;
    const ms = route.timeout === undefined ? 0 : durationMs(route.timeout);
    if (ms === null) continue;
    const problem = routeTimeoutProblem(ms, [], config);
    if (problem === 'short') {
      out.push(`${name} can carry chat requests and has timeout ${String(route.timeout)}: ${CUTS_REASONING} Set a longer timeout (the shipped configs use 600s).`);
    } else if (problem !== null) {
      const runs = ms === 0 ? `states no timeout (Istio's routes then have none): its streams run for as long as they run` : `has timeout ${String(route.timeout)}`;
      out.push(`${name} can carry chat requests and ${runs}, ${outlivesReservation(config)} Set its timeout under reservationTtlSeconds (the shipped configs use 600s).`);
    }
  }
  return out;
}
