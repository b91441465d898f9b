/**
 * Word hashing without a string per word. The classifier cuts an ask into words twice a request
 * (its shape, and the lexicon lookup); making a string of each word and hashing it in a Map or
 * Set cost ~40 ns a word and most of the garbage the classifier made. Words are hashed as they
 * are scanned (FNV-1a over UTF-16 units) and compared in place.
 */
export const HASH_SEED = 0x811c9dc5;
export const hashStep = (h: number, c: number): number => Math.imul(h ^ c, 0x01000193);

export function hashString(s: string): number {
  let h = HASH_SEED;
  for (let i = 0; i < s.length; i++) h = hashStep(h, s.charCodeAt(i));
  return h;
}

/** Does text[start, start + word.length) equal word? */
export function equalsAt(text: string, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (text.charCodeAt(start + i) !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * A fixed map from words to values, looked up by a range of a text and its hash. Built once at
 * load; open addressing over a power-of-two table kept at most half full.
 */
export class WordMap<V> {
  private keys: string[] = [];
  private values: V[] = [];
  private hashes: number[] = [];
  /**
   * Two units a slot: the index of its key (-1 if free), then the key's hash. A probe compares the
   * hash beside the index before it reads the key: one cache line where the index and then a hash
   * in another array took two (the lexicon scan's lookups ~9 against ~13-17 us over 1.2 KB).
   */
  private slots = new Int32Array(128).fill(-1);

  get size(): number {
    return this.keys.length;
  }

  /** The value of key, if any (load time: by string). */
  get(key: string): V | undefined {
    const i = this.find(hashString(key), key);
    return i < 0 ? undefined : this.values[i];
  }

  set(key: string, value: V): void {
    const h = hashString(key);
    const i = this.find(h, key);
    if (i >= 0) {
      this.values[i] = value;
      return;
    }
    this.keys.push(key);
    this.values.push(value);
    this.hashes.push(h);
    // More than half the slots taken (two units a slot).
    if (this.keys.length * 4 > this.slots.length) this.rehash();
    else this.place(this.keys.length - 1);
  }

  /** Whether the word text[start, end) is a key, hashed here (where no scan hashed it already; no string made). */
  hasRange(text: string, start: number, end: number): boolean {
    let h = HASH_SEED;
    for (let k = start; k < end; k++) h = hashStep(h, text.charCodeAt(k));
    return this.getRange(text, start, end, h) !== undefined;
  }

  /** The value of the word text[start, end) whose hash is h (request time: no string made). */
  getRange(text: string, start: number, end: number, h: number): V | undefined {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const len = end - start;
    // (As an Int32Array holds it: the seed, an empty word's hash, is past int32.)
    const h32 = h | 0;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const i = slots[2 * s]!;
      if (i < 0) return undefined;
      if (slots[2 * s + 1] === h32) {
        const key = this.keys[i]!;
        if (key.length === len && equalsAt(text, start, key)) return this.values[i];
      }
    }
  }

  private find(h: number, key: string): number {
    const mask = (this.slots.length >> 1) - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const i = this.slots[2 * s]!;
      if (i < 0) return -1;
      if (this.slots[2 * s + 1] === (h | 0) && this.keys[i] === key) return i;
    }
  }

  private place(i: number): void {
    const mask = (this.slots.length >> 1) - 1;
    let s = this.hashes[i]! & mask;
    while (this.slots[2 * s]! >= 0) s = (s + 1) & mask;
    this.slots[2 * s] = i;
    this.slots[2 * s + 1] = this.hashes[i]!;
  }

  /** Doubles the table (it is kept at most half full). */
  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    for (let i = 0; i < this.keys.length; i++) this.place(i);
  }
}

/**
 * Distinct words of one text, as ranges of it, up to a fixed number. One table reused by every
 * call (reset by a generation stamp, not cleared): the classifier is synchronous and calls it
 * once at a time, so no call allocates.
 */
export class RangeSet {
  private readonly stamps: Int32Array;
  private readonly slotEntry: Int32Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly hashes: Int32Array;
  private generation = 0;
  private text = '';
  size = 0;

  /** capacity: the most words it holds (the table is four times that, so probes stay short). */
  constructor(readonly capacity: number) {
    const slots = 1 << Math.ceil(Math.log2(capacity * 4));
    this.stamps = new Int32Array(slots);
    this.slotEntry = new Int32Array(slots);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.hashes = new Int32Array(capacity);
  }

  reset(text: string): void {
    this.text = text;
    this.size = 0;
    if (++this.generation > 0x3fffffff) {
      this.generation = 1;
      this.stamps.fill(0);
    }
  }

  /** Add the word text[start, end) with hash h (ignored once full). */
  add(start: number, end: number, h: number): void {
    this.addNew(start, end, h);
  }

  /** Add the word text[start, end) with hash h: whether it was not there before (false once full). */
  addNew(start: number, end: number, h: number): boolean {
    if (this.size >= this.capacity) return false;
    const mask = this.stamps.length - 1;
    const len = end - start;
    const text = this.text;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      if (this.stamps[s] !== this.generation) {
        this.stamps[s] = this.generation;
        const i = this.size++;
        this.slotEntry[s] = i;
        this.starts[i] = start;
        this.ends[i] = end;
        this.hashes[i] = h;
        return true;
      }
      const i = this.slotEntry[s]!;
      if (this.hashes[i] === h && this.ends[i]! - this.starts[i]! === len && sameRange(text, this.starts[i]!, start, len)) return false;
    }
  }

  /** Is the string word (not a range of the text) one of the words? */
  hasString(word: string): boolean {
    const h = hashString(word);
    const mask = this.stamps.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      if (this.stamps[s] !== this.generation) return false;
      const i = this.slotEntry[s]!;
      if (this.hashes[i] === h && this.ends[i]! - this.starts[i]! === word.length && equalsAt(this.text, this.starts[i]!, word)) return true;
    }
  }
}

/** Do text[a, a + len) and text[b, b + len) hold the same units? */
export function sameRange(text: string, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}
