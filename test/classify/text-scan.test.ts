/**
 * The classifier's text scanners were rewritten for bounded time on adversarial input (nested
 * fences, one character per line, mixed scripts). Each must decide exactly what the regex version
 * it replaced decided; those versions are kept here as the references.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EFFORT_TERMS, EFFORT_WORDS, lexicon } from '../../src/classify/lexicon.js';
import { readLexicons } from '../../src/classify/wordlex.js';
import { BMP_LETTER, CHOICE_LEAD, firstSentence, givenItems, inlineOptions, isJsSpace, ITEMS_LEAD, lexicalForm, listLines, looksLikeCodeLine, nonBlankLines, paragraphBreaks, POINTS_AT_ITEMS, splitAsk, tableRows, TASK_OPENING } from '../../src/classify/text.js';

const FENCE = /```[^\n]*\n([\s\S]*?)(?:```|$)/g;
const CODE_LINE =
  /^(?:\s{4,}|\t)\S|[;{}]\s*$|^\s*(?:def|class|import|from|function|const|let|var|return|if|for|while|public|private|func|fn|SELECT|INSERT|#include|package)\b.*[(:{=;]/;

/**
 * The prose and code that splitAsk's regex version produced (before its long-message step), with
 * its bound: past the 16th fenced block, the rest of the text (from the next block on) is code,
 * but for the lines after a last fence that stands alone on its line (a closing one).
 */
function referenceProseAndCode(text: string): { prose: string; code: string } {
  let code = '';
  let prose = text;
  if (text.includes('```')) {
    const blocks = [...text.matchAll(FENCE)];
    const cut = blocks.length > 16 ? blocks[16]!.index : text.length;
    prose = text.slice(0, cut).replace(FENCE, (_m, body: string) => {
      code += body + '\n';
      return '\n';
    });
    if (cut < text.length) {
      const closing = /```[^\S\n]*\n(?![\s\S]*```)/.exec(text.slice(cut + 1));
      const tail = closing ? cut + 1 + closing.index + closing[0].length : -1;
      prose += '\n' + (tail >= 0 ? text.slice(tail) : '');
      code += tail >= 0 ? text.slice(cut, tail) : text.slice(cut);
    }
  }
  if (prose.length > 80) {
    const kept: string[] = [];
    const lines = prose.split('\n');
    const rows = referenceTableRows(lines);
    const items = referenceGivenItems(prose);
    lines.forEach((line, i) => {
      if (line.length >= 3 && CODE_LINE.test(line)) code += line + '\n';
      else if (!rows.has(i) && !items.lines.has(i)) kept.push(line);
    });
    prose = kept.join('\n');
    const options = referenceInlineOptions(prose);
    if (options !== null) prose = prose.slice(0, options.index) + prose.slice(options.index + options.text.length);
  }
  return { prose, code };
}

/** A line's item mark (givenItems' reference): group 1 an option letter's mark; the text after the mark and its spaces is group 2. */
const ITEM_MARK = /^[ \t]*(?:\d{1,2}[.)、．]|[-*•·][ \t]|\[[ xX]?\]|(\([A-Ha-hА-Еа-еアイウエオ]\)|[A-Ha-hА-Еа-еアイウエオ][).．、]))[ \t]*([^ \t][\s\S]*)$/u;
/** A line long enough to hold a mark and its text: three characters after its indent. */
const longEnough = (l: string) => l.replace(/^[ \t]*/, '').length >= 3;

/**
 * The lines (indices) of the items a lead gives, by regexes (givenItems' reference), and whether
 * they are options: in a text of more than one line and at most 4,096 characters, either every
 * non-blank, non-code line after a first line that ends with a colon, opens with a verb of
 * ITEMS_LEAD and points at them (two or more); or two or more marked lines side by side (blank
 * lines between), the first one not the text's first line and within its first 24 lines and 800
 * characters, after a lead that asks to choose (CHOICE_LEAD), to work through them (ITEMS_LEAD),
 * or that ends with a question or a colon over options all lettered, at most eight, none asking
 * something of its own. Only the first 400 lines are read.
 */
