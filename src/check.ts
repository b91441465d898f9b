/**
 * `thinkcap check`: is my config valid, can thinkcap reach my backends, is my envoy.yaml right?
 * The Envoy part is the pure checkEnvoyConfig; this module does the I/O around it.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig } from './config/load.js';
import type { BackendConfig, Config } from './config/schema.js';
import { checkEnvoyConfig, checkIstioResources, isIstioResource, type Finding } from './config/envoy-check.js';
import { backendCallHeaders } from './backends/registry.js';
import { FORMAT_PROBE, servedByHarmony, thinkingFormat } from './backends/think-prompt.js';
import { llamacppFormatProbe } from './backends/llamacpp.js';
import { backendUrl, postToBackend } from './extproc/continuation.js';
import { continuedThinkingDropped } from './backends/vllm.js';
import { templateFactsFor } from './backends/template-facts.js';
import { distinctAddresses } from './ledger/sentinel-watch.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Every value of an option given more than once. */
function options(args: string[], name: string): string[] {
  return args.flatMap((a, i) => (a === name && args[i + 1] !== undefined ? [args[i + 1]!] : []));
}

/** The context an engine says it serves one request: vLLM's and SGLang's max_model_len, llama-server's per-slot n_ctx. */
interface ServedContext {
  tokens: number;
  /** Where the engine states it, for the finding's wording. */
  field: 'max_model_len' | 'n_ctx';
}

/** The model names a backend lists (/api/tags for Ollama, /v1/models otherwise), and the largest context it states serving. */
async function listModels(b: BackendConfig): Promise<{ names: string[]; context: ServedContext | null }> {
  const path = b.dialect === 'ollama' ? 'api/tags' : 'v1/models';
  const r = await fetch(backendUrl(b.url!, path), { headers: backendCallHeaders(b), signal: AbortSignal.timeout(3000) });
  if (r.status === 401 || r.status === 403) {
    const hint = b.apiKeyEnv ? `the key in ${b.apiKeyEnv} was refused` : 'the engine wants an API key: name the environment variable that holds it in apiKeyEnv (continuations and rescues need it too)';
    throw new Error(`${path} answered ${r.status}: ${hint}`);
  }
  if (!r.ok) throw new Error(`${path} answered ${r.status}`);
  const j = (await r.json()) as { data?: Array<{ id?: unknown; max_model_len?: unknown; meta?: { n_ctx?: unknown } | null }>; models?: Array<{ name?: unknown }> };
  const names = b.dialect === 'ollama' ? (j.models ?? []).map((m) => m.name) : (j.data ?? []).map((m) => m.id);
  // llama-server's model card has no max_model_len; its meta.n_ctx is one slot's context
  // (--ctx-size divided among --parallel slots), what a single request can fill.
  const field = b.dialect === 'llamacpp' ? 'n_ctx' : 'max_model_len';
  const lengths = (j.data ?? []).map((m) => (field === 'n_ctx' ? m.meta?.n_ctx : m.max_model_len)).filter((n): n is number => typeof n === 'number' && n > 0);
  return { names: names.filter((n): n is string => typeof n === 'string'), context: lengths.length ? { tokens: Math.max(...lengths), field } : null };
}

