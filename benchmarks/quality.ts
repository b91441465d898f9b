/**
 * Answer quality per thinking token: a model whose accuracy depends on how long it thinks
 * (benchmarks/quality/, trained with JAX, committed as a GGUF), served by the real llama-server,
 * behind the real Envoy and thinkcap, one configuration after the other in one run.
 *
 *   npm run build && node dist/benchmarks/quality.js [--per-kind 100] [--svg benchmarks/quality/accuracy.svg]
 *
 * The held-out set (benchmarks/quality/heldout.json, 100 each of short additions, long additions
 * and multiplications) is never trained on. Thinking tokens are the engine's own count: the
 * tokens llama-server generated (its /metrics counter) less the answer the client received, so
 * the end-of-thinking tag and what the model wrote after it count as thinking.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpConnectionManager } from '../devkit/envoy.js';
import { LLAMA_ENVOY, startLlamaServer, type RunningLlama } from '../devkit/llama.js';
import { startStack, type Stack } from '../devkit/stack.js';
import { EFFORT_TIER } from '../src/budget/thinking.js';
import { TIER_NAMES } from '../src/config/schema.js';
import { packageRoot } from '../src/paths.js';
import { SseFramer } from '../src/stream/sse.js';
import { countTokens } from '../src/stream/tokens.js';

export type Kind = 'short' | 'long' | 'mul';
export interface Problem {
  kind: Kind;
  question: string;
  answer: string;
  /** Thinking tokens up to and including the result line. */
  neededTokens: number;
  /** Thinking tokens the model writes unprompted (steps and re-checks). */
  thinkingTokens: number;
}
interface Heldout {
  neededByKind: Record<Kind, number>;
  problems: Problem[];
}

export const QUALITY_DIR = join(packageRoot(), 'benchmarks', 'quality');
export const MODEL = join(QUALITY_DIR, 'arith-think.gguf');

export function loadHeldout(): Heldout {
  return JSON.parse(readFileSync(join(QUALITY_DIR, 'heldout.json'), 'utf8')) as Heldout;
}

/** The committed model, checked against its committed checksum. */
export function checkedModel(): string {
  const want = readFileSync(`${MODEL}.sha256`, 'utf8').split(/\s+/)[0];
  const got = createHash('sha256').update(readFileSync(MODEL)).digest('hex');
  if (got !== want) throw new Error(`${MODEL}: sha256 ${got}, expected ${want}`);
  return MODEL;
}

export function startQualityLlama(slots = 2): Promise<RunningLlama> {
  return startLlamaServer({ template: null, model: checkedModel(), reasoningFormat: 'deepseek', slots, context: 1024 * slots });
}

export type Layer = 'none' | 'rewrite' | 'native' | 'continuation';
/** How each request's budget is chosen. */
export type Budgets = { by: 'classifier' } | { by: 'hint' } | { by: 'fixed'; budget: number } | { by: 'unlimited' };

/** The client hint for each kind (reasoning_effort maps to a tier). */
export const EFFORT: Record<Kind, string> = { short: 'low', long: 'medium', mul: 'high' };

const allTiers = (budget: number) => Object.fromEntries(TIER_NAMES.map((t) => [t, { budget }]));

/**
 * Tier budgets for this task: each kind's most needed thinking on the tier its hint maps to
 * (thinkcap's own mapping); the tiers below the shortest kind's get its budget, those above the
 * longest's get that one.
 */
export function tierBudgets(needed: Record<Kind, number>): Record<string, { budget: number }> {
  const tiers = allTiers(needed.short);
  const kinds = (Object.keys(EFFORT) as Kind[]).sort((a, b) => needed[a] - needed[b]);
  for (const k of kinds) {
    const from = TIER_NAMES.indexOf(EFFORT_TIER[EFFORT[k]]!);
    for (let i = from; i < TIER_NAMES.length; i++) tiers[TIER_NAMES[i]!] = { budget: needed[k] };
  }
  return tiers;
}