function referenceGivenItems(text: string): { lines: Set<number>; choices: boolean } {
  const none = { lines: new Set<number>(), choices: false };
  if (text.length > 4096 || !text.includes('\n')) return none;
  const all = text.split('\n');
  const lines = all.slice(0, 400);
  const isCode = (l: string) => l.length >= 3 && CODE_LINE.test(l);
  const first = lines[0]!;
  if (first.length <= 800 && /[:：]$/.test(first.trimEnd()) && ITEMS_LEAD.test(first.trimEnd().toLowerCase()) && POINTS_AT_ITEMS.test(first.trimEnd().toLowerCase())) {
    const found = new Set<number>();
    all.slice(0, 401).forEach((l, i) => {
      if (i > 0 && l.trim() !== '' && !isCode(l)) found.add(i);
    });
    if (found.size >= 2) return { lines: found, choices: false };
  }
  let offset = 0;
  let firstItem = -1;
  for (let i = 0; i < lines.length && i < 24 && offset <= 800; i++) {
    const l = lines[i]!;
    if (ITEM_MARK.test(l) && longEnough(l) && !isCode(l)) {
      firstItem = i;
      break;
    }
    offset += l.length + 1;
  }
  if (firstItem <= 0) return none;
  const found = new Set<number>();
  let lettered = true;
  for (let i = firstItem; i < lines.length; i++) {
    const l = lines[i]!;
    const m = ITEM_MARK.exec(l);
    if (m !== null && longEnough(l) && !isCode(l)) {
      found.add(i);
      if (m[1] === undefined || found.size > 8 || /[?？]/.test(m[2]!) || TASK_OPENING.test(m[2]!)) lettered = false;
    } else if (l.trim() !== '') break;
  }
  if (found.size < 2) return none;
  const lead = lines.slice(0, firstItem).join('\n').trim().toLowerCase();
  if (lead === '') return none;
  if (CHOICE_LEAD.test(lead)) return { lines: found, choices: true };
  if (ITEMS_LEAD.test(lead)) return { lines: found, choices: false };
  return lettered && /[?:？：]$/.test(lead) ? { lines: found, choices: true } : none;
}

/**
 * Options lettered in one line (inlineOptions' reference), by regexes: in a text of at most 4,096
 * characters holding "b)", "B)" or "B.", the first line of 11 characters or more whose last 300
 * hold marks a, b, c … in order and in one style ("(a)", "a)" or "a.", either case), each after a
 * space, a colon or a question mark (or the line's start) and before a space or a tab; from the
 * last "a" mark of the first such run to the line's end, where no option asks something of its
 * own and the 800 characters before end with a question or a colon or ask to choose (a line
 * whose run fails these is passed).
 */
function referenceInlineOptions(text: string): { index: number; text: string } | null {
  if (text.length > 4096 || !/b\)|B\)|B\./.test(text)) return null;
  let at = 0;
  for (const line of text.split('\n')) {
    const from = Math.max(0, line.length - 300);
    if (line.length >= 11) {
      const marks = [...line.matchAll(/(?<=^|[\s:?：？])(\(?)([a-hA-H])([).])(?=[ \t])/gu)].filter((m) => m.index! >= from && m.index! + m[1]!.length + 2 < line.length && !(m[1] === '(' && m[3] === '.'));
      let run: RegExpMatchArray[] = [];
      let done: RegExpMatchArray[] | null = null;
      for (const m of marks) {
        const letter = m[2]!.toLowerCase();
        const style = m[1]! + m[3]!;
        if (letter === 'a') {
          if (run.length >= 3) break;
          run = [m];
        } else if (run.length > 0 && style === run[0]![1]! + run[0]![3]! && letter.charCodeAt(0) === 97 + run.length) run.push(m);
      }
      if (run.length >= 3) done = run;
      if (done !== null) {
        const start = done[0]!.index!;
        const texts = done.map((m, k) => line.slice(m.index! + m[0].length + 1, k + 1 < done.length ? done[k + 1]!.index : line.length));
        const lead = text.slice(Math.max(0, at + start - 800), at + start).trim().toLowerCase();
        const asks = texts.some((o) => /[?？]/.test(o) || TASK_OPENING.test(o));
        if (!asks && lead !== '' && (/[?:？：]$/.test(lead) || CHOICE_LEAD.test(lead))) return { index: at + start, text: line.slice(start) };
      }
    }
    at += line.length + 1;
  }
  return null;
}

/**
 * The lines (indices) that are rows of a pasted table, by regexes (tableRows' reference): side by
 * side lines of one shape, two or more, one with a digit. A shape: '|' at both ends and how many
 * '|'; else the first of tab, ';' and ',' the line holds, and how many (none with ", ").
 */
