/**
 * Thinking tokens generated with and without thinkcap, per tier and per enforcement layer, and
 * the per-chunk cost of the streamed path.
 *
 *   npm run build && node dist/benchmarks/savings.js [--quick]
 *
 * Part 1 runs against the emulator (every dialect, large token counts); part 2 against the real
 * llama-server (scripts/install-llama.sh), where it is installed.
 *
 * Each request goes through the real Envoy to the emulator, which plays a model whose natural
 * thinking length for the request is drawn from a per-tier log-normal distribution (seeded, so
 * every configuration sees the same lengths). Configurations:
 *   none        Envoy alone: the model thinks as long as it likes
 *   native      vLLM honouring thinking_token_budget (layer 1)
 *   stream      a server that ignores the budget: thinkcap drops reasoning past it (layer 3);
 *               the client sees the cap, the GPU does not save anything
 *   continuation  generic <think> model: upstream capped at the budget, answer from a
 *               continuation request (layer 2, FULL_DUPLEX_STREAMED)
 */
import { performance } from 'node:perf_hooks';
import { startStack, type Stack, type StackOptions } from '../devkit/stack.js';
import { classifyText } from '../src/classify/classifier.js';
import { buildDialect, backendOptions } from '../src/backends/registry.js';
import { validateConfig } from '../src/config/load.js';
import { ResponseRewriter } from '../src/stream/rewriter.js';
import type { DialectName, TierName } from '../src/config/schema.js';

const quick = process.argv.includes('--quick');
const PER_TIER = quick ? 4 : 12;

/** Median natural thinking per tier (reasoning models think long even on easy asks). */
const NATURAL_MEDIAN: Record<TierName, number> = { trivial: 250, simple: 600, moderate: 1500, complex: 3500, deep: 9000 };
const PROMPTS: Record<TierName, string> = {
  trivial: 'Thanks!',
  simple: 'What is the capital of Canada?',
  moderate: 'Compare REST and gRPC for internal microservices. What are the trade-offs?',
  complex: 'Debug this deadlock: two goroutines lock mutex A and B in opposite order under load. Explain the root cause and design a fix that stays correct when more locks are added.',
  deep: 'Prove that there are infinitely many primes of the form 4k+3, then derive a rigorous bound on how many are below n, step by step.',
};
const TIERS: TierName[] = ['trivial', 'simple', 'moderate', 'complex', 'deep'];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
function logNormal(r: () => number, median: number, sigma = 0.5): number {
  const z = Math.sqrt(-2 * Math.log(Math.max(1e-12, r()))) * Math.cos(2 * Math.PI * r());
  return Math.max(1, Math.round(median * Math.exp(sigma * z)));
}

const lengths: Record<TierName, number[]> = { trivial: [], simple: [], moderate: [], complex: [], deep: [] };
const r = rng(42);
for (const t of TIERS) for (let i = 0; i < PER_TIER; i++) lengths[t].push(logNormal(r, NATURAL_MEDIAN[t]));

const plan = (body: Record<string, unknown>) => {
  const m = /^natural:(\d+)$/.exec(String(body.user ?? ''));
  return { thinkingTokens: m ? Number(m[1]) : 100, answerTokens: 40 };
};

