/**
 * Think-block tracking for models that write `<think>…</think>` into the answer text (no
 * reasoning parser on the server). Pure and incremental: text arrives in arbitrary pieces, tags
 * may be split across pieces, and the template may pre-fill `<think>` so the stream starts
 * inside the block. When the budget is spent the block is closed exactly once; the model's own
 * later `</think>` is swallowed, and everything after it (the answer) is forwarded whole.
 */
export const OPEN_TAG = '<think>';
export const CLOSE_TAG = '</think>';

/**
 * The markers a model writes around its thinking: `<think>…</think>` unless the backend's
 * template has its own (backends[].thinkingFormat: Seed-OSS's `<seed:think>`, MiniMax-M3's
 * `<mm:think>`), which reach content where the engine has no reasoning parser for them
 * (llama.cpp --reasoning-format none, a generic engine). `open` null: the template's generation
 * prompt opens the thinking (Cohere's), so only the end is looked for.
 */
export interface ThinkTags {
  readonly open: string | null;
  readonly close: string;
}

export const THINK_TAGS: ThinkTags = { open: OPEN_TAG, close: CLOSE_TAG };

/** A close that is two or more bracketed markers in a row (`<|END_THINKING|><|START_TEXT|>`): its first. */
const MARKER_RUN = /^(<[^<>]*>)(?:<[^<>]*>)+$/;

/**
 * The tags to track for a backend's thinkingFormat: its markers without the whitespace a
 * template writes around them (the model's own spacing is thinking or answer text). Where the
 * close is a run of markers, thinking ends at the first: an engine that forces the end of
 * thinking writes only that one (llama.cpp's budget wrote `<|END_THINKING|>` and the model went
 * on without `<|START_TEXT|>`), and the model writes the next as its answer begins.
 */
export function thinkTagsOf(format: { readonly open: string; readonly close: string } | undefined): ThinkTags {
  if (format === undefined) return THINK_TAGS;
  // Once per backend's format (the plan asks on every request).
  let tags = TAGS_BY_FORMAT.get(format);
  if (tags === undefined) TAGS_BY_FORMAT.set(format, (tags = readTags(format)));
  return tags;
}

const TAGS_BY_FORMAT = new WeakMap<object, ThinkTags>();

function readTags(format: { readonly open: string; readonly close: string }): ThinkTags {
  const open = format.open.trim();
  const close = format.close.trim();
  if (close === '') return THINK_TAGS;
  return { open: open === '' ? null : open, close: MARKER_RUN.exec(close)?.[1] ?? close };
}

export type ThinkState = 'before' | 'thinking' | 'suppressing' | 'after';

export interface ThinkPieceResult {
  /** Text to forward to the client. */
  out: string;
  /** Reasoning text the model produced in this piece (forwarded or not). */
  reasoning: string;
  /** Part of `reasoning` that was forwarded. */
  keptReasoning: string;
  /** Answer text in this piece. */
  answer: string;
}

export class ThinkTagTracker {
  state: ThinkState;
  /** Reasoning tokens seen (forwarded or dropped). */
  reasoningTokens = 0;
  /** Tokens of reasoning forwarded to the client. */
  keptTokens = 0;
  /** thinkcap closed the block (budget spent, or the answer ended inside it) rather than the model. */
  closedByUs = false;
  /** thinkcap closed the block because the budget was spent (not because the text ended inside it). */
  closedAtBudget = false;
  /** Think tags the model wrote into the answer and thinkcap removed. */
  strayTags = 0;
  private sawBlock = false;
  /** The answer follows reasoning (a closed block or a reasoning field): think tags in it are the model's noise. */
  private guarded = false;
  private hold = '';
  /** Starts inside a block the template opened, and no content has come yet (answerOnly may still end it). */
  private openedUnread: boolean;

  constructor(
    private readonly budget: number,
    private readonly countTokens: (s: string) => number,
    startsInside = false,
    private readonly truncate: (s: string, maxTokens: number) => string = (t) => t,
    private readonly tags: ThinkTags = THINK_TAGS,
  ) {
    this.state = startsInside ? 'thinking' : 'before';
    this.sawBlock = startsInside;
    this.openedUnread = startsInside;
  }

  /**
   * Thinking is over before this text starts (a reasoning field carries it, or thinkcap's
   * continuation prompt closed it): content is all answer, think tags in it are dropped.
   */
  answerOnly(): void {
    // A block the template opened, before any content: the engine's reasoning parser took the
    // thinking out of content (backends[].thinkPrefilled on an engine that has one), so content
    // is answer. Read as thinking, that answer was dropped past the budget.
    if (this.state === 'before' || this.openedUnread) {
      this.state = 'after';
      this.sawBlock = false;
      this.openedUnread = false;
    }
    this.guarded = true;
  }

