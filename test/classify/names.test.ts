/**
 * Hard words that are no ask (names.ts, session 67, probe sets 161-169): commands, settings and
 * products, paths and names, titles, words asked about and declined words read as plain words,
 * and what must stay an ask.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyMessages } from '../../src/classify/classifier.js';
import { COMMAND_NAMES, MATH_WORDS, NAMED_COMMANDS } from '../../src/classify/lexicon.js';
import { declined, declinesWorking, hardNames, mentions, plainNameOf, SHORT_ASK, shortAskDeclines, titles, withPlainNames } from '../../src/classify/names.js';
import { lexicalForm } from '../../src/classify/text.js';
import { expandTerm, readLexicons } from '../../src/classify/wordlex.js';

/** The ask's lexical form with its names read (written as the ask: no astral characters or case changes of length here). */
const plain = (text: string) => {
  const lex = lexicalForm(text);
  return withPlainNames(lex, readLexicons(lex), text);
};
const read = (text: string) => classifyMessages([{ role: 'user', content: text }]);
const tier = (text: string) => read(text).tier;

describe('hard words that are names (names.ts)', () => {
  it('reads a command, setting or product named with a hard word as its plain name', () => {
    expect(plain('what does kubectl explain do?')).toBe('what does kubectl do?');
    expect(plain('how do I turn on debug logging in nginx?')).toBe('how do i turn on verbose logging in nginx?');
    expect(plain('what is Jetpack Compose?')).toBe('what is jetpack?');
    expect(plain('what is the Perl prove command for?')).toBe('what is the perl command for?');
    expect(plain('what is proof of stake?')).toBe('what is staking?');
    expect(plain('comment activer le mode debug de Flask ?')).toBe('comment activer le mode de flask ?');
    expect(plain('docker-compose up fails')).toBe('docker up fails');
    expect(plain('explain analyze shows a seq scan')).toBe('query planner shows a seq scan');
  });

  it('reads a system\'s limit before "of" as a cap, not calculus; a function\'s limit stays one', () => {
    for (const text of ['what is the memory limit of a lambda?', 'the rate limit of the GitHub API', 'time limits of 2 s per test']) {
      const lex = plain(text);
      expect(lex, text).toMatch(/ cap /);
      expect(MATH_WORDS.test(readLexicons(lex)), text).toBe(false);
    }
    for (const text of ['find the limit of sin(x)/x as x goes to 0', 'the limit as n goes to infinity of (1 + 1/n)^n']) expect(MATH_WORDS.test(readLexicons(plain(text))), text).toBe(true);
    expect(tier('what is the memory limit of a lambda?')).toBe('simple');
  });

  it('reads an SQL command in capitals as a command where it is one, and leaves asks to explain or optimise', () => {
    expect(plain('what does OPTIMIZE TABLE do in MySQL?')).toBe('what does sql table do in mysql?');
    expect(plain('как посмотреть план запроса через EXPLAIN в MySQL?')).toBe('как посмотреть план запроса через sql в mysql?');
    expect(plain('run EXPLAIN (ANALYZE, BUFFERS) on it')).toBe('run sql (sql, buffers) on it');
    // Capitals for emphasis, with no database, query or second command word.
    expect(plain('EXPLAIN how TCP works')).toBe('explain how tcp works');
    // A whole ask in capitals is shouted, not a command.
    expect(plain('EXPLAIN THE QUERY PLANNER OF POSTGRES')).toBe('explain the query planner of postgres');
    // In lower case the words are verbs, whatever they name.
    expect(plain('explain the mysql query planner, then optimize our slowest query')).toBe('explain the mysql query planner, then optimize our slowest query');
    // Where the written ask and its lexical form differ in length, capitals are not read (the phrase names still are).
    expect(plain('𝐀 EXPLAIN ANALYZE in MySQL, and OPTIMIZE TABLE')).toBe(lexicalForm('𝐀 query planner in MySQL, and OPTIMIZE TABLE'));
  });

  it('leaves a hard word outside a name, and a name that is only a word of it, as written', () => {
    for (const text of [
      'design a debug strategy for our payments service',
      'prove that the protocol is safe',
      'compose a poem about docker',
      'optimize table scans in our reporting query',
      'the proof of the lemma is missing a case',
      'kubectl is slow, explain why',
    ]) {
      const lex = lexicalForm(text);
      expect(plain(text), text).toBe(lex);
    }
  });

  it('gives every literal of every name a plain reading, and no plain reading holds the name again', () => {
    for (const [term] of NAMED_COMMANDS) {
      for (const literal of expandTerm(term)!) {
        const p = plainNameOf(literal);
        expect(p, literal).toBeDefined();
        expect(COMMAND_NAMES.test(readLexicons(p!)), `${literal} -> ${p}`).toBe(false);
      }
    }
    expect(plainNameOf('explain')).toBeUndefined();
  });

  it('reads names as the lexicon regex would find them, wherever they stand (property, against a regex replace)', () => {
    const literals = NAMED_COMMANDS.flatMap(([term]) => expandTerm(term)!);
    // (No character that makes a token a path or name, hardNames': those are read below.)
    const filler = ['the', 'how', 'why', 'our', 'explain', 'debug', 'design', 'prove', 'plan', 'mode', 'compose', 'of', 'kubectl', 'terraform', '证明', 'x1', ',', '?', '(', "'s"];
    const piece = fc.oneof(fc.constantFrom(...literals), fc.constantFrom(...filler));
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, fc.constantFrom(' ', '', ', ', '\n')), { maxLength: 24 }), (parts) => {
        const lex = lexicalForm(parts.map(([p, sep]) => p + sep).join(''));
        const expected = lex.replace(COMMAND_NAMES.regexAll, (m) => plainNameOf(m) ?? m);
        // Lower case throughout: no SQL command in capitals, only the names.
        expect(withPlainNames(lex, readLexicons(lex), lex)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads a path, URL, branch, package, variable or tag holding a hard word as a name (set 163)', () => {
    const names = (text: string) => {
      const lex = lexicalForm(text);
      return hardNames(lex).map(([from, to]) => lex.slice(from, to));
    };
    expect(names('how do I merge the branch feature/optimize-cache into main?')).toEqual(['feature/optimize-cache']);
    expect(names('what does src/debug/analyze.py do?')).toEqual(['src/debug/analyze.py']);
    expect(names('install @acme/prove-it, then read https://github.com/acme/design-system')).toEqual(['@acme/prove-it,', 'https://github.com/acme/design-system']);
    expect(names('what does the #[derive(Debug)] line mean?')).toEqual(['#[derive(debug)]']);
    expect(names("what's the difference between `cargo build --profile debug` and `cargo build --release`?")).toEqual(['`cargo build --profile debug`']);
    expect(names('set PROVE_TIMEOUT=30, rename design_tokens.json, run it with --debug in #optimize')).toEqual(['prove_timeout=30,', 'design_tokens.json,', '--debug', '#optimize']);
    expect(names('open ~/projects/architecture-review')).toEqual(['~/projects/architecture-review']);
    // Words, not names: one slash between words, hyphenated words, a sentence's end, code fences, a name with no hard word.
    for (const text of ['it crashes.explain why, and diagnose= nothing', 'design/implement a cache for our CI/CD', 'explain the trade-offs step-by-step, end-to-end', 'Optimize. Then explain: why?', '```js\nprove()\n```', 'fix src/payments/retry.ts', 'debug, design, prove']) expect(names(text), text).toEqual([]);
    // A token longer than 200 characters is read as written.
    expect(names(`a/${'b'.repeat(200)}/optimize`)).toEqual([]);
    expect(names(`${'b'.repeat(300)}/x/optimize`)).toEqual([]);
    expect(names(`${'b'.repeat(300)} feature/optimize-x ${'c/'.repeat(150)}prove`)).toEqual(['feature/optimize-x']);
  });

  it('reads a title holding a hard word as a name: quoted in title case, in Chinese or Japanese title quotes, or beside a work\'s noun (set 165)', () => {
    const found = (text: string) => {
      const written = text;
      return titles(lexicalForm(written), written).map(([from, to]) => written.slice(from, to));
    };
    expect(found("what's the ISBN of 'The Design of Everyday Things'?")).toEqual(["'The Design of Everyday Things'"]);
    expect(found('thanks, I’ll buy “Clean Architecture” then')).toEqual(['“Clean Architecture”']);
    expect(found('《设计数据密集型应用》的作者是谁？')).toEqual(['《设计数据密集型应用》']);
    expect(found("what's the dress code for the Optimize conference? and who hosts the Debug podcast? and the book Refactor?")).toEqual(['Optimize', 'Debug', 'Refactor']);
    // Not titles: a quote in lower case (a phrase given), "I'll", a capitalised verb at a sentence's start or before a product, a title with no hard word.
    for (const text of ["translate 'prove it' to Spanish", "I'll design it, you'll prove it", 'Optimize Postgres queries for the dashboard. Design the schema too.', "is 'Clean Code' worth reading?", 'please Debug our Kafka consumer']) expect(found(text), text).toEqual([]);
    // In tiers: lookups about such works, and asks about them that keep their own verbs.
    expect(tier("what's the ISBN of 'The Design of Everyday Things'?")).not.toBe('complex');
    expect(tier('what does a solutions architect do?')).toBe('simple');
    expect(tier("summarize the main ideas of the book 'The Design of Everyday Things'")).toBe('moderate');
    expect(tier('prove the lower bound for comparison sorting from the book Introduction to Algorithms, rigorously')).toBe('deep');
  });

  it('reads a hard word mentioned rather than used as a name: quoted alone, or after a frame that mentions a word (set 167)', () => {
    const found = (text: string) => {
      const lex = lexicalForm(text);
      return mentions(lex, readLexicons(lex)).map(([from, to]) => lex.slice(from, to));
    };
    expect(found("how do you spell 'architecture'?")).toEqual(["'architecture'"]);
    expect(found('que veut dire « optimiser » exactement ?')).toEqual(['« optimiser »']);
    expect(found('was heißt „beweisen“ auf Englisch?')).toEqual(['„beweisen“']);
    expect(found('“设计”这个词的英文怎么说？')).toEqual(['“设计”']);
    expect(found('give me synonyms for optimize, and the past tense of prove')).toEqual(['optimize', 'prove']);
    // Used, not mentioned: a verb outside the quotes, a quoted phrase of three words or more, a quote with no hard word, "what's".
    for (const text of ["explain 'eventual consistency'", "it's ' optimize ' with spaces: no quote",  "prove 'p != np' is open", "design a 'serverless' pipeline", "what's 'the design of everyday things' about?", "prove that it's optimal"]) expect(found(text), text).toEqual([]);
    expect(tier("what's the past tense of 'prove'?")).not.toBe('deep');
    expect(tier('how do you spell architecture?')).not.toBe('complex');
    expect(tier("explain the difference between 'prove' and 'demonstrate' with two example sentences each")).toBe('moderate');
  });

  it('reads a hard word a frame declines as no ask: "no need to explain", "without any design", "not a full design", 不用解释 (set 169)', () => {
    const found = (text: string) => {
      const lex = lexicalForm(text);
      return declined(lex, readLexicons(lex)).map(([from, to]) => lex.slice(from, to));
    };
    expect(found('no need to explain, just give me the command')).toEqual(['explain']);
    expect(found('without any design, which AWS service sends SMS?')).toEqual(['design']);
    expect(found("not a full design, just compare REST and gRPC; I don't need a rigorous proof")).toEqual(['full', 'design', 'rigorous']);
    expect(found('不用解释，直接告诉我 Git 怎么撤销上一次提交')).toEqual(['解释']);
    // More is asked, not less; a frame with no hard word after it; a hard word further on.
    for (const text of ["don't just explain it: find out why the backup takes 9 hours", "don't skip steps: prove it rigorously", 'no, design it for 10k users', 'without using a cache, design the service']) expect(found(text), text).toEqual([]);
    expect(tier('no need to optimize anything, just tell me how to time a function in Python')).toBe('simple');
    // Read in short asks only: in a longer one the words around carry the reading (and a decline among 2 KB of hard words cost a second scan).
    const long = `no need to explain. ${'we run twelve services on one cluster. '.repeat(Math.ceil(SHORT_ASK / 38))}`;
    expect(plain(long)).toContain('no need to explain');
    expect(plain("past tense of 'prove'? " + 'x '.repeat(SHORT_ASK))).toContain("'prove'");
    expect(tier("don't just explain it: find out why our nightly backup job on the 2 TB Postgres now takes 9 hours instead of 3")).toBe('complex');
    expect(tier("don't skip steps: prove rigorously that the halting problem is undecidable")).toBe('deep');
  });

  it('finds titles that lie in the text and do not overlap, on any quotes and capitals (property)', () => {
    const piece = fc.constantFrom('Design', 'design', 'Proof', 'The', 'of', 'Things', 'film', 'conference', "'", '"', '“', '”', '《', '》', ' ', '\n', 'x', 'É');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 50 }), (parts) => {
        const written = parts.join('');
        const lex = lexicalForm(written);
        fc.pre(lex.length === written.length);
        let last = 0;
        for (const [from, to] of titles(lex, written)) {
          expect(from).toBeGreaterThanOrEqual(last);
          expect(to).toBeLessThanOrEqual(written.length);
          last = to;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('finds names that do not overlap, lie in the text and each hold a hard word (property)', () => {
    const piece = fc.constantFrom('design', 'optimize', 'prove', 'debug', 'cash', 'x', '/', '_', '.', '@', '#', '`', '=', '-', '--', ':', '//', ' ', '\n', 'é', '证明');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (parts) => {
        const lex = parts.join('');
        let last = 0;
        for (const [from, to] of hardNames(lex)) {
          expect(from).toBeGreaterThanOrEqual(last);
          expect(to).toBeGreaterThan(from);
          expect(to).toBeLessThanOrEqual(lex.length);
          expect(lex.slice(from, to)).toMatch(/design|optimize|prove|debug/);
          last = to;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('reads set 161 and 163 lookups about named commands and paths as lookups, and keeps the failures told through them', () => {
    // Before session 67: moderate, complex, moderate, deep, complex (the hard word of the name).
    expect(tier('what does kubectl explain do?')).toBe('simple');
    expect(tier('how do I turn on debug logging in nginx?')).toBe('simple');
    expect(tier('what is Jetpack Compose?')).toBe('simple');
    expect(tier('what is the Perl prove command for?')).toBe('simple');
    expect(tier('what does OPTIMIZE TABLE do in MySQL?')).toBe('simple');
    // A failure told through the command's output still reads as one to diagnose.
    expect(tier('docker compose up works on my laptop but on the server the api container restarts every 30 seconds with exit code 137. diagnose')).toBe('complex');
    expect(tier('our Jetpack Compose list stutters when scrolling 2,000 items on mid-range phones; recomposition counts are in the thousands. where do we start?')).toBe('complex');
    // Set 163: a lookup about a path or name holding a hard word, and asks that name one beside their own hard word.
    expect(tier('what does the file src/debug/analyze.py do? it only has 12 lines: import sys; print(sys.argv)')).toBe('simple');
    expect(tier('copy /var/log/analyzer/debug.log to my laptop with scp')).toBe('simple');
    expect(tier('debug why src/payments/retry.ts charges customers twice when the Stripe webhook is retried')).toBe('complex');
    expect(tier('prove that the function `derive_seed(n) = (n * 2654435761) mod 2^32` is a bijection on 32-bit integers')).toBe('deep');
    // A two-line diff to lib/derive.js read deep for "derive" before; its correctness question makes it a review (CHANGE_RISK).
    expect(tier('review this diff to lib/derive.js:\n```diff\n-  return a.map(x => x * rate)\n+  return a.map(x => Math.round(x * rate * 100) / 100)\n```\nis the rounding correct for invoices in JPY and EUR?')).toBe('complex');
    // And an ask that uses the hard word beside the name is read by it.
    expect(tier('prove that proof of stake with 1/3 byzantine validators cannot finalize two conflicting blocks')).toBe('deep');
  });

  it('reads the working of an answer declined as a brief answer asked for, and other declines as no ask (session 68)', () => {
    const working = (text: string) => {
      const lex = lexicalForm(text);
      return declinesWorking(lex, shortAskDeclines(lex, readLexicons(lex)));
    };
    for (const text of ['no need to explain, just the command', 'no derivation please', "don't prove it, just tell me", 'pas besoin de démonstration', '不用解释，直接告诉我', "I don't want a rigorous answer"]) expect(working(text)).toBe(true);
    // A declined design or optimisation is no ask, but says nothing of the answer's length; a word
    // asked for more ("don't just explain it") and an ask longer than SHORT_ASK are not read.
    for (const text of ["don't optimize it yet, what port?", 'without any design, which port?', "don't just explain it, find out why", `no need to explain. ${'the service restarts at night. '.repeat(14)}`]) expect(working(text)).toBe(false);
    expect(read('no need to explain anything, what is the capital of Peru?').signals).toContain('asks for a brief answer');
    expect(read("don't optimize anything yet, what's the default port of redis?").signals).not.toContain('asks for a brief answer');
  });

  it('lets the word model read an ask as the rules do where a name held its hardest word (session 68)', () => {
    // A stand-in model records what it is given and lifts nothing.
    const readByModel = (text: string) => {
      const seen: string[] = [];
      classifyMessages([{ role: 'user', content: text }], undefined, (t) => {
        seen.push(t);
        return 0;
      });
      return seen;
    };
    expect(readByModel("how do you pronounce 'derive'?")).toEqual(['how do you pronounce name?']);
    expect(readByModel("I don't need a design, only the name of the AWS service for managed Kafka")).toEqual(["i don't need a that, only the name of the aws service for managed kafka"]);
    // A name that held it ("optimize" in the branch), one that leaves it in place ("explain"
    // outside the branch), and an ask with no name: the last two read as written.
    expect(readByModel('explain what the branch feature/optimize-cache changes')).toEqual(['explain what the branch name changes']);
    expect(readByModel('explain what the branch feature/explain-docs changes')).toEqual(['explain what the branch feature/explain-docs changes']);
    expect(readByModel('what is a good name for a cat?')).toEqual(['what is a good name for a cat?']);
    // Before session 68 the model's reading of the hard word lifted each a tier (moderate, complex).
    expect(tier("how do you pronounce 'derive'?")).toBe('simple');
    expect(tier("I don't need a design, only the name of the AWS service for managed Kafka")).toBe('moderate');
    expect(tier('how much does an interior design course cost in the UK?')).toBe('simple');
  });
});
