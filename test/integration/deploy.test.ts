import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { validateConfig } from '../../src/config/load.js';
import { buildEnvoyConfig, clusterHttpOptions, extProcFilter, httpConnectionManager, validateEnvoyConfig } from '../../devkit/envoy.js';

const root = packageRoot();
const read = (p: string) => readFileSync(join(root, p), 'utf8');

describe('Envoy configs for compose and tiered routing validate', () => {
  for (const f of readdirSync(join(root, 'deploy', 'compose')).filter((f) => f.startsWith('envoy'))) {
    it(`deploy/compose/${f}`, () => {
      const r = validateEnvoyConfig(read(`deploy/compose/${f}`));
      expect(r.output).not.toMatch(/error/i);
      expect(r.ok).toBe(true);
    });
  }
});

describe('Istio EnvoyFilters', () => {
  for (const f of readdirSync(join(root, 'envoy', 'istio')).filter((x) => x.startsWith('envoyfilter-'))) {
    it(`${f}: inserts ext_proc before the router, and the filter itself validates in Envoy`, () => {
      const doc = parse(read(`envoy/istio/${f}`));
      expect(doc.apiVersion).toBe('networking.istio.io/v1alpha3');
      expect(doc.kind).toBe('EnvoyFilter');
      expect(doc.spec.workloadSelector.labels).toBeTruthy();
      const p = doc.spec.configPatches[0];
      expect(p.applyTo).toBe('HTTP_FILTER');
      expect(['GATEWAY', 'SIDECAR_INBOUND', 'SIDECAR_OUTBOUND']).toContain(p.match.context);
      expect(p.match.listener.filterChain.filter.subFilter.name).toBe('envoy.filters.http.router');
      expect(p.patch.operation).toBe('INSERT_BEFORE');
      expect(p.patch.value.name).toBe('envoy.filters.http.ext_proc');
      expect(p.patch.value.typed_config.grpc_service.envoy_grpc.cluster_name).toMatch(/^outbound\|50051\|\|thinkcap\./);
      // Put the patched filter into a real Envoy config (Istio's cluster name swapped for ours) and validate it.
      const cfg = buildEnvoyConfig({ listenerPort: 10000, adminPort: 9901, thinkcapPort: 50051, backendPort: 8000 });
      const filter = structuredClone(p.patch.value);
      filter.typed_config.grpc_service.envoy_grpc.cluster_name = 'thinkcap';
      const hcm = httpConnectionManager(cfg);
      hcm.http_filters = hcm.http_filters.filter((x: { name: string }) => x.name !== 'envoy.filters.http.ext_proc');
      hcm.http_filters.splice(hcm.http_filters.length - 1, 0, filter);
      // Client copies of identity and route headers are stripped first in the chain.
      const strip = doc.spec.configPatches.find((x: any) => x.patch.operation === 'INSERT_FIRST');
      expect(strip.match.context).toBe(p.match.context);
      expect(strip.patch.value.typed_config.mutations.request_mutations.map((m: any) => m.remove)).toEqual(['x-thinkcap-tenant', 'x-thinkcap-user', 'x-thinkcap-session', 'x-thinkcap-route']);
      hcm.http_filters = hcm.http_filters.filter((x: { name: string }) => x.name !== 'envoy.filters.http.header_mutation');
      hcm.http_filters.unshift(structuredClone(strip.patch.value));
      // The gateway variant turns ext_proc off on the model-list route by name; the sidecar's
      // inbound routes have no name to match.
      const routePatch = doc.spec.configPatches.find((x: any) => x.applyTo === 'HTTP_ROUTE');
      if (p.match.context === 'GATEWAY') {
        expect(routePatch.match.context).toBe('GATEWAY');
        expect(routePatch.match.routeConfiguration.vhost.route.name).toBe('thinkcap-models');
        expect(routePatch.patch.operation).toBe('MERGE');
        expect(routePatch.patch.value.typed_per_filter_config['envoy.filters.http.ext_proc'].disabled).toBe(true);
        const models = hcm.route_config.virtual_hosts[0].routes.find((r: any) => r.name === 'models');
        expect(models.match).toEqual({ path: '/v1/models' });
        models.typed_per_filter_config = structuredClone(routePatch.patch.value.typed_per_filter_config);
      } else expect(routePatch).toBeUndefined();
      const r = validateEnvoyConfig(cfg);
      expect(r.output).not.toMatch(/error/i);
      expect(r.ok).toBe(true);
    });
  }
});

