/**
 * Classifier accuracy and speed.
 *
 *   npm run build && node dist/benchmarks/classifier.js              # held-out + external sets + speed
 *   node dist/benchmarks/classifier.js --no-accuracy                 # speed only (--no-speed: accuracy only)
 *   node dist/benchmarks/classifier.js --split tune --errors         # tuning view (never the held-out)
 *   node dist/benchmarks/classifier.js --calibrate                   # fit the calibration on the tune split
 *   node dist/benchmarks/classifier.js --against <other checkout>    # speed, interleaved with another build
 *   node dist/benchmarks/classifier.js --against-processes <other checkout> [pairs]   # the same in fresh processes, one build each
 *   node dist/benchmarks/classifier.js --word-model-check            # the fallback on unseen phrasing (tune split only)
 *   node dist/benchmarks/classifier.js --probes [other checkout]     # the probe sets (not the labelled set), this build [and another]: per set, the held-back and used ones summed, and split at the latest session's first set
 *   node dist/benchmarks/classifier.js --cold [runs]                 # a fresh process's first calls, with and without the start-up warm-up
 *   node dist/benchmarks/classifier.js --passes                      # the 1.4 KB mixtures: a bare pass, the lexicon scan, a classification
 *   node dist/benchmarks/classifier.js --pairs [bytes]               # every two-piece unit of the mixtures' pieces repeated to 2 KB: the slowest
 *   node dist/benchmarks/classifier.js --no-accuracy --rows conversation   # only the speed rows whose label has that text
 *   node dist/benchmarks/classifier.js --lengths                      # the slow mixtures: slow for their length? (400 per length, each alone)
 *   node dist/benchmarks/classifier.js --lexicons                     # the 2 KB mixtures' time beside how many lexicons they hit, and real asks' counts
 *   node dist/benchmarks/classifier.js --lengths-in-turn              # the speed row's 64 mixtures cut to 150 .. 2,048 characters, timed in turn
 *   node dist/benchmarks/classifier.js --parts                        # the parts of a classification, each timed on the 64 2 KB mixtures in turn
 *   node dist/benchmarks/classifier.js --same-as <other checkout>     # does this build classify exactly as another (tune split, probes, speed rows, seeded mixtures)?
 *   node dist/benchmarks/classifier.js --replay <4 checkouts>          # rounds 2-5 read by the rules of their time, and a word-model lift
 *   node dist/benchmarks/classifier.js --second-opinion               # the word model's lift of simple and moderate readings: their margins, out of fold
 *   node dist/benchmarks/classifier.js --probe-weights                # the word model trained with the probe rows weighed 1, 0.5, 0.25, 0: tune out of fold, held-back probes
 *   node dist/benchmarks/classifier.js --ticks                        # where slow calls of one input come from: their spacing and cost, beside a loop
 *   node dist/benchmarks/classifier.js --against <other checkout> --rows "1 MB"   # with --against: those rows, 1 MB ones included
 *   node dist/benchmarks/classifier.js --help                        # this text (an unknown option prints it and exits 2, reading no split)
 *
 * Accuracy: exact, within one tier, under-tier rate (predicted lower than the label) and the
 * confusion matrix, on thinkcap's held-out split and on ../shared/datasets/external/ (read in
 * place, never copied, never tuned on). Speed: median and p99 per query at 200 B, 2 KB, 20 KB, 1 MB, and for generated
 * adversarial inputs at 2 KB and 1 MB (single asks, conversations, many messages, many content
 * parts), each beside its floor (parsing the request body); then the rows whose timed calls a
 * garbage-collection pause fell in, with their p99 without those calls and what one
 * classification allocates.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { constants, performance, PerformanceObserver } from 'node:perf_hooks';
import { classifyMessages, FALLBACK_SIGNAL_PREFIX, SECOND_OPINION_SIGNALS, thresholdTier } from '../src/classify/classifier.js';
import { countQuantities } from '../src/classify/numbers.js';
import { clauseRanges, stuffingClauses } from '../src/classify/stuffing.js';
import { FALLBACK_ODDS, SECOND_OPINION_ODDS, SECOND_OPINION_TIERS, secondOpinionMargins, wordModelScore, type SecondOpinionMargins } from '../src/classify/wordmodel.js';
import { askOf, fitLiftOdds, foldReaders, HELD_BACK_PROBE_SETS, isTrainingRow, labelledRows, modelReader, RULES_ONLY_PROBE_SETS, trainingRows, trainWordModel, type LabelledRow } from '../src/classify/wordmodel-train.js';
import { CALIBRATION, DEFAULT_UNDER_TIER_COST, tierProbabilities, type Calibration } from '../src/classify/calibration.js';
import { TIER_NAMES, type TierName } from '../src/config/schema.js';
import { packageRoot } from '../src/paths.js';
import { parseChatBody } from '../src/extproc/plan.js';
import { seededText } from '../devkit/random-text.js';
import { warmClassifier } from '../src/classify/warmup.js';
import { readLexicons } from '../src/classify/wordlex.js';
import { astralToBmp, ends, isBmpWordChar, lexicalForm, messageText, splitAsk, technicalMarks, textShape } from '../src/classify/text.js';
import { COMPLEX_ASK, CONSTRAINT, DEEP_ASK, DEPTH_TERMS, MATH_WORDS, MULTI_STEP } from '../src/classify/lexicon.js';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GCProfiler, getHeapStatistics } from 'node:v8';

type Msg = { role: string; content: string | Array<{ type: string; text: string }> };
interface Item {
  id: string;
  messages: Msg[];
  expected: TierName;
  /** thinkcap's own set: 1 = the first round of labels, 2 to 5 = the later rounds (each labelled twice). */
  round?: 1 | 2 | 3 | 4 | 5;
  lang?: string;
  /** The dataset's `style` (later rounds: definition, puzzle, expert, diff-review, agent, general) and `domain`. */
  style?: string;
  domain?: string;
}

const args = process.argv.slice(2);

/** Every option this script reads. An unknown one (or `--help`) prints the usage above and stops:
 * the default run reads the held-out split, so a mistyped or guessed option must not fall through
 * to it (sessions 57 and 58 each read it once by running `--help`). */
const OPTIONS = new Set(['--against', '--against-processes', '--calibrate', '--cold', '--cold-child', '--errors', '--lengths', '--lengths-in-turn', '--lexicons', '--no-accuracy', '--no-speed', '--pairs', '--parts', '--passes', '--probe-weights', '--probes', '--replay', '--round', '--rows', '--same-as', '--second-opinion', '--speed-child', '--split', '--ticks', '--word-model-check']);
const help = args.includes('--help') || args.includes('-h');
const unknownOption = args.find((a) => a.startsWith('-') && !OPTIONS.has(a) && a !== '--help' && a !== '-h' && !/^-\d/.test(a));
if (help || unknownOption !== undefined) {
  const usage = readFileSync(fileURLToPath(import.meta.url), 'utf8').match(/^\/\*\*\n((?: \*(?!\/).*\n)+)/)?.[1]?.replace(/^ \* ?/gm, '') ?? '';
  (help ? process.stdout : process.stderr).write(`${help ? '' : `unknown option ${unknownOption}\n\n`}${usage}`);
  process.exit(help ? 0 : 2);
}
const split = args.includes('--split') ? args[args.indexOf('--split') + 1]! : 'heldout';
const showErrors = args.includes('--errors');
/** `--round N`: only that round of thinkcap's labels (e.g. a new round before any tuning on it). */
const onlyRound = args.includes('--round') ? Number(args[args.indexOf('--round') + 1]) : undefined;
/** `--rows TEXT`: only the speed rows whose label contains TEXT. */
const rowFilter = args.includes('--rows') ? args[args.indexOf('--rows') + 1]! : undefined;
const root = packageRoot();
const external = join(root, '..', 'shared', 'datasets', 'external');

