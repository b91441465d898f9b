/**
 * Seeded text for floods and benchmarks: the same text on every run. Words of 3 to 10 random
 * lower-case letters, one space apart: mostly words the tokenizer has never seen (the shortest
 * repeat), the costliest ordinary text to count.
 */
export function randomWords(seed: number): (chars: number) => string {
  let state = seed;
  const rnd = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return (chars) => {
    let s = '';
    while (s.length < chars) s += Array.from({ length: 3 + Math.floor(rnd() * 8) }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(rnd() * 26)]).join('') + ' ';
    return s.slice(0, chars);
  };
}
