/**
 * Seeded text for tests, floods and benchmarks: the same numbers, so the same text, on every run
 * (a linear congruential generator; fast, not for anything secret).
 */
export interface SeededText {
  /** The next number in [0, 1). */
  next(): number;
  /** n characters drawn from alphabet (UTF-16 units: BMP alphabets). */
  pick(alphabet: string, n: number): string;
}

export function seededText(seed: number): SeededText {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return { next, pick: (alphabet, n) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('') };
}

/**
 * Words of 3 to 10 random lower-case letters, one space apart: mostly words the tokenizer has
 * never seen (the shortest repeat), the costliest ordinary text to count.
 */
export function randomWords(seed: number): (chars: number) => string {
  const { next, pick } = seededText(seed);
  return (chars) => {
    let s = '';
    while (s.length < chars) s += pick('abcdefghijklmnopqrstuvwxyz', 3 + Math.floor(next() * 8)) + ' ';
    return s.slice(0, chars);
  };
}