function own(splitName: string): Item[] {
  return readFileSync(join(root, 'benchmarks', 'datasets', 'queries.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; messages: Msg[]; expected_tier: TierName; split: string; lang: string; labels?: unknown; round?: 3 | 4 | 5; style?: string; domain?: string })
    .filter((r) => splitName === 'all' || r.split === splitName)
    .filter((r) => onlyRound === undefined || (r.round ?? (r.labels ? 2 : 1)) === onlyRound)
    .map((r) => ({ id: r.id, messages: r.messages, expected: r.expected_tier, round: r.round ?? (r.labels ? 2 : 1), lang: r.lang, style: r.style, domain: r.domain }));
}

function thinkbudget(): Item[] {
  const dir = join(external, 'thinkbudget');
  if (!existsSync(dir)) return [];
  const out: Item[] = [];
  for (const t of TIER_NAMES) {
    for (const l of readFileSync(join(dir, `${t}.jsonl`), 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(l) as { id: string; query: string; messages?: Msg[]; expected_tier: TierName };
      out.push({ id: r.id, messages: r.messages ?? [{ role: 'user', content: r.query }], expected: r.expected_tier });
    }
  }
  return out;
}

/** Tokenomics' three classes, scored with trivial+simple -> simple, moderate -> medium, complex+deep -> complex. */
function tokenomics(): Array<{ id: string; messages: Msg[]; expected: 'simple' | 'medium' | 'complex' }> {
  const f = join(external, 'tokenomics', 'synthetic_accuracy_50.json');
  if (!existsSync(f)) return [];
  const j = JSON.parse(readFileSync(f, 'utf8')) as { prompts: Array<{ id: string; prompt: string; expected_complexity: 'simple' | 'medium' | 'complex' }> };
  return j.prompts.map((p) => ({ id: p.id, messages: [{ role: 'user', content: p.prompt }], expected: p.expected_complexity }));
}

/**
 * The 95 % Wilson score interval of a proportion p observed on n items: what a set of this size
 * can tell apart (on 420 queries a figure near 77 % is known to about ±4 points).
 */
function wilson(p: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function score(items: Item[], name: string): void {
  const idx = (t: TierName) => TIER_NAMES.indexOf(t);
  const classified = new Map(items.map((it) => [it, classifyMessages(it.messages)]));
  const m = TIER_NAMES.map(() => TIER_NAMES.map(() => 0));
  const errors: string[] = [];
  for (const [it, c] of classified) {
    m[idx(it.expected)]![idx(c.tier)]!++;
    if (c.tier !== it.expected && showErrors) {
      const text = messageText(it.messages[it.messages.length - 1]!).replace(/\s+/g, ' ').slice(0, 110);
      errors.push(`  ${it.id} expected ${it.expected} got ${c.tier} (${c.score}) ${text} | ${c.signals.join('; ')}`);
    }
  }
  const r = rates(items, (it) => idx(classified.get(it)!.tier));
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  console.log(`\n### ${name} (${items.length} queries)\n`);
  console.log(`exact ${pct(r.exact)} · within one tier ${pct(r.within)} · under-tier ${pct(r.under)}\n`);
  const ci = (v: number) => wilson(v, items.length).map((x) => (100 * x).toFixed(1)).join('–');
  console.log(`95 % intervals (Wilson, ${items.length} queries): exact ${ci(r.exact)} · within one tier ${ci(r.within)} · under-tier ${ci(r.under)}\n`);
  console.log(`| label \\ predicted | ${TIER_NAMES.join(' | ')} |`);
  console.log(`|---|${TIER_NAMES.map(() => '---:').join('|')}|`);
  TIER_NAMES.forEach((t, i) => console.log(`| ${t} | ${m[i]!.join(' | ')} |`));
  if (errors.length) console.log(`\nmisclassified:\n${errors.join('\n')}`);
}

function scoreTokenomics(): void {
  const items = tokenomics();
  if (!items.length) return;
  const map: Record<TierName, 'simple' | 'medium' | 'complex'> = { trivial: 'simple', simple: 'simple', moderate: 'medium', complex: 'complex', deep: 'complex' };
  const classes = ['simple', 'medium', 'complex'] as const;
  const m = classes.map(() => classes.map(() => 0));
  let exact = 0;
  let under = 0;
  for (const it of items) {
    const p = map[classifyMessages(it.messages).tier];
    const e = classes.indexOf(it.expected);
    const pi = classes.indexOf(p);
    m[e]![pi]!++;
    if (e === pi) exact++;
    if (pi < e) under++;
  }
  console.log(`\n### external: tokenomics synthetic_accuracy_50 (${items.length} prompts, 3 classes)\n`);
  console.log(`exact ${((100 * exact) / items.length).toFixed(1)}% · under-class ${((100 * under) / items.length).toFixed(1)}%\n`);
  console.log(`| label \\ predicted | ${classes.join(' | ')} |`);
  console.log(`|---|---:|---:|---:|`);
  classes.forEach((c, i) => console.log(`| ${c} | ${m[i]!.join(' | ')} |`));
}

/** Frequent Chinese characters (the random Chinese instruction row draws from them). */
const COMMON_HANZI = '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研';

/** Fill `bytes` by repeating `unit` (cut at the end). */
const fill = (unit: string, bytes: number) => unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);

/**
 * Generated worst cases for a keyword scanner: each aims at one kind of work (regex alternations,
 * word splitting, per-line code checks, Unicode classes, fence parsing).
 */
const ADVERSARIAL: Array<[string, (bytes: number) => string]> = [
  ['keyword soup', (b) => fill('prove design optimize analyze compare derive implement architecture trade-offs step by step rigorous ', b)],
  ['repeated verbs', (b) => fill('explain explain design design prove prove ', b)],
  ['no spaces', (b) => fill('abcdefghijklmnopqrstuvwxyz0123456789', b)],
  ['no spaces, letters and marks', (b) => fill("a'b-c_d’e", b)],
  ['mixed scripts', (b) => fill('证明 design доказать 設計 بره‍ان प्रमाण optimize 최적화 ', b)],
  // Session 64: Thai, Lao, Khmer and Burmese terms, matched anywhere (indexOf per term whose first letter the text holds).
  ['scripts without spaces', (b) => fill('ออกแบบระบบ พิสูจน์ ພິສູດ ສາເຫດ ស្រាយបញ្ជាក់ រចនា ဒီဇိုင်းဆွဲ ช้า สาเหตุ คืออะไร ', b)],
  ['nested code fences', (b) => fill('```js\n```py\n````\n  ```\n', b)],
  ['one char per line', (b) => fill('{\n;\n', b)],
  ['question marks', (b) => fill('why? how? ', b)],
  // Session 56: markdown emphasis, headings and inline code for withoutEmphasis (bounded to 64 marks a text).
  ['markdown marks', (b) => fill('## *a* **b** _c_ `d`\n', b)],
];

/**
 * Pieces of the seeded mixtures: hard verbs and the words of every rule (failure reports,
 * reviews, lookups, arithmetic, small talk), names and measurements, Chinese, Japanese and
 * Russian terms, clause and sentence marks, fences and code lines, math symbols, astral
 * characters, ſ (which Unicode case folding maps onto s), long runs. The rows above each repeat
 * one pattern; a mixture takes the paths they do not, several in one ask (session 18 found
 * mixtures of these pieces 3-11x slower than the slowest of those rows: benchmarks/README.md).
 */
const MIXTURE_PIECES = [
  'prove', 'design', 'optimize', 'explain', 'compare', 'derive', 'debug', 'why', 'how', 'what is', 'step by step', 'rigorous', 'trade-offs',
  'architecture', 'the', 'a', 'it', 'and', 'thanks', 'hello', 'ok', '5 ms', '40 MB/s', '1%', 'EC2', 'fooBar', 'aB1_c.dE', 'Ceph-кластер', 'p99',
  'OOMKilled', 'since', 'only when', 'every night', 'latency', 'crash', 'slow', 'error', 'diagnose', 'review', 'PR #12', 'diff', '证明', '設計',
  '最適化', 'доказать', 'beweise', 'demuestra', '?', '？', '!', '.', ',', ';', ':', '\n', '\n\n', '```', '```js\n', '    x = 1', '{', '}', '- ',
  '1. ', '2^100', '=', '∑', 'mod ', '∫', "'", '’', '-', '_', '😀', '𝐀', 'ſ', 'µs', 'twice', 'two', 'three', 'coins', 'prime', 'how many',
  'which', 'LGTM?', 'is this change safe', 'please', 'briefly', 'in one word', 'tl;dr', 'translate', 'summarize', 'Ok got it', 'vs', 'without',
  'under load', 'x'.repeat(40), 'ab'.repeat(30), '  ', '\t',
];

/** A seeded mixture of `bytes` characters: a few pieces in turn or pieces at random, mostly a space apart. */
function mixture(seed: number, bytes: number): string {
  const { next } = seededText(seed);
  const piece = () => MIXTURE_PIECES[Math.floor(next() * MIXTURE_PIECES.length)]!;
  const pool = Array.from({ length: 1 + Math.floor(next() * 6) }, piece);
  const cycle = next() < 0.5;
  let s = '';
  for (let i = 0; s.length < bytes; i++) s += (cycle ? pool[i % pool.length]! : piece()) + (next() < 0.8 ? ' ' : '');
  return s.slice(0, bytes);
}

/**
 * A seeded conversation of about `bytes` characters: a system prompt (an eighth of it), six
 * earlier user turns of mixtures, each answered, and a short follow-up ("why?"). A short
 * follow-up is what makes the classifier read earlier turns (it inherits their difficulty), so
 * this, with the system prompt, is the most of one request the classifier can be made to read.
 */
function conversation(seed: number, bytes: number): Msg[] {
  const turn = Math.floor((bytes - Math.floor(bytes / 8)) / 6) - 8;
  const earlier = Array.from({ length: 6 }, (_, k) => [
    { role: 'user', content: mixture(seed * 10 + k, turn) },
    { role: 'assistant', content: 'ok' },
  ]).flat();
  return [{ role: 'system', content: mixture(seed * 10 + 9, Math.floor(bytes / 8)) }, ...earlier, { role: 'user', content: 'why?' }];
}

/** A unit of two mixture pieces, a space after each, repeated to `bytes` characters. */
const pairRepeat = ([a, b]: readonly [string, string], bytes: number) => fill(`${a} ${b} `, bytes);

/**
 * The 16 slowest units of two mixture pieces repeated to 2 KB, found by `--pairs` (every ordered
 * pair of MIXTURE_PIECES, 9,801 inputs) on the build of 2026-12-04 (117b1a1): many short
 * paragraphs, and Chinese or Japanese terms beside a word. Fixed here so that builds are timed on
 * the same inputs; `--pairs` searches again.
 */
const SLOW_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['1. ', '\n\n'], ['without', '\n\n'], ['error', '\n\n'], ['\n\n', '設計'], ['\n\n', '证明'], ['- ', '\n\n'], ['briefly', '\n\n'],
  ['without', '证明'], ['without', '設計'], ['briefly', '证明'], ['briefly', '設計'], ['\n\n', '∫'], ['∫', '\n\n'], ['Ceph-кластер', '設計'],
  ['\n\n', '最適化'], ['\n\n', '𝐀'],
];

/**
 * --pairs [bytes]: every ordered pair of mixture pieces, repeated to `bytes` (2,048), timed alone
 * (a warm pass over all, then the median of 9 calls each); prints the 25 slowest and the spread.
 */
function pairSearch(bytes: number): void {
  const inputs = MIXTURE_PIECES.flatMap((a) => MIXTURE_PIECES.map((b) => [a, b] as const));
  const times: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    times.length = 0;
    for (const pair of inputs) {
      const messages: Msg[] = [{ role: 'user', content: pairRepeat(pair, bytes) }];
      for (let i = 0; i < 3; i++) classifyMessages(messages);
      const t: number[] = [];
      for (let i = 0; i < 9; i++) {
        const t0 = performance.now();
        classifyMessages(messages);
        t.push((performance.now() - t0) * 1000);
      }
      times.push(median(t));
    }
  }
  const order = times.map((t, i) => i).sort((a, b) => times[b]! - times[a]!);
  console.log(`\n### the slowest of ${inputs.length} two-piece units repeated to ${bytes} characters (median of 9 calls each, us)\n`);
  for (const i of order.slice(0, 25)) console.log(`${times[i]!.toFixed(1).padStart(7)}  ${JSON.stringify(inputs[i])}`);
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`\nmedian ${quantile(sorted, 0.5).toFixed(1)}, p90 ${quantile(sorted, 0.9).toFixed(1)}, p99 ${quantile(sorted, 0.99).toFixed(1)}, slowest ${sorted.at(-1)!.toFixed(1)}`);
}

/**
 * --lengths: whether the slow mixtures are slow for their length. 400 seeded mixtures at each of
 * six lengths, every one warmed with the rest (20 passes over all of a length), then timed alone:
 * the median of 41 calls each; prints the spread of those medians per length.
 */
function lengthSearch(): void {
  console.log('\n### 400 seeded mixtures per length, each timed alone (median of 41 calls each, us)\n');
  console.log('| characters | median | p90 | p99 | slowest |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const bytes of [60, 150, 300, 600, 1200, 2048]) {
    const asks: Msg[][] = Array.from({ length: 400 }, (_, i) => [{ role: 'user', content: mixture(7000 + i, bytes) }]);
    for (let pass = 0; pass < 20; pass++) for (const m of asks) classifyMessages(m);
    const medians = asks
      .map((m) => {
        const t: number[] = [];
        for (let i = 0; i < 41; i++) {
          const t0 = performance.now();
          classifyMessages(m);
          t.push((performance.now() - t0) * 1000);
        }
        return median(t);
      })
      .sort((a, b) => a - b);
    console.log(`| ${bytes} | ${quantile(medians, 0.5).toFixed(1)} | ${quantile(medians, 0.9).toFixed(1)} | ${quantile(medians, 0.99).toFixed(1)} | ${medians.at(-1)!.toFixed(1)} |`);
  }
}

/** Each call of `run` over `inputs` in turn, one timed call each, `rounds` x `passes` times: [median, p99] of each round (us), sorted by p99. */
function inTurnRounds<T>(inputs: readonly T[], run: (input: T) => unknown, rounds: number, passes: number): Array<[number, number]> {
  for (let pass = 0; pass < 100; pass++) for (const input of inputs) run(input);
  const out: Array<[number, number]> = [];
  for (let r = 0; r < rounds; r++) {
    let k = 0;
    const t = timedInOrder(() => void run(inputs[k++ % inputs.length]!), passes * inputs.length).sort((a, b) => a - b);
    out.push([quantile(t, 0.5), quantile(t, 0.99)]);
  }
  return out.sort((a, b) => a[1] - b[1]);
}

/**
 * --lengths-in-turn: whether the 2 KB mixtures' tail grows with their length. The speed row's 64
 * seeded mixtures (seeds 2000-2063) cut to each length, classified in turn as the row does (one
 * timed call each, 60 passes a round, 5 rounds): the median round's median and p99, beside the
 * fixed ~50 us loop's p99 in the same process (what the machine's noise alone gives a tail).
 */
function lengthsInTurn(): void {
  console.log('\n### the 64 seeded mixtures of the 2 KB row, cut to each length, classified in turn (us; median round of 5)\n');
  console.log('| characters | median | p99 | p99 range of the rounds |');
  console.log('|---:|---:|---:|---:|');
  for (const bytes of [150, 300, 600, 1200, 2048]) {
    const asks: Msg[][] = Array.from({ length: 64 }, (_, i) => [{ role: 'user', content: mixture(2000 + i, bytes) }]);
    const rounds = inTurnRounds(asks, (m) => classifyMessages(m), 5, 60);
    const [med, p99] = rounds[2]!;
    console.log(`| ${bytes} | ${med.toFixed(1)} | ${p99.toFixed(1)} | ${rounds[0]![1].toFixed(0)}-${rounds[4]![1].toFixed(0)} |`);
  }
  const n = iterationsFor(50);
  const loop = inTurnRounds([0], () => (workSink ^= fixedWork(n)), 5, 3840);
  console.log(`| a fixed ~50 us loop, no classifier | ${loop[2]![0].toFixed(1)} | ${loop[2]![1].toFixed(1)} | ${loop[0]![1].toFixed(0)}-${loop[4]![1].toFixed(0)} |`);
}