/** Envoy in front of the engine, with thinkcap (layer) or without it (none). */
export async function qualityStack(llama: RunningLlama, layer: Layer, budgets: Budgets, needed: Record<Kind, number>, grace = 0): Promise<Stack> {
  if (layer === 'none') {
    return startStack({
      backendPort: llama.port,
      noThinkcap: true,
      envoy: {
        ...LLAMA_ENVOY,
        mutate: (cfg) => {
          const hcm = httpConnectionManager(cfg);
          hcm.http_filters = hcm.http_filters.filter((f: { name: string }) => f.name !== 'envoy.filters.http.ext_proc');
        },
      },
    });
  }
  const tiers = budgets.by === 'fixed' ? allTiers(budgets.budget) : budgets.by === 'unlimited' ? allTiers(100_000) : tierBudgets(needed);
  return startStack({
    backendPort: llama.port,
    thinkcap: {
      tiers,
      requests: { graceRatio: grace },
      backends: [{ name: 'llama', dialect: 'llamacpp', enforcement: layer, url: llama.url }],
    },
    envoy: layer === 'continuation' ? { ...LLAMA_ENVOY, responseBodyMode: 'FULL_DUPLEX_STREAMED' } : LLAMA_ENVOY,
  });
}

export interface Answer {
  problem: Problem;
  content: string;
  correct: boolean;
  /** Thinking the client was shown. */
  shownThinking: string;
  status: number;
  stream: boolean;
}

