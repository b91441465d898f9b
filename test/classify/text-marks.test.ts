import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LATIN_TOKEN, blankLatinNames, isSystemName, shouted, technicalMarks } from '../../src/classify/text.js';

describe('technicalMarks: named systems and measurements in a short ask', () => {
  it('counts names written the way systems are named', () => {
    for (const [text, names] of [
      ['GC pauses on G1 behind an ALB', 3],
      ['CrashLoopBackOff with OutOfMemory', 2],
      ['test_export fails in os.path.join', 2],
      ['p99 on x86 with IPv6', 3],
      ['The dog sat on the mat', 0],
      ['Paris is the capital of France', 0],
    ] as const) expect(technicalMarks(text).names, text).toBe(names);
  });
  it('does not count units, currencies, times of day, ordinals or shouting', () => {
    for (const text of ['5 GB to MB', '20 USD at 9 AM UTC', 'the 1st and 2nd of 32GB', 'PLEASE HELP ME NOW', 'OK ASAP FYI']) expect(technicalMarks(text).names, text).toBe(0);
  });
  it('counts Latin words in a text written in another script as names', () => {
    expect(technicalMarks('Redis-кластер: после failover часть ключей недоступна').names).toBe(2);
    expect(technicalMarks('Kubernetes の Pod が落ちる').names).toBe(2);
    expect(technicalMarks('Объясни разницу между TCP и UDP').names).toBe(2);
    expect(technicalMarks('Le serveur Redis redémarre').names).toBe(0);
    // A name of one letter and digits, in capitals: a Japanese or Chinese ask has no lower-case
    // letter, and is not read as shouted for it (its capitals are names: shouted()).
    expect(technicalMarks('大量の画像をS3に保存していて月のコストが急増した。').names).toBe(1);
    expect(technicalMarks('我们的 EC2 账单翻倍了').names).toBe(1);
  });
  it('reads a text in capitals as in lower case, and only a text whose letters are mostly capitals', () => {
    for (const text of ['WHY IS MY APP SLOW ON IOS', 'HELP!!! THE API IS DOWN', 'ПОЧЕМУ ТАК МЕДЛЕННО']) expect(shouted(text), text).toBe(true);
    for (const text of ['大量の画像をS3に保存していて', '我们的 AWS S3 账单翻倍了', 'Why is my app slow', '12345 !!!', '', '服务器挂了']) expect(shouted(text), text).toBe(false);
  });
  it('counts numbers with a unit, not bare numbers', () => {
    expect(technicalMarks('went from 20 ms to 400 ms, 1% of requests, 10x slower, 32GB heap').measurements).toBe(3);
    expect(technicalMarks('30 секунд и 5 минут').measurements).toBe(2);
    expect(technicalMarks('200 partitions and 3 brokers').measurements).toBe(0);
  });
  it('blanks names and measurements out of the rest, and keeps everything else', () => {
    const m = technicalMarks('GC pauses went from 20 ms to 400 ms on G1. What do I tune?');
    expect(m.rest.replace(/\s+/g, ' ').trim()).toBe('pauses went from to on . What do I tune?');
  });
  it('reads at most 600 characters: a megabyte of names costs what 600 characters do', () => {
    const big = 'the EC2 and S3 hosts run GC every 400 ms '.repeat(30_000);
    const m = technicalMarks(big);
    expect(m.names).toBe(3);
    expect(m.measurements).toBe(3);
    expect(m.rest.length).toBeLessThanOrEqual(600);
  });
  it('is total: any string gives counts within 0..3 and a rest no longer than what it read (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 800 }), (text) => {
        const m = technicalMarks(text);
        expect(m.names).toBeGreaterThanOrEqual(0);
        expect(m.names).toBeLessThanOrEqual(3);
        expect(m.measurements).toBeLessThanOrEqual(3);
        expect(m.rest.length).toBeLessThanOrEqual(Math.min(600, text.length));
      }),
      { numRuns: 300 },
    );
  });

  it('isSystemName answers what its four regexes did, on any Latin token (property)', () => {
    const notAName = new Set(['GB', 'MB', 'KB', 'TB', 'PB', 'GIB', 'MIB', 'KIB', 'TIB', 'GHZ', 'MHZ', 'KHZ', 'HZ', 'USD', 'EUR', 'GBP', 'JPY', 'CNY', 'RUB', 'CHF', 'AM', 'PM', 'UTC', 'GMT', 'OK', 'KM', 'KG', 'CM', 'MM', 'ML', 'FAQ', 'ASAP', 'FYI', 'TL', 'DR']);
    const byRegex = (w: string): boolean => {
      if (/^[A-Z]{2,5}(?:s|\d+)?$/.test(w)) return !notAName.has(w.replace(/s$|\d+$/, '').toUpperCase());
      return /[a-z][A-Z]/.test(w) || /^[A-Za-z]+\d/.test(w) || /[A-Za-z0-9]{2}[_.][A-Za-z0-9]{2}/.test(w);
    };
    for (const w of ['GC', 'GCs', 'HTTP2', 'GB', 'GBs', 'MB12', 'ABCDEF', 'ABCDEs', 'ABS', 'OK', 'CrashLoopBackOff', 'p99', 'x86', '1st', '32GB', 'e.g', 'os.path', 'test_export', 'a_b', 'G1', 'iPhone']) {
      expect(isSystemName(w), w).toBe(byRegex(w));
    }
    // Tokens as LATIN_TOKEN cuts them, over an alphabet dense in the cases each test turns on.
    const char = fc.constantFrom(...'ABCGKMOPSTZabgkmpsxz0129_.-');
    const token = fc.array(char, { minLength: 1, maxLength: 9 }).map((cs) => cs.join('')).filter((w) => /^(?:[A-Za-z0-9][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z])$/.test(w));
    fc.assert(
      fc.property(token, (w) => {
        expect(isSystemName(w), w).toBe(byRegex(w));
      }),
      { numRuns: 20000 },
    );
  });

  it('blankLatinNames blanks what a replace over LATIN_TOKEN did, on any text (property)', () => {
    const reference = (text: string, foreign: boolean) => {
      let names = 0;
      const rest = text.replace(LATIN_TOKEN, (w) => ((foreign ? /[A-Za-z]{2}/.test(w) || isSystemName(w) : isSystemName(w)) ? (names++, ' ') : w));
      return { rest, names };
    };
    const piece = fc.constantFrom('GC', 'EC2', 'p99', 'os.path', 'test_export', 'fooBar', 'a', '5', '-', '_', '.', ' ', 'x-', '-y', '1.', 'кластер', 'Ceph', 'AB', '42ms', '\n');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }).map((p) => p.join('')), fc.boolean(), (text, foreign) => {
        expect(blankLatinNames(text, foreign), text).toEqual(reference(text, foreign));
      }),
      { numRuns: 5000 },
    );
  });
});