/**
 * --parts: what the parts of a classification cost on the 2 KB row's 64 mixtures, each part timed
 * by itself over the 64 in turn (one timed call each, 100 passes), on the inputs scoreTurn gives
 * it (its ask, lower-cased, the lexical form, the lexicon scan, the clauses; splitAsk with its
 * default paragraph test, as the classifier's own is not exported); the nested scoring of a
 * stuffed ask's rest and the rules' own tests are not parts of their own here.
 */
function parts(): void {
  const prepared = Array.from({ length: 64 }, (_, i) => {
    const raw = mixture(2000 + i, 2048);
    const text = ends(raw, 16 * 1024, 8 * 1024);
    const askRaw = splitAsk(text).ask || text.slice(0, 200);
    const ask = ends(askRaw, 1200, 900).toLowerCase();
    const lex = astralToBmp(ask);
    return { raw: [{ role: 'user', content: raw }] as Msg[], text, askRaw, ask, lex, scan: readLexicons(lex), ranges: clauseRanges(lex), shapeOf: ends(ask, 600, 450) };
  });
  type Prepared = (typeof prepared)[number];
  const timed: Array<[string, (p: Prepared) => unknown]> = [
    ['splitAsk (the whole turn)', (p) => splitAsk(p.text)],
    ['lower-casing the ask', (p) => ends(p.askRaw, 1200, 900).toLowerCase()],
    ['astralToBmp', (p) => astralToBmp(p.ask)],
    ['textShape (600 characters)', (p) => textShape(p.shapeOf, true)],
    ['the lexicon scan (readLexicons)', (p) => readLexicons(p.lex)],
    ['technicalMarks (where a rule asks)', (p) => technicalMarks(p.askRaw)],
    ['countQuantities', (p) => countQuantities(p.ask)],
    ['clauseRanges', (p) => clauseRanges(p.lex)],
    ['stuffingClauses', (p) => stuffingClauses(p.lex, p.scan, p.ranges)],
    ['the whole classification', (p) => classifyMessages(p.raw)],
  ];
  console.log('\n### parts of a classification, each timed alone on the 64 2 KB mixtures in turn (us a call; median round of 3)\n');
  console.log('| part | median | p99 |');
  console.log('|---|---:|---:|');
  for (const [name, run] of timed) {
    const rounds = inTurnRounds(prepared, run, 3, 100);
    console.log(`| ${name} | ${rounds[1]![0].toFixed(2)} | ${rounds[1]![1].toFixed(2)} |`);
  }
}

/** Lexicons with a hit in a text's lexicon window (the two ends a turn's ask is read at: 1,200 characters, 900 of them from its head). */
function lexiconsHit(text: string): number {
  return readLexicons(lexicalForm(ends(text, 1200, 900))).hits.filter((h) => h !== undefined).length;
}

/**
 * --lexicons: whether a guard on how many different lexicons a turn hits could give the slowest
 * mixtures a cheaper path. The benchmark's 64 2 KB mixtures, each timed alone (median of 41 calls
 * after 300 passes over all), beside the lexicons each hits; and the same count over the tune
 * split's and the probe sets' current turns (never the held-out split).
 */
function lexiconSearch(): void {
  const texts = Array.from({ length: 64 }, (_, i) => mixture(2000 + i, 2048));
  const asks: Msg[][] = texts.map((t) => [{ role: 'user', content: t }]);
  for (let pass = 0; pass < 300; pass++) for (const m of asks) classifyMessages(m);
  const timed = asks.map((m, i) => {
    const t: number[] = [];
    for (let k = 0; k < 41; k++) {
      const t0 = performance.now();
      classifyMessages(m);
      t.push((performance.now() - t0) * 1000);
    }
    return { i, us: median(t), lexicons: lexiconsHit(texts[i]!) };
  });
  timed.sort((a, b) => b.us - a.us);
  console.log('\n### the 64 2 KB mixtures, slowest first: median us (41 calls, each alone) and lexicons hit\n');
  console.log(timed.map((r) => `${r.i}: ${r.us.toFixed(0)} us, ${r.lexicons}`).join('\n'));
  const probeTurns = readFileSync(join(root, 'benchmarks/datasets/probes.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => askOf((JSON.parse(l) as { messages: Msg[] }).messages));
  const real = [...own('tune').map((it) => askOf(it.messages)), ...probeTurns].map(lexiconsHit);
  const counts = new Map<number, number>();
  for (const n of real) counts.set(n, (counts.get(n) ?? 0) + 1);
  console.log(`\n### lexicons hit by the tune split's and the probe sets' last user turns (${real.length})\n`);
  console.log([...counts].sort((a, b) => a[0] - b[0]).map(([n, c]) => `${n}: ${c}`).join(', '));
}

/** Short clauses of a hard verb and one other word each, all different ("prove x1. derive x2. ..."). */
function hardClauses(bytes: number): string {
  const verbs = ['prove', 'derive', 'design', 'optimize', 'implement'];
  let s = '';
  for (let i = 0; s.length < bytes; i++) s += `${verbs[i % verbs.length]} x${i}. `;
  return s.slice(0, bytes);
}

/** A row's input: one ask, several asks timed in turn, or whole conversations. */
type RowInput = string | string[] | Msg[][];

/** The speed rows: label, the input or inputs (made when its turn comes; several are timed in turn), calls to time. */
function speedRows(): Array<readonly [string, () => RowInput, number]> {
  return allSpeedRows().filter(([label]) => rowFilter === undefined || label.includes(rowFilter));
}

function allSpeedRows(): Array<readonly [string, () => RowInput, number]> {
  const base =
    'We need to decide how to roll out the new billing system. The finance team wants a phased launch by region, engineering prefers a feature flag per customer, and support asks for two weeks of notice. ';
  const make = (bytes: number) => {
    let s = '';
    while (s.length < bytes) s += base;
    return `${s.slice(0, bytes - 60)}\n\nCompare these rollout options and recommend one.`;
  };
  // The worst case for keyword scanning: a long message that is all instruction, no paste.
  const dense = (bytes: number) => {
    const parts = ['Design a multi-tenant billing service that must handle retries, idempotency and partial refunds,', 'explain the trade-offs of each storage option,', 'compare event sourcing with CRUD for the ledger,', 'and include a migration plan with rollback and a timeline.'];
    let s = '';
    for (let i = 0; s.length < bytes; i++) s += parts[i % parts.length] + ' ';
    return s.slice(0, bytes);
  };
  // Each row's input is made when its turn comes, so that the heap holds one row's input at a
  // time (all of them up front kept ~10 MB of 1 MB strings alive through every 2 KB row).
  return [
    ['200 B', () => make(200), 20000],
    ['2 KB', () => make(2048), 20000],
    ['1.4 KB, all instruction', () => dense(1400), 20000],
    // An instruction in Chinese (one paragraph, so all of it is the ask): every Chinese term of
    // the lexicons could be anywhere in it. 466 characters (1.4 KB of UTF-8), seeded.
    ['1.4 KB, Chinese instruction', () => seededText(16).pick(COMMON_HANZI, 466) + '？', 20000],
    ['20 KB', () => make(20480), 3000],
    ['1 MB', () => make(1 << 20), 60],
    // What the classifier meets in use: the labelled requests of the tune split (never the
    // held-out), whole, in turn (a p99 here is its slowest ordinary asks, not one input repeated).
    ['labelled: the tune split\'s requests in turn', () => own('tune').map((it) => it.messages), 20000],
    // The longest ask the named-system check reads (400 characters), all names and measurements.
    ['adversarial 400 B: names and measurements', () => fill('aB1_c.dE 5 ms EC2 fooBar 1% Ceph-кластер 40 MB/s ', 400), 20000],
    ...ADVERSARIAL.flatMap(([name, gen]) => [[`adversarial 2 KB: ${name}`, () => gen(2048), 20000], [`adversarial 1 MB: ${name}`, () => gen(1 << 20), 60]] as const),
    // Up to ~1.4 KB a message with no paragraph break is all ask: the most the ask's analysis reads.
    ['adversarial 1.4 KB: short hard clauses', () => hardClauses(1400), 20000],
    ['adversarial 1.4 KB: 64 seeded mixtures in turn', () => Array.from({ length: 64 }, (_, i) => mixture(1000 + i, 1400)), 20000],
    ['adversarial 2 KB: the 16 slowest two-piece repeats in turn', () => SLOW_PAIRS.map((pair) => pairRepeat(pair, 2048)), 20000],
    ['adversarial 2 KB: 64 seeded mixtures in turn', () => Array.from({ length: 64 }, (_, i) => mixture(2000 + i, 2048)), 20000],
    ['adversarial 1 MB: seeded mixture', () => mixture(3000, 1 << 20), 60],
    // Six earlier turns and a system prompt, all read for a short follow-up (session 20).
    ['adversarial 2 KB: 64 seeded conversations in turn', () => Array.from({ length: 64 }, (_, i) => conversation(4000 + i, 2048)), 20000],
    ['adversarial 1 MB: seeded conversation', () => [conversation(5000, 1 << 20)], 60],
    // 29,000 two-letter messages (no system prompt) before a follow-up: what the message loops look through.
    ['adversarial 1 MB: 29,000 short messages, then "why?"', () => [[...Array.from({ length: 29_000 }, (_, i) => ({ role: i % 2 ? 'tool' : 'assistant', content: 'ok' })), { role: 'user', content: 'why?' }]], 60],
    // One turn as 40,000 short content parts ({"type":"text","text":...}), seeded mixtures.
    ['adversarial 1 MB: a turn of 40,000 content parts', () => [[{ role: 'user', content: Array.from({ length: 40_000 }, (_, i) => ({ type: 'text', text: mixture(6000 + (i % 64), 2 + (i % 7)) })) }]], 60],
    // Long runs where a rule's regex reads one: letters after a German how-to, digits after
    // "cheapest days", an upper-case run among log lines, letters before a closing question, a
    // long line in a one-word diff. Two such regexes of session 23 took 0.5 and 10 ms on these
    // (each start tried every split of the run) before they were made linear.
    ['adversarial: long runs inside the rules\' patterns, 5 in turn', () => [
      'wie kann ich ' + 'a'.repeat(185) + ' 1',
      'cheapest days ' + '1'.repeat(1100) + ' x',
      "What's going on?\n\nError\nERROR x\n" + 'A'.repeat(1900) + '\n',
      'redis latency spike p99. ' + 'a'.repeat(370) + ' b',
      'LGTM?\n```diff\n-' + 'a'.repeat(1000) + '\n+' + 'a'.repeat(999) + 'b\n```',
    ], 20000],
    // Runs that three older regexes read from each of their starts to their end (found with
    // recheck, session 24): digits in the arithmetic-step check of a one-sentence ask, spaces
    // between two optional parts of the notation regex, "0," in the quantity regex. ~1.5, ~2.4
    // and ~4.4 ms a classification before.
    ['adversarial: runs older regexes read from each start, 3 in turn', () => [
      'prove ' + '0'.repeat(590),
      's*' + ' '.repeat(1190) + '*=',
      '0,'.repeat(600),
    ], 20000],
  ];
}

/** The classifier of a built checkout (a path relative to the working directory will do). */
async function importClassifier(checkout: string): Promise<typeof classifyMessages> {
  const url = pathToFileURL(join(resolve(checkout), 'dist/src/classify/classifier.js')).href;
  return ((await import(url)) as { classifyMessages: typeof classifyMessages }).classifyMessages;
}

/** A row's input or inputs as the messages of a request, one each. */
function rowInputs(content: () => RowInput): Msg[][] {
  const input = content();
  if (typeof input === 'string') return [[{ role: 'user', content: input }]];
  return input.map((one) => (typeof one === 'string' ? [{ role: 'user', content: one }] : one));
}

/** The middle value of xs (the upper of the two middle ones for an even count). */
function median(xs: readonly number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

/** The value at fraction p of an ascending list (index floor(length * p)). */
function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.floor(sorted.length * p)]!;
}

/** Times `calls` classifications after `warm` untimed ones, the inputs in turn; the times in us, sorted. */
function timeCalls(classify: typeof classifyMessages, inputs: ReturnType<typeof rowInputs>, warm: number, calls: number): number[] {
  for (let i = 0; i < warm; i++) classify(inputs[i % inputs.length]!);
  const t: number[] = [];
  for (let i = 0; i < calls; i++) {
    const messages = inputs[i % inputs.length]!;
    const t0 = performance.now();
    classify(messages);
    t.push((performance.now() - t0) * 1000);
  }
  return t.sort((a, b) => a - b);
}

/**
 * --against <other checkout>: this build and another built checkout's classifier in one process,
 * interleaved (10 rounds of 3,000 calls each, both builds every round), on the rows under 20 KB
 * (with --rows, the rows it names, larger ones at 300 calls a round), so that a noisy machine
 * moves both alike. Prints best / median round of p50 and p99.
 */
async function speedAgainst(otherRoot: string): Promise<void> {
  const other = await importClassifier(otherRoot);
  const builds: Array<[string, typeof classifyMessages]> = [
    ['this', classifyMessages],
    ['other', other],
  ];
  console.log(`\n### speed, this build against ${otherRoot} (best / median of 10 rounds, us)\n`);
  console.log('| input | other p50 | this p50 | other p99 | this p99 |');
  console.log('|---|---:|---:|---:|---:|');
  // The 20 KB and 1 MB rows only when asked for by --rows (their calls are many times slower): 300 calls a round.
  for (const [label, content] of speedRows().filter(([l]) => rowFilter !== undefined || !/20 KB|1 MB/.test(l))) {
    const inputs = rowInputs(content);
    const calls = /20 KB|1 MB/.test(label) ? 300 : 3000;
    const rounds = new Map<string, Array<[number, number]>>(builds.map(([name]) => [name, []]));
    for (let round = 0; round < 10; round++) {
      for (const [name, classify] of round % 2 ? [...builds].reverse() : builds) {
        const t = timeCalls(classify, inputs, calls / 6, calls);
        rounds.get(name)!.push([quantile(t, 0.5), quantile(t, 0.99)]);
      }
    }
    const cell = (name: string, k: 0 | 1) => {
      const v = rounds.get(name)!.map((r) => r[k]).sort((a, b) => a - b);
      return `${v[0]!.toFixed(1)} / ${v[5]!.toFixed(1)}`;
    };
    console.log(`| ${label} | ${cell('other', 0)} | ${cell('this', 0)} | ${cell('other', 1)} | ${cell('this', 1)} |`);
  }
}

/** Where fixedWork's results go, so that the loop is not optimised away. */
let workSink = 0;

/** The same integer work every call: no input, no allocation, no branch that depends on data. */
function fixedWork(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 31) + i) | 0;
  return x;
}