async function run(name: string, opts: StackOptions): Promise<Record<TierName, { generated: number; seen: number }>> {
  const stack: Stack = await startStack(opts);
  const out = {} as Record<TierName, { generated: number; seen: number }>;
  try {
    for (const t of TIERS) {
      let generated = 0;
      let seen = 0;
      for (const n of lengths[t]) {
        const before = stack.emulator.generatedThinking.length;
        const res = await fetch(`${stack.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', stream: true, user: `natural:${n}`, messages: [{ role: 'user', content: PROMPTS[t] }] }),
        });
        const text = await res.text();
        for (const g of stack.emulator.generatedThinking.slice(before)) generated += g;
        // Count what the client saw: reasoning deltas, or words inside <think>…</think>.
        let content = '';
        for (const line of text.split('\n')) {
          if (!line.startsWith('data: {')) continue;
          const d = JSON.parse(line.slice(6)).choices?.[0]?.delta ?? {};
          if (d.reasoning || d.reasoning_content) seen++;
          if (d.content) content += d.content;
        }
        const m = /<think>([\s\S]*?)<\/think>/.exec(content);
        if (m) seen += m[1]!.split(' ').filter(Boolean).length;
      }
      out[t] = { generated, seen };
    }
  } finally {
    await stack.stop();
  }
  process.stderr.write(`${name} done\n`);
  return out;
}

function chunkCost(dialect: DialectName, event: (i: number) => string, n: number): { median: number; p99: number } {
  const config = validateConfig({});
  const samples: number[] = [];
  for (let rep = 0; rep < (quick ? 3 : 10); rep++) {
    const rw = new ResponseRewriter({
      dialect: buildDialect(dialect, backendOptions(config, undefined)),
      format: 'sse',
      budget: n / 2,
      clientWantsUsage: false,
      thinkPrefilled: false,
      continuation: false,
      tier: 'moderate',
    });
    for (let i = 0; i < n; i++) {
      const buf = Buffer.from(event(i));
      const t0 = performance.now();
      rw.push(buf, false);
      samples.push((performance.now() - t0) * 1000);
    }
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)]!, p99: samples[Math.floor(samples.length * 0.99)]! };
}

async function main(): Promise<void> {
  for (const t of TIERS) {
    const c = classifyText(PROMPTS[t]);
    if (c.tier !== t) process.stderr.write(`note: prompt for ${t} classifies as ${c.tier}\n`);
  }
  const emu = { plan, tokenDelayMs: 0 };
  const results = {
    none: await run('none', { emulator: emu, noThinkcap: true, envoy: { failureModeAllow: true } }),
    native: await run('native', { emulator: { ...emu, dialect: 'vllm' }, thinkcap: { defaultDialect: 'vllm' } }),
    stream: await run('stream', { emulator: { ...emu, dialect: 'vllm', ignoreBudget: true }, thinkcap: { defaultDialect: 'vllm' } }),
    continuation: await run('continuation', {
      emulator: { ...emu, dialect: 'generic' },
      thinkcap: (e) => ({ defaultDialect: 'generic', backends: [{ name: 'g', dialect: 'generic', enforcement: 'continuation', url: e.url }] }),
      envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' },
    }),
  };
  console.log(`\n${PER_TIER} requests per tier; natural thinking ~ log-normal(median per tier, sigma 0.5), seed 42\n`);
  console.log('| tier | budget | generated, no thinkcap | native cap (layer 1) | saved | stream rewrite only (layer 3): generated / client saw | continuation (layer 2): generated | saved |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  const budgets: Record<TierName, number> = { trivial: 32, simple: 128, moderate: 512, complex: 2048, deep: 8192 };
  const tot = { none: 0, native: 0, cont: 0 };
  for (const t of TIERS) {
    const none = results.none[t].generated;
    const nat = results.native[t].generated;
    const cont = results.continuation[t].generated;
    tot.none += none;
    tot.native += nat;
    tot.cont += cont;
    console.log(
      `| ${t} | ${budgets[t]} | ${none} | ${nat} | ${(100 * (1 - nat / none)).toFixed(0)}% | ${results.stream[t].generated} / ${results.stream[t].seen} | ${cont} | ${(100 * (1 - cont / none)).toFixed(0)}% |`,
    );
  }
  console.log(`| all | | ${tot.none} | ${tot.native} | ${(100 * (1 - tot.native / tot.none)).toFixed(0)}% | | ${tot.cont} | ${(100 * (1 - tot.cont / tot.none)).toFixed(0)}% |`);

  const vllmEvent = (i: number) =>
    `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"reasoning":" step"},"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":5,"total_tokens":${6 + i},"completion_tokens":${1 + i}}}\n\n`;
  const genericEvent = (i: number) =>
    `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${i === 0 ? '<think>' : ' step'}"},"logprobs":null,"finish_reason":null}]}\n\n`;
  const a = chunkCost('vllm', vllmEvent, 4000);
  const b = chunkCost('generic', genericEvent, 4000);
  console.log('\nper-chunk processing in the streamed path (ResponseRewriter.push, one SSE event per chunk, half past the budget):\n');
  console.log('| stream | median us | p99 us |');
  console.log('|---|---:|---:|');
  console.log(`| vLLM reasoning deltas with running usage (usage stripped, reasoning dropped past budget) | ${a.median.toFixed(1)} | ${a.p99.toFixed(1)} |`);
  console.log(`| generic <think> in content (tokenizer count, tag tracking) | ${b.median.toFixed(1)} | ${b.p99.toFixed(1)} |`);
}

/**
 * The same comparison on a real engine: llama.cpp's llama-server with SmolLM2-135M (a model
 * that never closes its thinking by itself), through the real Envoy. Thinking generated is the
 * engine's own count (tokens predicted, /metrics) minus the answer's tokens (its /tokenize);
 * time is wall clock per request. Tier budgets are scaled to this small model and a 256-token
 * limit so that every tier's cap binds.
 */
const REAL_BUDGETS: Record<TierName, number> = { trivial: 16, simple: 32, moderate: 64, complex: 128, deep: 192 };
const REAL_MAX_TOKENS = 256;
const REAL_PROMPTS: Record<TierName, string[]> = {
  trivial: ['Thanks!', 'Hi there'],
  simple: ['What is the capital of Canada?', 'Name a primary color.'],
  moderate: ['Compare REST and gRPC for internal microservices. What are the trade-offs?', 'Explain how a hash map works.'],
  complex: [PROMPTS.complex, 'Design a rate limiter for a multi-region API and explain how it stays correct when a region fails.'],
  deep: [PROMPTS.deep, 'Prove that the square root of 2 is irrational, then generalise the proof to any prime, step by step.'],
};

async function realEngine(): Promise<void> {
  const { findLlama, startLlamaServer, LLAMA_ENVOY } = await import('../devkit/llama.js');
  if (!findLlama()) {
    console.log('\nreal llama-server: not installed (bash scripts/install-llama.sh), skipped');
    return;
  }
  const llama = await startLlamaServer({ template: 'think-forced-open', reasoningFormat: 'deepseek', slots: 1 });
  type Row = { thinking: number; ms: number; answered: number; n: number };
  const layers: Array<[string, StackOptions | null]> = [
    ['no thinkcap', null],
    ['native cap', {}],
    ['native cap + rescue (full duplex)', { envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' } }],
    ['continuation', { envoy: { responseBodyMode: 'FULL_DUPLEX_STREAMED' } }],
    ['stream rewrite only', {}],
  ];
  const results: Record<string, Record<TierName, Row>> = {};
  try {
    for (const [name, extra] of layers) {
      const enforcement = name === 'continuation' ? 'continuation' : name === 'stream rewrite only' ? 'rewrite' : 'native';
      const stack = extra
        ? await startStack({
            ...extra,
            envoy: { ...LLAMA_ENVOY, ...extra.envoy },
            backendPort: llama.port,
            thinkcap: {
              tiers: Object.fromEntries(TIERS.map((t) => [t, { budget: REAL_BUDGETS[t] }])),
              requests: { answerReserveTokens: 32 },
              backends: [{ name: 'llama', dialect: 'llamacpp', enforcement, url: llama.url }],
            },
          })
        : null;
      const base = stack ? stack.baseURL : `${llama.url}/v1`;
      const rows = {} as Record<TierName, Row>;
      try {
        for (const t of TIERS) {
          const row: Row = { thinking: 0, ms: 0, answered: 0, n: 0 };
          for (const prompt of REAL_PROMPTS[t]) {
            const before = await llama.settledTokensPredicted();
            const t0 = performance.now();
            const res = await fetch(`${base}/chat/completions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              // The tier is the classifier's, from the prompt: the same request goes to every layer.
              body: JSON.stringify({ model: 'smollm2', temperature: 0, max_tokens: REAL_MAX_TOKENS, messages: [{ role: 'user', content: prompt }] }),
            });
            const j = (await res.json()) as { choices: Array<{ message: { content: string | null } }> };
            row.ms += performance.now() - t0;
            const answer = j.choices[0]?.message.content ?? '';
            const generated = (await llama.settledTokensPredicted()) - before;
            row.thinking += Math.max(0, generated - (await llama.tokenize(answer)));
            if (answer.trim()) row.answered++;
            row.n++;
          }
          rows[t] = row;
        }
      } finally {
        await stack?.stop();
      }
      results[name] = rows;
      process.stderr.write(`real llama-server: ${name} done\n`);
    }
  } finally {
    await llama.stop();
  }
  console.log(`\nreal llama-server (llama-cpp-python 0.3.36 tree, SmolLM2-135M Q4_1, 2 CPU threads, 1 slot), ${REAL_PROMPTS.trivial.length} prompts per tier, temperature 0, max_tokens ${REAL_MAX_TOKENS}, non-streaming; tier budgets scaled to this model: ${TIERS.map((t) => `${t} ${REAL_BUDGETS[t]}`).join(', ')}\n`);
  console.log(`| tier | ${layers.map(([n]) => `${n}: thinking / ms / answered`).join(' | ')} |`);
  console.log(`|---|${layers.map(() => '---:').join('|')}|`);
  const tot: Record<string, Row> = {};
  for (const t of TIERS) {
    const cells = layers.map(([n]) => {
      const r = results[n]![t];
      const acc = (tot[n] ??= { thinking: 0, ms: 0, answered: 0, n: 0 });
      acc.thinking += r.thinking;
      acc.ms += r.ms;
      acc.answered += r.answered;
      acc.n += r.n;
      return `${r.thinking} / ${Math.round(r.ms)} / ${r.answered}/${r.n}`;
    });
    console.log(`| ${t} | ${cells.join(' | ')} |`);
  }
  console.log(`| all | ${layers.map(([n]) => `${tot[n]!.thinking} / ${Math.round(tot[n]!.ms)} / ${tot[n]!.answered}/${tot[n]!.n}`).join(' | ')} |`);
  const none = tot['no thinkcap']!;
  for (const [n] of layers.slice(1)) {
    const r = tot[n]!;
    const pct = (a: number, b: number) => {
      const d = 100 * (1 - a / b);
      return `${Math.abs(d).toFixed(0)}% ${d >= 0 ? 'less' : 'more'}`;
    };
    console.log(`${n}: thinking generated ${pct(r.thinking, none.thinking)}, wall time ${pct(r.ms, none.ms)} than no thinkcap; ${r.answered}/${r.n} answered`);
  }
}

main()
  .then(() => realEngine())
  .catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
