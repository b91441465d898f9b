/**
 * Misspelt hard words read as the words they miss (typos.ts, session 66, probe set 157), and
 * what must stay as written: inflections, real words a letter away, other languages, long asks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyMessages } from '../../src/classify/classifier.js';
import { lexicalForm, technicalMarks } from '../../src/classify/text.js';
import { isLexiconWord, oneSlip, TYPO_SCAN, TYPO_TARGETS, withTypoFixes } from '../../src/classify/typos.js';
import { within } from '../harness/bounded.js';

const fix = (text: string) => withTypoFixes(lexicalForm(text));
const tier = (text: string) => classifyMessages([{ role: 'user', content: text }]).tier;

describe('misspelt hard words (typos.ts)', () => {
  it('reads a letter left out, one added, two swapped, or an s for a z, as the word', () => {
    expect(fix('proove that there are infinitely many primes')).toBe('prove that there are infinitely many primes');
    expect(fix('desing the architecure for a url shortener')).toBe('design the architecture for a url shortener');
    expect(fix('debuging a race condtion in our go service')).toBe('debugging a race condition in our go service');
    expect(fix('how do i diagnoze this?')).toBe('how do i diagnose this?');
    expect(fix('explian the diffrence between tcp and udp')).toBe('explain the difference between tcp and udp');
  });

  it('leaves inflections, words a changed letter away, words of no target and other languages as written', () => {
    for (const text of [
      // Inflections: a target starts them.
      'i already solved it and the designer proves it',
      'the derived formulas and the functions',
      // A letter changed: real words ("resign", "deride", "probe"), and the targets left out for their neighbours.
      'resign from the team, deride the probe',
      'explain how a nuclear reactor works',
      'the sharing of the file',
      // Not English: a word of another language a letter from a target ("pouvez" and "prouvez", "compte" and "compute").
      'comment puis-je supprimer mon compte facebook ?',
      'mon colis n° 44120 pouvez-vous vérifier ?',
      'proove dass es geht',
      // Beside a digit or an accented letter: part of a longer word.
      'the desing2 of it', 'the désing of it',
    ]) expect(fix(text), text).toBe(lexicalForm(text));
    // Longer than TYPO_SCAN: read as written.
    const long = `proove it ${'and the rest '.repeat(40)}`;
    expect(long.length).toBeGreaterThan(TYPO_SCAN);
    expect(fix(long)).toBe(lexicalForm(long));
  });

  it('reads one slip as a reference that tries every deletion, insertion, adjacent swap and s/z change (property)', () => {
    const variants = (t: string): Set<string> => {
      const out = new Set<string>();
      for (let i = 0; i <= t.length; i++) {
        if (i < t.length) out.add(t.slice(0, i) + t.slice(i + 1));
        for (const c of 'abcdesz') out.add(t.slice(0, i) + c + t.slice(i));
        if (i + 1 < t.length) out.add(t.slice(0, i) + t[i + 1] + t[i] + t.slice(i + 2));
        if (t[i] === 's' || t[i] === 'z') out.add(t.slice(0, i) + (t[i] === 's' ? 'z' : 's') + t.slice(i + 1));
      }
      out.delete(t);
      return out;
    };
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'e', 's', 'z'), minLength: 1, maxLength: 7 });
    fc.assert(
      fc.property(word, word, (w, t) => {
        expect(oneSlip(w, t), `${w} ${t}`).toBe(variants(t).has(w));
      }),
      { numRuns: 20000 },
    );
    // And on every target's own slips.
    for (const t of TYPO_TARGETS) for (const w of variants(t)) expect(oneSlip(w, t), `${w} ${t}`).toBe(true);
  });

  it('reads as targets only words some lexicon spells', () => {
    expect(TYPO_TARGETS.filter((w) => !isLexiconWord(w))).toEqual([]);
  });

  it('is bounded: TYPO_SCAN characters of near-misses, and a megabyte the classifier reads', () => {
    const near = 'the desinf proovx architecure '.repeat(20).slice(0, TYPO_SCAN);
    expect(within(50, () => withTypoFixes(near))).toContain('architecture');
    expect(() => within(300, () => classifyMessages([{ role: 'user', content: 'proove the desing '.repeat(60_000) }]))).not.toThrow();
  });

  it('reads a share written as a word as a measurement, and 100 percent CPU as a symptom (set 157)', () => {
    expect(technicalMarks('our redis server uses 100 percent cpu every night').measurements).toBe(1);
    expect(technicalMarks('braucht 100 prozent cpu, 3 por ciento de errores, 40 pour cent').measurements).toBe(3);
    // A word that starts with one is not one.
    expect(technicalMarks('100 percentile').measurements).toBe(0);
    expect(tier('our redis server uses 100 percent cpu every night, what could the cause be')).toBe('complex');
  });

  it('reads probe set 157\'s misspelt asks at their tiers', () => {
    for (const [text, want] of [
      ['proove that there are infinitely many primes', 'deep'],
      ['desing the architecure for a url shortener that handles 10k requets per second', 'complex'],
      ['debuging a race condtion in our go service, requests sometimes get eachothers data. where do i start', 'complex'],
      ['our postgres querys got realy slow since yesterdays deploy, indexes are there. how do i diagnoze this', 'complex'],
      ['thnks!! that fixd it', 'trivial'],
      ['que es una clave foranea', 'simple'],
      ['unser redis server braucht jede nacht 100 prozent cpu, was koennte die ursache sein', 'complex'],
    ] as const) expect(tier(text), text).toBe(want);
  });
});