/** What an engine's stated context says of backends[].contextTokens. */
function contextFinding(b: BackendConfig, served: ServedContext | null): Finding | null {
  if (served === null || (b.dialect !== 'vllm' && b.dialect !== 'sglang' && b.dialect !== 'llamacpp')) return null;
  const { tokens, field } = served;
  if (field === 'n_ctx') {
    // llama-server takes any limit and stops at the end of the slot's context: thinking that
    // reaches it leaves only a rescue's short answer (src/extproc/context-fit.ts).
    const harm = 'thinking can run to the end of that context, where llama-server stops, and the answer is then a rescue\'s short one (none where thinkcap cannot add a follow-up)';
    if (b.contextTokens === undefined) return { level: 'warning', message: `backends '${b.name}' serves a context of ${tokens} tokens a request (n_ctx, one slot: --ctx-size over --parallel) and has no contextTokens: ${harm}; set contextTokens: ${tokens}, less the margin by which its tokenizer counts more than o200k.` };
    if (b.contextTokens > tokens) return { level: 'warning', message: `backends '${b.name}' has contextTokens ${b.contextTokens}, more than the ${tokens} tokens a request the engine serves (n_ctx, one slot): ${harm}; set contextTokens: ${tokens} or less.` };
    return null;
  }
  if (b.contextTokens === undefined) {
    return { level: 'warning', message: `backends '${b.name}' serves a context of ${tokens} tokens (max_model_len) and has no contextTokens: where a client sets no max_tokens, the limit thinkcap writes (budget + answer allowance) beside a long prompt can pass it, and the engine refuses such a request with 400; set contextTokens: ${tokens}.` };
  }
  if (b.contextTokens > tokens) {
    return { level: 'warning', message: `backends '${b.name}' has contextTokens ${b.contextTokens}, more than the ${tokens} tokens the engine serves (max_model_len): requests near that length can still be refused with 400; set contextTokens: ${tokens}.` };
  }
  return null;
}

/**
 * Models a vLLM continuation backend serves that get no cut-off (the vLLM dialect's
 * continuationLoses), by kind, and why: the config should say so (enforcement: native).
 * gpt-oss: vLLM renders its chats through its harmony path, which reads an assistant message as
 * a final-channel message and always opens a new assistant turn, so `continue_final_message` is
 * not honoured (a continuation would start thinking again inside the answer allowance).
 * DeepSeek-R1 and its distills: their templates drop the thinking from a continued message.
 */
const NO_CUT_OFF_ON_VLLM: ReadonlyArray<{ serves: (model: string) => boolean; why: string }> = [
  { serves: servedByHarmony, why: 'vLLM renders gpt-oss chats through its harmony path, which does not continue a final message' },
  { serves: continuedThinkingDropped, why: "DeepSeek-R1's chat templates drop the thinking from a continued message" },
];

/** A warning for each kind of model a vLLM continuation backend serves that gets no cut-off. */
function noCutOffFindings(b: BackendConfig, names: readonly string[]): Finding[] {
  if (b.dialect !== 'vllm' || b.enforcement !== 'continuation') return [];
  return NO_CUT_OFF_ON_VLLM.flatMap(({ serves, why }) => {
    const served = names.filter(serves);
    return served.length === 0 ? [] : [{ level: 'warning' as const, message: `backends '${b.name}' serves ${served.join(', ')} with enforcement continuation: ${why}, so requests for it get no cut-off and are capped natively (thinking_token_budget, the stream rewrite); set enforcement: native to say so.` }];
  });
}

/**
 * Settings the recorded templates say a served model needs where thinkcap cannot see its
 * rendering (template-facts.ts): whether the generation prompt opens `<think>` and the template's
 * own thinking markers. On SGLang both shape its continuation; on a generic backend, where the
 * engine leaves thinking in content, they say where the stream starts and what ends thinking.
 */
function templateFindings(b: BackendConfig, names: readonly string[]): Finding[] {
  if (b.dialect !== 'sglang' && b.dialect !== 'generic') return [];
  return names.flatMap((model) =>
    templateFactsFor(model).flatMap((fact): Finding[] => {
      const out: Finding[] = [];
      if (fact.thinkPrefilled !== undefined && b.thinkPrefilled !== fact.thinkPrefilled) {
        out.push({ level: 'warning', message: `backends '${b.name}' serves ${model}, whose chat template (${fact.recorded}, recorded) opens <think> in its generation prompt${fact.thinkPrefilled === true ? ' unless enable_thinking is false' : ''}: set thinkPrefilled: ${fact.thinkPrefilled}${b.dialect === 'sglang' ? ' (else a continuation opens a second block)' : ' (where the engine leaves thinking in content)'}.` });
      }
      if (fact.thinkingFormat !== undefined && (b.thinkingFormat?.open !== fact.thinkingFormat.open || b.thinkingFormat?.close !== fact.thinkingFormat.close)) {
        const why = b.dialect === 'sglang' ? 'else a continuation ends thinking with a tag the model does not know' : 'where the engine leaves thinking in content, else it reaches the client as answer, uncapped';
        out.push({ level: 'warning', message: `backends '${b.name}' serves ${model}, whose chat template (${fact.recorded}, recorded) writes thinking without <think>: set thinkingFormat: ${JSON.stringify(fact.thinkingFormat)} (${why}).` });
      }
      return out;
    }),
  );
}