function referenceTableRows(lines: readonly string[]): Set<number> {
  const shape = (raw: string): string => {
    const line = raw.trim();
    if (line.length < 3 || line.length >= 300) return '';
    if (/, /.test(line)) return '';
    if (/^\|.*\|$/.test(line)) return `|${line.split('|').length}`;
    for (const d of ['\t', ';', ',']) if (line.includes(d)) return `${d}${line.split(d).length}`;
    return '';
  };
  const rows = new Set<number>();
  let i = 0;
  while (i < lines.length) {
    const s = shape(lines[i]!);
    let j = i + 1;
    while (s !== '' && j < lines.length && shape(lines[j]!) === s) j++;
    if (s !== '' && j - i >= 2 && lines.slice(i, j).some((l) => /\d/.test(l))) for (let k = i; k < j; k++) rows.add(k);
    i = s === '' ? i + 1 : j;
  }
  return rows;
}

const pieces = [
  '```', '```js\n', '````\n', '  ```\n', '\n', '\n\n', '\r\n', ' ', '    ', '\t', '\u00a0', '\u2028', ';', '{', '}', '(', ':', '=',
  'def f(x):', 'SELECT * FROM t;', 'INSERT', '#include <x>', 'return x;', 'if (a) {', 'import os', 'Compare these options.',
  '- item', '* item', '• item', '1. step', '2) step', '12.', 'prose line here', 'explain why', 'design', '?', 'a', 'é', '证明',
  '\t\t', '\ufeff', '\r', 'x', 'fn(', 'classy', 'for_each',
];
const textArb = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 5 })), { maxLength: 80 }).map((p) => p.join(''));