/** `calls` timed calls of run, in us, in the order they ran. */
function timedInOrder(run: () => void, calls: number): number[] {
  const t: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    run();
    t.push((performance.now() - t0) * 1000);
  }
  return t;
}

/** `calls` timed calls of fixedWork(iterations), in us, sorted. */
function timeFixedWork(iterations: number, calls: number): number[] {
  return timedInOrder(() => void (workSink ^= fixedWork(iterations)), calls).sort((a, b) => a - b);
}

/** Iterations of fixedWork that take about `us` microseconds here now (three trials of 200 calls). */
function iterationsFor(us: number): number {
  let n = 10_000;
  for (let trial = 0; trial < 3; trial++) n = Math.max(1, Math.round((n * us) / quantile(timeFixedWork(n, 200), 0.5)));
  return n;
}

/**
 * Rows of fixed work with medians of about 25 and 50 us, timed as the classifier rows are (5
 * rounds, the median round): what this machine alone adds to a p99 in the same run (interrupts,
 * the hypervisor, other tenants), since work that never changes has no slow input. A 43 us loop
 * had a p99 of 62-67 us on the project's VM (session 34): a p99 of 50 us there takes a median
 * well under it.
 */
function fixedWorkRows(): void {
  for (const us of [25, 50]) {
    const n = iterationsFor(us);
    const rounds: Array<{ p50: number; p99: number }> = [];
    for (let round = 0; round < 5; round++) {
      const t = timeFixedWork(n, 4000);
      rounds.push({ p50: quantile(t, 0.5), p99: quantile(t, 0.99) });
    }
    const p99s = rounds.map((r) => r.p99).sort((a, b) => a - b);
    console.log(
      `| fixed work, no classifier: a loop of ~${us} us | ${median(rounds.map((r) => r.p50)).toFixed(1)} | ${median(p99s).toFixed(1)} | – | – | – | – | 20000 (5 rounds; p99 range ${p99s[0]!.toFixed(0)}–${p99s[4]!.toFixed(0)}) |`,
    );
  }
}

/**
 * The speed table. Beside each classifier figure, its floor on the same input, measured call by
 * call in the same loop: parseChatBody, which every request pays before it is classified (UTF-8
 * decode, depth check, JSON.parse of the body that carries the input). A shared VM's speed
 * changes several-fold from day to day (sessions 9-14 of benchmarks/README.md); the ratio to the
 * floor is what carries from one run to the next.
 */
async function speed(): Promise<void> {
  // Garbage-collection pauses, to say which slow calls a pause fell in (the 1 MB rows' floor
  // parses megabytes a call, and V8 may finish its marking inside the classifier's next call).
  const pauses: Array<{ start: number; end: number; kind: number }> = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ start: e.startTime, end: e.startTime + e.duration, kind: ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0) });
  });
  observer.observe({ entryTypes: ['gc'] });
  const withPauses: string[] = [];
  console.log('\n### speed (one classification, whole request; floor: parsing the request body that carries it)\n');
  console.log('| prompt size | median us | p99 us | floor median us | floor p99 us | median / floor | p99 / floor | runs |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  fixedWorkRows();
  for (const [label, content, runs] of speedRows()) {
    // Several inputs (the mixtures) are timed in turn, one call each.
    const inputs = rowInputs(content);
    const bodies = inputs.map((messages) => Buffer.from(JSON.stringify({ model: 'm', messages })));
    const floor = (i: number) => {
      const parsed = parseChatBody(bodies[i % bodies.length]!, 64);
      if (!parsed.ok) throw new Error(`floor: ${parsed.message}`);
    };
    // Shared, noisy machines: warm up well, measure in 5 rounds, report the median round.
    for (let i = 0; i < Math.min(2000, runs); i++) {
      classifyMessages(inputs[i % inputs.length]!);
      floor(i);
    }
    const rounds: Array<{ p50: number; p99: number; f50: number; f99: number }> = [];
    // Each timed call's start and end, round after round (perRound calls each).
    const windows: Array<[number, number]> = [];
    const perRound = Math.ceil(runs / 5);
    for (let round = 0; round < 5; round++) {
      const t: number[] = [];
      const f: number[] = [];
      for (let i = 0; i < perRound; i++) {
        const messages = inputs[i % inputs.length]!;
        const t0 = performance.now();
        classifyMessages(messages);
        const t1 = performance.now();
        floor(i);
        f.push((performance.now() - t1) * 1000);
        t.push((t1 - t0) * 1000);
        windows.push([t0, t1]);
      }
      t.sort((a, b) => a - b);
      f.sort((a, b) => a - b);
      rounds.push({ p50: quantile(t, 0.5), p99: quantile(t, 0.99), f50: quantile(f, 0.5), f99: quantile(f, 0.99) });
    }
    // The observer's entries arrive a while later (after an immediate, not yet: 20 ms is ample).
    await new Promise((r) => setTimeout(r, 20));
    const calls = windows.map(([a, b]) => ({ us: (b - a) * 1000, pauses: pauses.filter((g) => g.start < b && g.end > a) }));
    const paused = calls.filter((c) => c.pauses.length > 0);
    if (paused.length > 0) {
      // Per round, the p99 of the calls no pause fell in: what the classifier itself took.
      const clear99s: number[] = [];
      for (let round = 0; round < 5; round++) {
        const clear = calls.slice(round * perRound, (round + 1) * perRound).filter((c) => c.pauses.length === 0).map((c) => c.us).sort((a, b) => a - b);
        if (clear.length > 0) clear99s.push(quantile(clear, 0.99));
      }
      const kb = allocatedPerCall(inputs);
      withPauses.push(
        `| ${label} | ${paused.length} of ${calls.length} | ${[...new Set(paused.flatMap((c) => c.pauses.map((g) => GC_KINDS[g.kind] ?? `kind ${g.kind}`)))].join(', ')} | ${Math.max(...paused.map((p) => p.us)).toFixed(0)} | ${median(rounds.map((r) => r.p99)).toFixed(1)} / ${Math.max(...rounds.map((r) => r.p99)).toFixed(1)} | ${median(clear99s).toFixed(1)} / ${Math.max(...clear99s).toFixed(1)} | ${kb === null ? '–' : kb.toFixed(0)} | ${(bodies.reduce((n, b) => n + b.length, 0) / bodies.length / 1024).toFixed(0)} |`,
      );
    }
    pauses.length = 0;
    const [p50, p99, f50, f99] = (['p50', 'p99', 'f50', 'f99'] as const).map((k) => median(rounds.map((r) => r[k])));
    // Ratios per round (both figures from the same calls), then the median round.
    const r50 = median(rounds.map((r) => r.p50 / r.f50));
    const r99 = median(rounds.map((r) => r.p99 / r.f99));
    const p99s = rounds.map((r) => r.p99).sort((a, b) => a - b);
    console.log(
      `| ${label} | ${p50!.toFixed(1)} | ${p99!.toFixed(1)} | ${f50!.toFixed(1)} | ${f99!.toFixed(1)} | ${r50.toPrecision(2)} | ${r99.toPrecision(2)} | ${runs} (5 rounds; p99 range ${p99s[0]!.toFixed(0)}–${p99s[4]!.toFixed(0)}) |`,
    );
  }
  observer.disconnect();
  if (withPauses.length > 0) {
    console.log('\n### speed rows whose timed calls a garbage-collection pause fell in\n');
    console.log('| input | calls a pause fell in | pauses | slowest such call us | p99 us, median / slowest round | p99 of the other calls us, median / slowest round | KB the classifier allocates a call | KB of body the floor parses a call |');
    console.log('|---|---:|---|---:|---:|---:|---:|---:|');
    for (const row of withPauses) console.log(row);
  }
}

/**
 * KB of heap one classification allocates, on the row's inputs in turn: the growth of the used
 * heap over 20 calls during which no collection ran (v8.GCProfiler says so), in at most 5 tries;
 * null if a collection ran in each.
 */
function allocatedPerCall(inputs: Msg[][]): number | null {
  for (let attempt = 0; attempt < 5; attempt++) {
    const profiler = new GCProfiler();
    profiler.start();
    const before = getHeapStatistics().used_heap_size;
    for (let i = 0; i < 20; i++) classifyMessages(inputs[i % inputs.length]!);
    const after = getHeapStatistics().used_heap_size;
    if ((profiler.stop()?.statistics.length ?? 1) === 0) return (after - before) / 20 / 1024;
  }
  return null;
}

/** PerformanceEntry's detail.kind for 'gc' entries (node:perf_hooks constants). */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

// --- calibration and the asymmetric decision ------------------------------------------------