/**
 * A llama-server started with `--reasoning-format none` (its /props say so) leaves thinking in
 * content, and the stream rewrite finds it by its markers. Where the template's are not
 * `<think>`, the server renders them: a one-question chat (the generation prompt) and a finished
 * turn with reasoning (think-prompt.ts thinkingFormat), as the continuation learns them.
 */
async function llamaContentFindings(b: BackendConfig): Promise<Finding[]> {
  if (b.dialect !== 'llamacpp') return [];
  const headers = backendCallHeaders(b);
  // No /props (a proxy in front, another server): nothing to tell.
  const props = (await fetch(backendUrl(b.url!, 'props'), { headers, signal: AbortSignal.timeout(3000) })
    .then((r) => (r.ok ? r.json() : null))
    .catch(() => null)) as { default_generation_settings?: { params?: { reasoning_format?: unknown } } } | null;
  if (props?.default_generation_settings?.params?.reasoning_format !== 'none') return [];
  const render = async (body: Record<string, unknown>): Promise<string> => {
    const j = JSON.parse(await postToBackend(b.url!, '/apply-template', body, headers, 3000)) as { prompt?: unknown };
    if (typeof j.prompt !== 'string') throw new Error('/apply-template answered no prompt');
    return j.prompt;
  };
  const question = [{ role: 'user', content: FORMAT_PROBE.question }];
  const generation = await render({ messages: question });
  const format = thinkingFormat(generation, await render(llamacppFormatProbe({})));
  if (format === null) return [];
  const out: Finding[] = [];
  const where = `backends '${b.name}' runs llama-server with --reasoning-format none (its /props) and its chat template writes thinking without <think>`;
  if (b.thinkingFormat?.open !== format.open || b.thinkingFormat?.close !== format.close) {
    out.push({ level: 'warning', message: `${where}: set thinkingFormat: ${JSON.stringify(format)} (else that thinking reaches the client as answer, uncapped).` });
  }
  if (format.open.trim() === '') {
    // The generation prompt opened the thinking: the stream starts inside it, unless a template
    // switch closes it (then `true`, which reads enable_thinking: false in the request).
    const switched = await render({ messages: question, chat_template_kwargs: { enable_thinking: false } });
    const prefilled = switched === generation ? 'always' : true;
    if (b.thinkPrefilled !== prefilled) out.push({ level: 'warning', message: `${where}, and its generation prompt opens the thinking: set thinkPrefilled: ${prefilled} (the stream starts inside it).` });
  }
  return out;
}

/**
 * An Ollama backend's follow-ups (the rescue, cut-off + continuation) start with a render-only
 * request (`_debug_render_only`: Ollama 0.11.5 for /api/chat, 0.12.0 for /v1), answered with the
 * rendered prompt and no model run. An older server ignores the field and answers a chat: every
 * follow-up then fails and the client gets no answer where one was needed. Asked with a one-token
 * limit, so that such a server generates almost nothing.
 */
