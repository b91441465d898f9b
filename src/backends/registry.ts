import type { BackendConfig, Config, DialectName } from '../config/schema.js';
import type { Dialect } from './types.js';
import { vllmDialect } from './vllm.js';

const cache = new WeakMap<Config, Map<DialectName, Dialect>>();

function build(name: DialectName): Dialect {
  switch (name) {
    case 'vllm':
      return vllmDialect();
    default:
      // Dialects not yet written fall back to vLLM's OpenAI-compatible handling.
      return { ...vllmDialect(), name };
  }
}

export function dialectFor(name: DialectName, config: Config): Dialect {
  let m = cache.get(config);
  if (!m) cache.set(config, (m = new Map()));
  let d = m.get(name);
  if (!d) m.set(name, (d = build(name)));
  return d;
}

/** The configured backend serving a request: by Envoy route name, then path prefix, then authority. */
export function selectBackend(
  config: Config,
  req: { path: string; authority: string; routeName?: string },
): BackendConfig | undefined {
  for (const b of config.backends) {
    if (req.routeName && b.routeNames.includes(req.routeName)) return b;
  }
  for (const b of config.backends) {
    if (b.pathPrefixes.some((p) => req.path.startsWith(p))) return b;
  }
  for (const b of config.backends) {
    if (b.authorities.includes(req.authority)) return b;
  }
  return config.backends.find((b) => b.routeNames.length === 0 && b.pathPrefixes.length === 0 && b.authorities.length === 0);
}