/** Maximum-likelihood ordinal logistic fit of the labelled tier on the score (plain gradient ascent). */
function fitCalibration(items: Item[]): Calibration {
  const data = items.map((it) => ({ s: classifyMessages(it.messages).score, y: TIER_NAMES.indexOf(it.expected) }));
  // Parameters: first cut, log gaps between cuts, log scale (keeps the cuts ordered, the scale positive).
  let p = [1, Math.log(1.5), Math.log(1.7), Math.log(1.9), Math.log(0.5)];
  const unpack = (q: number[]): Calibration => {
    const cuts = [q[0]!];
    for (let i = 1; i < 4; i++) cuts.push(cuts[i - 1]! + Math.exp(q[i]!));
    return { cuts, scale: Math.exp(q[4]!) };
  };
  const logLik = (q: number[]) => data.reduce((sum, d) => sum + Math.log(Math.max(1e-12, tierProbabilities(d.s, unpack(q))[d.y]!)), 0);
  let step = 0.05;
  let best = logLik(p);
  for (let iter = 0; iter < 4000 && step > 1e-7; iter++) {
    const h = 1e-5;
    const grad = p.map((_, i) => {
      const q = [...p];
      q[i]! += h;
      return (logLik(q) - best) / h;
    });
    const norm = Math.hypot(...grad) || 1;
    const next = p.map((v, i) => v + (step * grad[i]!) / norm);
    const ll = logLik(next);
    if (ll > best) {
      p = next;
      best = ll;
      step *= 1.2;
    } else step *= 0.5;
  }
  const c = unpack(p);
  console.log(`tune split: ${data.length} queries, log-likelihood ${best.toFixed(2)}`);
  return { cuts: c.cuts.map((x) => Math.round(x * 1000) / 1000), scale: Math.round(c.scale * 10000) / 10000 };
}

interface Rates {
  exact: number;
  within: number;
  under: number;
  /** Expected cost, summed: each tier under the label costs `ratio`, each tier over it 1. */
  cost: number;
}

function rates(items: readonly Item[], tierOf: (it: Item, i: number) => number, ratio = DEFAULT_UNDER_TIER_COST): Rates {
  let exact = 0;
  let within = 0;
  let under = 0;
  let cost = 0;
  items.forEach((it, i) => {
    const e = TIER_NAMES.indexOf(it.expected);
    const p = tierOf(it, i);
    if (p === e) exact++;
    if (Math.abs(p - e) <= 1) within++;
    if (p < e) under++;
    cost += p < e ? ratio * (e - p) : p - e;
  });
  const n = items.length;
  return { exact: exact / n, within: within / n, under: under / n, cost };
}

/** The default decision on parts of a split: each round of labels, English and not. */
function byGroup(items: Item[], name: string): void {
  const groups: Array<[string, Item[]]> = [
    ['first round (labelled once)', items.filter((it) => it.round === 1)],
    ['second round (labelled twice)', items.filter((it) => it.round === 2)],
    ['third round (labelled twice)', items.filter((it) => it.round === 3)],
    ['fourth round (labelled twice)', items.filter((it) => it.round === 4)],
    ['fifth round (labelled twice)', items.filter((it) => it.round === 5)],
    ['first three rounds', items.filter((it) => it.round! <= 3)],
    ['first four rounds', items.filter((it) => it.round! <= 4)],
    ['English', items.filter((it) => it.lang === 'en')],
    ['not English', items.filter((it) => it.lang !== 'en')],
    // Figures by style, domain and label (no query is printed): where the misses are.
    ...[...new Set(items.map((it) => it.style).filter((x) => x !== undefined))].sort().map((v): [string, Item[]] => [`style: ${v}`, items.filter((it) => it.style === v)]),
    ...[...new Set(items.map((it) => it.domain).filter((x) => x !== undefined))].sort().map((v): [string, Item[]] => [`domain: ${v}`, items.filter((it) => it.domain === v)]),
    ...TIER_NAMES.map((t): [string, Item[]] => [`labelled ${t}`, items.filter((it) => it.expected === t)]),
  ];
  console.log(`\n### ${name} by part (default decision)\n`);
  console.log('| part | queries | exact | within one tier | under-tier |');
  console.log('|---|---:|---:|---:|---:|');
  const pc = (x: number) => `${(100 * x).toFixed(1)} %`;
  for (const [label, part] of groups) {
    if (part.length === 0) continue;
    const r = rates(part, (it) => TIER_NAMES.indexOf(classifyMessages(it.messages).tier));
    console.log(`| ${label} | ${part.length} | ${pc(r.exact)} | ${pc(r.within)} | ${pc(r.under)} |`);
  }
}

const COST_RATIOS = [1, 1.5, 2, 3, 5];

function decisionTable(items: Item[], name: string): void {
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const scores = new Map(items.map((it) => [it, classifyMessages(it.messages).score]));
  console.log(`
### ${name}: the tier decision with asymmetric costs (${items.length} queries)
`);
  console.log('| decision | exact | within one tier | under-tier |');
  console.log('|---|---:|---:|---:|');
  const before = rates(items, (it) => TIER_NAMES.indexOf(thresholdTier(scores.get(it)!)));
  console.log(`| hand-set score bands (before) | ${pct(before.exact)} | ${pct(before.within)} | ${pct(before.under)} |`);
  for (const r of COST_RATIOS) {
    // What the server does with classifier.underTierCost = r (the fallback's lift depends on it).
    const x = rates(items, (it) => TIER_NAMES.indexOf(classifyMessages(it.messages, r).tier));
    console.log(`| calibrated, under-tier cost ${r}x${r === DEFAULT_UNDER_TIER_COST ? ' (default)' : ''} | ${pct(x.exact)} | ${pct(x.within)} | ${pct(x.under)} |`);
  }
}

/** Predicted probability of the chosen tier against how often it was right, and the expected calibration error. */
function reliability(items: Item[], name: string): void {
  const bins = [0, 0.2, 0.4, 0.6, 0.8, 1.0001];
  const rows = bins.slice(0, -1).map(() => ({ n: 0, p: 0, right: 0 }));
  for (const it of items) {
    const c = classifyMessages(it.messages);
    const b = bins.findIndex((x, i) => c.confidence >= x && c.confidence < bins[i + 1]!);
    rows[b]!.n++;
    rows[b]!.p += c.confidence;
    if (c.tier === it.expected) rows[b]!.right++;
  }
  const n = items.length;
  const ece = rows.reduce((s, r) => s + (r.n ? (r.n / n) * Math.abs(r.p / r.n - r.right / r.n) : 0), 0);
  console.log(`
### ${name}: reliability of the confidence (default decision, ${n} queries)
`);
  console.log('| confidence | queries | mean confidence | observed exact |');
  console.log('|---|---:|---:|---:|');
  rows.forEach((r, i) => console.log(`| ${bins[i]!.toFixed(1)}–${Math.min(1, bins[i + 1]!).toFixed(1)} | ${r.n} | ${r.n ? (r.p / r.n).toFixed(2) : '–'} | ${r.n ? (r.right / r.n).toFixed(2) : '–'} |`));
  console.log(`
expected calibration error: ${ece.toFixed(3)}`);
}

/**
 * --speed-child <root> <row>: one fresh process times one speed row with the classifier built
 * in root (2,000 warm-up calls, then 4,000 timed, the row's inputs in turn) and prints JSON.
 */
async function speedChild(buildRoot: string, label: string): Promise<void> {
  const classify = await importClassifier(buildRoot);
  const row = speedRows().find(([l]) => l === label);
  if (!row) throw new Error(`no speed row ${label}`);
  const t = timeCalls(classify, rowInputs(row[1]), 2000, 4000);
  console.log(JSON.stringify({ p50: quantile(t, 0.5), mean: t.reduce((a, b) => a + b, 0) / t.length, p99: quantile(t, 0.99) }));
}

/**
 * --against-processes <other checkout> [pairs]: this build and another in fresh processes, one
 * build and one row each, alternating (`pairs` of each, 6 by default), for the rows up to 2 KB
 * whose input is built from many pieces (the mixtures, the clauses, the all-instruction message).
 * In --against both builds share one process, heap and machine state; here neither sees the other.
 * Prints the median process's p50, mean and p99.
 */
function speedAgainstProcesses(otherRoot: string, pairs: number): void {
  const self = fileURLToPath(import.meta.url);
  const builds: Array<[string, string]> = [
    ['this', root],
    ['other', otherRoot],
  ];
  const labels = speedRows()
    .map(([l]) => l)
    .filter((l) => /mixtures|clauses|all instruction|200 B/.test(l));
  console.log(`\n### speed, this build against ${otherRoot} in fresh processes (median of ${pairs} processes each, us)\n`);
  console.log('| input | other p50 | this p50 | other mean | this mean | other p99 | this p99 |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const label of labels) {
    const runs = new Map<string, Array<Record<string, number>>>(builds.map(([name]) => [name, []]));
    for (let i = 0; i < pairs; i++) {
      for (const [name, buildRoot] of i % 2 ? [...builds].reverse() : builds) {
        const child = spawnSync(process.execPath, [self, '--speed-child', buildRoot, label], { encoding: 'utf8' });
        if (child.status !== 0) throw new Error(`--speed-child ${buildRoot} failed: ${child.stderr}`);
        runs.get(name)!.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, number>);
      }
    }
    const cell = (name: string, key: string) => median(runs.get(name)!.map((r) => r[key]!)).toFixed(1);
    console.log(`| ${label} | ${cell('other', 'p50')} | ${cell('this', 'p50')} | ${cell('other', 'mean')} | ${cell('this', 'mean')} | ${cell('other', 'p99')} | ${cell('this', 'p99')} |`);
  }
}

if (args.includes('--speed-child')) {
  const at = args.indexOf('--speed-child');
  await speedChild(args[at + 1]!, args[at + 2]!);
  process.exit(0);
}
if (args.includes('--against-processes')) {
  const at = args.indexOf('--against-processes');
  const n = Number(args[at + 2]);
  speedAgainstProcesses(args[at + 1]!, Number.isInteger(n) && n > 0 ? n : 6);
  process.exit(0);
}
if (args.includes('--against')) {
  await speedAgainst(args[args.indexOf('--against') + 1]!);
  process.exit(0);
}

/**
 * --same-as <other checkout>: whether this build classifies exactly as another built checkout
 * (tier, score, confidence and signals) at under-tier costs 1, 3 and 5, on the tune split, the
 * probe asks, every speed row's inputs but the 1 MB ones, and 3,000 seeded mixtures and 300
 * seeded conversations of 60 characters to 4 KB: the check a rewrite for speed has to pass.
 * Never reads the held-out split. Exits 1 when any differs, after listing the first ten.
 */
