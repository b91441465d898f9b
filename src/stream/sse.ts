/**
 * Incremental server-sent-events framing over raw bytes. Events are cut at blank lines on the
 * byte level, so a UTF-8 character or an event split across network reads is decoded only
 * once it is whole, and several events in one read come out one by one.
 *
 * Each byte is scanned once: an incomplete event is kept as the pieces it came in and joined
 * only when it ends (joining it to every new read cost O(n²) for an event sent in small
 * pieces). An event longer than the framer's limit is not held: its bytes come out as they
 * arrive, as `unread` pieces with no data, until it ends (an engine sends one event per token;
 * only a broken or hostile backend sends megabytes without a blank line).
 */
export interface SseEvent {
  /** The event's bytes including its terminating blank line (an unread piece: the bytes as they came). */
  raw: Buffer;
  /** The data lines joined with '\n', or null for an event without data (comments only) and unread pieces. */
  data: string | null;
  /** The `event:` field, if any (error events). */
  event: string | null;
  /** Set on pieces of an event past the limit, passed on without being read. */
  unread?: true;
}

const LF = 10;
const CR = 13;

/** Default limit on one held event or line: far past any engine's event, small enough to hold per stream. */
export const DEFAULT_MAX_HELD_BYTES = 8 * 1024 * 1024;

/**
 * The byte-level state both framers share: the pieces of the event or line not yet whole, and
 * whether it has gone past the limit (then its bytes pass as they come).
 */
abstract class HeldBytes {
  protected parts: Buffer[] = [];
  protected held = 0;
  /** The current event or line went past the limit: its bytes pass unread until it ends. */
  protected passing = false;
  /** Events or lines that went past the limit, so far. */
  unreadCount = 0;

  constructor(readonly maxHeldBytes: number = DEFAULT_MAX_HELD_BYTES) {}

  /** Bytes of an incomplete event held back. */
  get pendingBytes(): number {
    return this.held;
  }

  /** The held pieces and `tail` as one buffer (`tail` itself when nothing is held). */
  protected join(tail: Buffer): Buffer {
    if (this.parts.length === 0) return tail;
    const whole = Buffer.concat(tail.length > 0 ? [...this.parts, tail] : this.parts, this.held + tail.length);
    this.parts = [];
    this.held = 0;
    return whole;
  }

  /**
   * Keep the rest of a read (copied: the caller's buffer may be reused); past the limit, the
   * held bytes and the rest come back to be passed on unread.
   */
  protected keep(rest: Buffer): Buffer | null {
    if (this.passing) return rest;
    this.parts.push(Buffer.from(rest));
    this.held += rest.length;
    if (this.held <= this.maxHeldBytes) return null;
    this.passing = true;
    this.unreadCount++;
    return this.join(Buffer.alloc(0));
  }

  /** The held bytes of a stray blank line: nothing to pass on. */
  protected drop(): void {
    this.parts = [];
    this.held = 0;
  }

  /** Line state of a subclass, cleared at the end of the stream. */
  protected reset(): void {}

  /** Bytes of an incomplete event held back (sent as-is at end of stream). */
  takeRemainder(): Buffer | null {
    this.passing = false;
    this.reset();
    if (this.held === 0) return null;
    return this.join(Buffer.alloc(0));
  }
}

export class SseFramer extends HeldBytes {
  /** Bytes of the current line from earlier reads, and whether the last of them was CR. */
  private lineBytes = 0;
  private lastCr = false;
  /** Bytes of the current event from earlier reads (held or passed unread). */
  private eventBytes = 0;

  /** Feed one chunk; complete events are returned in order, the rest is kept. */
  push(chunk: Buffer): SseEvent[] {
    const events: SseEvent[] = [];
    const n = chunk.length;
    let start = 0; // where this read's bytes of the current event begin
    let lineStart = 0;
    let carried = this.lineBytes;
    let eventBefore = this.eventBytes;
    for (;;) {
      const nl = chunk.indexOf(LF, lineStart);
      if (nl < 0) break;
      const lineLen = carried + nl - lineStart;
      const endsInCr = nl > lineStart ? chunk[nl - 1] === CR : carried > 0 && this.lastCr;
      if (lineLen === 0 || (lineLen === 1 && endsInCr)) {
        // A blank line ends the event; stray blank lines between events carry nothing.
        if (eventBefore + lineStart - start - carried > 0) {
          const tail = chunk.subarray(start, nl + 1);
          if (this.passing) {
            this.passing = false;
            events.push({ raw: tail, data: null, event: null, unread: true });
          } else events.push(parseEvent(this.join(tail)));
        } else this.drop();
        start = nl + 1;
        eventBefore = 0;
      }
      lineStart = nl + 1;
      carried = 0;
    }
    this.lineBytes = carried + n - lineStart;
    if (n > lineStart) this.lastCr = chunk[n - 1] === CR;
    this.eventBytes = eventBefore + n - start;
    if (start === n) return events; // the usual read: whole events only
    const unread = this.keep(chunk.subarray(start));
    if (unread !== null) events.push({ raw: unread, data: null, event: null, unread: true });
    return events;
  }

  protected override reset(): void {
    this.lineBytes = 0;
    this.lastCr = false;
    this.eventBytes = 0;
  }
}

const DATA_PREFIX = Buffer.from('data: ');

function parseEvent(raw: Buffer): SseEvent {
  // The usual event, one `data: ` line and the blank line (LF only): its data without splitting lines.
  const n = raw.length;
  if (n > 8 && raw[n - 1] === LF && raw[n - 2] === LF && raw[n - 3] !== CR && raw.indexOf(LF) === n - 2 && raw.compare(DATA_PREFIX, 0, 6, 0, 6) === 0) {
    return { raw, data: raw.toString('utf8', 6, n - 2), event: null };
  }
  const text = raw.toString('utf8');
  let data: string | null = null;
  let event: string | null = null;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = end + 1;
    if (line.length === 0 || line.charCodeAt(0) === 58 /* : comment */) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data = data === null ? value : `${data}\n${value}`;
    else if (field === 'event') event = value;
  }
  return { raw, data, event };
}

/**
 * Newline-delimited JSON framing (Ollama's native API), same byte-level rules: a line longer
 * than the limit passes as `unread` pieces with an empty `line`.
 */
export class NdjsonFramer extends HeldBytes {
  push(chunk: Buffer): Array<{ raw: Buffer; line: string; unread?: true }> {
    const out: Array<{ raw: Buffer; line: string; unread?: true }> = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl < 0) break;
      const tail = chunk.subarray(start, nl + 1);
      start = nl + 1;
      if (this.passing) {
        this.passing = false;
        out.push({ raw: tail, line: '', unread: true });
        continue;
      }
      const raw = this.join(tail);
      const line = raw.toString('utf8', 0, raw.length - 1).trim();
      if (line.length > 0) out.push({ raw, line });
    }
    if (start === chunk.length) return out;
    const unread = this.keep(chunk.subarray(start));
    if (unread !== null) out.push({ raw: unread, line: '', unread: true });
    return out;
  }
}