  push(text: string): ThinkPieceResult {
    const res: ThinkPieceResult = { out: '', reasoning: '', keptReasoning: '', answer: '' };
    if (text.length > 0) this.openedUnread = false;
    let s = this.hold + text;
    this.hold = '';
    while (s.length > 0) {
      if (this.state === 'before') {
        const lead = s.length - s.trimStart().length;
        const rest = s.slice(lead);
        if (rest.length === 0) {
          this.hold = s; // only whitespace so far: undecided
          return res;
        }
        const open = this.tags.open;
        if (open !== null && rest.startsWith(open)) {
          res.out += s.slice(0, lead + open.length);
          s = rest.slice(open.length);
          this.state = 'thinking';
          this.sawBlock = true;
          continue;
        }
        if (open !== null && open.startsWith(rest)) {
          this.hold = s; // a tag may be arriving in pieces
          return res;
        }
        this.state = 'after'; // no think block: all answer
        continue;
      }
      if (this.state === 'after') {
        s = this.answerPiece(s, res);
        continue;
      }
      // thinking or suppressing: look for the model's closing tag
      const closeTag = this.tags.close;
      const close = s.indexOf(closeTag);
      let body: string;
      let rest: string | null = null;
      if (close >= 0) {
        body = s.slice(0, close);
        rest = s.slice(close + closeTag.length);
      } else {
        // Keep back a suffix that could be the start of a split closing tag.
        const keep = partialSuffix(s, closeTag);
        body = s.slice(0, s.length - keep);
        this.hold = s.slice(s.length - keep);
      }
      if (body.length > 0) this.reasoningPiece(body, res);
      if (rest === null) return res;
      if (this.state === 'thinking') res.out += closeTag; // the model closed it within budget
      else this.strayTags++; // we closed it already; the model's own tag is dropped
      this.state = 'after';
      this.guarded = true;
      s = rest;
    }
    return res;
  }

  /**
   * Answer text. Once thinking has closed (the model's tag, thinkcap's, the engine's forced end,
   * or a reasoning field), the model's later think tags are noise: they are dropped so the
   * client sees `</think>` at most once, and the text between them stays, because after the end
   * of thinking whatever the model writes is its answer (dropping it would lose the answer).
   * Returns what is left to process (always '' here).
   */
  private answerPiece(s: string, res: ThinkPieceResult): string {
    if (!this.guarded) {
      res.out += s;
      res.answer += s;
      return '';
    }
    const { open: openTag, close: closeTag } = this.tags;
    for (;;) {
      const open = openTag === null ? -1 : s.indexOf(openTag);
      const close = s.indexOf(closeTag);
      const at = open < 0 ? close : close < 0 ? open : Math.min(open, close);
      if (at < 0) {
        const keep = Math.max(partialSuffix(s, closeTag), openTag === null ? 0 : partialSuffix(s, openTag));
        this.textPiece(s.slice(0, s.length - keep), res);
        this.hold = s.slice(s.length - keep);
        return '';
      }
      this.textPiece(s.slice(0, at), res);
      this.strayTags++;
      s = s.slice(at + (at === open ? openTag!.length : closeTag.length));
    }
  }

  private textPiece(text: string, res: ThinkPieceResult): void {
    if (!text) return;
    res.out += text;
    res.answer += text;
  }

  private reasoningPiece(body: string, res: ThinkPieceResult): void {
    res.reasoning += body;
    const n = this.countTokens(body);
    this.reasoningTokens += n;
    if (this.state === 'suppressing') return;
    if (this.keptTokens < this.budget) {
      // A piece that crosses the budget is cut at it (a whole JSON answer is one piece).
      const kept = this.keptTokens + n > this.budget ? this.truncate(body, this.budget - this.keptTokens) : body;
      res.out += kept;
      res.keptReasoning += kept;
      this.keptTokens += kept === body ? n : this.countTokens(kept);
      if (kept !== body) this.keptTokens = Math.max(this.keptTokens, this.budget);
    }
    if (this.keptTokens >= this.budget || this.budget === 0) {
      res.out += this.tags.close;
      this.closedByUs = true;
      this.closedAtBudget = true;
      this.state = 'suppressing';
    }
  }

  /** End of the answer: release held text; a block still open is closed now. */
  flush(): ThinkPieceResult {
    const res: ThinkPieceResult = { out: '', reasoning: '', keptReasoning: '', answer: '' };
    const held = this.hold;
    this.hold = '';
    if (this.state === 'before' || this.state === 'after') {
      // A partial tag left at the end is answer text after all.
      this.textPiece(held, res);
      return res;
    }
    if (held) this.reasoningPiece(held, res);
    if (this.state === 'thinking') {
      res.out += this.tags.close;
      this.closedByUs = true;
      this.state = 'suppressing';
    }
    return res;
  }

  /** Past thinking with nothing held back: text without a tag passes through as answer unchanged. */
  get plainAnswer(): boolean {
    return this.state === 'after' && this.hold === '';
  }

  /** A think block was seen (or pre-filled): its text is reasoning, counted here. */
  get entered(): boolean {
    return this.sawBlock;
  }

  get insideThink(): boolean {
    return this.state === 'thinking' || this.state === 'suppressing';
  }
}

/**
 * Length of the longest suffix of s that is a proper prefix of tag. Runs on every piece of a
 * stream, for a configured tag up to 256 characters: no slices, and only where the tag's first
 * character stands (a slice per length cost ~33,000 characters copied a piece at that length).
 */
export function partialSuffix(s: string, tag: string): number {
  const first = tag.charCodeAt(0);
  for (let i = Math.max(0, s.length - tag.length + 1); i < s.length; i++) {
    if (s.charCodeAt(i) !== first) continue;
    const k = s.length - i;
    let j = 1;
    while (j < k && s.charCodeAt(i + j) === tag.charCodeAt(j)) j++;
    if (j === k) return k;
  }
  return 0;
}
