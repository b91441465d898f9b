/** Cut a buffer or string at the given positions (modulo its length): random chunk splits for property tests. */
export function splitAt<T extends Buffer | string>(whole: T, cuts: number[]): T[] {
  const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
  const out: T[] = [];
  let prev = 0;
  for (const p of [...points, whole.length]) {
    out.push(whole.slice(prev, p) as T);
    prev = p;
  }
  return out;
}