describe('Istio DestinationRule for thinkcap', () => {
  it("bounds the streams on each connection to thinkcap's host, as envoy.yaml bounds its cluster's: both EnvoyFilters' clusters name that host", () => {
    const rule = parse(read('envoy/istio/destinationrule.yaml'));
    expect(rule.apiVersion).toBe('networking.istio.io/v1');
    expect(rule.kind).toBe('DestinationRule');
    const perConnection = rule.spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection;
    // Node's HTTP/2 server closes a connection after 1000 stream resets in a burst.
    expect(perConnection).toBeGreaterThan(0);
    expect(perConnection).toBeLessThanOrEqual(1000);
    const envoy = parse(read('envoy/envoy.yaml'));
    expect(perConnection).toBe(clusterHttpOptions(envoy, 'thinkcap').common_http_protocol_options.max_requests_per_connection);
    for (const f of readdirSync(join(root, 'envoy', 'istio')).filter((x) => x.startsWith('envoyfilter-'))) {
      const cluster: string = parse(read(`envoy/istio/${f}`)).spec.configPatches[0].patch.value.typed_config.grpc_service.envoy_grpc.cluster_name;
      expect(cluster.split('|').at(-1), f).toBe(rule.spec.host);
    }
  });
});

describe('Istio VirtualService example for the gateway', () => {
  it("names the model-list route as the gateway EnvoyFilter's route patch does, on the exact path envoy.yaml's has, first; the chat route's timeout is envoy.yaml's", () => {
    const vs = parse(read('envoy/istio/virtualservice-gateway.yaml'));
    expect(vs.kind).toBe('VirtualService');
    const gw = parse(read('envoy/istio/envoyfilter-gateway.yaml'));
    const routePatch = gw.spec.configPatches.find((x: any) => x.applyTo === 'HTTP_ROUTE');
    expect(vs.spec.http[0].name).toBe(routePatch.match.routeConfiguration.vhost.route.name);
    expect(vs.spec.http[0].match).toEqual([{ uri: { exact: '/v1/models' } }]);
    const routes = httpConnectionManager(parse(read('envoy/envoy.yaml'))).route_config.virtual_hosts[0].routes;
    expect(routes.find((r: any) => r.name === 'models').match).toEqual({ path: '/v1/models' });
    expect(vs.spec.http[1].match).toEqual(apiPaths(read('envoy/envoy.yaml')).map((exact) => ({ uri: { exact } })));
    expect(vs.spec.http[1].timeout).toBe(routes.find((r: any) => r.name === 'chat').route.timeout);
  });
});

/** The exact paths a shipped Envoy config routes to the engine on its unconditional 'chat' routes. */
const apiPaths = (text: string): string[] =>
  httpConnectionManager(parse(text))
    .route_config.virtual_hosts[0].routes.filter((r: any) => r.name === 'chat' && r.route && !r.match.headers)
    .map((r: any) => r.match.path);

describe('the inference API paths the shipped configs route', () => {
  it('are one list in envoy.yaml, the compose and tiered configs (the Istio VirtualService: above), exact paths, then a 404 for the rest', () => {
    const shipped = apiPaths(read('envoy/envoy.yaml'));
    expect(shipped).toContain('/v1/chat/completions');
    expect(shipped.every((p: unknown) => typeof p === 'string')).toBe(true);
    expect(new Set(shipped).size).toBe(shipped.length);
    for (const file of ['deploy/compose/envoy.yaml', 'envoy/envoy-tiered.yaml']) expect(apiPaths(read(file)), file).toEqual(shipped);
    // Every chat path thinkcap reads by default is routed.
    for (const p of validateConfig({}).match.paths) expect(shipped).toContain(p);
  });
});

