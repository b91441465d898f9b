import type { BackendConfig, Config, DialectName, TierName } from '../config/schema.js';
import type { BackendOptions, Dialect } from './types.js';
import { serverKeepAliveSeconds } from './keep-alive.js';

export type { BackendOptions } from './types.js';
import { vllmDialect } from './vllm.js';
import { sglangDialect } from './sglang.js';
import { llamacppDialect } from './llamacpp.js';
import { genericDialect } from './generic.js';
import { ollamaDialect, ollamaOpenAiDialect } from './ollama.js';


export function buildDialect(name: DialectName, o: BackendOptions): Dialect {
  switch (name) {
    case 'vllm':
      return vllmDialect(o);
    case 'sglang':
      return sglangDialect(o);
    case 'llamacpp':
      return llamacppDialect(o);
    case 'generic':
      return genericDialect(o);
    case 'ollama':
      return ollamaDialect(o);
    case 'ollama-openai':
      return ollamaOpenAiDialect(o);
  }
}

/** Per-request budget fields the engines read by default (checked against each engine's source). */
const DEFAULT_BUDGET_FIELD: Partial<Record<DialectName, string>> = {
  // llama.cpp server (tree vendored in llama-cpp-python 0.3.36): reasoning_budget_tokens,
  // with thinking_budget_tokens as an alias; verified against a running llama-server.
  llamacpp: 'reasoning_budget_tokens',
};

export function backendOptions(config: Config, b: BackendConfig | undefined): BackendOptions {
  const dialect = b?.dialect ?? config.defaultDialect;
  const enforcement = b?.enforcement ?? 'native';
  return {
    native: enforcement === 'native',
    continuation: enforcement === 'continuation',
    rewriteOnly: enforcement === 'rewrite',
    disableThinkingAtZero: b?.disableThinkingAtZero ?? true,
    logitProcessor: b?.logitProcessor,
    strictThinking: b?.strictThinking ?? false,
    budgetField: b?.budgetField === false ? undefined : (b?.budgetField ?? DEFAULT_BUDGET_FIELD[dialect]),
    thinkLevels: b?.thinkLevels ?? false,
    thinkPrefilled: b?.thinkPrefilled ?? false,
    ...(b?.thinkingFormat !== undefined ? { thinkingFormat: b.thinkingFormat } : {}),
    ...(b?.serverKeepAlive !== undefined ? { serverKeepAliveSeconds: serverKeepAliveSeconds(b.serverKeepAlive) ?? undefined } : {}),
    tierBudgets: {
      trivial: config.tiers.trivial.budget,
      simple: config.tiers.simple.budget,
      moderate: config.tiers.moderate.budget,
      complex: config.tiers.complex.budget,
      deep: config.tiers.deep.budget,
    },
  };
}

/**
 * Headers of thinkcap's own calls to a backend's url: its API key, read from the environment
 * variable the config names (loadConfig has checked it is set).
 */
export function backendCallHeaders(b: BackendConfig | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const key = b?.apiKeyEnv !== undefined ? env[b.apiKeyEnv] : undefined;
  return key ? { authorization: `Bearer ${key}` } : {};
}

const cache = new WeakMap<Config, Map<string, Dialect>>();

/** The dialect for a configured backend (or the default dialect when none matched). */
export function dialectFor(config: Config, backend: BackendConfig | undefined): Dialect {
  let m = cache.get(config);
  if (!m) cache.set(config, (m = new Map()));
  const key = backend ? `b:${backend.name}` : `d:${config.defaultDialect}`;
  let d = m.get(key);
  if (!d) m.set(key, (d = buildDialect(backend?.dialect ?? config.defaultDialect, backendOptions(config, backend))));
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