async function sameAs(otherRoot: string): Promise<number> {
  const other = await importClassifier(otherRoot);
  const probeAsks = readFileSync(join(root, 'benchmarks/datasets/probes.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { messages: Msg[] }).messages);
  const lengths = [60, 150, 300, 600, 1200, 2048, 4096];
  const inputs: Array<[string, Msg[]]> = [
    ...own('tune').map((it): [string, Msg[]] => [it.id, it.messages]),
    ...probeAsks.map((m, i): [string, Msg[]] => [`probe ${i}`, m]),
    ...speedRows()
      .filter(([label]) => !label.includes('1 MB'))
      .flatMap(([label, content]) => rowInputs(content).map((m, i): [string, Msg[]] => [`${label} #${i}`, m])),
    ...Array.from({ length: 3000 }, (_, i): [string, Msg[]] => [`mixture ${9000 + i}`, [{ role: 'user', content: mixture(9000 + i, lengths[i % lengths.length]!) }]]),
    ...Array.from({ length: 300 }, (_, i): [string, Msg[]] => [`conversation ${9000 + i}`, conversation(9000 + i, lengths[i % lengths.length]!)]),
  ];
  const differences: string[] = [];
  // Differences by kind of input (a tune row, a probe set, a speed row, the seeded mixtures or
  // conversations), so that a change meant for some inputs shows where else it reached.
  const byKind = new Map<string, number>();
  const probeSets = readFileSync(join(root, 'benchmarks/datasets/probes.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { set: number }).set);
  const kindOf = (name: string): string => (name.startsWith('probe ') ? `probe set ${probeSets[Number(name.slice(6))]}` : name.replace(/ #\d+$| \d+$/, '').replace(/^tc-.*/, 'tune split'));
  for (const [name, messages] of inputs) {
    for (const cost of [1, 3, 5]) {
      const a = JSON.stringify(classifyMessages(messages, cost));
      const b = JSON.stringify(other(messages, cost));
      if (a !== b) {
        differences.push(`${name} (cost ${cost}):\n  this:  ${a}\n  other: ${b}`);
        byKind.set(kindOf(name), (byKind.get(kindOf(name)) ?? 0) + 1);
      }
    }
  }
  console.log(`\n### this build against ${otherRoot}: ${inputs.length} inputs at 3 costs, ${differences.length} classifications differ\n`);
  if (byKind.size > 0) console.log(`by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
  for (const d of differences.slice(0, 10)) console.log(d);
  return differences.length === 0 ? 0 : 1;
}

if (args.includes('--same-as')) {
  process.exit(await sameAs(args[args.indexOf('--same-as') + 1]!));
}

/**
 * --word-model-check: what the fallback adds on phrasing its model has not seen, from the tune
 * split only. A model trained on rounds 1-3 reads the fourth round's tune queries, one trained on
 * rounds 1-4 the fifth's; and 5-fold
 * cross-validation on rounds 1-3 (each fold read by a model trained on the other four). The
 * rules are the same in both columns; only the fallback's model changes.
 */
function wordModelCheck(): void {
  const tune = own('tune');
  const labelled = (items: Item[]): LabelledRow[] => items.map((it) => ({ id: it.id, messages: it.messages, expected_tier: it.expected, split: 'tune' }));
  const readerOf = (items: Item[]) => modelReader(trainWordModel(labelled(items)));
  const pc = (x: number) => `${(100 * x).toFixed(1)} %`;
  const row = (label: string, r: Rates) => console.log(`| ${label} | ${pc(r.exact)} | ${pc(r.within)} | ${pc(r.under)} |`);
  const older = tune.filter((it) => it.round! <= 3);
  const tier = (it: Item, f: boolean | ((t: string) => number)) => TIER_NAMES.indexOf(classifyMessages(it.messages, DEFAULT_UNDER_TIER_COST, f).tier);
  console.log(`\n### the word-model fallback on unseen phrasing (tune split only)\n`);
  console.log('| decision (default cost) | exact | within one tier | under-tier |');
  console.log('|---|---:|---:|---:|');
  // Each later round read by a model trained on the rounds before it.
  for (const [round, name] of [[4, 'fourth'], [5, 'fifth']] as const) {
    const part = tune.filter((it) => it.round === round);
    const reader = readerOf(tune.filter((it) => it.round! < round));
    row(`${name}-round tune (${part.length}), rules alone`, rates(part, (it) => tier(it, false)));
    row(`${name}-round tune (${part.length}), rules + a model trained on rounds 1-${round - 1}`, rates(part, (it) => tier(it, reader)));
  }
  const folds = older.map((_, i) => i % 5);
  const outOfFold = new Map<Item, number>();
  for (let k = 0; k < 5; k++) {
    const r = readerOf(older.filter((_, i) => folds[i] !== k));
    older.forEach((it, i) => folds[i] === k && outOfFold.set(it, tier(it, r)));
  }
  row(`rounds 1-3 tune (${older.length}), rules alone`, rates(older, (it) => tier(it, false)));
  row(`rounds 1-3 tune (${older.length}), rules + the out-of-fold model (5-fold)`, rates(older, (it) => outOfFold.get(it)!));
  // Could a learned model of the words replace the rules? The model alone, never on a row it was
  // trained on: 5-fold over the whole tune split, and each later round from the rounds before it.
  const alone = new Map<Item, number>();
  for (let k = 0; k < 5; k++) {
    const r = readerOf(tune.filter((_, i) => i % 5 !== k));
    tune.forEach((it, i) => i % 5 === k && alone.set(it, r(askOf(it.messages))));
  }
  row(`whole tune split (${tune.length}), the word model alone, out of fold (5-fold)`, rates(tune, (it) => alone.get(it)!));
  for (const [round, name] of [[4, 'fourth'], [5, 'fifth']] as const) {
    const part = tune.filter((it) => it.round === round);
    const reader = readerOf(tune.filter((it) => it.round! < round));
    row(`${name}-round tune (${part.length}), the word model alone, trained on rounds 1-${round - 1}`, rates(part, (it) => reader(askOf(it.messages))));
  }
}

/**
 * --cold-child cold|warm: one fresh process's first 100 classifications (the tune split's first
 * 100 queries, in file order), after the start-up warm-up or without it; prints one JSON line.
 */
function coldChild(mode: string): void {
  const items = own('tune').slice(0, 100);
  const warmUpMs = mode === 'warm' ? warmClassifier() : 0;
  const t: number[] = [];
  for (const it of items) {
    const start = performance.now();
    classifyMessages(it.messages);
    t.push((performance.now() - start) * 1000);
  }
  console.log(JSON.stringify({ warmUpMs, first: t[0], next9: median(t.slice(1, 10)), rest: median(t.slice(10)), restMax: Math.max(...t.slice(10)), totalMs: t.reduce((a, b) => a + b, 0) / 1000 }));
}

/** --cold [runs]: `runs` pairs of fresh processes, without and with the warm-up; the median run of each figure. */
function coldStart(runs: number): void {
  const self = fileURLToPath(import.meta.url);
  const results: Record<string, Array<Record<string, number>>> = { cold: [], warm: [] };
  for (let i = 0; i < runs; i++) {
    for (const mode of i % 2 ? ['warm', 'cold'] : ['cold', 'warm']) {
      const child = spawnSync(process.execPath, [self, '--cold-child', mode], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`--cold-child ${mode} failed: ${child.stderr}`);
      results[mode]!.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, number>);
    }
  }
  const middle = (mode: string, key: string) => median(results[mode]!.map((r) => r[key]!));
  console.log(`\n### a fresh process's first 100 classifications (median of ${runs} processes each)\n`);
  console.log('| process | warm-up at start ms | 1st call us | calls 2-10 median us | calls 11-100 median us | calls 11-100 max us | 100 calls ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const mode of ['cold', 'warm']) {
    const f = (k: string, d = 0) => middle(mode, k).toFixed(d);
    console.log(`| ${mode === 'cold' ? 'no warm-up' : 'warm-up (as serve does)'} | ${f('warmUpMs')} | ${f('first')} | ${f('next9', 1)} | ${f('rest', 1)} | ${f('restMax')} | ${f('totalMs', 1)} |`);
  }
}

if (args.includes('--cold-child')) {
  coldChild(args[args.indexOf('--cold-child') + 1]!);
  process.exit(0);
}
if (args.includes('--cold')) {
  const n = Number(args[args.indexOf('--cold') + 1]);
  coldStart(Number.isInteger(n) && n > 0 ? n : 7);
  process.exit(0);
}

/**
 * --passes: what a classification of the 64 seeded 1.4 KB mixtures costs against passes over
 * their text. The first 1,200 characters of each mixture's lexical form (the most the lexicons
 * read of an ask): a bare pass that reads each character's class and hashes its words, the
 * lexicon scan, the scan and the six lexicon counts a classification takes; then the whole
 * classification of each mixture. Rounds alternate the four; mean us per mixture, median round.
 */
function passes(): void {
  const raw = Array.from({ length: 64 }, (_, i) => mixture(1000 + i, 1400));
  const texts = raw.map((m) => lexicalForm(m).slice(0, 1200));
  const requests = raw.map((m) => [{ role: 'user', content: m }]);
  const counted = [MULTI_STEP, CONSTRAINT, DEPTH_TERMS, DEEP_ASK, COMPLEX_ASK, MATH_WORDS];
  let sink = 0;
  const ways: Array<[string, (i: number) => void]> = [
    ['bare pass (character class, word hash)', (i) => {
      const t = texts[i]!;
      let h = 0;
      for (let k = 0; k < t.length; k++) {
        const c = t.charCodeAt(k);
        h = isBmpWordChar(c) ? (Math.imul(h, 31) + c) | 0 : h + 1;
      }
      sink += h;
    }],
    ['lexicon scan', (i) => void (sink += readLexicons(texts[i]!).hits.length)],
    ['lexicon scan and six counts', (i) => {
      const scan = readLexicons(texts[i]!);
      for (const lexicon of counted) sink += lexicon.count(scan, 8);
    }],
    ['whole classification', (i) => void (sink += classifyMessages(requests[i]!).score)],
  ];
  const rounds = new Map<string, number[]>(ways.map(([name]) => [name, []]));
  for (let r = 0; r < 40; r++) {
    for (const [name, run] of ways) {
      const t0 = performance.now();
      for (let k = 0; k < 4; k++) for (let i = 0; i < 64; i++) run(i);
      if (r >= 8) rounds.get(name)!.push(((performance.now() - t0) * 1000) / 256);
    }
  }
  const bare = median(rounds.get(ways[0]![0])!);
  console.log('\n### the 64 1.4 KB mixtures: passes over their text against a classification (mean us per mixture, median of 32 rounds)\n');
  console.log('| what | us | bare passes |');
  console.log('|---|---:|---:|');
  for (const [name] of ways) {
    const us = median(rounds.get(name)!);
    console.log(`| ${name} | ${us.toFixed(1)} | ${(us / bare).toFixed(1)} |`);
  }
  if (sink === 0.5) console.log(''); // keeps the work observable
}

if (args.includes('--pairs')) {
  const at = args.indexOf('--pairs');
  const bytes = Number(args[at + 1]);
  pairSearch(Number.isInteger(bytes) && bytes > 0 ? bytes : 2048);
  process.exit(0);
}
/**
 * --ticks: the slow calls of work that never changes. 20,000 calls in a row of one 2 KB mixture
 * (the slowest of the 64 in the speed table on the build of session 35, seed 2021) and of the fixed
 * loop set to the same median, each alone. Calls over 1.3x the median, runs of them (slow calls
 * at most two calls apart), how far apart runs start (median, in calls and in ms at the median
 * call) and what a slow call adds (median excess). Evenly spaced runs are something of the
 * machine's (a timer interrupt), not a slow input.
 */
function tickSearch(): void {
  const messages: Msg[] = [{ role: 'user', content: mixture(2021, 2048) }];
  for (let i = 0; i < 5000; i++) classifyMessages(messages);
  const classification = timedInOrder(() => classifyMessages(messages), 20_000);
  const n = iterationsFor(median(classification));
  const loop = timedInOrder(() => void (workSink ^= fixedWork(n)), 20_000);
  console.log('\n### slow calls of one input, 20,000 in a row (us)\n');
  console.log('| work | median | p99 | slow calls (over 1.3x median) | runs of them | runs start every, calls (ms) | median run, calls | median excess |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [label, t] of [['2 KB mixture (seed 2021), classified', classification], ['fixed loop, same median', loop]] as const) {
    const m = median(t);
    const slow = t.flatMap((v, i) => (v > 1.3 * m ? [i] : []));
    const runs: Array<{ start: number; end: number; calls: number }> = [];
    for (const i of slow) {
      const last = runs.at(-1);
      if (last && i - last.end <= 2) {
        last.end = i;
        last.calls++;
      } else runs.push({ start: i, end: i, calls: 1 });
    }
    const gap = runs.length > 1 ? median(runs.slice(1).map((r, k) => r.start - runs[k]!.start)) : NaN;
    const runLength = runs.length ? median(runs.map((r) => r.calls)) : NaN;
    const excess = slow.length ? median(slow.map((i) => t[i]! - m)) : NaN;
    console.log(`| ${label} | ${m.toFixed(1)} | ${quantile([...t].sort((a, b) => a - b), 0.99).toFixed(1)} | ${slow.length} | ${runs.length} | ${gap} (${((gap * m) / 1000).toFixed(1)}) | ${runLength} | ${excess.toFixed(1)} |`);
  }
}

if (args.includes('--ticks')) {
  tickSearch();
  process.exit(0);
}
if (args.includes('--lengths')) {
  lengthSearch();
  process.exit(0);
}
if (args.includes('--lexicons')) {
  lexiconSearch();
  process.exit(0);
}
if (args.includes('--lengths-in-turn')) {
  lengthsInTurn();
  process.exit(0);
}
if (args.includes('--parts')) {
  parts();
  process.exit(0);
}
if (args.includes('--passes')) {
  passes();
  process.exit(0);
}

/** The first probe set written in the latest session that wrote any (session 64: sets 137 on). */
const PROBE_SETS_OF_LATEST_SESSION = 137;

/**
 * --probes [other checkout]: the probe asks of benchmarks/datasets/probes.jsonl (single labels by
 * one author, written in sets to look for misreadings; not part of the labelled dataset and not
 * what the targets are measured on, see benchmarks/datasets/README.md), per set and in all, with
 * this build and, given a checkout with a build, that one too.
 */
async function probes(otherRoot: string | undefined): Promise<void> {
  const rows = readFileSync(join(packageRoot(), 'benchmarks/datasets/probes.jsonl'), 'utf8').split('\n').filter(Boolean)
    .map((l, i) => {
      const r = JSON.parse(l) as { set: number; messages: Msg[]; expected_tier: TierName };
      return { id: `probe-${i}`, set: r.set, messages: r.messages, expected: r.expected_tier };
    });
  const builds: Array<[string, typeof classifyMessages]> = [['this build', classifyMessages]];
  if (otherRoot !== undefined) builds.unshift([otherRoot, await importClassifier(otherRoot)]);
  const sets = [...new Set(rows.map((r) => r.set))];
  console.log(`\n### probe asks (${rows.length}): exact / under-tier, default decision\n`);
  console.log(`| set | asks | ${builds.map(([name]) => name).join(' | ')} |`);
  console.log(`|---|---:|${builds.map(() => '---:').join('|')}|`);
  // Counts, not shares: a set is tens of asks.
  const cell = (part: typeof rows, classify: typeof classifyMessages) => {
    const r = rates(part, (it) => TIER_NAMES.indexOf(classify(it.messages).tier));
    return `${Math.round(r.exact * part.length)} / ${Math.round(r.under * part.length)}`;
  };
  for (const set of [...sets, 'all'] as const) {
    const part = set === 'all' ? rows : rows.filter((r) => r.set === set);
    console.log(`| ${set} | ${part.length} | ${builds.map(([, c]) => cell(part, c)).join(' | ')} |`);
  }
  // The sets never used to change the classifier (HELD_BACK_PROBE_SETS) and the rest, summed: what
  // a change does to asks it was not made from, beside the asks it was.
  const heldBack = rows.filter((r) => HELD_BACK_PROBE_SETS.has(r.set));
  const used = rows.filter((r) => !HELD_BACK_PROBE_SETS.has(r.set));
  console.log(`| held back (${[...HELD_BACK_PROBE_SETS].join(', ')}) | ${heldBack.length} | ${builds.map(([, c]) => cell(heldBack, c)).join(' | ')} |`);
  console.log(`| used | ${used.length} | ${builds.map(([, c]) => cell(used, c)).join(' | ')} |`);
  // The same split at the latest session's first set: what that session's changes did to the sets
  // held back before it, beside its own; and the first sets held back (24-46, session 50's).
  const latest = PROBE_SETS_OF_LATEST_SESSION;
  const parts: Array<[string, typeof rows]> = [
    [`held back, sets 24-46`, heldBack.filter((r) => r.set <= 46)],
    [`held back, sets before ${latest}`, heldBack.filter((r) => r.set < latest)],
    [`held back, sets ${latest} on`, heldBack.filter((r) => r.set >= latest)],
    [`used, sets before ${latest}`, used.filter((r) => r.set < latest)],
    [`used, sets ${latest} on`, used.filter((r) => r.set >= latest)],
  ];
  for (const [name, part] of parts) console.log(`| ${name} | ${part.length} | ${builds.map(([, c]) => cell(part, c)).join(' | ')} |`);
}

if (args.includes('--probes')) {
  const next = args[args.indexOf('--probes') + 1];
  await probes(next !== undefined && !next.startsWith('--') ? next : undefined);
  process.exit(0);
}

/**
 * --replay <checkout> <checkout> <checkout> <checkout>: the second to fifth rounds' tune rows, each
 * read by the rules as they were committed with that round, before any rule was written from it
 * (builds of e15a61a, 262651d, 86990c8 and 57cdf7d: `git worktree add`, `npm ci`, `npx tsc`), and
 * by a word model trained on the rounds before it. Fresh phrasing for the rules of the time: how
 * often they under-tier it, and whether lifting a tier where the word model reads higher would
 * mend more under-tiered rows than it spoils rows the rules had right.
 */
async function replay(checkouts: string[]): Promise<void> {
  if (checkouts.length !== 4) throw new Error('--replay takes four checkouts: the builds committed with rounds 2, 3, 4 and 5');
  const tune = own('tune');
  interface Read { rules: number; label: number; model: number }
  const reads: Read[] = [];
  console.log('\n### each round read by the rules of its time (tune split, rules alone, default decision)\n');
  console.log('| round | rows | rules: exact / under-tier | + one tier where the word model reads higher | rules right, model higher | rules under, model higher |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const pc = (x: number) => `${(100 * x).toFixed(1)} %`;
  for (const [k, checkout] of checkouts.entries()) {
    const round = k + 2;
    const classify = await importClassifier(checkout);
    const part = tune.filter((it) => it.round === round);
    const read = modelReader(trainWordModel(tune.filter((it) => it.round! < round).map((it) => ({ id: it.id, messages: it.messages, expected_tier: it.expected, split: 'tune' }))));
    const rows = part.map((it) => ({
      rules: TIER_NAMES.indexOf(classify(it.messages, DEFAULT_UNDER_TIER_COST, false).tier),
      label: TIER_NAMES.indexOf(it.expected),
      model: read(askOf(it.messages)),
    }));
    reads.push(...rows);
    const line = (name: string, rs: Read[]) => {
      const rate = (tier: (r: Read) => number) => `${pc(rs.filter((r) => tier(r) === r.label).length / rs.length)} / ${pc(rs.filter((r) => tier(r) < r.label).length / rs.length)}`;
      const higher = (r: Read) => Math.round(r.model) > r.rules;
      const right = rs.filter((r) => r.rules === r.label);
      const under = rs.filter((r) => r.rules < r.label);
      console.log(`| ${name} | ${rs.length} | ${rate((r) => r.rules)} | ${rate((r) => (higher(r) ? r.rules + 1 : r.rules))} | ${right.filter(higher).length} of ${right.length} | ${under.filter(higher).length} of ${under.length} |`);
    };
    const commit = spawnSync('git', ['-C', checkout, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || checkout;
    line(`${round} (rules of ${commit})`, rows);
    if (k === checkouts.length - 1) line('all', reads);
  }
  // A lift pays where it mends more under-tiered rows than it spoils right ones: on a split where
  // the rules are right R times as often as they under-tier, it needs (share of under-tiered rows
  // lifted) / (share of right rows lifted) above R.
  console.log('\n| the model reads at least this far above the rules | right rows lifted | under-tiered rows lifted | ratio |');
  console.log('|---:|---:|---:|---:|');
  const right = reads.filter((r) => r.rules === r.label);
  const under = reads.filter((r) => r.rules < r.label);
  for (const margin of [0.5, 0.7, 0.9, 1.1, 1.3, 1.5]) {
    const a = right.filter((r) => r.model - r.rules >= margin).length / right.length;
    const b = under.filter((r) => r.model - r.rules >= margin).length / under.length;
    console.log(`| ${margin} | ${pc(a)} | ${pc(b)} | ${a > 0 ? (b / a).toFixed(1) : '–'} |`);
  }
}

/**
 * --second-opinion: when the word model lifts a simple reading to moderate or a moderate one to
 * complex (classifyMessages). Each reading's odds (P(labelled above | a plain reading of its
 * tier, score s), fitted out of fold by fitLiftOdds) give its margin at each cost ratio;
 * here, 5-fold over the model's training rows (each fold read by a model trained on the other
 * four), the expected cost (an under-tier step costs the ratio, an over-tier step 1) without the
 * second opinion, with the moderate reading's alone (as before session 53), and with both at
 * their fitted margins; then each reading's fixed margins at the default ratio. Then the probe
 * sets never used (not trained on, not read to fit), with the committed model; and words chosen
 * against the model put around easy asks. The held-out split is not read.
 */
function secondOpinion(): void {
  const rows = labelledRows(root);
  const asItem = (r: LabelledRow): Item => ({ id: r.id, messages: r.messages as Msg[], expected: r.expected_tier });
  const training = trainingRows(rows);
  const trainingItems = training.map(asItem);
  const heldBack = rows.filter((r) => r.split === 'probe' && HELD_BACK_PROBE_SETS.has(r.set!)).map(asItem);
  const folds = 5;
  const readers = foldReaders(training, folds);
  const { secondOpinion: fitted, fallback } = fitLiftOdds(rows, readers);
  console.log();
  for (const t of SECOND_OPINION_TIERS) {
    const f = fitted[t];
    console.log(`odds fitted for a ${t} reading: a ${f.a}, b ${f.b} (${f.readings} readings it may lift, ${f.above} of them labelled above ${t}); in use: a ${SECOND_OPINION_ODDS[t].a}, b ${SECOND_OPINION_ODDS[t].b}`);
  }
  console.log(`odds fitted for a fallback lift: a ${fallback.a}, b ${fallback.b} (${fallback.readings} lifts, ${fallback.above} of them labelled above the rules' tier); in use: a ${FALLBACK_ODDS.a}, b ${FALLBACK_ODDS.b}`);
  const pc = (x: number) => `${(100 * x).toFixed(1)} %`;
  const none: SecondOpinionMargins = { simple: Infinity, moderate: Infinity };
  const outOfFold = (R: number, margins: SecondOpinionMargins) => {
    const lifted = { simple: 0, moderate: 0 };
    const r = rates(trainingItems, (it, i) => {
      const c = classifyMessages(it.messages, R, readers[i % folds]!, margins);
      for (const t of SECOND_OPINION_TIERS) if (c.signals.includes(SECOND_OPINION_SIGNALS[t])) lifted[t]++;
      return TIER_NAMES.indexOf(c.tier);
    }, R);
    return { lifted, ...r };
  };
  const fmt = (x: number) => (x === Infinity ? '∞' : x.toFixed(2));
  console.log(`\n### out of fold (${folds}-fold, ${training.length} training rows): expected cost without the second opinion, with the moderate reading's alone, and with both, at each cost ratio\n`);
  console.log('| cost ratio | margins (simple, moderate) | lifted (simple, moderate) | exact | under-tier | expected cost without | moderate alone | both |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const R of [1, 1.5, 2, 3, 5]) {
    const m = secondOpinionMargins(R);
    const without = outOfFold(R, none);
    const moderateAlone = outOfFold(R, { simple: Infinity, moderate: m.moderate });
    const both = outOfFold(R, m);
    console.log(`| ${R}${R === DEFAULT_UNDER_TIER_COST ? ' (default)' : ''} | ${fmt(m.simple)}, ${fmt(m.moderate)} | ${both.lifted.simple}, ${both.lifted.moderate} | ${pc(both.exact)} | ${pc(both.under)} | ${without.cost.toFixed(0)} | ${moderateAlone.cost.toFixed(0)} | ${both.cost.toFixed(0)} |`);
  }
  const R = DEFAULT_UNDER_TIER_COST;
  const inUse = secondOpinionMargins(R);
  for (const t of SECOND_OPINION_TIERS) {
    const other = t === 'simple' ? 'moderate' : 'simple';
    console.log(`\n### the same at the default ratio (${R}x) with fixed margins for a ${t} reading (a ${other} one's at its fitted margin, ${fmt(inUse[other])})\n`);
    console.log('| margin | lifted | exact | within one tier | under-tier | expected cost |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const margin of [Infinity, 0.4, 0.5, 0.6, 0.7, 0.8, inUse[t], 1.0, 1.2].sort((a, b) => a - b)) {
      const r = outOfFold(R, { ...inUse, [t]: margin });
      const name = margin === Infinity ? `none (no ${t} reading lifted)` : margin === inUse[t] ? `${fmt(margin)} (in use)` : `${margin}`;
      console.log(`| ${name} | ${r.lifted[t]} | ${pc(r.exact)} | ${pc(r.within)} | ${pc(r.under)} | ${r.cost} |`);
    }
  }
  console.log(`\n### the probe sets never used (${[...HELD_BACK_PROBE_SETS].join(', ')}: ${heldBack.length} asks), the committed model, ${R}x\n`);
  console.log('| decision | exact | within one tier | under-tier | expected cost |');
  console.log('|---|---:|---:|---:|---:|');
  const decisions = [
    ['without the second opinion', none],
    [`a moderate reading's alone (margin ${fmt(inUse.moderate)})`, { simple: Infinity, moderate: inUse.moderate }],
    [`both (margins ${fmt(inUse.simple)}, ${fmt(inUse.moderate)})`, inUse],
  ] as const;
  for (const [name, margins] of decisions) {
    const t = rates(heldBack, (it) => TIER_NAMES.indexOf(classifyMessages(it.messages, R, true, margins).tier), R);
    console.log(`| ${name} | ${pc(t.exact)} | ${pc(t.within)} | ${pc(t.under)} | ${t.cost} |`);
  }
  // A lift's confidence (the odds of the tier above) against how often it is right: out of fold,
  // and on the never-used probes with the committed model.
  console.log(`\n### the confidence of the model's lifts, ${R}x: mean confidence / share exactly right\n`);
  console.log('| lift | out of fold | never-used probes |');
  console.log('|---|---:|---:|');
  const kinds = [
    ['fallback (no ask the rules know)', (sig: readonly string[]) => sig.some((x) => x.startsWith(FALLBACK_SIGNAL_PREFIX))],
    ...SECOND_OPINION_TIERS.map((t) => [`second opinion on a ${t} reading`, (sig: readonly string[]) => sig.includes(SECOND_OPINION_SIGNALS[t])] as const),
  ] as const;
  const calibration = (items: readonly Item[], read: (i: number) => true | ((text: string) => number), kind: (sig: readonly string[]) => boolean) => {
    let n = 0, conf = 0, right = 0;
    items.forEach((it, i) => {
      const c = classifyMessages(it.messages, R, read(i), inUse);
      if (!kind(c.signals)) return;
      n++;
      conf += c.confidence;
      if (c.tier === it.expected) right++;
    });
    return n === 0 ? '–' : `${(conf / n).toFixed(2)} / ${(right / n).toFixed(2)} (${n})`;
  };
  for (const [name, kind] of kinds) console.log(`| ${name} | ${calibration(trainingItems, (i) => readers[i % folds]!, kind)} | ${calibration(heldBack, () => true, kind)} |`);

  // Why the model never lowers a reading: out of fold, where it reads well below the tier given,
  // how often the label is below. Lowering one tier saves 1 where it is (an over-tier step less)
  // and costs R where it is not (an under-tier step more), so it pays only above R / (R + 1).
  console.log(`\n### the model reading below the tier given (out of fold, ${R}x, trivial readings left out): is the label below? (lowering pays above ${(R / (R + 1)).toFixed(2)})\n`);
  console.log('| the model reads at least this far below | readings | labelled below | the same | above | share below |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  const given = trainingItems.map((it, i) => {
    const read = readers[i % folds]!;
    const tier = TIER_NAMES.indexOf(classifyMessages(it.messages, R, read, inUse).tier);
    return { tier, label: TIER_NAMES.indexOf(it.expected), model: read(askOf(it.messages)) };
  });
  for (const margin of [0.5, 1, 1.5, 2]) {
    const rs = given.filter((g) => g.tier > 0 && g.tier - g.model >= margin);
    const below = rs.filter((g) => g.label < g.tier).length;
    const same = rs.filter((g) => g.label === g.tier).length;
    console.log(`| ${margin} | ${rs.length} | ${below} | ${same} | ${rs.length - below - same} | ${rs.length ? pc(below / rs.length) : '–'} |`);
  }

  // What words chosen to fool the model do: the 40 words of the tune split's asks the committed
  // model reads highest alone, 1-6 of them (in runs of the list) put after or before each short
  // tune ask read trivial or simple; inputs read two or more tiers above the ask alone.
  const tune = rows.filter((r) => r.split === 'tune');
  const vocabulary = new Set<string>();
  for (const r of tune) for (const w of askOf(r.messages).toLowerCase().match(/[a-z][a-z-]{3,}/g) ?? []) vocabulary.add(w);
  const top = [...vocabulary].map((w) => [w, wordModelScore(w)] as const).sort((a, b) => b[1] - a[1]).slice(0, 40).map(([w]) => w);
  // Read trivial or simple without the second opinion (with it, some simple ones read moderate).
  const asks = tune.filter((r) => askOf(r.messages).length <= 200 && TIER_NAMES.indexOf(classifyMessages(r.messages, R, true, none).tier) <= 1);
  const raised = (margin: SecondOpinionMargins) => {
    let inputs = 0, two = 0, three = 0;
    for (const r of asks) {
      const base = TIER_NAMES.indexOf(classifyMessages(r.messages, R, true, margin).tier);
      const ask = askOf(r.messages);
      for (let k = 1; k <= 6; k++) {
        for (let at = 0; at < top.length; at += 6) {
          const words = top.slice(at, at + k).join(' ');
          for (const text of [`${ask} ${words}`, `${words}. ${ask}`]) {
            const d = TIER_NAMES.indexOf(classifyMessages([...r.messages.slice(0, -1), { role: 'user', content: text }], R, true, margin).tier) - base;
            inputs++;
            if (d >= 2) two++;
            if (d >= 3) three++;
          }
        }
      }
    }
    return { inputs, two, three };
  };
  console.log(`\n### the model's 40 highest words (${top.slice(0, 5).join(', ')}, ...) put around ${asks.length} short tune asks read trivial or simple\n`);
  console.log('| decision | inputs | two or more tiers up | three or more |');
  console.log('|---|---:|---:|---:|');
  for (const [name, margins] of decisions) {
    const r = raised(margins);
    console.log(`| ${name} | ${r.inputs} | ${r.two} | ${r.three} |`);
  }
}

if (args.includes('--second-opinion')) {
  secondOpinion();
  process.exit(0);
}

if (args.includes('--replay')) {
  const at = args.indexOf('--replay');
  await replay(args.slice(at + 1, at + 5));
  process.exit(0);
}

/**
 * --probe-weights: does training the word model on the used probe sets help it read asks it has
 * not seen? The model is trained with the probe rows weighed 1 (the committed model), 0.5, 0.25 or
 * 0 (the tune split alone), without the newest session's sets, and with the sets used for the
 * rules only (RULES_ONLY_PROBE_SETS) weighed 1; each is read 5-fold over the tune split (a tune row
 * is read by a model trained on the other tune folds and the probes), as the whole classifier and
 * alone, and on the held-back probe sets by a model trained on all its rows. The second opinion's
 * odds are the committed ones in every row. Never the held-out split.
 */
function probeWeights(): void {
  const all = labelledRows(packageRoot());
  const training = trainingRows(all);
  const tune = training.filter((r) => r.split === 'tune');
  const probes = training.filter((r) => r.split === 'probe');
  const asItems = (rows: readonly LabelledRow[]): Item[] => rows.map((r) => ({ id: r.id, messages: r.messages as Msg[], expected: r.expected_tier }));
  const tuneItems = asItems(tune);
  const heldBack = asItems(all.filter((r) => r.split === 'probe' && r.set !== undefined && HELD_BACK_PROBE_SETS.has(r.set)));
  const newest = Math.max(...probes.map((r) => r.set!));
  const sessionSets = (r: LabelledRow) => r.set !== undefined && r.set >= PROBE_SETS_OF_LATEST_SESSION;
  const tierBy = (read: (text: string) => number) => (it: Item) => TIER_NAMES.indexOf(classifyMessages(it.messages, DEFAULT_UNDER_TIER_COST, read).tier);
  // Counts, not shares (rates gives shares of the rows).
  const count = (share: number, rows: readonly Item[]) => Math.round(share * rows.length);
  console.log(`\n### the word model trained with the probe rows weighed: ${tune.length} tune rows read 5-fold, ${heldBack.length} held-back probes (default cost)\n`);
  console.log('| probe rows weighed | tune, classifier: exact / under-tier | tune, the model alone: exact | held-back probes, classifier: exact / under-tier |');
  console.log('|---|---:|---:|---:|');
  const isRulesOnly = (r: LabelledRow) => r.split === 'probe' && r.set !== undefined && RULES_ONLY_PROBE_SETS.has(r.set);
  const rulesOnly = all.filter(isRulesOnly);
  const weightings: Array<[string, (r: LabelledRow) => number, readonly LabelledRow[], (r: LabelledRow) => boolean]> = [
    ['1 (the committed model)', () => 1, probes, isTrainingRow],
    ['0.5', () => 0.5, probes, isTrainingRow],
    ['0.25', () => 0.25, probes, isTrainingRow],
    ['0 (the tune split alone)', () => 0, probes, isTrainingRow],
  ];
  if (probes.some(sessionSets)) weightings.push([`1, less sets ${PROBE_SETS_OF_LATEST_SESSION}-${newest}`, (r) => (sessionSets(r) ? 0 : 1), probes, isTrainingRow]);
  const withRulesOnly = (r: LabelledRow) => isTrainingRow(r) || isRulesOnly(r);
  if (rulesOnly.length > 0) weightings.push([`1, with the sets used for the rules only (${[...RULES_ONLY_PROBE_SETS].join(', ')})`, () => 1, [...probes, ...rulesOnly], withRulesOnly]);
  for (const [name, weight, probeRows, mayTrainOn] of weightings) {
    const weightOf = (r: LabelledRow) => (r.split === 'tune' ? 1 : weight(r));
    // Tune row i is read by the model trained without fold i % 5.
    const folds = Array.from({ length: 5 }, (_, k) => modelReader(trainWordModel([...tune.filter((_, i) => i % 5 !== k), ...probeRows], weightOf, mayTrainOn)));
    const classifier = rates(tuneItems, (it, i) => tierBy(folds[i % 5]!)(it));
    const alone = rates(tuneItems, (it, i) => Math.round(folds[i % 5]!(askOf(it.messages))));
    const held = rates(heldBack, tierBy(modelReader(trainWordModel([...tune, ...probeRows], weightOf, mayTrainOn))));
    console.log(`| ${name} | ${count(classifier.exact, tuneItems)} / ${count(classifier.under, tuneItems)} of ${tune.length} | ${count(alone.exact, tuneItems)} | ${count(held.exact, heldBack)} / ${count(held.under, heldBack)} of ${heldBack.length} |`);
  }
}

if (args.includes('--probe-weights')) {
  probeWeights();
  process.exit(0);
}

if (args.includes('--word-model-check')) {
  wordModelCheck();
  process.exit(0);
}

if (args.includes('--calibrate')) {
  const fitted = fitCalibration(own('tune'));
  console.log(`fitted: ${JSON.stringify(fitted)}
in use: ${JSON.stringify(CALIBRATION)}`);
  decisionTable(own('tune'), 'thinkcap tune split');
  process.exit(0);
}

// --no-accuracy: the speed table alone (the docs have used the flag since session 11; until
// session 20 it was not read, and the accuracy tables printed first).
if (!args.includes('--no-accuracy')) {
  score(own(split), `thinkcap ${split} split`);
  byGroup(own(split), `thinkcap ${split} split`);
  decisionTable(own(split), `thinkcap ${split} split`);
  reliability(own(split), `thinkcap ${split} split`);
}
if (split === 'heldout') {
  if (!args.includes('--no-accuracy')) {
    const tb = thinkbudget();
    if (tb.length) score(tb, 'external: thinkbudget (85 queries, 5 tiers)');
    scoreTokenomics();
  }
  if (!args.includes('--no-speed')) await speed();
}
