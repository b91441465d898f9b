import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEnvoyConfig, checkIstioResources } from '../../src/config/envoy-check.js';
import { validateConfig } from '../../src/config/load.js';
import { packageRoot } from '../../src/paths.js';
import { buildEnvoyConfig, clusterHttpOptions, extProcFilter, freePort, httpConnectionManager, startEnvoy } from '../../devkit/envoy.js';
import { LLAMA_ENVOY } from '../../devkit/llama.js';
import { startEmulator, type Emulator } from '../../devkit/emulator/server.js';
import { scratchDir } from '../harness/scratch.js';

const root = packageRoot();
const read = (p: string) => parse(readFileSync(join(root, p), 'utf8'));
const example = () => validateConfig(read('thinkcap.example.yaml'));
const shippedEnvoy = () => read('envoy/envoy.yaml');
/** The shipped llm cluster's common_http_protocol_options. */
const llmCommon = (e: any) => clusterHttpOptions(e, 'llm').common_http_protocol_options;
const routeNamed = (e: any, name: string) => httpConnectionManager(e).route_config.virtual_hosts[0].routes.find((r: any) => r.name === name);
/** Put a route just before the shipped catch-all 404 (not_served). */
const beforeNotServed = (e: any, route: unknown) => {
  const routes = httpConnectionManager(e).route_config.virtual_hosts[0].routes;
  routes.splice(routes.findIndex((r: any) => r.name === 'not_served'), 0, route);
};