async function ollamaRenderFindings(b: BackendConfig, names: string[]): Promise<Finding[]> {
  if ((b.dialect !== 'ollama' && b.dialect !== 'ollama-openai') || b.enforcement === 'rewrite') return [];
  const model = b.model ?? (await firstChatModel(b, names));
  if (model === null) {
    return [{ level: 'warning', message: `backends '${b.name}': no model it lists (of the first ${SHOWN_MODELS}) completes chats (their capabilities, /api/show), so its render-only request, which follow-ups start with, was not checked; set backends[].model to the chat model it serves.` }];
  }
  if (model === undefined) return [];
  const messages = [{ role: 'user', content: FORMAT_PROBE.question }];
  const [path, body] = b.dialect === 'ollama' ? ['/api/chat', { model, messages, stream: false, options: { num_predict: 1 }, _debug_render_only: true }] : ['/v1/chat/completions', { model, messages, stream: false, max_tokens: 1, _debug_render_only: true }];
  const answer = JSON.parse(await postToBackend(b.url!, path, body, backendCallHeaders(b), 30_000)) as { _debug_info?: { rendered_template?: unknown } };
  if (typeof answer._debug_info?.rendered_template === 'string') return [];
  return [{ level: 'warning', message: `backends '${b.name}' answered a render-only request (${path} with _debug_render_only, model ${model}) without a rendered prompt: an Ollama older than ${b.dialect === 'ollama' ? '0.11.5' : '0.12.0'}, whose follow-ups (the rescue, cut-off + continuation) all fail, so a model that thinks into the length cap or ends inside its thinking leaves no answer. Upgrade Ollama, or set enforcement: rewrite.` }];
}

/** How many listed models the render check asks the capabilities of, at most. */
const SHOWN_MODELS = 8;

/**
 * The first listed model an Ollama server says completes chats (`capabilities` from /api/show,
 * Ollama 0.6.4 on): an embedding model listed first cannot render a chat (400, "does not support
 * chat"), which read as a failed render. A model whose capabilities the server does not give is
 * taken as it is. undefined where nothing is listed; null where none of the first SHOWN_MODELS
 * completes.
 */
async function firstChatModel(b: BackendConfig, names: readonly string[]): Promise<string | null | undefined> {
  if (names.length === 0) return undefined;
  for (const name of names.slice(0, SHOWN_MODELS)) {
    let caps: unknown;
    try {
      caps = (JSON.parse(await postToBackend(b.url!, '/api/show', { model: name }, backendCallHeaders(b), 5_000)) as { capabilities?: unknown }).capabilities;
    } catch {
      caps = undefined; // not answered: the model is tried as it is
    }
    if (!Array.isArray(caps) || caps.includes('completion')) return name;
  }
  return null;
}

/** The most telling part of a fetch error: the socket error code (ECONNREFUSED, ENOTFOUND, …) where there is one. */
function reason(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: unknown; errors?: unknown[] };
  if (typeof e.code === 'string') return e.code;
  if (e.cause) return reason(e.cause);
  if (Array.isArray(e.errors) && e.errors.length) return reason(e.errors[0]);
  return e.message ?? String(err);
}

