import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { check } from 'recheck';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ARITHMETIC_QUESTION } from '../src/classify/classifier.js';
import { NO_OBJECT } from '../src/classify/stuffing.js';
import * as lexicons from '../src/classify/lexicon.js';
import { CODE_KEYWORD, CODE_LINE } from '../src/classify/text.js';
import { WordLexicon } from '../src/classify/wordlex.js';
import { packageRoot } from '../src/paths.js';

/**
 * Every regex of the product, through recheck (a ReDoS checker: automata where it can, a fuzzer
 * where it cannot). Three regexes of the classifier and one of the stream rewriter read runs
 * of digits, spaces or U+FFFD from each of their starts (1.5-4.4 ms a classification; ~1.9 s of
 * event loop for a model's reasoning of 32,000 U+FFFD) before recheck found them (session 24);
 * lexicon terms are added every few weeks, and this keeps the next one from doing the same.
 *
 * A regex recheck calls vulnerable fails the test unless it is allowed below, with the bound that
 * makes it harmless. "unknown" (recheck ran out of time: the largest lexicons) passes; those
 * lexicons are read word by word (wordlex.ts), their regex form only on short texts.
 */
const ALLOWED: ReadonlyArray<{ file: string; includes: string; why: string }> = [
  { file: 'src/energy/dcgm.ts', includes: '="((?:[^"\\\\]|\\\\.)*)"', why: 'reads the label sets of the operator\'s own DCGM exporter, not a client\'s text' },
  { file: 'src/energy/cost.ts', includes: 'A100.*80', why: 'reads GPU model names from NVML or the config' },
  { file: 'src/classify/numbers.ts', includes: '\\d\\d[^.!?？\\n]{0,80}[?？]', why: '{0,80} bounds what each start reads; it runs on at most 1,200 characters, and only beside "^" or "**"' },
  { file: 'src/classify/classifier.ts', includes: '(?:times|plus|minus|divided by|squared|', why: 'SIMPLE_ARITH: runs only on turns of at most 60 characters (scoreTurn)' },
  // recheck's fuzzer finds 'translate .{1,40} (?:into|to) \p{L}+' polynomial in some runs and not
  // in others (one of six full runs in session 27): allowed for its bound rather than left to chance.
  {
    file: 'src/classify/lexicon.ts',
    includes: "(?:what (?:is|'s) \\d+",
    why: "LOOKUP_CORE's unexpanded terms: {1,40} bounds what each start reads, and they run only in the one-sentence check of asks under 600 characters where the word terms found nothing (~8 us on 600 characters of the input recheck reports)",
  },
  { file: 'src/classify/lexicon.ts', includes: 'capital of|capital de', why: "LOOKUP_CORE's whole regex form: nothing runs it (the lexicon is read word by word, its unexpanded terms above)" },
  // The fuzzer finds SIMPLE_ASK's whole regex form polynomial on 'm' + ' wie'.repeat(n) in some
  // runs and not in others (two of seven runs of the audit in session 59; none of 14 seeded runs of
  // it alone).
  {
    file: 'src/classify/lexicon.ts',
    includes: 'who wrote|who painted|who proved',
    why: "SIMPLE_ASK's whole regex form: it runs only on texts of at most 600 characters (isSmallTalk) and on 80-character heads (isInstruction); V8 reads 'm' + ' wie' x 27,395 (110 KB) with it in ~1 ms",
  },
  // Session 66: a Chinese, Japanese or Korean unit no longer blocks a spaced term's start (wordlex.ts,
  // isSpacedWordChar), and the fuzzer finds DEPTH_TERMS's whole regex form polynomial on '一r' x 38,730,
  // where '一' stands before each "r" of "race"/"raft" as a space did before. V8 reads it in one pass.
  {
    file: 'src/classify/lexicon.ts',
    includes: 'concurren(?:t|cy)|race conditions?',
    why: "DEPTH_TERMS's whole regex form: it runs only where its one unexpanded term's needs are in the text (\"безопасност\"), on what the lexicons read; V8 counts 'безопасность ' + '一r' x 38,730 (77 KB) with it in ~1.2 ms, x 77,460 in ~2.4 ms (linear)",
  },
];

