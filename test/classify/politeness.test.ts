import { describe, expect, it } from 'vitest';
import { classifyMessages, classifyText } from '../../src/classify/classifier.js';
import { isSmallTalk, withoutSocialEdges } from '../../src/classify/social.js';
import { labelledRows } from '../../src/classify/wordmodel-train.js';
import { lexicalForm, technicalMarks, withoutEmphasis, withPlainSpaces } from '../../src/classify/text.js';
import type { ChatMessageLike } from '../../src/classify/text.js';
import { ASK_OPENING_WORDS } from '../../src/classify/lexicon.js';
import { packageRoot } from '../../src/paths.js';
import { TIER_NAMES } from '../../src/config/schema.js';

/**
 * How an ask is written around its words must not move its tier: a greeting before it, thanks or
 * an emoji after it, a label ("Quick question:"), a courtesy ("Can you please"), quotes around it,
 * two spaces, a typographic apostrophe. Before withoutSocialEdges and the plain lexical form, "Hi! "
 * moved 11 % of the training asks (217 of them down, "Hi! Prove that the halting problem is
 * undecidable." to simple, a Chinese failure report after a greeting to trivial) and two spaces
 * between words 13 %.
 */
const tune = labelledRows(packageRoot()).filter((r) => r.split === 'tune');
const lastUser = (m: readonly ChatMessageLike[]) => m[m.length - 1]!;
const asks = tune.filter((r) => lastUser(r.messages).role === 'user' && typeof lastUser(r.messages).content === 'string');

/** How many asks of the tune split a rewrite of their last turn moves to another tier, and the first few. */
function moved(rewrite: (ask: string) => string | null): { perturbed: number; moved: string[] } {
  const out: string[] = [];
  let perturbed = 0;
  for (const r of asks) {
    const ask = lastUser(r.messages).content as string;
    const other = rewrite(ask);
    if (other === null || other === ask) continue;
    perturbed++;
    const before = classifyMessages(r.messages).tier;
    const after = classifyMessages([...r.messages.slice(0, -1), { role: 'user', content: other }]).tier;
    if (before !== after) out.push(`${r.id} ${before} -> ${after}: ${JSON.stringify(other).slice(0, 100)}`);
  }
  return { perturbed, moved: out };
}

const lowerFirst = (s: string) => s[0]!.toLowerCase() + s.slice(1);
/** Whether an ask opens with a capitalised word that opens an ask (a question word, an auxiliary, a verb). */
const opensAnAsk = (s: string) => /^[A-Z][a-z]/.test(s) && ASK_OPENING_WORDS.has(/^\p{L}+/u.exec(s)![0].toLowerCase());
/** Asks that open with a common imperative. */
const IMPERATIVE = /^(?:Explain|Describe|Write|Design|Prove|Compare|Summarize|List|Give|Find|Translate|Create|Implement)\b/u;
const oneLine = (s: string) => !/[\n\r]/.test(s) && s.length <= 600;
const idx = (t: string) => TIER_NAMES.indexOf(t as (typeof TIER_NAMES)[number]);

