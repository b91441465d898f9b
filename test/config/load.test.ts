import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envKeyToPath, loadConfig, validateConfig } from '../../src/config/load.js';
import { backendCallHeaders } from '../../src/backends/registry.js';
import { scratchDir } from '../harness/scratch.js';

describe('config', () => {
  it('has working defaults', () => {
    const c = validateConfig({});
    expect(c.server.grpcPort).toBe(50051);
    expect(c.server.adminPort).toBe(9100);
    expect(Object.values(c.tiers).map((t) => t.budget)).toEqual([32, 128, 512, 2048, 8192]);
  });

  it('names the bad key and why', () => {
    expect(() => validateConfig({ server: { grpcPort: 'x' } })).toThrow(/server\.grpcPort: .*expected number/);
    expect(() => validateConfig({ tiers: { deep: { budget: -1 } } })).toThrow(/tiers\.deep\.budget/);
    expect(() => validateConfig({ sever: {} })).toThrow(/Unrecognized key.*sever|sever/);
    expect(() => validateConfig({ requests: { onInvalid: 'maybe' } })).toThrow(/requests\.onInvalid/);
  });

  it('maps THINKCAP_* variables onto keys, environment over file', () => {
    expect(envKeyToPath('THINKCAP_SERVER__GRPC_PORT')).toEqual(['server', 'grpcPort']);
    const dir = scratchDir('tc-');
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'server:\n  grpcPort: 6000\n  adminPort: 6001\ntiers:\n  trivial: { budget: 16 }\n');
    const c = loadConfig(file, { THINKCAP_SERVER__GRPC_PORT: '7000', THINKCAP_REQUESTS__ON_INVALID: 'reject' });
    expect(c.server.grpcPort).toBe(7000);
    expect(c.server.adminPort).toBe(6001);
    expect(c.tiers.trivial.budget).toBe(16);
    expect(c.requests.onInvalid).toBe('reject');
  });

  it("ignores the tool scripts' THINKCAP_ variables (cache, Envoy binary, test log, test node), not config keys; a misspelt key still fails", () => {
    const env = { THINKCAP_CACHE: '/tmp/cache', THINKCAP_ENVOY: '/usr/bin/envoy', THINKCAP_TEST_LOG: 'debug', THINKCAP_TEST_NODE: '/opt/node/bin/node', THINKCAP_CONFIG: '/etc/x.yaml', THINKCAP_SERVER__GRPC_PORT: '7000' };
    expect(loadConfig(undefined, env).server.grpcPort).toBe(7000);
    expect(() => loadConfig(undefined, { THINKCAP_CACHES: '/tmp/cache' })).toThrow(/Unrecognized key/);
  });

  it('reports unreadable and non-YAML files clearly', () => {
    expect(() => loadConfig('/nonexistent/thinkcap.yaml', {})).toThrow(ConfigError);
    const dir = scratchDir('tc-');
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'server: [unclosed');
    expect(() => loadConfig(file, {})).toThrow(/not valid YAML/);
  });

  it("a backend's apiKeyEnv: a variable name, set (and not empty) where the config is loaded; its key goes on thinkcap's own calls", () => {
    const file = join(scratchDir('tc-'), 'c.yaml');
    writeFileSync(file, 'backends:\n  - { name: v, dialect: vllm, url: "http://127.0.0.1:1", apiKeyEnv: ENGINE_KEY }\n');
    expect(() => loadConfig(file, {})).toThrow(/backends 'v': apiKeyEnv names ENGINE_KEY, which is not set/);
    expect(() => loadConfig(file, { ENGINE_KEY: '' })).toThrow(ConfigError);
    const c = loadConfig(file, { ENGINE_KEY: 'k1' });
    expect(backendCallHeaders(c.backends[0], { ENGINE_KEY: 'k1' })).toEqual({ authorization: 'Bearer k1' });
    expect(backendCallHeaders({ ...c.backends[0]!, apiKeyEnv: undefined }, { ENGINE_KEY: 'k1' })).toEqual({});
    expect(() => validateConfig({ backends: [{ name: 'v', dialect: 'vllm', apiKeyEnv: 'not a name' }] })).toThrow(/apiKeyEnv: an environment variable name/);
  });

  it('both ports bind to loopback unless configured', () => {
    const c = validateConfig({});
    expect(c.server.grpcHost).toBe('127.0.0.1');
    expect(c.server.adminHost).toBe('127.0.0.1');
    expect(c.server.grpcToken).toBeUndefined();
  });
});