describe('splitAsk scanners', () => {
  it('fences and code lines: the same prose and code as the regex version (property)', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const ref = referenceProseAndCode(text);
        const got = splitAsk(text);
        expect(got.code).toBe(ref.code);
        // Short prose is the ask, trimmed; long prose is cut into ask and material, both from it.
        if (ref.prose.length <= 1400) expect(got.ask).toBe(ref.prose.trim());
      }),
      { numRuns: 3000 },
    );
  });

  it('looksLikeCodeLine: what the regex says, on any line (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces.filter((p) => !p.includes('\n'))), { maxLength: 8 }).map((p) => p.join('')), (line) => {
        expect(looksLikeCodeLine(line)).toBe(line.length >= 3 && CODE_LINE.test(line));
      }),
      { numRuns: 3000 },
    );
  });

  it('firstSentence: what the sentence regex matches, counting code points (property)', () => {
    const SENTENCE = /^[^.!?:。？：\n]{1,300}[.!?:。？：]/u;
    const unit = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('a', 'word ', 'é', '证', '😀', '\ud83d', '\ude00', ' ', '\r') },
      { weight: 1, arbitrary: fc.constantFrom('.', '!', '?', ':', '。', '？', '：', '\n') },
    );
    const text = fc.tuple(fc.array(unit, { maxLength: 40 }), fc.nat({ max: 320 }), fc.constantFrom('a', '😀', '证'), fc.array(unit, { maxLength: 6 })).map(
      // A run near the 300-code-point limit (of BMP or astral characters), then more.
      ([head, run, ch, tail]) => head.join('') + ch.repeat(run) + tail.join(''),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(firstSentence(t)).toBe(SENTENCE.exec(t)?.[0]);
      }),
      { numRuns: 5000 },
    );
    expect(firstSentence('a'.repeat(300) + '.')).toBe('a'.repeat(300) + '.');
    expect(firstSentence('a'.repeat(301) + '.')).toBeUndefined();
    expect(firstSentence('😀'.repeat(300) + '.')).toBe('😀'.repeat(300) + '.');
    expect(firstSentence('.')).toBeUndefined();
  });

  it('paragraphBreaks: the first and last of the breaks the split regex splits at (property)', () => {
    const unit = fc.constantFrom('\n', '\n\n', ' ', '\t', '\r', '\u2028', '\u00a0', '\ufeff', 'a', 'word', '证', '😀', '.', '\n \n');
    // Lines enough after the breaks that the walk from the end gives way to a scan, some of the time.
    const lines = fc.constantFrom('', 'x\n'.repeat(40), ' \n'.repeat(20) + 'y\n'.repeat(20));
    const texts = fc.tuple(fc.array(unit, { maxLength: 60 }), lines, fc.array(fc.constantFrom('a', ' ', '\n', '\n\n'), { maxLength: 4 })).map(([a, l, b]) => a.join('') + l + b.join(''));
    fc.assert(
      fc.property(texts, (text) => {
        const breaks = [...text.matchAll(/\n\s*\n/g)];
        const got = paragraphBreaks(text);
        expect(got.count).toBe(Math.min(breaks.length, 2));
        expect(Math.min(got.count + 1, 3)).toBe(Math.min(text.split(/\n\s*\n/).length, 3));
        if (breaks.length > 0) {
          expect([got.firstStart, got.firstEnd]).toEqual([breaks[0]!.index, breaks[0]!.index + breaks[0]![0].length]);
          const last = breaks.at(-1)!;
          expect([got.lastStart, got.lastEnd]).toEqual([last.index, last.index + last[0].length]);
        }
        expect(got.allBare).toBe(breaks.every((b) => b[0] === '\n\n'));
      }),
      { numRuns: 5000 },
    );
  });

  it('a long message: the same ask and material as splitting it into paragraphs (property)', () => {
    // The step after the code lines, as it was: split into paragraphs, the ends tried as the ask,
    // the rest joined by blank lines.
    const reference = (prose: string, isInstruction: (p: string) => boolean) => {
      if (prose.length <= 1400) return { ask: prose.trim(), material: '' };
      const paras = prose.split(/\n\s*\n/);
      const first = paras[0]!.trim();
      const last = paras.length > 1 ? paras.at(-1)!.trim() : '';
      const asks: string[] = [];
      let from = 0;
      let to = paras.length;
      if (first.length <= 600 && isInstruction(first)) {
        asks.push(first);
        from = 1;
      } else if (first.length > 600) {
        const sentence = firstSentence(first);
        if (sentence && isInstruction(sentence)) asks.push(sentence);
      }
      if (last && last.length <= 600 && isInstruction(last)) {
        asks.push(last);
        to = paras.length - 1;
      }
      return { ask: asks.join('\n').trim(), material: paras.slice(from, to).join('\n\n') };
    };
    const piece = fc.constantFrom('\n', '\n\n', '\n \n', '\n\n\n', ' \n\t\n ', 'Explain this. ', 'word ', 'x'.repeat(90), 'y'.repeat(700), '证明 ', '. ');
    // Which paragraphs read as instructions: by their length, so both ends are tried either way.
    const byLength = fc.constantFrom(0, 1, 2).map((k) => (p: string) => p.length % 3 === k);
    fc.assert(
      fc.property(fc.array(piece, { minLength: 10, maxLength: 90 }), byLength, (parts, isInstruction) => {
        const text = parts.join('');
        const ref = reference(referenceProseAndCode(text).prose, isInstruction);
        const got = splitAsk(text, isInstruction);
        expect(got.ask).toBe(ref.ask);
        expect(got.material).toBe(ref.material);
      }),
      { numRuns: 3000 },
    );
  });

  it('isJsSpace is \\s for every BMP character', () => {
    for (let c = 0; c < 0x10000; c++) expect(isJsSpace(c), `U+${c.toString(16)}`).toBe(/\s/.test(String.fromCharCode(c)));
  });

  it('listLines counts the lines a per-line regex counts (property)', () => {
    const reference = (t: string) => t.split('\n').filter((l) => /^\s*(?:[-*•]|\d+[.)])\s+\S/u.test(l)).length;
    fc.assert(
      fc.property(textArb, (text) => {
        expect(listLines(text)).toBe(reference(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('generated worst cases: nested fences and one character per line split as before', () => {
    const fill = (u: string, b: number) => u.repeat(Math.ceil(b / u.length)).slice(0, b);
    for (const t of [fill('```js\n```py\n````\n  ```\n', 4096), fill('{\n;\n', 4096), fill('    x;\n', 4096)]) {
      const ref = referenceProseAndCode(t);
      expect(splitAsk(t).code).toBe(ref.code);
    }
  });

  it('pasted table rows: data, not ask, as the reference decides (property)', () => {
    const cell = fc.constantFrom('a', 'Jan', '120', '4.5', 'x y', '', '-', 'é', '证明');
    const row = fc.tuple(fc.constantFrom(',', ';', '\t', '|', ', '), fc.array(cell, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([d, cells, framed]) => (d === '|' && framed ? `| ${cells.join(' | ')} |` : cells.join(d)));
    const line = fc.oneof(row, fc.constantFrom('which month had the highest revenue?', '', '   ', 'const a = 1;', '|---|---|', 'a,b,c,d,e'));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), (lines) => {
        const text = `Here is the table I exported from our sales system this morning:\n${lines.join('\n')}\nwhat stands out in these numbers, please?`;
        const all = text.split('\n');
        const rows = referenceTableRows(all);
        const got = splitAsk(text);
        const expected = all.filter((l, i) => rows.has(i) && !(l.length >= 3 && CODE_LINE.test(l)));
        expect(got.data).toBe(expected.map((l) => l + '\n').join(''));
        expect(got.material).toBe(got.data);
        expect(got.ask).toBe(referenceProseAndCode(text).prose.trim());
      }),
      { numRuns: 3000 },
    );
  });

  it('reads CSV, tab-separated and markdown rows as data, and prose lists, one row or rows with no digit as ask', () => {
    const csv = splitAsk('month,revenue\nJan,120\nFeb,135\nMar,128\n\nwhich month had the highest revenue in the first quarter?');
    expect(csv.ask).toBe('which month had the highest revenue in the first quarter?');
    expect(csv.data).toBe('month,revenue\nJan,120\nFeb,135\nMar,128\n');
    expect(splitAsk('| day | steps |\n|---|---|\n| Mon | 8,200 |\n| Tue | 12,400 |\n\ndid I hit 10k on average this week?').ask).toBe('did I hit 10k on average this week?');
    expect(splitAsk('name\tscore\nAna\t82\nBen\t91\n\nwho scored highest in this little table, and by how many points?').data).toContain('Ana\t82');
    // Rows are looked for in a text of at most 4,096 characters, and of more than one line.
    expect(tableRows(`month,revenue\nJan,120\nFeb,135\n${'and more words '.repeat(10)}`)).toEqual([0, 14, 22]);
    expect(tableRows(`month,revenue\nJan,120\nFeb,135\n${'and more words '.repeat(300)}`)).toBeNull();
    expect(tableRows('a,1;b,2;c,3 '.repeat(50))).toBeNull();
    // A list in prose (", "), one row alone, and rows of words only stay the ask; so does a message
    // of at most 80 characters (its lines are not split, as code lines are not).
    expect(splitAsk('month,revenue\nJan,120\nFeb,135\n\nwhich month was best?').data).toBe('');
    for (const text of ['Pay 2.9, Manager 4.1, Workload 2.4\nGrowth 3.0, Team 4.4\n\nwhich two areas should leadership prioritize?', 'id,name\n\nwhat would a good primary key be for this table of users?', 'apple,pear\nfig,kiwi\n\nmerge these two lists and remove duplicates, please']) {
      expect(splitAsk(text).data).toBe('');
    }
  });

  it('given items and options: data, not ask, as the reference decides (property)', () => {
    const lead = fc.constantFrom(
      'Which of the following is true?', 'Label each of these tweets as spam or not spam.', 'Classify each log line by severity:', 'Design a rate limiter with these requirements:',
      'Answer the questions about f(x) = x^2:', 'Which sorting algorithm is stable', 'Here are 3 survey answers to sort into themes.', '下列哪个是正确的？', 'Let f be a function.', 'Pick one:',
    );
    const mark = fc.constantFrom('a) ', 'b) ', 'C. ', '(d) ', '1. ', '2) ', '- ', '* ', '• ', '[ ] ', '[x] ', 'ア. ', 'б) ', '', '  a) ', '\ta.', '-', '12、');
    const body = fc.constantFrom('Quicksort', 'merge sort is stable', 'find the derivative', 'why is that?', 'WIN a FREE phone', 'x', 'const a = 1;', 'prove it terminates', 'O(n log n)', '');
    const line = fc.oneof(fc.tuple(mark, body).map(([m, b]) => m + b), fc.constantFrom('', '   ', 'Explain why each of the others is not.'));
    fc.assert(
      fc.property(lead, fc.array(line, { minLength: 1, maxLength: 12 }), fc.constantFrom('', '\nThanks in advance for any help with this one.'), (first, lines, tail) => {
        const text = `${first}\n${lines.join('\n')}${tail}`.padEnd(81, ' ');
        const got = splitAsk(text);
        expect(got.ask).toBe(referenceProseAndCode(text).prose.trim());
        const given = givenItems(text);
        const ref = referenceGivenItems(text);
        expect(given === null ? [] : given.starts.map((at) => text.slice(0, at).split('\n').length - 1)).toEqual([...ref.lines]);
        if (given !== null) expect(given.choices).toBe(ref.choices);
      }),
      { numRuns: 3000 },
    );
  });

  it('options in one line: the same span as the reference (property)', () => {
    const piece = fc.constantFrom('a) ', 'b) ', 'c) ', 'd) ', '(a) ', '(b) ', '(c) ', 'A. ', 'B. ', 'C. ', 'a.', '51 ', '57 ', 'Paris ', 'find x ', 'why? ', 'Which one? ', 'Pick: ', ' ', 'x', '\n');
    // A run of options in one style, with texts, among the pieces: most texts then hold one.
    const run = fc.tuple(fc.constantFrom(['(', ')'], ['', ')'], ['', '.']), fc.boolean(), fc.integer({ min: 2, max: 5 }), fc.constantFrom('12 ', 'Mars ', 'O(n) ', 'prove it ', 'yes? ')).map(
      ([[open, close], upper, k, body]) => Array.from({ length: k }, (_, i) => `${open}${String.fromCharCode((upper ? 65 : 97) + i)}${close} ${body}`).join(''),
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, run), { maxLength: 30 }), (pieces) => {
        const text = pieces.join('');
        const got = inlineOptions(text);
        const ref = referenceInlineOptions(text);
        expect(got === null ? null : text.slice(got[0], got[1])).toBe(ref === null ? null : ref.text);
        if (got !== null) expect(got[0]).toBe(ref!.index);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads options after a question and items after a lead that works through them as data; requirements and parts of an exercise stay the ask', () => {
    const mcq = splitAsk('Which sorting algorithm is stable?\nA) Quicksort\nB) Heapsort\nC) Merge sort\nD) Selection sort\nExplain why each of the others is not.');
    expect(mcq.ask).toBe('Which sorting algorithm is stable?\nExplain why each of the others is not.');
    expect(mcq.options).toBe('A) Quicksort\nB) Heapsort\nC) Merge sort\nD) Selection sort\n');
    expect(mcq.material).toBe(mcq.options);
    const inline = splitAsk('Which of the following is a prime number, if any of them is at all?\n(a) 51 (b) 57 (c) 59 (d) 91');
    expect(inline.ask).toBe('Which of the following is a prime number, if any of them is at all?');
    expect(inline.options).toBe('(a) 51 (b) 57 (c) 59 (d) 91\n');
    const tweets = splitAsk('Label each of these tweets as spam or not spam. Reply with a JSON array of labels only.\n1. WIN a FREE iPhone!!! click\n2. my train is late again this morning\n3. Earn $5000/week from home');
    expect(tweets.ask).toBe('Label each of these tweets as spam or not spam. Reply with a JSON array of labels only.');
    expect(tweets.data).toContain('2. my train is late again this morning');
    // Items to work through are data, not options to choose among.
    expect(tweets.options).toBe('');
    const logs = splitAsk('Classify each log line by severity and component:\n10:00:01 api INFO served in 32ms\n10:00:02 db WARN slow query 1.2s\n10:00:03 worker ERROR job failed');
    expect(logs.ask).toBe('Classify each log line by severity and component:');
    for (const text of [
      'Design a rate limiter for our public API:\n- 10k requests a second per tenant\n- quotas per plan, changed without a deploy\n- multi-region',
      'Let f(x) = x^3 - 3x. Answer the following:\na) find the derivative of f\nb) show that f has two turning points\nc) sketch the graph',
      'We have three options and I would like your view:\n- rewrite the service in Go\n- keep Python and add caching\n- move to a managed queue',
      '1. Which planet is the Red Planet?\n2. Which planet has the most moons of all of them?\n3. Which is the hottest?',
      'Which of these is right? Short text.\na) only one line of options here, and nothing after it',
    ]) {
      expect(splitAsk(text).data).toBe('');
    }
    // Inline marks that list parts of a plan, or tasks, stay the ask.
    expect(inlineOptions('For the migration we need a) a freeze b) a backfill c) a cutover plan, in that order')).toBeNull();
    expect(inlineOptions('Solve: a) find x b) show that y > 0 c) prove the bound holds')).toBeNull();
    // The first full run of marks is the options: an "a" mark after it starts none.
    const text = 'Which one? (a) 12 (b) 13 (c) 14 a) 15';
    expect(inlineOptions(text)).toEqual([11, text.length]);
  });

  it('bounds what it reads for items and options: the lead, the text, the line', () => {
    const options = '\nA) yes\nB) no\nC) maybe';
    expect(givenItems(`Which is right?${options}`)).not.toBeNull();
    // A lead over 800 characters or 24 lines is not read; nor is a text over 4,096 characters.
    expect(givenItems(`${'word '.repeat(170)}Which is right?${options}`)).toBeNull();
    expect(givenItems(`${'line\n'.repeat(24)}Which is right?${options}`)).toBeNull();
    expect(givenItems(`Which is right?${options}\n${'more text after '.repeat(300)}`)).toBeNull();
    // Lettered options are at most eight: past them, lines after a bare question are no choices.
    const letters = 'ABCDEFGH';
    const nine = Array.from({ length: 9 }, (_, i) => `${letters[i % 8]}) option ${i}`).join('\n');
    expect(givenItems(`Which is right?\n${nine}`)).toBeNull();
    expect(givenItems(`Which of the following is right?\n${nine}`)?.starts.length).toBe(9);
    // Options in one line are read in its last 300 characters.
    expect(inlineOptions(`Which is right? ${'(a) x (b) y (c) z '}${'and some words '.repeat(20)}`)).toBeNull();
    expect(inlineOptions(`${'words before it '.repeat(40)}Which is right? (a) x (b) y (c) z`)).not.toBeNull();
  });

  it('past 16 fenced blocks: the same prose and code as the regex version with the bound (property)', () => {
    const piece = fc.constantFrom('```js\n', '```\n', '````\n', '  ```\n', '```  \n', '```py x\n', 'const a = 1;\n', 'why?\n', 'text ', '\n', '\n\n', '``` ', '`');
    fc.assert(
      fc.property(fc.array(piece, { minLength: 30, maxLength: 120 }), (parts) => {
        const text = parts.join('');
        const ref = referenceProseAndCode(text);
        const got = splitAsk(text);
        expect(got.code).toBe(ref.code);
        if (ref.prose.length <= 1400) expect(got.ask).toBe(ref.prose.trim());
      }),
      { numRuns: 2000 },
    );
  });

  it('reads 16 fenced blocks: the ask after them is still found, the rest counts as code', () => {
    const block = (i: number) => `\`\`\`js\nconst v${i} = ${i};\n\`\`\`\n`;
    const sixteen = Array.from({ length: 16 }, (_, i) => block(i)).join('');
    const ask = 'Why does the last one throw?';
    // Sixteen blocks and the ask between them and a seventeenth: the ask is prose.
    const got = splitAsk(`${sixteen}${ask}\n${block(16)}${block(17)}`);
    expect(got.ask).toBe(ask);
    expect(got.code).toContain('const v15 = 15;');
    // The seventeenth block and everything after it is code as written, fences included.
    expect(got.code.endsWith(`${block(16)}${block(17)}`)).toBe(true);
    // A question after the last of many blocks is still the ask (a closing fence before it).
    const many = splitAsk(`Here are my files.\n\n${Array.from({ length: 20 }, (_, i) => block(i)).join('')}${ask}`);
    expect(many.ask).toContain(ask);
    // After a last fence that opens a block (it has an info string), the rest is code.
    const unclosed = splitAsk(`${Array.from({ length: 20 }, (_, i) => block(i)).join('')}\`\`\`js\n${ask}`);
    expect(unclosed.ask).not.toContain(ask);
    expect(unclosed.code).toContain(ask);
    // Fifteen blocks: every block is taken apart, none is left whole.
    const fewer = splitAsk(`${Array.from({ length: 15 }, (_, i) => block(i)).join('')}${ask}`);
    expect(fewer.ask).toBe(ask);
    expect(fewer.code).not.toContain('```');
  });
});

describe('lexicon word boundaries', () => {
  // The boundary the lexicons had: any Unicode letter, number or combining mark (session 65), read on the lower-cased text,
  // but for the BMP units of Chinese, Japanese, Korean, Thai, Lao, Burmese and Khmer, written against a spaced word with no space (session 66).
  const joined = '\\u2e80-\\u9fff\\uac00-\\ud7af\\u1100-\\u11ff\\uf900-\\ufaff\\uff66-\\uffdc\\u0e00-\\u0eff\\u1000-\\u109f\\u1780-\\u17ff';
  const wordChar = `(?:(?![${joined}])[\\p{L}\\p{N}\\p{M}])`;
  const reference = (terms: string[]) => new RegExp(`(?<!${wordChar})(?:${terms.join('|')})(?!${wordChar})`, 'u');
  // "अंतर" (difference) is the start of "अंतरिक्ष" (space): a vowel sign (a mark) after a term continues its word.
  const terms = ['design', 'prove', 'step by step', 'доказать', 'démontrer', 'x', 'अंतर'];
  const current = lexicon(terms);
  // Both ways a lexicon answers: by word lookup on a readLexicons scan, and by its regex.
  const matches = (lexical: string) => {
    const byRegex = current.regex.test(lexical);
    expect(current.test(readLexicons(lexical))).toBe(byRegex);
    return byRegex;
  };
  const around = ['', ' ', 'a', 'É', 'é', '1', '٣', '𝑥', '𝐀', '😀', '𠀀', '\ud800', '\udc00', '-', '_', "'", '証', 'ꙮ', '□', 'ſ', 'ि', '्', '\u0301', 'क्ष', '을', 'を', '用', 'ก', 'ｄ', 'ﬁ', 'ᄀ'];

  it('a BMP-only boundary on lexicalForm decides what [\\p{L}\\p{N}\\p{M}] decided on the text (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...around, ...terms, 'DESIGN', 'Prove'), fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        expect(matches(lexicalForm(text))).toBe(reference(terms).test(text.toLowerCase()));
      }),
      { numRuns: 5000 },
    );
  });

  it('the letter-only boundary (effort words, filler) finds in a lexical form what [\\p{L}] finds there (property)', () => {
    const letterReference = new RegExp(`(?<![\\p{L}])(?:${EFFORT_TERMS.join('|')})(?![\\p{L}])`, 'gu');
    const found = (text: string, re: RegExp) => [...text.matchAll(re)].map((m) => m[0]);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...around, ...EFFORT_TERMS.slice(0, 8), 'THINK', 'Very'), fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        // Both read the lexical form (astral pairs mapped into the BMP), as the classifier's did before.
        const lex = lexicalForm(text);
        expect(found(lex, EFFORT_WORDS)).toEqual(found(lex, letterReference));
      }),
      { numRuns: 5000 },
    );
    // A number is a boundary for these lists, a letter is not.
    expect(found('1think2 ꙮthink', EFFORT_WORDS)).toEqual(['think']);
  });

  it('BMP_LETTER is \\p{L} on every BMP unit', () => {
    const ours = new RegExp(`^(?:${BMP_LETTER})$`, 'u');
    const letter = /^\p{L}$/u;
    let differ = 0;
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCharCode(c);
      if (ours.test(ch) !== letter.test(ch)) differ++;
    }
    expect(differ).toBe(0);
    expect(ours.test('٣')).toBe(false);
  });

  it('a Chinese, Japanese, Korean or Thai unit against a spaced word ends it (session 66); a full-width letter does not', () => {
    // Korean and Japanese particles joined to an English word, Chinese characters either side of one.
    for (const text of ['design을', 'designを', '用design写', 'ในdesign', '설계design']) expect(matches(lexicalForm(text)), text).toBe(true);
    // A full-width letter, an astral letter (astralToBmp writes ꙮ for it) and a Latin one still continue it.
    for (const text of ['ｄdesign', '𝑥design', 'designꙮ', 'designs']) expect(matches(lexicalForm(text)), text).toBe(false);
    // The scan cuts "plan을" into "plan": a two-word term ("step by step") across a joined unit is not one.
    expect(matches(lexicalForm('step을by step'))).toBe(false);
    const mixed = lexicon(['plan', 'migration plan']);
    expect(mixed.count(readLexicons(lexicalForm('migration plan을 짜 주세요, plan이')), 5)).toBe(2);
  });

  it('an astral letter is a letter and an emoji is not', () => {
    expect(matches(lexicalForm('𝑥design'))).toBe(false);
    expect(matches(lexicalForm('😀design'))).toBe(true);
    expect(matches(lexicalForm('design𠀀'))).toBe(false);
    expect(lexicalForm('Design')).toBe('design');
  });
});

describe('nonBlankLines', () => {
  it('counts what split, trim and filter counted (property)', () => {
    const unit = fc.constantFrom('\n', '\r', ' ', '\t', '\u2028', '\u00a0', '\ufeff', 'x', '}', '\u200b');
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        expect(nonBlankLines(text)).toBe(text ? text.split('\n').filter((l) => l.trim()).length : 0);
      }),
      { numRuns: 3000 },
    );
  });
});