describe('politeness and typography do not move the tier (the tune split, every ask)', () => {
  const rewrites: Array<[string, (ask: string) => string | null]> = [
    ['a greeting before it', (a) => `Hi! ${a}`],
    ['a greeting to a team, on its own line', (a) => `Hello team,\n${a}`],
    ['a greeting in Chinese', (a) => `你好，${a}`],
    ['please and a colon', (a) => `Please: ${a}`],
    ['a label', (a) => `Quick question: ${a}`],
    ['wondering', (a) => `I was wondering, ${a}`],
    ['thanks after it', (a) => (/[.?!。？！]\s*$/u.test(a) ? `${a} Thanks!` : null)],
    ['thanks on a line of their own', (a) => `${a}\n\nThank you.`],
    ['an emoji after it', (a) => `${a} 🙏`],
    ['an emoticon after it', (a) => `${a} :)`],
    ['a greeting, a label, thanks and an emoji', (a) => (/[.?!。？！]\s*$/u.test(a) ? `Hey there! Quick question: ${a} Thanks a lot 😊` : null)],
    ['quotes around one line', (a) => (oneLine(a) && !a.includes('"') ? `"${a}"` : null)],
    ['a list mark before one line', (a) => (oneLine(a) ? `- ${a}` : null)],
    ['typographic apostrophes', (a) => (a.includes("'") ? a.replace(/'/g, '’') : null)],
    // Markdown and closing marks (session 56: the first word in bold moved 52 of 766 asks, 13 down,
    // "**Formally** verify ..." deep to simple; ", please" 73 of 961, 28 down; "??" 35 of 402).
    // (Up to 1,200 characters, what the lexicons read of an ask: a longer paste with no instruction
    // is read by its first 200, and four more characters move that window.)
    ['the first word in bold', (a) => (/^\p{L}+\s/u.test(a) && a.length <= 1200 ? a.replace(/^(\p{L}+)/u, '**$1**') : null)],
    ['one line in bold', (a) => (oneLine(a) && !a.includes('*') ? `**${a}**` : null)],
    ['one line in italics', (a) => (oneLine(a) && !a.includes('*') && !a.includes('_') ? `_${a}_` : null)],
    ['one line as a heading', (a) => (oneLine(a) ? `## ${a}` : null)],
    ['a closing please', (a) => `${a}, please`],
    // A request put as a question or a need (session 56: "Can you " before an imperative moved 10 of
    // 140 tune asks, 3 down, "Can you explain how a transformer's attention works ..." to moderate).
    ['"Can you" before an imperative, as a question', (a) => (oneLine(a) && IMPERATIVE.test(a) ? `Can you ${lowerFirst(a).replace(/[.!]?\s*$/u, '?')}` : null)],
    ['"I need you to" before an imperative', (a) => (IMPERATIVE.test(a) ? `I need you to ${lowerFirst(a)}` : null)],
    ['a doubled question mark', (a) => (/\?\s*$/u.test(a) ? a.replace(/\?\s*$/u, '??') : null)],
    // An emoji before a greeting, thanks in parentheses, a quoted line, a tag, a reply mark (session
    // 56: "👋 Hi! " moved 66 of 961, 32 down; " (thanks!)" 45 of 644, 30 down; "Re: " 74 of 888).
    ['an emoji and a greeting before it', (a) => `👋 Hi! ${a}`],
    ['thanks in parentheses after it', (a) => (/[.?!。？！]\s*$/u.test(a) ? `${a} (thanks!)` : null)],
    ['a quoted line', (a) => (oneLine(a) ? `> ${a}` : null)],
    ['a bracketed tag before it', (a) => `[Question] ${a}`],
    ['a reply mark before one line', (a) => (oneLine(a) ? `Re: ${a}` : null)],
    // An urgency after it, a mention before it (session 56, probe asks not held back: " ASAP" moved
    // 89 of 1,652, 10 down, "证明素数有无穷多个。 ASAP" to moderate; "@assistant " 108, 12 down).
    ['an urgency after it', (a) => `${a} ASAP`],
    ['an urgency in parentheses after it', (a) => `${a} (urgent)`],
    ['a mention before a capitalised ask', (a) => (/^[A-Z][a-z]/.test(a) ? `@assistant ${a}` : null)],
    // Mail-like turns (session 56: "\n\nThanks in advance,\nBob" moved 148 of 961, 28 down).
    ['a sign-off and a name', (a) => `${a}\n\nThanks in advance,\nBob`],
    ['a greeting to a team, a sign-off and a name', (a) => `Hi team,\n\n${a}\n\nCheers,\nSam`],
    // A greeting, a please or "Okay so" with no mark after it (session 56: "hey " before a
    // lower-cased ask moved 51 of 720, 29 down); a bare "So" only before an ask's first word
    // (ASK_OPENING_WORDS: "So many people ..." keeps its "So").
    ['a greeting with no mark', (a) => (/^[A-Z][a-z]/.test(a) ? `hey ${lowerFirst(a)}` : null)],
    ['"Please" with no mark', (a) => (/^[A-Z][a-z]/.test(a) ? `Please ${lowerFirst(a)}` : null)],
    ['"Okay so"', (a) => (/^[A-Z][a-z]/.test(a) ? `Okay so ${lowerFirst(a)}` : null)],
    ['"So" before a question word or a verb', (a) => (opensAnAsk(a) ? `So ${lowerFirst(a)}` : null)],
  ];
  for (const [name, rewrite] of rewrites) {
    it(name, () => {
      const { perturbed, moved: changed } = moved(rewrite);
      expect(perturbed).toBeGreaterThan(50);
      expect(changed).toEqual([]);
    });
  }

  it('all in lower case: at most 1 % of asks move (names written with one capital, "Kafka", read no differently; a few CamelCase ones are not known in lower case)', () => {
    const { perturbed, moved: changed } = moved((a) => a.toLowerCase());
    expect(perturbed).toBeGreaterThan(800);
    expect(changed.length).toBeLessThanOrEqual(Math.floor(perturbed / 100));
    // Systems written in capitals or CamelCase are names in an all-lower-case ask too.
    const cased = technicalMarks('gRPC streams drop after exactly 60 seconds behind the ALB.');
    expect(cased.names).toBe(2);
    // (Looked for where the lexicon scan found one: scoreTurn passes LOWER_CASE_SYSTEMS' answer.)
    expect(technicalMarks('grpc streams drop after exactly 60 seconds behind the alb.', true).names).toBe(cased.names);
    expect(technicalMarks('grpc streams drop after exactly 60 seconds behind the alb.', false).names).toBe(0);
    expect(classifyText('grpc streams drop after exactly 60 seconds behind the alb.').tier).toBe(classifyText('gRPC streams drop after exactly 60 seconds behind the ALB.').tier);
    // Not where the ask has capitals of its own (its case says what a name is), nor an English word.
    expect(technicalMarks('The csv export drops rows.', true).names).toBe(0);
    expect(technicalMarks('take some rest and react calmly', true).names).toBe(0);
  });

  it('all in capitals: at most 1 % of asks move (an ask in capitals is read as in lower case: in capitals its case told no name from a word, and it named none)', () => {
    const { perturbed, moved: changed } = moved((a) => (a.length <= 300 && !/[\n`]/.test(a) ? a.toUpperCase() : null));
    expect(perturbed).toBeGreaterThan(800);
    expect(changed.length).toBeLessThanOrEqual(Math.floor(perturbed / 100));
    expect(classifyText('AIRFLOW RUNS THE DAG TWICE FOR THE SAME LOGICAL DATE SINCE WE CHANGED THE SCHEDULE.').tier).toBe(classifyText('airflow runs the dag twice for the same logical date since we changed the schedule.').tier);
  });

  it('two spaces between every word: at most 1 % of asks move (the word model reads fewer words of a spread-out ask)', () => {
    const { perturbed, moved: changed } = moved((a) => a.replace(/ /g, '  '));
    expect(perturbed).toBeGreaterThan(800);
    expect(changed.length).toBeLessThanOrEqual(Math.floor(perturbed / 100));
  });
});

describe('withoutSocialEdges: the ask between a greeting and thanks', () => {
  it('sets apart greetings, mentions, discourse openings, labels, courtesy, thanks, a please or an urgency, sign-offs, emoji and wrapping, and keeps what is not one', () => {
    const cases: Array<[string, string]> = [
      ['Hi! Prove that the halting problem is undecidable.', 'Prove that the halting problem is undecidable.'],
      ['Hi Anna, what is a mutex?', 'what is a mutex?'],
      ['Hey ChatGPT:\nWhy is the sky blue?', 'Why is the sky blue?'],
      ['Good morning team! Could you please review this plan?', 'review this plan?'],
      ['Привет! Почему падает сервис?', 'Почему падает сервис?'],
      ['What is X? Thanks!', 'What is X?'],
      ['Can you help with this, thanks', 'help with this'],
      ['Can you explain how attention scales with sequence length?', 'explain how attention scales with sequence length?'],
      ['I need you to write a haiku about rain', 'write a haiku about rain'],
      ['Explain CRDTs 🙏🏽', 'Explain CRDTs'],
      ['- What is a mutex?', 'What is a mutex?'],
      ['"How do I rebase?"', 'How do I rebase?'],
      ['“How do I rebase”?', 'How do I rebase?'],
      // Not a greeting, thanks or a wrapper: kept.
      ['Hello World program in C', 'Hello World program in C'],
      ['Hi-res images, how?', 'Hi-res images, how?'],
      ['Good morning routine: what should I include?', 'Good morning routine: what should I include?'],
      ['Write a note saying thanks.', 'Write a note saying thanks.'],
      ['Translate this to French please', 'Translate this to French please'],
      ['So many people ask this: why?', 'So many people ask this: why?'],
      ['Well-known results on sorting?', 'Well-known results on sorting?'],
      ["you're the best", "you're the best"],
      ['@Transactional Spring: why is it ignored?', '@Transactional Spring: why is it ignored?'],
      ['Is this urgent', 'Is this urgent'],
      ['hallo zusammen', 'hallo zusammen'],
      ['[1, 2, 3] sorted?', '[1, 2, 3] sorted?'],
      ['Regex: what does \\b match?', 'Regex: what does \\b match?'],
      ['Write a letter that ends:\nBest,\nthe team', 'Write a letter that ends:\nBest,\nthe team'],
      ['Can you hear me?', 'Can you hear me?'],
      ['"Hello" means what?', '"Hello" means what?'],
      ['Translate "hi" and "bye"', 'Translate "hi" and "bye"'],
      ['Which is wider, 16:9 or 4:3', 'Which is wider, 16:9 or 4:3'],
      ['Why does f(x=) fail :)', 'Why does f(x=) fail'],
      ['Write a haiku about rain, please', 'Write a haiku about rain'],
      ['What is a mutex? Please.', 'What is a mutex?'],
      ['**What** is a mutex?', 'What is a mutex?'],
      ['hey how do I rebase?', 'how do I rebase?'],
      ['Please write a haiku about rain', 'write a haiku about rain'],
      ['Okay so why does the build fail?', 'why does the build fail?'],
      ['hey book a table for two at 7pm', 'book a table for two at 7pm'],
      ['um, the nightly ETL misses rows', 'the nightly ETL misses rows'],
      ['So, what is a monad?', 'what is a monad?'],
      ['Can you check this?\n\nBest regards,\nAlice Smith', 'check this?'],
      ['Hello\n\nBest,\nAlice', 'Hello'],
      ['👋 Hi! What is a mutex?', 'What is a mutex?'],
      ['What is a mutex? (thanks!)', 'What is a mutex?'],
      ['> What is a mutex?', 'What is a mutex?'],
      ['[URGENT] Why is checkout down?', 'Why is checkout down?'],
      ['Fwd: budget numbers for Q3', 'budget numbers for Q3'],
      ['Prove that √2 is irrational. ASAP', 'Prove that √2 is irrational.'],
      ['@assistant How do I rebase?', 'How do I rebase?'],
      ['@bot: what is a monad?', 'what is a monad?'],
      // Nothing else, or thanks with an acknowledgement: the turn as it is (small talk).
      ['Hi!', 'Hi!'],
      ['👍', '👍'],
      ["thanks, that's all", "thanks, that's all"],
      ['yes, please', 'yes, please'],
      ['that fixed it, thx', 'that fixed it, thx'],
    ];
    for (const [turn, ask] of cases) expect(withoutSocialEdges(turn), turn).toBe(ask);
    for (const t of ['Hi!', 'Hi! Thanks!', "thanks, that's all", 'ありがとうございます Thanks!', '👍']) expect(classifyText(t).tier, t).toBe('trivial');
  });

  it('is bounded: a greeting, a label or thanks are looked for at the ends, and a megabyte of them reads in time', () => {
    const huge = `Hi! ${'Quick question: '.repeat(40_000)}why? ${'Thanks! '.repeat(40_000)}`;
    const t0 = performance.now();
    const out = withoutSocialEdges(huge);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(out.length).toBeLessThan(huge.length);
    expect(out.startsWith('Quick question: ')).toBe(true);
    // A turn of 100,000 emoji: its last ones are set apart, in time (a long turn is no small talk, as before).
    const t1 = performance.now();
    expect(withoutSocialEdges('🙏'.repeat(100_000)).length).toBeLessThan(200_000);
    expect(classifyText('🙏'.repeat(100_000)).tier).toBe('simple');
    expect(performance.now() - t1).toBeLessThan(200);
    expect(classifyText('🙏').tier).toBe('trivial');
  });

  it('is bounded for the session-56 edges too: megabytes of sign-offs, mentions, discourse openings, leading emoji or one long line read in time', () => {
    const attacks = [
      `Why? ${'\nCheers,\nSam'.repeat(80_000)}`,
      `Why?${' '.repeat(1_000_000)}\nBest,\nAlice`,
      'x'.repeat(1_000_000),
      `${'@a '.repeat(300_000)}how do I rebase?`,
      `${'Okay so '.repeat(120_000)}why?`,
      `${'👋 '.repeat(300_000)}Hi! why?`,
      `[${'a'.repeat(1_000_000)}] why?`,
      `Why? ${'(thanks!) '.repeat(100_000)}`,
    ];
    for (const turn of attacks) {
      const t0 = performance.now();
      const ask = withoutSocialEdges(turn);
      classifyText(turn);
      expect(performance.now() - t0, turn.slice(0, 20)).toBeLessThan(300);
      expect(ask.length).toBeLessThanOrEqual(turn.length);
    }
    // A sign-off and a name are looked for in the last 80 characters of each line: a name line
    // padded to a megabyte is not read (nor is its line start looked for), a short one is.
    const farName = `What is a mutex?\nBest,\n${' '.repeat(1_000_000)}Alice`;
    expect(withoutSocialEdges(farName)).toBe(farName);
    expect(withoutSocialEdges('What is a mutex?\nBest,\n  Alice')).toBe('What is a mutex?');
  });

  it('keyword stuffing after a greeting stays stuffing around the greeting; a sentence after it is the ask', () => {
    // A held-out adversarial ask of this shape reads as the greeting with a hard word beside it (the
    // stuffing check), not as the keywords alone.
    const soup = 'Hello! prove design architect optimize derive theorem lemma step by step';
    expect(withoutSocialEdges(soup)).toBe(soup);
    expect(idx(classifyText(soup).tier)).toBeLessThanOrEqual(idx('simple'));
    // A sentence (a function word, a question, Chinese) after the greeting is the ask.
    for (const ask of ['Design and implement a distributed cache', 'Prove that the halting problem is undecidable.', '证明素数有无穷多个。', 'prove design optimize derive?']) {
      expect(withoutSocialEdges(`Hi! ${ask}`), ask).toBe(ask);
      expect(classifyText(`Hi! ${ask}`).tier, ask).toBe(classifyText(ask).tier);
    }
    // After a label alone (no greeting) the keywords are the ask, as they are without it.
    expect(withoutSocialEdges('Quick question: prove design optimize derive')).toBe('prove design optimize derive');
    // A greeting and a label with nothing asked yet is small talk.
    expect(classifyText('hey, quick one').tier).toBe('trivial');
  });

  it('a Chinese or Japanese sentence after a greeting is not small talk; the same greeting alone is', () => {
    expect(isSmallTalk('Hi! デプロイのたびにメモリ使用量が増えていきます')).toBe(false);
    expect(isSmallTalk('Hi! 线上 Kafka 消费者每隔几分钟就重新平衡一次。')).toBe(false);
    expect(isSmallTalk('Hi! ありがとうございます')).toBe(true);
    expect(isSmallTalk('Hi there!')).toBe(true);
    expect(classifyText('Hi! デプロイのたびにメモリ使用量が増えていきます').tier).toBe(classifyText('デプロイのたびにメモリ使用量が増えていきます').tier);
  });
});

describe('withoutEmphasis: markdown emphasis and headings are not words', () => {
  it('removes paired emphasis marks and heading marks, and leaves code, arithmetic and identifiers as written', () => {
    const cases: Array<[string, string]> = [
      ['**Formally** verify that x', 'Formally verify that x'],
      ['**What is 15 + 27?**', 'What is 15 + 27?'],
      ['_What is 2+2?_', 'What is 2+2?'],
      ['## What is 2+2?', 'What is 2+2?'],
      ['Is **this** _really_ fine?', 'Is this really fine?'],
      ['**bold *and italic* here**', 'bold and italic here'],
      ['***both*** ways', 'both ways'],
      ['(*very*) fast', '(very) fast'],
      ['*unclosed and **closed**', '*unclosed and closed'],
      // Not emphasis: kept.
      ['2 * 3 * 4', '2 * 3 * 4'],
      ['2**10', '2**10'],
      ['a*b*c', 'a*b*c'],
      ['f(*args, **kwargs)', 'f(*args, **kwargs)'],
      ['snake_case and __init__', 'snake_case and __init__'],
      ['x_1 and y_2', 'x_1 and y_2'],
      ['use `**x**` here', 'use `**x**` here'],
      ['```\n**a**\n```\n**b**', '```\n**a**\n```\nb'],
      ['* item one\n* item two', '* item one\n* item two'],
      ['#include <x>', '#include <x>'],
      ['**across\nlines**', '**across\nlines**'],
    ];
    for (const [text, plain] of cases) expect(withoutEmphasis(text), text).toBe(plain);
    // The ask's scan reads it so: the tier of an ask in bold is the tier of the ask.
    expect(classifyText('**Formally** verify that this binary search terminates and returns the correct index.').tier).toBe(classifyText('Formally verify that this binary search terminates and returns the correct index.').tier);
    expect(classifyText('**What is 15 + 27?**').tier).toBe('trivial');
  });

  it('is one pass: 1 MB of unpaired marks, backticks and fences reads in time', () => {
    for (const unit of ['*a ', '`` ` ', '**x\n', '```\n', '_ *b* ']) {
      const text = unit.repeat(Math.ceil(1_000_000 / unit.length));
      const t0 = performance.now();
      const out = withoutEmphasis(text);
      expect(performance.now() - t0, JSON.stringify(unit)).toBeLessThan(300);
      expect(out.length).toBeLessThanOrEqual(text.length);
    }
    // At most 64 marks (and heading marks) are looked at in a text: 32 pairs of '*' come out, the rest stays.
    expect('*a* '.repeat(1000).length - withoutEmphasis('*a* '.repeat(1000)).length).toBe(64);
    expect('# h\n'.repeat(300).length - withoutEmphasis('# h\n'.repeat(300)).length).toBe(2 * 64);
  });
});

describe('the plain lexical form: one space between words, plain apostrophes', () => {
  it('makes runs of spaces, tabs and no-break spaces one space, and typographic apostrophes plain, and nothing else', () => {
    expect(withPlainSpaces('step  by\tstep\u00a0now  ')).toBe('step by step now ');
    expect(withPlainSpaces('what’s this')).toBe("what's this");
    expect(withPlainSpaces('line one\n\nline two')).toBe('line one\n\nline two');
    const prose = 'We need to decide how to roll out the new billing system.';
    expect(withPlainSpaces(prose)).toBe(prose);
    expect(lexicalForm('Think  step  by\tstep')).toBe('think step by step');
    // Measurements are read with one space ("16  GB" is "16 GB").
    expect(technicalMarks(withPlainSpaces('GC pauses of 2  s on a 16  GB heap')).measurements).toBe(technicalMarks('GC pauses of 2 s on a 16 GB heap').measurements);
    expect(classifyText('Java service: GC pauses of 2  s on a 16  GB heap since the upgrade.').tier).toBe(classifyText('Java service: GC pauses of 2 s on a 16 GB heap since the upgrade.').tier);
    expect(classifyText('What is  15 + 27?').tier).toBe(classifyText('What is 15 + 27?').tier);
    expect(classifyText('Think  step  by  step:  prove  that  √2  is  irrational.').tier).toBe(classifyText('Think step by step: prove that √2 is irrational.').tier);
  });
});