const root = packageRoot();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

interface Subject {
  where: string;
  file: string;
  source: string;
  flags: string;
}

/** Every regex literal in src, with the file it is in. */
function literals(): Subject[] {
  const out: Subject[] = [];
  for (const path of sourceFiles(join(root, 'src'))) {
    const file = relative(root, path);
    const sf = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = node.getText(sf);
        const slash = text.lastIndexOf('/');
        out.push({ where: `${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`, file, source: text.slice(1, slash), flags: text.slice(slash + 1) });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

/** The regexes src builds at run time (new RegExp), each by name, and the file that builds it. */
const BUILT: ReadonlyArray<[string, string, RegExp]> = [
  ['ARITHMETIC_QUESTION', 'src/classify/classifier.ts', ARITHMETIC_QUESTION],
  ['NO_OBJECT', 'src/classify/stuffing.ts', NO_OBJECT],
  ['EFFORT_WORDS', 'src/classify/lexicon.ts', lexicons.EFFORT_WORDS],
  ['CODE_LINE', 'src/classify/text.ts', CODE_LINE],
  ['CODE_KEYWORD', 'src/classify/text.ts', CODE_KEYWORD],
];

/** Each lexicon's regex form, and the regex of the terms it could not expand into words (wordlex.ts). */
function lexiconRegexes(): Subject[] {
  const out: Subject[] = [];
  for (const [name, value] of Object.entries(lexicons)) {
    if (!(value instanceof WordLexicon)) continue;
    out.push({ where: `lexicon ${name}`, file: 'src/classify/lexicon.ts', source: value.regex.source, flags: value.regex.flags });
    const residual = (value as unknown as { residual: RegExp | null }).residual;
    if (residual) out.push({ where: `lexicon ${name}, unexpanded terms`, file: 'src/classify/lexicon.ts', source: residual.source, flags: residual.flags });
  }
  return out;
}

/**
 * Where src builds regexes from other input: wordlex.ts (the lexicons, audited below through
 * lexiconRegexes) and envoy-check.ts (an Envoy route's own safe_regex, which `thinkcap check`
 * alone tries on a fixed list of paths of at most 25 characters: the operator's config, never a
 * request).
 */
const BUILT_FROM_INPUT = ['src/classify/wordlex.ts', 'src/config/envoy-check.ts'];

describe('regex audit', () => {
  it('knows every regex src builds at run time: one new RegExp per name here, one in wordlex.ts for the lexicons, one in envoy-check.ts for a route', () => {
    const sites = sourceFiles(join(root, 'src')).flatMap((path) => {
      const n = readFileSync(path, 'utf8').split('new RegExp(').length - 1;
      return Array.from({ length: n }, () => relative(root, path));
    });
    expect(sites.sort()).toEqual([...BUILT.map(([, file]) => file), ...BUILT_FROM_INPUT].sort());
    expect(lexiconRegexes().length).toBeGreaterThan(30);
  });

  it(
    'finds no regex that reads a run from each of its starts, but those allowed for their bound',
    async () => {
      const subjects = [...literals(), ...BUILT.map(([name, file, re]) => ({ where: name, file, source: re.source, flags: re.flags })), ...lexiconRegexes()];
      expect(subjects.length).toBeGreaterThan(130);
      const isAllowed = (s: Subject, a: (typeof ALLOWED)[number]) => a.file === s.file && s.source.includes(a.includes);
      // Each allowance names a regex that is still there (one that is gone is taken out of the list).
      for (const a of ALLOWED) expect(subjects.filter((s) => isAllowed(s, a)).map((s) => s.where), a.includes).toHaveLength(1);
      const vulnerable: string[] = [];
      for (const s of subjects) {
        // 5 s each at most: the largest lexicons come back "unknown", the rest in well under a second.
        const d = await check(s.source, s.flags, { timeout: 5000 });
        if (d.status === 'vulnerable' && !ALLOWED.some((a) => isAllowed(s, a))) vulnerable.push(`${s.where}: /${s.source.slice(0, 120)}/${s.flags}: ${d.complexity.type} (${d.attack.pattern})`);
      }
      expect(vulnerable).toEqual([]);
    },
    300_000,
  );
});
