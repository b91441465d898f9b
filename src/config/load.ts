import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const ENV_PREFIX = 'THINKCAP_';
/**
 * THINKCAP_ variables that are not configuration keys: the config file's path, and the ones the
 * tool scripts read (install-llama.sh's cache, the Envoy binary, the test log level, the Node.js
 * binary npm test runs on). Read as keys they would make any config invalid ("Unrecognized key:
 * cache") wherever they are set.
 */
const NOT_CONFIG_VARS = new Set(['THINKCAP_CONFIG', 'THINKCAP_CACHE', 'THINKCAP_ENVOY', 'THINKCAP_TEST_LOG', 'THINKCAP_TEST_NODE']);

/** THINKCAP_SERVER__GRPC_PORT -> ['server', 'grpcPort'] (double underscore nests, single joins camelCase). */
export function envKeyToPath(name: string): string[] {
  return name
    .slice(ENV_PREFIX.length)
    .split('__')
    .map((part) =>
      part
        .toLowerCase()
        .split('_')
        .map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1)))
        .join(''),
    );
}

function parseEnvValue(raw: string): unknown {
  // Numbers, booleans, arrays and objects are written as JSON; anything else is a string.
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** Validate a raw config object; the error names every bad key and why. */
export function validateConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.length ? issue.path.join('.') : '(top level)';
    const extra =
      issue.code === 'unrecognized_keys' ? `: ${(issue as { keys: string[] }).keys.join(', ')}` : '';
    return `  ${key}: ${issue.message}${extra}`;
  });
  throw new ConfigError(`invalid thinkcap configuration:\n${lines.join('\n')}`);
}

/** Read YAML (optional) and THINKCAP_* variables; environment wins over the file. */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Config {
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    try {
      const parsed: unknown = parseYaml(text);
      if (parsed != null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
        throw new ConfigError(`config file ${file} must hold a YAML mapping at the top level`);
      }
      raw = (parsed as Record<string, unknown>) ?? {};
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    if (NOT_CONFIG_VARS.has(name)) continue;
    setPath(raw, envKeyToPath(name), parseEnvValue(value));
  }
  const config = validateConfig(raw);
  // A key named but not there is a deployment error: say so at start, not at the first continuation.
  const unset = config.backends.filter((b) => b.apiKeyEnv !== undefined && !env[b.apiKeyEnv]);
  if (unset.length > 0) {
    throw new ConfigError(`invalid thinkcap configuration:\n${unset.map((b) => `  backends '${b.name}': apiKeyEnv names ${b.apiKeyEnv}, which is not set (or empty)`).join('\n')}`);
  }
  return config;
}
