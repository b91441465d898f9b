/**
 * Token counting on ordinary and adversarial text: the prompt's token bound is counted on the
 * request path before a request is reserved, and answers without usage are counted on the
 * response path, so its worst case is an attack surface (and a stall of every stream).
 *
 *   npm run build && node dist/benchmarks/tokenizer.js [--against <other built checkout>]
 *
 * Per row: the first call of countTokens on the text (its new words miss the encoder's merge
 * cache), the median of 5 rounds of repeats (µs per call), its count, and at 2 KB the count
 * of the whole text encoded in one piece (what the cut runs cost in tokens). --against also times
 * the other build's countTokens once per 2 KB row (its 32 KB rows are skipped: with js-tiktoken,
 * used before, some take minutes).
 *
 * A second table times truncateToTokens, the cut of a model's reasoning at the thinking budget
 * (the rewriter's), one call each (median of 5), on prose and on U+FFFD runs before other text: a
 * regex that dropped the cut's trailing U+FFFD read such a run from each of its starts (session
 * 24). --against times the other build's cut once.
 */
import { join } from 'node:path';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { seededText } from '../devkit/random-text.js';
import { countTokens, truncateToTokens } from '../src/stream/tokens.js';

const args = process.argv.slice(2);
const against = args.includes('--against') ? args[args.indexOf('--against') + 1] : undefined;

const { next, pick } = seededText(20261202);
const fill = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
const randomWords = (n: number) => {
  let s = '';
  while (s.length < n) s += pick('abcdefghijklmnopqrstuvwxyz', 2 + Math.floor(next() * 8)) + ' ';
  return s.slice(0, n);
};

const ROWS: Array<[string, (n: number) => string]> = [
  ['English prose', (n) => fill('We need to decide how to roll out the new billing system. The finance team wants a phased launch by region, and support asks for notice. ', n)],
  ['code', (n) => fill('function total(items) {\n  return items.map((x) => x.price * x.qty).reduce((a, b) => a + b, 0);\n}\n', n)],
  ['mixed scripts', (n) => fill('证明 design доказать 設計 برهان प्रमाण optimize 최적화 ', n)],
  ['random words', randomWords],
  ['one letter, no space', (n) => 'a'.repeat(n)],
  ['random letters, no space', (n) => pick('abcdefghijklmnopqrstuvwxyz', n)],
  ['random Chinese characters', (n) => pick('的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都', n)],
  ['spaces', (n) => ' '.repeat(n - 1) + 'x'],
  ['punctuation', (n) => fill('!?', n)],
  ['emoji', (n) => fill('😀🙂', n)],
];

function medianMicros(f: () => void, calls: number): number {
  for (let i = 0; i < Math.min(calls, 20); i++) f();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) f();
    rounds.push(((performance.now() - t0) * 1000) / calls);
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

const other = against
  ? ((await import(join(against, 'dist/src/stream/tokens.js'))) as { countTokens: (t: string) => number; truncateToTokens: (t: string, n: number) => string })
  : undefined;

// Both encoders built before anything is timed (js-tiktoken builds its own on the first call).
countTokens('warm up');
other?.countTokens('warm up');

console.log('\n### token counting (countTokens, o200k_base)\n');
console.log(`| input | size | µs, first call | µs per call (median of repeats) | tokens | whole text in one piece |${other ? ' other build µs (one call) | other build tokens |' : ''}`);
console.log(`|---|---:|---:|---:|---:|---:|${other ? '---:|---:|' : ''}`);
for (const [name, make] of ROWS) {
  for (const size of [2048, 32768]) {
    const text = make(size);
    // The first call meets words the encoder's merge cache has not seen; the median is of repeats.
    const t0 = performance.now();
    countTokens(text);
    const first = (performance.now() - t0) * 1000;
    const us = medianMicros(() => countTokens(text), size > 4096 ? 10 : 100);
    const whole = size <= 2048 ? String(encode(text, { disallowedSpecial: new Set() }).length) : '–';
    let otherCells = '';
    if (other) {
      if (size <= 2048) {
        const t0 = performance.now();
        const n = other.countTokens(text);
        otherCells = ` ${((performance.now() - t0) * 1000).toFixed(0)} | ${n} |`;
      } else otherCells = ' (skipped) | – |';
    }
    console.log(`| ${name} | ${size / 1024} KB | ${first.toFixed(0)} | ${us.toFixed(0)} | ${countTokens(text)} | ${whole} |${otherCells}`);
  }
}

/** A model's reasoning: `fffd` U+FFFD (what undecodable output becomes), then prose; the budget ends just past the run. */
const CUTS: Array<[string, string, number]> = [
  ['prose, cut at 4,050 tokens', fill('We need to decide how to roll out the new billing system. The finance team wants a phased launch by region, and support asks for notice. ', 64_000), 4050],
  ...[32_000, 48_000].map((fffd): [string, string, number] => [
    `${fffd.toLocaleString('en')} U+FFFD, then prose, cut just past them`,
    '\uFFFD'.repeat(fffd) + 'x' + fill(' hello world', 24_000),
    countTokens('\uFFFD'.repeat(fffd)) + 50,
  ]),
];

console.log('\n### cutting reasoning at the budget (truncateToTokens)\n');
console.log(`| reasoning | characters | budget (tokens) | ms per cut (median of 5) | characters kept |${other ? ' other build ms (one cut) |' : ''}`);
console.log(`|---|---:|---:|---:|---:|${other ? '---:|' : ''}`);
for (const [name, text, budget] of CUTS) {
  const ms: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    truncateToTokens(text, budget);
    ms.push(performance.now() - t0);
  }
  let otherCell = '';
  if (other) {
    const t0 = performance.now();
    other.truncateToTokens(text, budget);
    otherCell = ` ${(performance.now() - t0).toFixed(1)} |`;
  }
  console.log(`| ${name} | ${text.length} | ${budget} | ${ms.sort((a, b) => a - b)[2]!.toFixed(1)} | ${truncateToTokens(text, budget).length} |${otherCell}`);
}