export async function checkCommand(args: string[]): Promise<number> {
  const file = option(args, '--config') ?? process.env.THINKCAP_CONFIG;
  const findings: Finding[] = [];
  let config: Config;
  try {
    config = loadConfig(file);
    process.stdout.write(`config: ${file ?? '(defaults and THINKCAP_* variables)'} is valid\n`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stdout.write(`errors:\n  ${err.message.replace(/\n/g, '\n  ')}\n`);
    return 1;
  }
  const redis = config.spend.redis;
  const redisLedger = config.spend.enabled && config.spend.ledger === 'redis';
  if (redisLedger && (redis.cluster?.length || redis.sentinel) && redis.replicaAcks === 0) {
    findings.push({ level: 'warning', message: `spend.redis has replicas (${redis.cluster?.length ? 'cluster' : 'sentinel'}) but replicaAcks is 0: a failover can lose the reservations and settlements of its last moments (Redis replicates asynchronously); set replicaAcks: 1.` });
  }
  // Distinct ones: each is one vote in the ledger's majority check.
  const sentinels = distinctAddresses(redis.sentinel?.sentinels ?? []).length;
  if (redisLedger && !redis.cluster?.length && redis.sentinel && sentinels < 3) {
    findings.push({
      level: 'warning',
      message: `spend.redis.sentinel lists ${sentinels} different sentinel${sentinels === 1 ? '' : 's'}: thinkcap leaves a master when more than half of the sentinels listed name another, so with fewer than 3 one stale sentinel (or one cut off with an old master) can keep it writing to a master whose writes are lost; list every sentinel of the group.`,
    });
  }
  if (!args.includes('--no-backends')) {
    if (config.backends.length === 0) findings.push({ level: 'warning', message: `backends is empty: every request uses defaultDialect ${config.defaultDialect}, and thinkcap cannot check that the backend is reachable.` });
    for (const b of config.backends) {
      if (!b.url) {
        findings.push({ level: 'warning', message: `backends '${b.name}' has no url: thinkcap cannot check it is reachable (url is needed for continuations and rescues).` });
        continue;
      }
      try {
        const { names, context: served } = await listModels(b);
        process.stdout.write(`backend ${b.name} (${b.dialect}, ${b.url}): ${names.length ? names.join(', ') : 'reachable, no models listed'}\n`);
        const context = contextFinding(b, served);
        if (context) findings.push(context);
        findings.push(...noCutOffFindings(b, names), ...templateFindings(b, names));
        findings.push(...(await llamaContentFindings(b).catch((err: unknown) => [{ level: 'warning' as const, message: `backends '${b.name}': could not read its reasoning format and template (/props, /apply-template): ${reason(err)}.` }])));
        findings.push(...(await ollamaRenderFindings(b, names).catch((err: unknown) => [{ level: 'warning' as const, message: `backends '${b.name}': a render-only request, which its follow-ups start with, failed: ${reason(err)}.` }])));
      } catch (err) {
        findings.push({ level: 'error', message: `backends '${b.name}' (${b.url}) is not reachable: ${reason(err)}.` });
      }
    }
  }
  // --envoy FILE, as often as needed: an Envoy bootstrap, or Istio resources (an EnvoyFilter and
  // the DestinationRule and VirtualServices beside it, in one file or several).
  const docs: unknown[] = [];
  for (const file of options(args, '--envoy')) {
    try {
      const before = docs.length;
      // `-` is standard input: `kubectl get envoyfilters,destinationrules,virtualservices -A -o yaml | thinkcap check … --envoy -`.
      for (const d of parseAllDocuments(readFileSync(file === '-' ? 0 : file, 'utf8'))) {
        if (d.errors.length) throw d.errors[0]!;
        const doc: unknown = d.toJS();
        // kubectl's `kind: List` holds the resources as items.
        const list = doc as { kind?: unknown; items?: unknown };
        if (list !== null && typeof list === 'object' && list.kind === 'List' && Array.isArray(list.items)) docs.push(...list.items);
        else if (doc !== null && doc !== undefined) docs.push(doc);
      }
      if (docs.length === before) throw new Error('it holds no YAML document');
    } catch (err) {
      findings.push({ level: 'error', message: `--envoy ${file} could not be read as YAML: ${(err as Error).message}` });
    }
  }
  // Istio's resources are read together; a document with no `kind` is an Envoy bootstrap; other
  // Kubernetes objects given with them (a Service, a Gateway) are not read.
  const istio = docs.filter(isIstioResource);
  const bootstraps = docs.filter((d) => typeof d !== 'object' || Array.isArray(d) || (d as { kind?: unknown }).kind === undefined);
  if (istio.length) findings.push(...checkIstioResources(istio, config));
  for (const doc of bootstraps) findings.push(...checkEnvoyConfig(doc, config));
  if (docs.length && !istio.length && !bootstraps.length) findings.push({ level: 'error', message: '--envoy: no Envoy config (a bootstrap) or Istio resource (EnvoyFilter, DestinationRule, VirtualService) among the documents given.' });
  const errors = findings.filter((f) => f.level === 'error');
  const warnings = findings.filter((f) => f.level === 'warning');
  if (errors.length) process.stdout.write(`errors:\n${errors.map((f) => `  ${f.message}`).join('\n')}\n`);
  if (warnings.length) process.stdout.write(`warnings:\n${warnings.map((f) => `  ${f.message}`).join('\n')}\n`);
  if (!errors.length && !warnings.length) process.stdout.write('no problems found\n');
  return errors.length ? 1 : 0;
}