describe('Kubernetes manifests', () => {
  const docs = parseAllDocuments(read('deploy/k8s/thinkcap.yaml')).map((d) => d.toJS());
  const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);

  it('valid against Kubernetes\' own schemas (strict), for the versions supported: 1.30 to 1.37', () => {
    const tool = join(root, '.tools', 'kubernetes-validate');
    expect(existsSync(tool), 'run scripts/install-kubernetes-validate.sh (npm test does)').toBe(true);
    for (const v of ['1.30.0', '1.33.0', '1.37.0']) {
      const r = spawnSync('python3', ['-m', 'kubernetes_validate', '--strict', '--quiet', '-k', v, join(root, 'deploy', 'k8s', 'thinkcap.yaml')], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: tool } });
      expect(`${r.stdout}${r.stderr}`, v).not.toMatch(/ERROR|error/);
      expect(r.status, v).toBe(0);
    }
  });
  it('what production expects: PDB, CPU autoscaling, resources on every container, NetworkPolicies for the gRPC and admin ports', () => {
    expect(find('PodDisruptionBudget', 'thinkcap').spec.minAvailable).toBe(1);
    const hpa = find('HorizontalPodAutoscaler', 'thinkcap');
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    for (const d of docs.filter((x) => x.kind === 'Deployment')) {
      for (const c of d.spec.template.spec.containers) {
        expect(c.resources.requests.cpu, c.name).toBeTruthy();
        expect(c.resources.limits.memory, c.name).toBeTruthy();
      }
    }
    const np = find('NetworkPolicy', 'thinkcap');
    const ports = np.spec.ingress.flatMap((i: { ports: Array<{ port: number }> }) => i.ports.map((p) => p.port));
    expect(ports.sort()).toEqual([50051, 9100].sort());
    expect(find('NetworkPolicy', 'thinkcap-redis').spec.ingress[0].from[0].podSelector.matchLabels.app).toBe('thinkcap');
  });
  it('a Deployment ready only while it can admit (/ready), alive on /health', () => {
    const d = find('Deployment', 'thinkcap');
    const c = d.spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
    expect(c.livenessProbe.httpGet.path).toBe('/health');
    expect(c.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([50051, 9100]);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(20);
  });
  it("Prometheus's pod annotations name the admin port the config listens on, where /metrics is", () => {
    const annotations = find('Deployment', 'thinkcap').spec.template.metadata.annotations;
    const cfg = validateConfig(parse(find('ConfigMap', 'thinkcap-config').data['thinkcap.yaml']));
    expect(annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(cfg.server.adminPort), 'prometheus.io/path': '/metrics' });
  });
  it('a Service with appProtocol grpc for ext_proc', () => {
    const s = find('Service', 'thinkcap');
    expect(s.spec.ports.find((p: { port: number }) => p.port === 50051).appProtocol).toBe('grpc');
  });
  it('a ConfigMap holding a valid thinkcap config, and Redis', () => {
    const cm = find('ConfigMap', 'thinkcap-config');
    const cfg = validateConfig(parse(cm.data['thinkcap.yaml']));
    expect(cfg.spend.ledger).toBe('redis');
    expect(cfg.spend.redis.url).toContain('thinkcap-redis');
    expect(find('Deployment', 'thinkcap-redis').spec.template.spec.containers[0].image).toMatch(/^redis:/);
    expect(find('Service', 'thinkcap-redis').spec.ports[0].port).toBe(6379);
  });
});