export async function ask(stack: Stack, p: Problem, budgets: Budgets, stream: boolean): Promise<Answer> {
  // cache_prompt false: a prompt half taken from the engine's cache is computed in other batches,
  // which flipped answers this model is unsure of between identical configurations (2 of 24 in one CI run).
  const body: Record<string, unknown> = { model: 'arith', temperature: 0, cache_prompt: false, messages: [{ role: 'user', content: p.question }] };
  if (budgets.by === 'hint') body.reasoning_effort = EFFORT[p.kind];
  if (stream) body.stream = true;
  const res = await fetch(`${stack.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let content = '';
  let reasoning = '';
  if (res.ok && stream) {
    for (const ev of new SseFramer().push(Buffer.from(`${text}\n\n`))) {
      if (ev.data === null || ev.data === '[DONE]') continue;
      const d = (JSON.parse(ev.data) as { choices?: Array<{ delta?: { content?: string; reasoning_content?: string } }> }).choices?.[0]?.delta;
      content += d?.content ?? '';
      reasoning += d?.reasoning_content ?? '';
    }
  } else if (res.ok) {
    const m = (JSON.parse(text) as { choices: Array<{ message: { content?: string | null; reasoning_content?: string | null } }> }).choices[0]!.message;
    content = m.content ?? '';
    reasoning = m.reasoning_content ?? '';
  }
  return { problem: p, content, correct: content.trim() === p.answer, shownThinking: reasoning, status: res.status, stream };
}

export interface ArmResult {
  name: string;
  layer: Layer;
  budgets: Budgets;
  /** requests.graceRatio (budget forcing's graceful end). */
  grace: number;
  n: number;
  accuracy: number;
  byKind: Record<Kind, number>;
  /** Tokens the engine generated in all (its /metrics counter). */
  generated: number;
  /** Mean thinking tokens the engine generated per request. */
  engineThinking: number;
  engineThinkingByKind: Record<Kind, number>;
  /** Requests with no answer at all. */
  unanswered: number;
  failed: number;
  /** Most thinking a streaming client was shown, in characters (the model's tokens). */
  maxShownStreamed: number;
  /** Most thinking a non-streaming client was shown, by thinkcap's own tokenizer (it cuts a whole answer by that count). */
  maxShownWhole: number;
}

/** Run one configuration over the problems, `concurrency` at a time; engine tokens by kind. */
export async function runArm(llama: RunningLlama, name: string, layer: Layer, budgets: Budgets, problems: Problem[], needed: Record<Kind, number>, concurrency = 2, grace = 0): Promise<ArmResult> {
  const stack = await qualityStack(llama, layer, budgets, needed, grace);
  const answers: Answer[] = [];
  const generatedByKind: Record<Kind, number> = { short: 0, long: 0, mul: 0 };
  try {
    // One kind at a time, so the engine's counter splits by kind.
    for (const kind of ['short', 'long', 'mul'] as Kind[]) {
      const todo = problems.filter((p) => p.kind === kind);
      const before = await llama.settledTokensPredicted();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < todo.length) {
            const p = todo[next++]!;
            answers.push(await ask(stack, p, budgets, next % 2 === 0));
          }
        }),
      );
      generatedByKind[kind] = (await llama.settledTokensPredicted()) - before;
    }
  } finally {
    await stack.stop();
  }
  const kinds: Kind[] = ['short', 'long', 'mul'];
  const of = (k: Kind) => answers.filter((a) => a.problem.kind === k);
  const answerTokens = (as: Answer[]) => as.reduce((s, a) => s + [...a.content].length, 0);
  const engineThinkingByKind = Object.fromEntries(kinds.map((k) => [k, of(k).length ? (generatedByKind[k] - answerTokens(of(k))) / of(k).length : 0])) as Record<Kind, number>;
  const n = answers.length;
  return {
    name,
    layer,
    budgets,
    grace,
    n,
    accuracy: answers.filter((a) => a.correct).length / n,
    byKind: Object.fromEntries(kinds.map((k) => [k, of(k).filter((a) => a.correct).length / Math.max(1, of(k).length)])) as Record<Kind, number>,
    generated: kinds.reduce((s, k) => s + generatedByKind[k], 0),
    engineThinking: (kinds.reduce((s, k) => s + generatedByKind[k], 0) - answerTokens(answers)) / n,
    engineThinkingByKind,
    unanswered: answers.filter((a) => a.status === 200 && a.content.trim() === '').length,
    failed: answers.filter((a) => a.status !== 200).length,
    maxShownStreamed: Math.max(0, ...answers.filter((a) => a.stream).map((a) => [...a.shownThinking].length)),
    maxShownWhole: Math.max(0, ...answers.filter((a) => !a.stream).map((a) => countTokens(a.shownThinking))),
  };
}

// --- the plot ------------------------------------------------------------------------------

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Accuracy against mean engine thinking tokens: a line per layer's sweep, a mark per other arm. */
export function plotSvg(results: ArmResult[]): string {
  const W = 880, H = 440, L = 60, R = 300, T = 30, B = 50;
  const step = [10, 20, 25, 50, 100, 200, 500].find((s) => s * 6 >= Math.max(...results.map((r) => r.engineThinking))) ?? 1000;
  const maxX = step * 6;
  const x = (v: number) => L + (v / maxX) * (W - L - R);
  const y = (v: number) => H - B - v * (H - T - B);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${L}" y="18" font-size="14">Accuracy against thinking tokens the engine generated (mean per request)</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  for (let t = 0; t <= maxX; t += step) parts.push(`<text x="${x(t)}" y="${H - B + 18}" text-anchor="middle">${t}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">thinking tokens per request (engine)</text>`);
  const colors: Record<Layer, string> = { none: '#000', rewrite: '#d62728', native: '#1f77b4', continuation: '#2ca02c' };
  let legendY = T + 10;
  const legend = (label: string, color: string, dash: string) => {
    parts.push(`<line x1="${W - R + 15}" x2="${W - R + 40}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}"/><text x="${W - R + 46}" y="${legendY + 4}">${esc(label)}</text>`);
    legendY += 18;
  };
  for (const [layer, grace] of [['native', 0], ['continuation', 0], ['continuation', GRACE]] as Array<[Layer, number]>) {
    const sweep = fixedSweep(results, layer, grace);
    if (sweep.length === 0) continue;
    const dash = grace > 0 ? '6 4' : '';
    parts.push(`<polyline fill="none" stroke="${colors[layer]}" stroke-width="2" stroke-dasharray="${dash}" points="${sweep.map((r) => `${x(r.engineThinking)},${y(r.accuracy)}`).join(' ')}"/>`);
    for (const r of sweep) parts.push(`<circle cx="${x(r.engineThinking)}" cy="${y(r.accuracy)}" r="3" fill="${colors[layer]}"/>`);
    legend(`${layer === 'native' ? 'native cap' : 'budget forcing'}: fixed budgets${grace > 0 ? `, grace ${grace * 100} %` : ''}`, colors[layer], dash);
  }
  const marks: Record<string, string> = { classifier: 'square', hint: 'diamond', unlimited: 'circle' };
  for (const r of results.filter((r) => r.budgets.by !== 'fixed')) {
    const cx = x(r.engineThinking);
    const cy = y(r.accuracy);
    const c = colors[r.layer];
    const shape = marks[r.budgets.by] ?? 'circle';
    if (shape === 'square') parts.push(`<rect x="${cx - 5}" y="${cy - 5}" width="10" height="10" fill="none" stroke="${c}" stroke-width="2"/>`);
    else if (shape === 'diamond') parts.push(`<polygon points="${cx},${cy - 7} ${cx + 7},${cy} ${cx},${cy + 7} ${cx - 7},${cy}" fill="none" stroke="${c}" stroke-width="2"/>`);
    else parts.push(`<circle cx="${cx}" cy="${cy}" r="6" fill="none" stroke="${c}" stroke-width="2"/>`);
  }
  legendY += 6;
  for (const [label, layer] of [['no thinkcap', 'none'], ['stream rewrite', 'rewrite'], ['native cap', 'native'], ['budget forcing', 'continuation']] as Array<[string, Layer]>) {
    parts.push(`<rect x="${W - R + 15}" y="${legendY - 6}" width="12" height="12" fill="${colors[layer]}"/><text x="${W - R + 46}" y="${legendY + 4}">${esc(label)}</text>`);
    legendY += 18;
  }
  legendY += 6;
  for (const label of ['square: tier budgets, tier from the classifier', 'diamond: tier budgets, tier from the client hint', 'circle: no cap (or stream rewrite only)']) {
    parts.push(`<text x="${W - R + 15}" y="${legendY + 4}">${esc(label)}</text>`);
    legendY += 18;
  }
  parts.push('</svg>');
  return parts.join('\n');
}

// --- the run -------------------------------------------------------------------------------

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export const SWEEP = [0, 16, 32, 48, 64, 80, 96, 128, 160, 224];
/** The graceful end measured against the hard cut (NVIDIA NIM's window is 10 %). */
export const GRACE = 0.1;

/** One layer's fixed-budget runs, by thinking tokens. */
function fixedSweep(results: ArmResult[], layer: Layer, grace: number): ArmResult[] {
  return results.filter((r) => r.layer === layer && r.budgets.by === 'fixed' && r.grace === grace).sort((a, b) => a.engineThinking - b.engineThinking);
}

/** Accuracy of a sweep at this many thinking tokens, linearly between its two nearest runs. */
export function accuracyAt(sweep: ArmResult[], tokens: number): number | null {
  for (let i = 1; i < sweep.length; i++) {
    const a = sweep[i - 1]!;
    const b = sweep[i]!;
    if (tokens >= a.engineThinking && tokens <= b.engineThinking) {
      const span = b.engineThinking - a.engineThinking;
      return span === 0 ? b.accuracy : a.accuracy + ((b.accuracy - a.accuracy) * (tokens - a.engineThinking)) / span;
    }
  }
  return null;
}

async function main(): Promise<void> {
  const perKind = Number(arg('--per-kind') ?? 100);
  const svgPath = arg('--svg') ?? join(QUALITY_DIR, 'accuracy.svg');
  const { neededByKind, problems: all } = loadHeldout();
  const problems = (['short', 'long', 'mul'] as Kind[]).flatMap((k) => all.filter((p) => p.kind === k).slice(0, perKind));
  let llama = await startQualityLlama();
  const results: ArmResult[] = [];
  const t0 = Date.now();
  const arms: Array<[string, Layer, Budgets, number?]> = [
    ['no thinkcap', 'none', { by: 'unlimited' }],
    ['stream rewrite, classifier tiers', 'rewrite', { by: 'classifier' }],
    ['stream rewrite, tier per hint', 'rewrite', { by: 'hint' }],
    ['native cap, classifier tiers', 'native', { by: 'classifier' }],
    ['native cap, tier per hint', 'native', { by: 'hint' }],
    ['budget forcing, classifier tiers', 'continuation', { by: 'classifier' }],
    ['budget forcing, tier per hint', 'continuation', { by: 'hint' }],
    ...SWEEP.flatMap((b) => [
      [`native cap, fixed ${b}`, 'native', { by: 'fixed', budget: b }] as [string, Layer, Budgets],
      [`budget forcing, fixed ${b}`, 'continuation', { by: 'fixed', budget: b }] as [string, Layer, Budgets],
      [`budget forcing, fixed ${b}, grace ${GRACE * 100} %`, 'continuation', { by: 'fixed', budget: b }, GRACE] as [string, Layer, Budgets, number],
    ]),
    ['budget forcing, tier per hint, grace 10 %', 'continuation', { by: 'hint' }, GRACE],
  ];
  try {
    for (const [name, layer, budgets, grace] of arms) {
      // The engine's token counter is exact only below 1,000,000 (it prints 6 significant digits).
      if ((await llama.tokensPredicted()) > 700_000) {
        await llama.stop();
        llama = await startQualityLlama();
      }
      const r = await runArm(llama, name, layer, budgets, problems, neededByKind, 2, grace ?? 0);
      results.push(r);
      process.stderr.write(`${name}: accuracy ${r.accuracy.toFixed(3)}, thinking ${r.engineThinking.toFixed(1)} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
  } finally {
    await llama.stop();
  }
  const base = results[0]!;
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  console.log(`Held-out set: ${problems.length} problems (${perKind} each of short additions, long additions, multiplications), temperature 0.`);
  console.log(`Tier budgets: short ${neededByKind.short}, long ${neededByKind.long}, mul ${neededByKind.mul} thinking tokens (each kind's most needed steps).\n`);
  console.log('| configuration | accuracy | short / long / mul | thinking tokens per request (engine) | saved vs no thinkcap | no answer |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const saved = 1 - r.engineThinking / base.engineThinking;
    console.log(
      `| ${r.name} | ${r.accuracy.toFixed(3)} | ${r.byKind.short.toFixed(2)} / ${r.byKind.long.toFixed(2)} / ${r.byKind.mul.toFixed(2)} | ${r.engineThinking.toFixed(1)} | ${pct(saved)} | ${r.unanswered + r.failed} |`,
    );
  }
  console.log('\nGoal: tier budgets save ≥ 50 % of thinking tokens with ≤ 1 point of accuracy lost against no thinkcap.\n');
  for (const r of results.filter((r) => r.budgets.by === 'classifier' || r.budgets.by === 'hint')) {
    const saved = 1 - r.engineThinking / base.engineThinking;
    // Whole problems: compare at the table's precision (0.99 vs 1.00 is 1.0 point, not 1.0000000000000009).
    const lost = Math.round((base.accuracy - r.accuracy) * 1000) / 10;
    const met = saved >= 0.5 && lost <= 1;
    console.log(`- ${r.name}: saved ${pct(saved)}, accuracy ${lost >= 0 ? `${lost.toFixed(1)} points lost` : `${(-lost).toFixed(1)} points gained`}: ${met ? 'met' : 'missed'}`);
  }
  console.log('\nGraceful end against the hard cut, at equal thinking tokens (the hard cut interpolated between its two nearest budgets):\n');
  console.log('| budget | grace: thinking tokens | grace: accuracy | hard cut at those tokens | difference |');
  console.log('|---:|---:|---:|---:|---:|');
  const hard = fixedSweep(results, 'continuation', 0);
  for (const g of fixedSweep(results, 'continuation', GRACE)) {
    const h = accuracyAt(hard, g.engineThinking);
    const b = g.budgets.by === 'fixed' ? g.budgets.budget : 0;
    console.log(`| ${b} | ${g.engineThinking.toFixed(1)} | ${g.accuracy.toFixed(3)} | ${h === null ? 'n/a' : h.toFixed(3)} | ${h === null ? 'n/a' : `${((g.accuracy - h) * 100).toFixed(1)} pt`} |`);
  }
  writeFileSync(svgPath, `${plotSvg(results)}\n`);
  console.log(`\nplot: ${svgPath}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