describe('thinkcap check: the Envoy config', () => {
  it('the shipped envoy.yaml with the example config is clean', () => {
    expect(checkEnvoyConfig(shippedEnvoy(), example())).toEqual([]);
  });

  it("the shipped configs forward no engine administration path, and that is what the catch-all 404 does: without it, each would", () => {
    const admin = /forwards \/slots, .*engine administration endpoints/;
    for (const file of ['envoy/envoy.yaml', 'deploy/compose/envoy.yaml', 'envoy/envoy-tiered.yaml']) {
      const cfg = read(file);
      expect(checkEnvoyConfig(cfg, example()).filter((f) => admin.test(f.message))).toEqual([]);
      // The catch-all answers 404 with ext_proc off, and is no way around the budget: it forwards nothing.
      const vh = httpConnectionManager(cfg).route_config.virtual_hosts[0];
      const notServed = vh.routes.at(-1);
      expect(notServed).toMatchObject({ name: 'not_served', match: { prefix: '/' }, direct_response: { status: 404 } });
      expect(notServed.typed_per_filter_config['envoy.filters.http.ext_proc'].disabled).toBe(true);
      // The same file with the catch-all forwarding as the first round's did: warned.
      notServed.route = { cluster: vh.routes.find((r: any) => r.name === 'chat').route.cluster, timeout: '600s' };
      delete notServed.direct_response;
      const findings = checkEnvoyConfig(cfg, example());
      expect(findings.filter((f) => /^route 'not_served' forwards \/slots, /.test(f.message)).map((f) => f.level), file).toEqual(['warning']);
      // And ext_proc off on a prefix route that forwards is the old error.
      expect(findings.some((f) => f.level === 'error' && /route 'not_served' turns ext_proc off and matches by prefix/.test(f.message)), file).toBe(true);
    }
  });

  it("envoy-tiered.yaml's routes on x-thinkcap-route carry only what thinkcap routed while the client's copy is removed; not once it passes", () => {
    const tiered = read('envoy/envoy-tiered.yaml');
    const admin = (e: unknown) => checkEnvoyConfig(e, example()).filter((f) => f.message.includes('engine administration endpoints')).map((f) => f.message);
    expect(admin(tiered)).toEqual([]);
    const strip = httpConnectionManager(tiered).http_filters[0].typed_config.mutations.request_mutations;
    strip.splice(strip.findIndex((m: any) => m.remove === 'x-thinkcap-route'), 1);
    expect(admin(tiered)).toEqual([expect.stringMatching(/^route 'chat_small' may forward \/slots, .*\/api\/create: /), expect.stringMatching(/^route 'chat_large' may forward \/slots, /)]);
  });

  it('the shipped envoy-tiered.yaml with tier routing on is clean', () => {
    const cfg = validateConfig({
      ...read('thinkcap.example.yaml'),
      routing: { enabled: true, targets: { small: { model: 'small-model' }, large: { model: 'large-model' } }, tiers: { trivial: 'small', simple: 'small', moderate: 'large', complex: 'large', deep: 'large' } },
    });
    expect(checkEnvoyConfig(read('envoy/envoy-tiered.yaml'), cfg)).toEqual([]);
  });

  it('a llamacpp backend behind clusters of one request per connection (as the tests run it) is clean', () => {
    const envoy = buildEnvoyConfig({ listenerPort: 1, adminPort: 2, thinkcapPort: 3, backendPort: 4, ...LLAMA_ENVOY });
    const cfg = validateConfig({ ...read('thinkcap.example.yaml'), backends: [{ name: 'b', dialect: 'llamacpp' }] });
    expect(checkEnvoyConfig(envoy, cfg)).toEqual([]);
  });

  it("the backend cluster checks read the clusters chat routes send to, not every cluster (a control plane's dump holds the whole mesh), unless a route picks its cluster at run time", () => {
    const envoy = shippedEnvoy();
    const dns = { name: 'outbound|53||kube-dns.kube-system.svc.cluster.local', type: 'STRICT_DNS', load_assignment: { cluster_name: 'dns', endpoints: [] } };
    envoy.static_resources.clusters.push(dns);
    const lingering = (e: any) => checkEnvoyConfig(e, example()).filter((f) => /keeps? idle connections longer/.test(f.message)).map((f) => f.message);
    expect(lingering(envoy)).toEqual([]);
    // Weighted between the shipped cluster and one with no idle timeout: that one is named.
    const second = structuredClone(envoy.static_resources.clusters.find((c: any) => c.name === 'llm'));
    second.name = 'llm_b';
    delete second.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].common_http_protocol_options.idle_timeout;
    envoy.static_resources.clusters.push(second);
    const chat = routeNamed(envoy, 'chat').route;
    delete chat.cluster;
    chat.weighted_clusters = { clusters: [{ name: 'llm', weight: 50 }, { name: 'llm_b', weight: 50 }] };
    expect(lingering(envoy)).toEqual([expect.stringMatching(/and cluster llm_b keeps idle connections longer/)]);
    // A cluster picked from a header at run time: any cluster but thinkcap's may be one.
    delete chat.weighted_clusters;
    chat.cluster_header = 'x-thinkcap-route';
    expect(lingering(envoy)).toEqual([expect.stringMatching(/clusters outbound\|53\|\|kube-dns\.kube-system\.svc\.cluster\.local, llm_b keep idle connections longer/)]);
  });

  it('no idle warning where no backend is served by uvicorn (Ollama keeps idle connections), nor on one-request clusters', () => {
    const noIdle = shippedEnvoy();
    delete llmCommon(noIdle).idle_timeout;
    const idle = (f: { message: string }) => /keeps idle connections/.test(f.message);
    expect(checkEnvoyConfig(noIdle, validateConfig({ ...read('thinkcap.example.yaml'), defaultDialect: 'ollama', backends: [{ name: 'b', dialect: 'ollama' }] })).filter(idle)).toEqual([]);
    llmCommon(noIdle).max_requests_per_connection = 1;
    expect(checkEnvoyConfig(noIdle, example()).filter(idle)).toEqual([]);
  });

  it('no route-timeout warning for a timeout of 0s (off), nor for routes no chat path can match (the shipped /v1/models route states none)', () => {
    const short = (f: { message: string }) => /can carry chat requests/.test(f.message);
    const off = shippedEnvoy();
    routeNamed(off, 'chat').route.timeout = '0s';
    expect(checkEnvoyConfig(off, example()).filter(short)).toEqual([]);
    const health = shippedEnvoy();
    httpConnectionManager(health).route_config.virtual_hosts[0].routes.unshift({ name: 'health', match: { prefix: '/healthz' }, route: { cluster: 'llm' } });
    expect(checkEnvoyConfig(health, example()).filter(short)).toEqual([]);
  });

  it("an SGLang processor backend: no warning with spend on and no unbudgeted paths, nor with spend off and no generation path listed", () => {
    const processor = (f: { message: string }) => /logit processor/.test(f.message);
    const backends = [{ name: 'sg', dialect: 'sglang', logitProcessor: 'P' }];
    expect(checkEnvoyConfig(shippedEnvoy(), validateConfig({ ...read('thinkcap.example.yaml'), defaultDialect: 'sglang', backends, spend: { enabled: true } })).filter(processor)).toEqual([]);
    // Spend off: the shipped prefix route, an exact chat route, and a listed path that generates nothing.
    const exact = shippedEnvoy();
    routeNamed(exact, 'chat').match = { path: '/v1/chat/completions' };
    for (const envoy of [shippedEnvoy(), exact]) expect(checkEnvoyConfig(envoy, validateConfig({ ...read('thinkcap.example.yaml'), defaultDialect: 'sglang', backends, match: { unbudgetedPaths: ['/tokenize'] } })).filter(processor)).toEqual([]);
    // A listed generation path: one warning, however many listeners run ext_proc.
    const two = shippedEnvoy();
    two.static_resources.listeners.push({ ...structuredClone(two.static_resources.listeners[0]), name: 'second', address: { socket_address: { address: '127.0.0.1', port_value: 10001 } } });
    expect(checkEnvoyConfig(two, validateConfig({ ...read('thinkcap.example.yaml'), defaultDialect: 'sglang', backends, match: { unbudgetedPaths: ['/generate'] } })).filter(processor)).toHaveLength(1);
    // Without thinkcap's processor the server needs no such flag: nothing to say.
    expect(checkEnvoyConfig(shippedEnvoy(), validateConfig({ ...read('thinkcap.example.yaml'), defaultDialect: 'sglang', backends: [{ name: 'sg', dialect: 'sglang', strictThinking: true }] })).filter(processor)).toEqual([]);
  });

  it('spend on: no reservation-TTL warning for the shipped config, nor where max_stream_duration ends streams in time', () => {
    const ttl = (f: { message: string }) => /reservationTtlSeconds/.test(f.message);
    const spendOn = validateConfig({ ...read('thinkcap.example.yaml'), spend: { enabled: true } });
    expect(checkEnvoyConfig(shippedEnvoy(), spendOn).filter(ttl)).toEqual([]);
    const off = shippedEnvoy();
    routeNamed(off, 'chat').route.timeout = '0s';
    httpConnectionManager(off).common_http_protocol_options = { max_stream_duration: '800s' };
    expect(checkEnvoyConfig(off, spendOn).filter(ttl)).toEqual([]);
    routeNamed(off, 'chat').route.max_stream_duration = { max_stream_duration: '1000s' };
    expect(checkEnvoyConfig(off, spendOn).filter(ttl)).toEqual([]);
    // Spend off: no reservation to outlive.
    expect(checkEnvoyConfig(off, example()).filter(ttl)).toEqual([]);
  });

  it('a backend whose engine reads no thinking cap: a warning unless the rescue can answer (a url, and full duplex or STREAMED with streamedFollowUpMs)', () => {
    const uncapped = (f: { message: string }) => /gets no thinking cap the engine reads/.test(f.message);
    const duplex = shippedEnvoy();
    Object.assign(extProcFilter(duplex).processing_mode, { response_body_mode: 'FULL_DUPLEX_STREAMED', response_trailer_mode: 'SEND' });
    const example = read('thinkcap.example.yaml');
    const backends = (b: Record<string, unknown>, requests: Record<string, unknown> = {}) => validateConfig({ ...example, requests: { ...example.requests, ...requests }, backends: [{ name: 'b', ...b }] });
    for (const b of [{ dialect: 'ollama' }, { dialect: 'ollama-openai' }, { dialect: 'generic' }, { dialect: 'sglang' }, { dialect: 'llamacpp', budgetField: false }]) {
      // The shipped pair: STREAMED, and thinkcap may hold the last message (streamedFollowUpMs).
      expect(checkEnvoyConfig(shippedEnvoy(), backends({ ...b, url: 'http://e:1' })).filter(uncapped), b.dialect).toEqual([]);
      expect(checkEnvoyConfig(shippedEnvoy(), backends({ ...b, url: 'http://e:1' }, { streamedFollowUpMs: 0 })).filter(uncapped), b.dialect).toHaveLength(1);
      expect(checkEnvoyConfig(duplex, backends(b)).filter(uncapped), b.dialect).toHaveLength(1);
      expect(checkEnvoyConfig(duplex, backends({ ...b, url: 'http://e:1' }, { streamedFollowUpMs: 0 })).filter(uncapped), b.dialect).toEqual([]);
    }
    // Engines that read the cap thinkcap writes, and budget forcing: nothing to say.
    for (const b of [{ dialect: 'vllm' }, { dialect: 'llamacpp' }, { dialect: 'sglang', strictThinking: true }, { dialect: 'sglang', logitProcessor: 'P' }, { dialect: 'ollama', enforcement: 'rewrite' }]) {
      expect(checkEnvoyConfig(shippedEnvoy(), backends(b)).filter(uncapped), JSON.stringify(b)).toEqual([]);
    }
  });

  it('budget forcing behind the shipped STREAMED Envoy: no error where thinkcap may hold the last message within max_message_timeout', () => {
    const example = read('thinkcap.example.yaml');
    const cfg = (requests: Record<string, unknown>) => validateConfig({ ...example, requests: { ...example.requests, ...requests }, backends: [{ name: 'b', dialect: 'vllm', enforcement: 'continuation', url: 'http://x:1' }] });
    const errors = (c: ReturnType<typeof cfg>) => checkEnvoyConfig(shippedEnvoy(), c).filter((f) => f.level === 'error').map((f) => f.message);
    expect(errors(cfg({}))).toEqual([]);
    expect(errors(cfg({ streamedFollowUpMs: 30_000 }))).toEqual([]);
    expect(errors(cfg({ streamedFollowUpMs: 30_001 }))).toEqual([expect.stringMatching(/needs max_message_timeout at least that long \(it is 30000 ms\)/)]);
  });

  it('the shipped envoy.yaml in full duplex: its stream idle timeout (600 s) is 10 s longer than continuationQueueTimeoutMs (590 s)', () => {
    const duplex = shippedEnvoy();
    Object.assign(extProcFilter(duplex).processing_mode, { response_body_mode: 'FULL_DUPLEX_STREAMED', response_trailer_mode: 'SEND' });
    const cfg = validateConfig({ ...read('thinkcap.example.yaml'), backends: [{ name: 'b', dialect: 'sglang', url: 'http://x:1' }] });
    expect(checkEnvoyConfig(duplex, cfg).filter((f) => /idle/.test(f.message))).toEqual([]);
  });

  it('the shipped compose pair has no errors (thinkcap token and Envoy metadata match)', () => {
    const cfg = validateConfig({ ...read('deploy/compose/thinkcap.yaml'), server: { ...read('deploy/compose/thinkcap.yaml').server, grpcToken: 'replace-this-demo-token-0123456789' } });
    expect(checkEnvoyConfig(read('deploy/compose/envoy.yaml'), cfg).filter((f) => f.level === 'error')).toEqual([]);
  });

  const spendOn = { spend: { enabled: true } };
  it.each<[string, (envoy: any) => void, Record<string, unknown>, 'error' | 'warning', RegExp]>([
    ['ext_proc after the router', (e) => httpConnectionManager(e).http_filters.reverse(), {}, 'error', /ext_proc must come before envoy\.filters\.http\.router/],
    ['a streamed request body', (e) => (extProcFilter(e).processing_mode.request_body_mode = 'STREAMED'), {}, 'error', /request_body_mode is STREAMED/],
    ['no response body', (e) => delete extProcFilter(e).processing_mode.response_body_mode, {}, 'error', /response_body_mode is NONE/],
    ['full duplex without trailers', (e) => (extProcFilter(e).processing_mode.response_body_mode = 'FULL_DUPLEX_STREAMED'), {}, 'error', /response_trailer_mode must be SEND/],
    ['continuation on a STREAMED Envoy, no streamedFollowUpMs', () => {}, { requests: { streamedFollowUpMs: 0 }, backends: [{ name: 'b', dialect: 'vllm', enforcement: 'continuation', url: 'http://x:1' }] }, 'error', /enforcement: continuation, which needs .*FULL_DUPLEX_STREAMED, or STREAMED with requests\.streamedFollowUpMs/],
    ['streamedFollowUpMs past max_message_timeout', () => {}, { requests: { streamedFollowUpMs: 45_000 } }, 'error', /requests\.streamedFollowUpMs \(45000 ms\) needs max_message_timeout at least that long \(it is 30000 ms\)/],
    ['a stream idle timeout shorter than streamedFollowUpMs', (e) => (httpConnectionManager(e).stream_idle_timeout = '20s'), {}, 'error', /route 'chat' can carry chat requests, and stream_idle_timeout \(20s\) is shorter than requests\.streamedFollowUpMs \(30000 ms\)/],
    ['a chat route idle_timeout shorter than streamedFollowUpMs', (e) => (routeNamed(e, 'chat').route.idle_timeout = '10s'), {}, 'error', /route 'chat' can carry chat requests, and its idle_timeout \(10s\) is shorter than requests\.streamedFollowUpMs/],
    [
      'full duplex, a backend with a url, a stream idle timeout shorter than continuationQueueTimeoutMs',
      (e) => {
        Object.assign(extProcFilter(e).processing_mode, { response_body_mode: 'FULL_DUPLEX_STREAMED', response_trailer_mode: 'SEND' });
        httpConnectionManager(e).stream_idle_timeout = '300s';
      },
      { backends: [{ name: 'b', dialect: 'sglang', url: 'http://x:1' }] },
      'warning',
      /route 'chat' can carry chat requests, and stream_idle_timeout \(300s\) is not 10 s longer than requests\.continuationQueueTimeoutMs \(590000 ms\)/,
    ],
    [
      'full duplex, a stream idle timeout equal to continuationQueueTimeoutMs (Envoy\'s timer starts first)',
      (e) => Object.assign(extProcFilter(e).processing_mode, { response_body_mode: 'FULL_DUPLEX_STREAMED', response_trailer_mode: 'SEND' }),
      { requests: { continuationQueueTimeoutMs: 600_000 }, backends: [{ name: 'b', dialect: 'sglang', url: 'http://x:1' }] },
      'warning',
      /stream_idle_timeout \(600s\) is not 10 s longer than requests\.continuationQueueTimeoutMs \(600000 ms\)/,
    ],
    ['streamedFollowUpMs with no max_message_timeout', (e) => delete extProcFilter(e).max_message_timeout, {}, 'error', /requests\.streamedFollowUpMs \(30000 ms\) needs max_message_timeout at least that long \(it is not set\)/],
    ['no allow_mode_override', (e) => delete extProcFilter(e).allow_mode_override, {}, 'warning', /allow_mode_override is not true/],
    ['observability_mode on', (e) => (extProcFilter(e).observability_mode = true), {}, 'error', /observability_mode is true: Envoy ignores every answer thinkcap sends/],
    ['send_body_without_waiting_for_header_response on', (e) => (extProcFilter(e).send_body_without_waiting_for_header_response = true), {}, 'error', /send_body_without_waiting_for_header_response is true: Envoy sends the response body before/],
    ['message_timeout too short for the deadline', (e) => (extProcFilter(e).message_timeout = '0.1s'), {}, 'error', /requests\.deadlineMs \(150 ms\) leaves no margin under message_timeout \(100 ms\)/],
    ['no message_timeout', (e) => delete extProcFilter(e).message_timeout, {}, 'warning', /message_timeout is not set/],
    ['route names without xds.route_name', (e) => delete extProcFilter(e).request_attributes, { backends: [{ name: 'b', dialect: 'vllm', routeNames: ['chat'] }] }, 'error', /request_attributes lacks "xds\.route_name"/],
    ['identity headers not stripped, spend on', (e) => (httpConnectionManager(e).http_filters = httpConnectionManager(e).http_filters.slice(1)), spendOn, 'error', /removes the client's copies of x-thinkcap-tenant, x-thinkcap-user, x-thinkcap-session/],
    ['failure_mode_allow not stated', (e) => delete extProcFilter(e).failure_mode_allow, {}, 'warning', /failure_mode_allow is not stated/],
    ['failing open with spend on', () => {}, spendOn, 'warning', /failure_mode_allow is true with spend budgets on/],
    ['the gRPC cluster on HTTP/1', (e) => delete e.static_resources.clusters.find((c: any) => c.name === 'thinkcap').typed_extension_protocol_options, {}, 'error', /Cluster 'thinkcap' is not HTTP\/2/],
    ['a missing gRPC cluster', (e) => (extProcFilter(e).grpc_service.envoy_grpc.cluster_name = 'nope'), {}, 'error', /cluster_name 'nope' names no cluster/],
    ['a token thinkcap wants but Envoy does not send', () => {}, { server: { grpcToken: 'x'.repeat(20) } }, 'error', /grpc_service\.initial_metadata sends no authorization header/],
    ['a buffer limit below maxBodyBytes', (e) => (e.static_resources.listeners[0].per_connection_buffer_limit_bytes = 524288), {}, 'warning', /per_connection_buffer_limit_bytes \(524288\) is below requests\.maxBodyBytes/],
    ['a buffer limit above the gRPC receive limit', (e) => (e.static_resources.listeners[0].per_connection_buffer_limit_bytes = 128 * 2 ** 20), {}, 'error', /above what thinkcap receives in one gRPC message/],
    [
      'neither graceful ext_proc close nor a bound on streams per connection',
      (e) => {
        delete e.layered_runtime;
        delete clusterHttpOptions(e, 'thinkcap').common_http_protocol_options;
      },
      {},
      'warning',
      /Neither layered_runtime .*ext_proc_graceful_grpc_close.* nor max_requests_per_connection/,
    ],
    ['a llamacpp backend behind a cluster that reuses connections', () => {}, { backends: [{ name: 'b', dialect: 'llamacpp' }] }, 'warning', /cluster llm reuses upstream connections: llama-server closes/],
    ['defaultDialect llamacpp beside other backends, a cluster that reuses connections', () => {}, { defaultDialect: 'llamacpp', backends: [{ name: 'b', dialect: 'vllm', pathPrefixes: ['/vllm'] }] }, 'warning', /cluster llm reuses upstream connections: llama-server closes/],
    ['a vllm backend behind a cluster with no idle_timeout (Envoy keeps idle connections 1 h)', (e) => delete llmCommon(e).idle_timeout, {}, 'warning', /cluster llm keeps idle connections longer .*idle_timeout under the engine's keep-alive/],
    ['an sglang backend behind a cluster idle as long as the engine (5s)', (e) => (llmCommon(e).idle_timeout = '5s'), { defaultDialect: 'ollama', backends: [{ name: 'b', dialect: 'sglang' }] }, 'warning', /speaks vllm or sglang.*cluster llm keeps idle connections longer/],
    ['an idle_timeout of 0s (off)', (e) => (llmCommon(e).idle_timeout = '0s'), {}, 'warning', /cluster llm keeps idle connections longer/],
    ['the chat route without a timeout (Envoy\'s default 15 s)', (e) => delete routeNamed(e, 'chat').route.timeout, {}, 'warning', /route 'chat' can carry chat requests and states no timeout \(Envoy's default is 15 s\)/],
    ['a chat route timeout of 30s', (e) => (routeNamed(e, 'chat').route.timeout = '30s'), {}, 'warning', /route 'chat' can carry chat requests and has timeout 30s/],
    ['spend on, the chat route timeout off (0s): a stream can outlive its reservation', (e) => (routeNamed(e, 'chat').route.timeout = '0s'), spendOn, 'warning', /route 'chat' can carry chat requests for as long as they run .*spend\.reservationTtlSeconds \(900 s\)/],
    ['spend on, a chat route timeout past the reservation TTL', (e) => (routeNamed(e, 'chat').route.timeout = '1200s'), spendOn, 'warning', /route 'chat' can carry chat requests for up to 1200 s, not less than spend\.reservationTtlSeconds \(900 s\)/],
    ['spend on, a reservation TTL under the shipped 600 s timeout', () => {}, { spend: { enabled: true, reservationTtlSeconds: 300 } }, 'warning', /for up to 600 s, not less than spend\.reservationTtlSeconds \(300 s\)/],
    ['a regex route with a short timeout', (e) => (routeNamed(e, 'chat').match = { safe_regex: { regex: '/v1/.*' } }) && (routeNamed(e, 'chat').route.timeout = '10s'), {}, 'warning', /route 'chat' can carry chat requests and has timeout 10s/],
    ['ext_proc off on a prefix route', (e) => (routeNamed(e, 'models').match = { prefix: '/v1/' }), {}, 'error', /route 'models' turns ext_proc off and matches by prefix: a chat request could match it/],
    ['ext_proc off on a chat path', (e) => (routeNamed(e, 'models').match = { path: '/v1/chat/completions' }), {}, 'error', /route 'models' turns ext_proc off on \/v1\/chat\/completions, a chat path/],
    ['ext_proc off on a chat path in another case, matched case-insensitively', (e) => (routeNamed(e, 'models').match = { path: '/V1/Chat/Completions', case_sensitive: false }), {}, 'error', /route 'models' turns ext_proc off on \/V1\/Chat\/Completions, a chat path/],
    [
      'ext_proc off by FilterConfig on a prefix route',
      (e) => {
        const chat = routeNamed(e, 'chat');
        chat.match = { prefix: '/' };
        chat.typed_per_filter_config = { 'envoy.filters.http.ext_proc': { '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig', disabled: true } };
      },
      {},
      'error',
      /route 'chat' turns ext_proc off and matches by prefix/,
    ],
    [
      'ext_proc off for a whole virtual host',
      (e) => (httpConnectionManager(e).route_config.virtual_hosts[0].typed_per_filter_config = { 'envoy.filters.http.ext_proc': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute', disabled: true } }),
      {},
      'error',
      /virtual host 'llm' turns ext_proc off for all its routes/,
    ],
    ['an SGLang processor backend, spend off, a generation path let through (/generate reaches the engine unread)', () => {}, { defaultDialect: 'sglang', backends: [{ name: 'sg', dialect: 'sglang', logitProcessor: 'P' }], match: { unbudgetedPaths: ['/tokenize', '/generate'] } }, 'warning', /backend 'sg' runs thinkcap's SGLang logit processor.*match\.unbudgetedPaths \(\/generate\) pass unread/],
    ['an SGLang processor backend, spend on, an unbudgeted path', () => {}, { defaultDialect: 'sglang', backends: [{ name: 'sg', dialect: 'sglang', logitProcessor: 'P' }], spend: { enabled: true }, match: { unbudgetedPaths: ['/generate'] } }, 'warning', /backend 'sg' runs thinkcap's SGLang logit processor.*match\.unbudgetedPaths \(\/generate\) pass unread/],
    ['no ext_proc filter at all', (e) => (httpConnectionManager(e).http_filters = httpConnectionManager(e).http_filters.filter((f: any) => f.name !== 'envoy.filters.http.ext_proc')), {}, 'error', /No http_connection_manager has the envoy\.filters\.http\.ext_proc filter/],
    ['every path to the engine (a prefix "/" route, as the first round shipped)', (e) => beforeNotServed(e, { name: 'all', match: { prefix: '/' }, route: { cluster: 'llm', timeout: '600s' } }), {}, 'warning', /^route 'all' forwards \/slots, \/props, \/lora-adapters, \/reset_prefix_cache, \/sleep, \/v1\/load_lora_adapter, \/flush_cache, \/update_weights_from_disk, \/api\/pull, \/api\/delete, \/api\/create: engine administration endpoints/],
    ['a regex route that takes two of them', (e) => beforeNotServed(e, { name: 'more', match: { safe_regex: { regex: '/(?:slots|props|v2/[a-z]+)' } }, route: { cluster: 'llm', timeout: '600s' } }), {}, 'warning', /^route 'more' forwards \/slots, \/props: engine administration/],
    ['a prefix route under a header condition: it may', (e) => beforeNotServed(e, { name: 'team', match: { prefix: '/api/', headers: [{ name: 'x-team', string_match: { exact: 'a' } }] }, route: { cluster: 'llm', timeout: '600s' } }), {}, 'warning', /^route 'team' may forward \/api\/pull, \/api\/delete, \/api\/create: engine administration/],
    ['a case-insensitive exact route', (e) => beforeNotServed(e, { name: 'slots', match: { path: '/SLOTS', case_sensitive: false }, route: { cluster: 'llm', timeout: '600s' } }), {}, 'warning', /^route 'slots' forwards \/slots: engine administration/],
  ])('%s', (_name, breakIt, cfg, level, message) => {
    const envoy = shippedEnvoy();
    breakIt(envoy);
    const findings = checkEnvoyConfig(envoy, validateConfig({ ...read('thinkcap.example.yaml'), ...cfg }));
    const hit = findings.find((f) => message.test(f.message));
    expect(hit, JSON.stringify(findings, null, 1)).toBeDefined();
    expect(hit!.level).toBe(level);
  });
});

// What a control plane (Istio, Envoy Gateway) gives Envoy is in no file: `thinkcap check --envoy`
// reads a running Envoy's /config_dump. Here the shipped envoy.yaml runs as such an Envoy does,
// its listener, clusters and routes delivered over xDS (files Envoy watches: LDS, CDS, RDS).
describe("thinkcap check: a running Envoy's /config_dump", () => {
  const TYPE = 'type.googleapis.com/envoy.config.';
  /** The shipped config on free ports, with the thinkcap cluster's per-connection bound (a cluster's setting) or the chat route's timeout (a route's) dropped when asked. */
  const shipped = async (drop: 'nothing' | 'bound' | 'timeout') => {
    const cfg = shippedEnvoy();
    cfg.admin.address.socket_address.port_value = await freePort();
    cfg.static_resources.listeners[0].address.socket_address = { address: '127.0.0.1', port_value: await freePort() };
    if (drop === 'bound') delete clusterHttpOptions(cfg, 'thinkcap').common_http_protocol_options;
    if (drop === 'timeout') delete routeNamed(cfg, 'chat').route.timeout;
    return cfg;
  };
  /** The same Envoy with its listener, clusters and route config over file-based xDS. */
  const overXds = (cfg: any, dir: string) => {
    const source = (file: string) => ({ path_config_source: { path: join(dir, file) }, resource_api_version: 'V3' });
    const listener = structuredClone(cfg.static_resources.listeners[0]);
    const hcm = listener.filter_chains[0].filters[0].typed_config;
    const routes = hcm.route_config;
    delete hcm.route_config;
    hcm.rds = { route_config_name: routes.name, config_source: source('rds.yaml') };
    writeFileSync(join(dir, 'lds.yaml'), stringify({ resources: [{ '@type': `${TYPE}listener.v3.Listener`, ...listener }] }));
    writeFileSync(join(dir, 'rds.yaml'), stringify({ resources: [{ '@type': `${TYPE}route.v3.RouteConfiguration`, ...routes }] }));
    writeFileSync(join(dir, 'cds.yaml'), stringify({ resources: cfg.static_resources.clusters.map((c: any) => ({ '@type': `${TYPE}cluster.v3.Cluster`, ...c })) }));
    return { node: { id: 'check-test', cluster: 'check-test' }, admin: cfg.admin, dynamic_resources: { lds_config: source('lds.yaml'), cds_config: source('cds.yaml') } };
  };
  const dumpOf = async (adminUrl: string) => {
    // xDS from files lands at start; wait until the listener and its routes are active.
    for (let i = 0; i < 100; i++) {
      const dump = (await (await fetch(`${adminUrl}/config_dump`)).json()) as { configs: Array<Record<string, any>> };
      const routes = dump.configs.find((c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump');
      const listeners = dump.configs.find((c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump');
      const active = (listeners?.static_listeners?.length ?? 0) + (listeners?.dynamic_listeners ?? []).filter((l: any) => l.active_state).length;
      if (active > 0 && ((routes?.static_route_configs?.length ?? 0) + (routes?.dynamic_route_configs?.length ?? 0)) > 0) return dump;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no active listener with routes in the config dump');
  };

  it.each([
    ['static', false],
    ['over xDS', true],
  ] as const)('%s: the dump gives the findings the file gives, as shipped and with a cluster setting or a route setting dropped', async (_how, xds) => {
    for (const drop of ['nothing', 'bound', 'timeout'] as const) {
      const cfg = await shipped(drop);
      const dir = scratchDir('thinkcap-dump-');
      const envoy = await startEnvoy(xds ? overXds(cfg, dir) : cfg);
      try {
        const dump = await dumpOf(envoy.adminUrl);
        if (xds) {
          // Delivered as a control plane delivers it: nothing static but the admin port.
          const listeners = dump.configs.find((c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump')!;
          expect(listeners.static_listeners).toBeUndefined();
          expect(listeners.dynamic_listeners[0].active_state.listener.filter_chains[0].filters[0].typed_config.rds.route_config_name).toBe('llm_routes');
        }
        const fromFile = checkEnvoyConfig(cfg, example());
        expect(fromFile.length, JSON.stringify(fromFile)).toBe(drop === 'nothing' ? 0 : 1);
        expect(checkEnvoyConfig(dump, example())).toEqual(fromFile);
        if (drop === 'bound') expect(fromFile[0]!.message).toMatch(/max_requests_per_connection \(at most 1000\) on cluster 'thinkcap' is set/);
        if (drop === 'timeout') expect(fromFile[0]!.message).toMatch(/route 'chat' can carry chat requests and states no timeout/);
        // The CLI reads the dump as Envoy's admin API writes it (JSON).
        writeFileSync(join(dir, 'dump.json'), JSON.stringify(dump));
        writeFileSync(join(dir, 'thinkcap.yaml'), stringify(read('thinkcap.example.yaml')));
        const r = spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli.js'), 'check', '--config', join(dir, 'thinkcap.yaml'), '--no-backends', '--envoy', join(dir, 'dump.json')], { encoding: 'utf8' });
        expect(r.stdout).toMatch(drop === 'nothing' ? /no problems found/ : drop === 'bound' ? /warnings:\n {2}Neither layered_runtime/ : /warnings:\n {2}route 'chat'/);
      } finally {
        await envoy.stop();
      }
    }
  }, 60_000);

  it("a dump's runtime layers: the last one to set the graceful-close guard decides", () => {
    const dump = (layers: unknown[]) => ({
      configs: [
        { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { layered_runtime: { layers } } },
        { '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump', static_listeners: [{ listener: shippedEnvoy().static_resources.listeners[0] }] },
        { '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump', static_clusters: shippedEnvoy().static_resources.clusters.map((c: any) => { delete c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].common_http_protocol_options; return { cluster: c }; }) },
      ],
    });
    const guard = 'envoy.reloadable_features.ext_proc_graceful_grpc_close';
    const warned = (layers: unknown[]) => checkEnvoyConfig(dump(layers), example()).some((f) => /Neither layered_runtime/.test(f.message));
    expect(warned([])).toBe(true);
    expect(warned([{ name: 'a', static_layer: { [guard]: true } }])).toBe(false);
    // A runtime value written as a string.
    expect(warned([{ name: 'a', static_layer: { [guard]: 'true' } }])).toBe(false);
    expect(warned([{ name: 'a', static_layer: { [guard]: true } }, { name: 'b', static_layer: { [guard]: false } }])).toBe(true);
    expect(warned([{ name: 'a', static_layer: { [guard]: false } }, { name: 'admin', admin_layer: {} }, { name: 'b', static_layer: { [guard]: true } }])).toBe(false);
  });

  it("a cluster's bound in the deprecated field older control planes write (the cluster's own max_requests_per_connection) counts", () => {
    const envoy = shippedEnvoy();
    const thinkcap = envoy.static_resources.clusters.find((c: any) => c.name === 'thinkcap');
    delete clusterHttpOptions(envoy, 'thinkcap').common_http_protocol_options;
    const warned = () => checkEnvoyConfig(envoy, example()).some((f) => /Neither layered_runtime/.test(f.message));
    expect(warned()).toBe(true);
    thinkcap.max_requests_per_connection = 500;
    expect(warned()).toBe(false);
    thinkcap.max_requests_per_connection = 5000;
    expect(warned()).toBe(true);
  });
});

describe('thinkcap check: Istio resources (EnvoyFilter, DestinationRule, VirtualService)', () => {
  const TOKEN = 'replace-this-demo-token-0123456789';
  /** The config the Kubernetes manifest ships (spend on), with the token the EnvoyFilters send. */
  const k8sConfig = () => {
    const cm = parseAllDocuments(readFileSync(join(root, 'deploy', 'k8s', 'thinkcap.yaml'), 'utf8')).map((d) => d.toJS()).find((d) => d.kind === 'ConfigMap');
    const cfg = parse(cm.data['thinkcap.yaml']);
    return validateConfig({ ...cfg, server: { ...cfg.server, grpcToken: TOKEN } });
  };
  const gateway = () => read('envoy/istio/envoyfilter-gateway.yaml');
  const rule = () => read('envoy/istio/destinationrule.yaml');
  const FAIL_OPEN = /failure_mode_allow is true with spend budgets on/;
  const messages = (f: { message: string }[]) => f.map((x) => x.message);

  it.each(['envoyfilter-gateway.yaml', 'envoyfilter-sidecar.yaml'])('the shipped %s with the DestinationRule, against the Kubernetes config: only the fail-open warning it chose', (file) => {
    const findings = checkIstioResources([read(`envoy/istio/${file}`), rule()], k8sConfig());
    expect(findings).toHaveLength(1);
    expect(findings[0]!.level).toBe('warning');
    expect(findings[0]!.message).toMatch(FAIL_OPEN);
  });

  it("without the DestinationRule, or with one that allows more than 1000 streams a connection: a warning naming thinkcap's host", () => {
    const without = checkIstioResources([gateway()], k8sConfig()).filter((f) => !FAIL_OPEN.test(f.message));
    expect(messages(without)).toEqual([
      "EnvoyFilter 'istio-system/thinkcap-ext-proc': thinkcap's connections need trafficPolicy.connectionPool.http.maxRequestsPerConnection at most 1000 for thinkcap.thinkcap.svc.cluster.local (port 50051), and no DestinationRule among the files checked names thinkcap.thinkcap.svc.cluster.local: Envoy resets every ext_proc stream, and under load thinkcap's HTTP/2 connection is closed after 1000 resets (Node's default; server.grpcStreamResets where Node is 22 or later), failing every stream on it. A stream that fails goes by failure_mode_allow: to the backend without thinkcap, or refused. Apply envoy/istio/destinationrule.yaml (and pass it to --envoy too).",
    ]);
    expect(without[0]!.level).toBe('warning');
    const loose = rule();
    loose.spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection = 5000;
    expect(messages(checkIstioResources([gateway(), loose], k8sConfig())).some((m) => m.includes("DestinationRule 'thinkcap/thinkcap' sets it to 5000"))).toBe(true);
    // A short host in the rule's namespace, and a setting for the port alone, are the same rule.
    const short = rule();
    short.spec.host = 'thinkcap';
    short.spec.trafficPolicy = { portLevelSettings: [{ port: { number: 50051 }, connectionPool: { http: { maxRequestsPerConnection: 100 } } }] };
    expect(checkIstioResources([gateway(), short], k8sConfig()).filter((f) => !FAIL_OPEN.test(f.message))).toEqual([]);
    // Another port's setting is not this one's.
    short.spec.trafficPolicy.portLevelSettings[0].port.number = 9100;
    expect(messages(checkIstioResources([gateway(), short], k8sConfig())).some((m) => m.includes("DestinationRule 'thinkcap/thinkcap' sets it to nothing"))).toBe(true);
  });

  it.each([
    ['inserted first, before Istio\'s authentication filters', (g: any) => {
      g.spec.configPatches[0].patch.operation = 'INSERT_FIRST';
    }, /the ext_proc patch is INSERT_FIRST at envoy\.filters\.http\.router: insert it with operation INSERT_BEFORE/, 'error'],
    ['after the router', (g: any) => {
      g.spec.configPatches[0].patch.operation = 'INSERT_AFTER';
    }, /the ext_proc patch is INSERT_AFTER/, 'error'],
    ['no patch strips the client\'s identity headers', (g: any) => {
      g.spec.configPatches.splice(1, 1);
    }, /no HTTP_FILTER patch inserts first \(INSERT_FIRST, context GATEWAY\) a header_mutation filter that removes the client's copies of x-thinkcap-tenant, x-thinkcap-user, x-thinkcap-session/, 'error'],
    ['the strip patch in another context', (g: any) => {
      g.spec.configPatches[1].match.context = 'SIDECAR_INBOUND';
    }, /no HTTP_FILTER patch inserts first/, 'error'],
    ['response body not sent', (g: any) => {
      delete g.spec.configPatches[0].patch.value.typed_config.processing_mode.response_body_mode;
    }, /: processing_mode\.response_body_mode is NONE/, 'error'],
    ['another token', (g: any) => {
      g.spec.configPatches[0].patch.value.typed_config.grpc_service.initial_metadata[0].value = 'Bearer other';
    }, /initial_metadata authorization is not "Bearer " \+ server\.grpcToken/, 'error'],
    ['no message_timeout', (g: any) => {
      delete g.spec.configPatches[0].patch.value.typed_config.message_timeout;
    }, /message_timeout is not set/, 'warning'],
    ['ext_proc off on a route the patch does not name', (g: any) => {
      delete g.spec.configPatches[2].match.routeConfiguration.vhost.route;
    }, /an HTTP_ROUTE patch turns ext_proc off without naming a route/, 'error'],
  ] as const)('%s: found', (_what, breakIt, message, level) => {
    const g = gateway();
    breakIt(g);
    const findings = checkIstioResources([g, rule()], k8sConfig());
    const hit = findings.find((f) => message.test(f.message));
    expect(hit, JSON.stringify(findings, null, 1)).toBeDefined();
    expect(hit!.level).toBe(level);
    expect(hit!.message.startsWith("EnvoyFilter 'istio-system/thinkcap-ext-proc': ")).toBe(true);
  });

  it("a strip patch in another EnvoyFilter on the same workloads counts; on other workloads it does not", () => {
    const g = gateway();
    const strip = { ...g, metadata: { name: 'strip', namespace: 'istio-system' }, spec: { workloadSelector: g.spec.workloadSelector, configPatches: [g.spec.configPatches[1]] } };
    g.spec.configPatches.splice(1, 1);
    expect(checkIstioResources([g, strip, rule()], k8sConfig()).filter((f) => !FAIL_OPEN.test(f.message))).toEqual([]);
    strip.spec = { ...strip.spec, workloadSelector: { labels: { app: 'other' } } };
    expect(messages(checkIstioResources([g, strip, rule()], k8sConfig())).some((m) => /no HTTP_FILTER patch inserts first/.test(m))).toBe(true);
  });

  it("the route where ext_proc is off, given its VirtualService: exact non-chat paths only", () => {
    const vs = (match: unknown[]) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'models', namespace: 'models' }, spec: { hosts: ['*'], gateways: ['istio-system/gw'], http: [{ name: 'thinkcap-models', match, route: [{ destination: { host: 'vllm' } }] }, { name: 'chat', route: [{ destination: { host: 'vllm' } }] }] } });
    const on = (v: unknown) => messages(checkIstioResources([gateway(), rule(), v], k8sConfig())).filter((m) => m.includes("turns ext_proc off on route 'thinkcap-models'"));
    expect(on(vs([{ uri: { exact: '/v1/models' } }]))).toEqual([]);
    expect(on(vs([{ uri: { prefix: '/v1' } }]))).toEqual([
      `EnvoyFilter 'istio-system/thinkcap-ext-proc': turns ext_proc off on route 'thinkcap-models', and VirtualService 'models/models' matches it by {"prefix":"/v1"}: a chat request could match it and skip thinkcap; turn ext_proc off on routes that match exact paths other than chat paths only.`,
    ]);
    expect(on(vs([{ uri: { exact: '/v1/chat/completions' } }]))).toHaveLength(1);
    expect(on(vs([]))).toHaveLength(1);
  });

  it("the shipped VirtualService example beside them: clean; its chat route's timeout against Envoy's cut and the reservation TTL", () => {
    const vs = () => read('envoy/istio/virtualservice-gateway.yaml');
    const timeouts = (v: unknown, cfg = k8sConfig()) => checkIstioResources([gateway(), rule(), v], cfg).filter((f) => !FAIL_OPEN.test(f.message));
    expect(timeouts(vs())).toEqual([]);
    const none = vs();
    delete none.spec.http[1].timeout;
    expect(timeouts(none)).toEqual([
      {
        level: 'warning',
        message: "VirtualService 'models/models' route 'chat' can carry chat requests and states no timeout (Istio's routes then have none): its streams run for as long as they run, not less than spend.reservationTtlSeconds (900 s): a stream that runs past it has its reservation released while it runs, so other requests can be admitted against that budget and the cap be passed by this request's cost. Set its timeout under reservationTtlSeconds (the shipped configs use 600s).",
      },
    ]);
    // Spend off: no reservation to outlive.
    expect(timeouts(none, validateConfig({ ...read('thinkcap.example.yaml') }))).toEqual([]);
    const long = vs();
    long.spec.http[1].timeout = '1200s';
    expect(timeouts(long).map((f) => f.message)[0]).toMatch(/route 'chat' can carry chat requests and has timeout 1200s, not less than spend\.reservationTtlSeconds/);
    const short = vs();
    short.spec.http[1].timeout = '30s';
    expect(timeouts(short).map((f) => f.message)).toEqual([expect.stringMatching(/route 'chat' can carry chat requests and has timeout 30s: Envoy cuts any answer/)]);
    // The model-list route (an exact path that is no chat path) is not a chat route, whatever its timeout.
    const models = vs();
    models.spec.http[0].timeout = '1s';
    expect(timeouts(models)).toEqual([]);
  });

  it('a VirtualService route that matches every path, or a prefix, forwards engine administration paths: warned', () => {
    const admin = (v: unknown) => messages(checkIstioResources([gateway(), rule(), v], k8sConfig())).filter((m) => m.includes('engine administration endpoints'));
    const all = read('envoy/istio/virtualservice-gateway.yaml');
    delete all.spec.http[1].match;
    expect(admin(all)).toEqual([expect.stringMatching(/^VirtualService 'models\/models' route 'chat' forwards \/slots, \/props, .*\/api\/create: engine administration endpoints/)]);
    const api = read('envoy/istio/virtualservice-gateway.yaml');
    api.spec.http[1].match = [{ uri: { exact: '/v1/chat/completions' } }, { uri: { prefix: '/api/' } }, { uri: { regex: '/v1/[a-z_]+' }, method: { exact: 'POST' } }];
    expect(admin(api)).toEqual([
      expect.stringMatching(/^VirtualService 'models\/models' route 'chat' forwards \/api\/pull, \/api\/delete, \/api\/create: /),
      expect.stringMatching(/^VirtualService 'models\/models' route 'chat' may forward \/v1\/load_lora_adapter: /),
    ]);
  });

  it('no EnvoyFilter that inserts ext_proc: an error', () => {
    expect(checkIstioResources([rule()], k8sConfig())).toEqual([{ level: 'error', message: 'No EnvoyFilter inserts the envoy.filters.http.ext_proc filter (an HTTP_FILTER patch whose value has typed_config ExternalProcessor).' }]);
  });
});

describe('thinkcap check (the CLI)', () => {
  let emu: Emulator;
  let dir: string;
  const cli = join(root, 'dist', 'src', 'cli.js');
  // Asynchronously: the emulator answers from this very process.
  const check = async (...args: string[]) => {
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'check', ...args], { encoding: 'utf8' });
      return { status: 0, stdout };
    } catch (err) {
      const e = err as { code?: number; stdout?: string };
      return { status: e.code ?? -1, stdout: e.stdout ?? '' };
    }
  };
  beforeAll(async () => {
    emu = await startEmulator({ model: 'qwen3-8b' });
    dir = mkdtempSync(join(tmpdir(), 'thinkcap-check-'));
  });
  afterAll(async () => {
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--envoy with Istio resources: given more than once, as several documents in one file, as kubectl lists them on standard input; a file with none is an error', async () => {
    writeFileSync(join(dir, 'example.yaml'), stringify(read('thinkcap.example.yaml')));
    const cfg = ['--config', join(dir, 'example.yaml'), '--no-backends'];
    const istio = (f: string) => join(root, 'envoy', 'istio', f);
    const two = await check(...cfg, '--envoy', istio('envoyfilter-gateway.yaml'), '--envoy', istio('destinationrule.yaml'), '--envoy', istio('virtualservice-gateway.yaml'));
    expect(two.stdout).toMatch(/no problems found/);
    expect(two.status).toBe(0);
    writeFileSync(join(dir, 'istio.yaml'), `${readFileSync(istio('envoyfilter-sidecar.yaml'), 'utf8')}\n---\n${readFileSync(istio('destinationrule.yaml'), 'utf8')}`);
    expect((await check(...cfg, '--envoy', join(dir, 'istio.yaml'))).stdout).toMatch(/no problems found/);
    const alone = await check(...cfg, '--envoy', istio('envoyfilter-gateway.yaml'));
    expect(alone.status).toBe(0);
    expect(alone.stdout).toMatch(/warnings:\n {2}EnvoyFilter 'istio-system\/thinkcap-ext-proc': thinkcap's connections need trafficPolicy\.connectionPool\.http\.maxRequestsPerConnection at most 1000/);
    // What kubectl prints for several kinds (`kind: List` with items), on standard input.
    const list = stringify({ apiVersion: 'v1', kind: 'List', items: [read('envoy/istio/envoyfilter-gateway.yaml'), read('envoy/istio/destinationrule.yaml')] });
    const piped = spawnSync(process.execPath, [cli, 'check', ...cfg, '--envoy', '-'], { input: list, encoding: 'utf8' });
    expect(piped.stdout).toMatch(/no problems found/);
    expect(piped.status).toBe(0);
    const pipedWithout = spawnSync(process.execPath, [cli, 'check', ...cfg, '--envoy', '-'], { input: stringify({ apiVersion: 'v1', kind: 'List', items: [read('envoy/istio/envoyfilter-gateway.yaml')] }), encoding: 'utf8' });
    expect(pipedWithout.stdout).toMatch(/maxRequestsPerConnection at most 1000/);
    // Other Kubernetes objects beside them are not read; alone they are not an Envoy config.
    const service = 'apiVersion: v1\nkind: Service\nmetadata: { name: thinkcap, namespace: thinkcap }\nspec: { ports: [{ port: 50051 }] }\n';
    writeFileSync(join(dir, 'mixed.yaml'), `${service}---\n${readFileSync(istio('envoyfilter-gateway.yaml'), 'utf8')}\n---\n${readFileSync(istio('destinationrule.yaml'), 'utf8')}`);
    expect((await check(...cfg, '--envoy', join(dir, 'mixed.yaml'))).stdout).toMatch(/no problems found/);
    writeFileSync(join(dir, 'service.yaml'), service);
    const other = await check(...cfg, '--envoy', join(dir, 'service.yaml'));
    expect(other.status).toBe(1);
    expect(other.stdout).toContain('--envoy: no Envoy config (a bootstrap) or Istio resource (EnvoyFilter, DestinationRule, VirtualService) among the documents given.');
    writeFileSync(join(dir, 'empty.yaml'), '# nothing\n');
    const empty = await check(...cfg, '--envoy', join(dir, 'empty.yaml'));
    expect(empty.status).toBe(1);
    expect(empty.stdout).toContain(`--envoy ${join(dir, 'empty.yaml')} could not be read as YAML: it holds no YAML document`);
    // An Envoy bootstrap still reads as one.
    expect((await check(...cfg, '--envoy', join(root, 'envoy', 'envoy.yaml'))).stdout).toMatch(/no problems found/);
  });

  it('lists the models a reachable backend serves and exits 0 on a clean Envoy config', async () => {
    const cfg = { ...read('thinkcap.example.yaml'), backends: [{ name: 'local', dialect: 'vllm', url: emu.url }] };
    writeFileSync(join(dir, 'ok.yaml'), stringify(cfg));
    const r = await check('--config', join(dir, 'ok.yaml'), '--envoy', join(root, 'envoy', 'envoy.yaml'));
    expect(r.stdout).toMatch(/backend local \(vllm, http:\/\/127\.0\.0\.1:\d+\): qwen3-8b/);
    expect(r.stdout).toMatch(/no problems found/);
    expect(r.status).toBe(0);
  });

  it('an unreachable backend and a broken Envoy config: errors, exit 1', async () => {
    const closed = await freePort();
    const cfg = { ...read('thinkcap.example.yaml'), backends: [{ name: 'gone', dialect: 'ollama', url: `http://127.0.0.1:${closed}` }] };
    writeFileSync(join(dir, 'gone.yaml'), stringify(cfg));
    const envoy = shippedEnvoy();
    extProcFilter(envoy).processing_mode.request_body_mode = 'STREAMED';
    writeFileSync(join(dir, 'envoy.yaml'), stringify(envoy));
    const r = await check('--config', join(dir, 'gone.yaml'), '--envoy', join(dir, 'envoy.yaml'));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`errors:\n  backends 'gone' (http://127.0.0.1:${closed}) is not reachable: ECONNREFUSED.`);
    expect(r.stdout).toMatch(/request_body_mode is STREAMED/);
  });

  it('an engine started with --api-key: check names apiKeyEnv, sends the key from it, and refuses to start without the variable', async () => {
    const keyed = await startEmulator({ model: 'qwen3-8b', apiKey: 'k-check' });
    try {
      const run = async (file: string, env: NodeJS.ProcessEnv) => {
        try {
          return { status: 0, stdout: (await promisify(execFile)(process.execPath, [cli, 'check', '--config', file], { encoding: 'utf8', env })).stdout };
        } catch (err) {
          return { status: (err as { code?: number }).code ?? -1, stdout: (err as { stdout?: string }).stdout ?? '' };
        }
      };
      const base = read('thinkcap.example.yaml');
      writeFileSync(join(dir, 'nokey.yaml'), stringify({ ...base, backends: [{ name: 'locked', dialect: 'vllm', url: keyed.url }] }));
      writeFileSync(join(dir, 'key.yaml'), stringify({ ...base, backends: [{ name: 'locked', dialect: 'vllm', url: keyed.url, apiKeyEnv: 'CHECK_TEST_ENGINE_KEY' }] }));
      const none = await run(join(dir, 'nokey.yaml'), { PATH: process.env.PATH });
      expect(none.status).toBe(1);
      expect(none.stdout).toContain(`backends 'locked' (${keyed.url}) is not reachable: v1/models answered 401: the engine wants an API key`);
      const unset = await run(join(dir, 'key.yaml'), { PATH: process.env.PATH });
      expect(unset.status).toBe(1);
      expect(unset.stdout).toContain("backends 'locked': apiKeyEnv names CHECK_TEST_ENGINE_KEY, which is not set");
      const wrong = await run(join(dir, 'key.yaml'), { PATH: process.env.PATH, CHECK_TEST_ENGINE_KEY: 'not-it' });
      expect(wrong.stdout).toContain('v1/models answered 401: the key in CHECK_TEST_ENGINE_KEY was refused');
      const right = await run(join(dir, 'key.yaml'), { PATH: process.env.PATH, CHECK_TEST_ENGINE_KEY: 'k-check' });
      expect(right.stdout).toMatch(/backend locked \(vllm, http:\/\/127\.0\.0\.1:\d+\): qwen3-8b/);
      expect(keyed.requests.at(-1)!.headers.authorization).toBe('Bearer k-check');
    } finally {
      await keyed.close();
    }
  });

  it.each([
    ['ollama', '/api/chat', '0.11.5'],
    ['ollama-openai', '/v1/chat/completions', '0.12.0'],
  ] as const)('%s: check asks for a render-only prompt, which follow-ups start with, and warns where the server predates them', async (dialect, path, version) => {
    const base = read('thinkcap.example.yaml');
    const at = async (name: string, url: string, enforcement = 'native') => {
      writeFileSync(join(dir, `${name}.yaml`), stringify({ ...base, backends: [{ name: 'o', dialect, url, enforcement }] }));
      return (await check('--config', join(dir, `${name}.yaml`))).stdout;
    };
    const current = await startEmulator({ dialect, model: 'qwen3:8b' });
    const old = await startEmulator({ dialect, model: 'qwen3:8b', ollamaNoRender: true });
    try {
      const ok = await at(`${dialect}-now`, current.url);
      expect(ok).toMatch(/backend o \(ollama(-openai)?, http:\/\/127\.0\.0\.1:\d+\): qwen3:8b/);
      expect(ok).not.toMatch(/render-only/);
      const render = current.requests.find((r) => r.path === path && (r.body as { _debug_render_only?: boolean })._debug_render_only === true)!.body as Record<string, unknown>;
      // The listed model, and a one-token limit, should the server run it after all.
      expect(render.model).toBe('qwen3:8b');
      expect(dialect === 'ollama' ? (render.options as { num_predict: number }).num_predict : render.max_tokens).toBe(1);
      expect(await at(`${dialect}-old`, old.url)).toContain(`backends 'o' answered a render-only request (${path} with _debug_render_only, model qwen3:8b) without a rendered prompt: an Ollama older than ${version}`);
      // No follow-ups under the stream rewrite alone: nothing to ask.
      const before = old.requests.length;
      expect(await at(`${dialect}-rewrite`, old.url, 'rewrite')).not.toMatch(/render-only/);
      expect(old.requests.slice(before).filter((r) => r.method === 'POST')).toEqual([]);
    } finally {
      await current.close();
      await old.close();
    }
  });

  it.each([
    ['ollama', '/api/chat'],
    ['ollama-openai', '/v1/chat/completions'],
  ] as const)('%s: the render check asks for the first listed model that completes chats, not an embedding model listed before it', async (dialect, path) => {
    const base = read('thinkcap.example.yaml');
    const at = async (name: string, url: string) => {
      writeFileSync(join(dir, `${name}.yaml`), stringify({ ...base, backends: [{ name: 'o', dialect, url, enforcement: 'native' }] }));
      return (await check('--config', join(dir, `${name}.yaml`))).stdout;
    };
    const mixed = await startEmulator({ dialect, ollamaModels: [{ name: 'nomic-embed-text:latest', capabilities: ['embedding'] }, { name: 'qwen3:8b', capabilities: ['completion', 'tools', 'thinking'] }] });
    const embeddingOnly = await startEmulator({ dialect, ollamaModels: [{ name: 'nomic-embed-text:latest', capabilities: ['embedding'] }] });
    try {
      const ok = await at(`${dialect}-mixed`, mixed.url);
      expect(ok).toMatch(/backend o \(ollama(-openai)?, http:\/\/127\.0\.0\.1:\d+\): nomic-embed-text:latest, qwen3:8b/);
      expect(ok).not.toMatch(/render-only|does not support/);
      const renders = mixed.requests.filter((r) => r.path === path && (r.body as { _debug_render_only?: boolean })._debug_render_only === true);
      expect(renders.map((r) => (r.body as { model: string }).model)).toEqual(['qwen3:8b']);
      expect(mixed.requests.filter((r) => r.path === '/api/show').map((r) => (r.body as { model: string }).model)).toEqual(['nomic-embed-text:latest', 'qwen3:8b']);
      // The emulator refuses a chat on the embedding model as Ollama does: what the check once ran into.
      const refused = await fetch(`${mixed.url}${path}`, { method: 'POST', body: JSON.stringify({ model: 'nomic-embed-text:latest', messages: [{ role: 'user', content: 'hi' }], _debug_render_only: true }) });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('"nomic-embed-text:latest\\" does not support chat');
      const none = await at(`${dialect}-embedding`, embeddingOnly.url);
      expect(none).toContain(`backends 'o': no model it lists (of the first 8) completes chats (their capabilities, /api/show), so its render-only request, which follow-ups start with, was not checked; set backends[].model to the chat model it serves.`);
      expect(embeddingOnly.requests.filter((r) => r.path === path)).toEqual([]);
    } finally {
      await mixed.close();
      await embeddingOnly.close();
    }
  });

  it("a vLLM backend that states its context length (max_model_len): a warning without contextTokens or above it, none at or under it", async () => {
    const sized = await startEmulator({ model: 'qwen3-8b', maxModelLen: 16384 });
    try {
      const base = read('thinkcap.example.yaml');
      const at = async (name: string, contextTokens?: number) => {
        writeFileSync(join(dir, `${name}.yaml`), stringify({ ...base, backends: [{ name: 'v', dialect: 'vllm', url: sized.url, ...(contextTokens ? { contextTokens } : {}) }] }));
        return (await check('--config', join(dir, `${name}.yaml`))).stdout;
      };
      expect(await at('ctx-none')).toContain("backends 'v' serves a context of 16384 tokens (max_model_len) and has no contextTokens");
      expect(await at('ctx-over', 32768)).toContain("backends 'v' has contextTokens 32768, more than the 16384 tokens the engine serves");
      const fits = await at('ctx-fits', 16000);
      expect(fits).not.toMatch(/max_model_len/);
      expect(fits).toMatch(/backend v \(vllm, http:\/\/127\.0\.0\.1:\d+\): qwen3-8b/);
    } finally {
      await sized.close();
    }
  });

  it.each([
    ['openai/gpt-oss-20b', 'vLLM renders gpt-oss chats through its harmony path', /harmony/],
    ['deepseek-ai/DeepSeek-R1-Distill-Qwen-7B', "DeepSeek-R1's chat templates drop the thinking", /drop the thinking/],
  ] as const)('vLLM serving %s with enforcement continuation: a warning (%s), none with native or another model', async (model, why, mark) => {
    const served = await startEmulator({ model });
    try {
      const base = read('thinkcap.example.yaml');
      const at = async (name: string, url: string, enforcement: string) => {
        writeFileSync(join(dir, `${name}.yaml`), stringify({ ...base, backends: [{ name: 'v', dialect: 'vllm', url, enforcement }] }));
        return (await check('--config', join(dir, `${name}.yaml`))).stdout;
      };
      expect(await at('cont', served.url, 'continuation')).toContain(`backends 'v' serves ${model} with enforcement continuation: ${why}`);
      expect(await at('native', served.url, 'native')).not.toMatch(mark);
      expect(await at('other-cont', emu.url, 'continuation')).not.toMatch(mark);
    } finally {
      await served.close();
    }
  });

  it.each(['sglang', 'generic'] as const)('%s serving a model whose recorded template opens <think> or writes its own markers: the setting suggested, none once set', async (dialect) => {
    for (const [model, setting, mark] of [
      ['Qwen/Qwen3.5-35B-A3B', { thinkPrefilled: true }, /set thinkPrefilled: true/],
      ['ByteDance-Seed/Seed-OSS-36B-Instruct', { thinkingFormat: { open: '<seed:think>', close: '</seed:think>\n' } }, /set thinkingFormat: \{"open":"<seed:think>","close":"<\/seed:think>\\n"\}/],
    ] as const) {
      const served = await startEmulator({ dialect, model });
      try {
        const base = read('thinkcap.example.yaml');
        const at = async (name: string, more: Record<string, unknown>) => {
          writeFileSync(join(dir, `${name}.yaml`), stringify({ ...base, backends: [{ name: 's', dialect, url: served.url, ...more }] }));
          return (await check('--config', join(dir, `${name}.yaml`))).stdout;
        };
        expect(await at('tpl-unset', {}), model).toMatch(mark);
        expect(await at('tpl-set', setting), model).not.toMatch(/recorded/);
      } finally {
        await served.close();
      }
    }
  });

  it('a Redis ledger with replicas but no replica acks: a warning, and none with replicaAcks 1', async () => {
    const spend = (replicaAcks: number) => ({ enabled: true, ledger: 'redis', redis: { sentinel: { name: 'tc', sentinels: [{ host: '127.0.0.1', port: 26379 }] }, replicaAcks } });
    writeFileSync(join(dir, 'acks0.yaml'), stringify({ ...read('thinkcap.example.yaml'), spend: spend(0) }));
    writeFileSync(join(dir, 'acks1.yaml'), stringify({ ...read('thinkcap.example.yaml'), spend: spend(1) }));
    const without = await check('--config', join(dir, 'acks0.yaml'), '--no-backends');
    expect(without.stdout).toMatch(/warnings:\n  spend\.redis has replicas \(sentinel\) but replicaAcks is 0/);
    const withAcks = await check('--config', join(dir, 'acks1.yaml'), '--no-backends');
    expect(withAcks.stdout).not.toMatch(/replicaAcks/);
  });

  it('a Sentinel ledger listing fewer than 3 sentinels: a warning (no majority can outvote a stale one), none with 3', async () => {
    const spend = (n: number) => ({ enabled: true, ledger: 'redis', redis: { sentinel: { name: 'tc', sentinels: Array.from({ length: n }, (_, i) => ({ host: '127.0.0.1', port: 26379 + i })) }, replicaAcks: 1 } });
    for (const n of [1, 2, 3]) writeFileSync(join(dir, `sentinels${n}.yaml`), stringify({ ...read('thinkcap.example.yaml'), spend: spend(n) }));
    expect((await check('--config', join(dir, 'sentinels1.yaml'), '--no-backends')).stdout).toMatch(/spend\.redis\.sentinel lists 1 different sentinel: thinkcap leaves a master/);
    expect((await check('--config', join(dir, 'sentinels2.yaml'), '--no-backends')).stdout).toMatch(/spend\.redis\.sentinel lists 2 different sentinels:/);
    expect((await check('--config', join(dir, 'sentinels3.yaml'), '--no-backends')).stdout).not.toMatch(/spend\.redis\.sentinel lists/);
    // One listed three times is one vote.
    const same = { enabled: true, ledger: 'redis', redis: { sentinel: { name: 'tc', sentinels: [1, 2, 3].map(() => ({ host: '127.0.0.1', port: 26379 })) }, replicaAcks: 1 } };
    writeFileSync(join(dir, 'sentinels-same.yaml'), stringify({ ...read('thinkcap.example.yaml'), spend: same }));
    expect((await check('--config', join(dir, 'sentinels-same.yaml'), '--no-backends')).stdout).toMatch(/spend\.redis\.sentinel lists 1 different sentinel:/);
  });

  it('an invalid config: the key named, exit 1', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'server: { grpcPort: "nine" }\n');
    const r = spawnSync(process.execPath, [cli, 'check', '--config', join(dir, 'bad.yaml')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/server\.grpcPort/);
  });
});