describe('docker compose', () => {
  const c = parse(read('docker-compose.yml'));
  it('runs Envoy, thinkcap and Redis, with vLLM (gpu profile) or the emulator (cpu profile) as "backend"', () => {
    for (const s of ['envoy', 'thinkcap', 'redis']) expect(c.services[s]).toBeTruthy();
    expect(c.services.vllm.profiles).toEqual(['gpu']);
    expect(c.services.vllm.deploy.resources.reservations.devices[0].driver).toBe('nvidia');
    expect(c.services.vllm.command.join(' ')).toMatch(/--reasoning-parser/);
    expect(c.services.emulator.profiles).toEqual(['cpu']);
    expect(c.services.vllm.networks.default.aliases).toContain('backend');
    expect(c.services.emulator.networks.default.aliases).toContain('backend');
  });
  it('mounts files that exist and a thinkcap config that validates', () => {
    for (const svc of ['envoy', 'thinkcap']) {
      for (const v of c.services[svc].volumes as string[]) expect(existsSync(join(root, v.split(':')[0]!))).toBe(true);
    }
    validateConfig(parse(read('deploy/compose/thinkcap.yaml')));
    const emuArgs = JSON.parse(c.services.emulator.command[0]);
    expect(emuArgs).toMatchObject({ host: '0.0.0.0', port: 8000 });
  });
  it('publishes only the API on every interface; admin ports stay on the host, and thinkcap requires the token Envoy sends', () => {
    const published = Object.values(c.services as Record<string, { ports?: string[] }>).flatMap((svc) => svc.ports ?? []);
    for (const p of published) if (!p.startsWith('10000:')) expect(p, p).toMatch(/^127\.0\.0\.1:/);
    const token = c.services.thinkcap.environment.THINKCAP_SERVER__GRPC_TOKEN;
    expect(token.length).toBeGreaterThanOrEqual(16);
    const envoy = parse(read('deploy/compose/envoy.yaml'));
    expect(extProcFilter(envoy).grpc_service.initial_metadata).toEqual([{ key: 'authorization', value: `Bearer ${token}` }]);
  });
  it('model lists skip ext_proc on exactly /v1/models, as in envoy/envoy.yaml', () => {
    const routes = (cfg: any) => httpConnectionManager(cfg).route_config.virtual_hosts[0].routes;
    const models = routes(parse(read('deploy/compose/envoy.yaml'))).find((r: any) => r.name === 'models');
    expect(models).toEqual(routes(parse(read('envoy/envoy.yaml'))).find((r: any) => r.name === 'models'));
    expect(models.match).toEqual({ path: '/v1/models' });
    expect(models.typed_per_filter_config['envoy.filters.http.ext_proc'].disabled).toBe(true);
  });
  it('the Dockerfile builds the CLI image', () => {
    const d = read('Dockerfile');
    expect(d).toMatch(/ENTRYPOINT \["node", "dist\/src\/cli.js"\]/);
    expect(d).toMatch(/EXPOSE 50051 9100/);
  });
  // The tests run on the Node.js the image ships (scripts/test.sh, scripts/install-node.sh).
  const pinnedNode = /^NODE_VERSION="(\d+)\.(\d+)\.(\d+)"$/m.exec(read('scripts/install-node.sh'));
  it('both stages of the image run the Node.js major the tests are pinned to', () => {
    expect(pinnedNode).not.toBeNull();
    const froms = [...read('Dockerfile').matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms).toEqual([`node:${pinnedNode![1]}-bookworm-slim`, `node:${pinnedNode![1]}-bookworm-slim`]);
    // package.json's engines admit it.
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const floor = /^>=(\d+)$/.exec(engines);
    expect(floor).not.toBeNull();
    expect(Number(pinnedNode![1])).toBeGreaterThanOrEqual(Number(floor![1]));
  });
  // npm test (scripts/test.sh) puts the pinned node first on PATH; a bare `npx vitest` need not.
  it.runIf(process.env.THINKCAP_TEST_NODE !== undefined)('this suite runs on that Node.js (npm test)', () => {
    expect(process.version).toBe(`v${pinnedNode![1]}.${pinnedNode![2]}.${pinnedNode![3]}`);
    expect(process.env.THINKCAP_TEST_NODE).toBe(process.execPath);
  });
});
