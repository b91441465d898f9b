/**
 * Incremental server-sent-events framing over raw bytes. Events are cut at blank lines on the
 * byte level, so a UTF-8 character or an event split across network reads is decoded only
 * once it is whole, and several events in one read come out one by one.
 */
export interface SseEvent {
  /** The event's bytes including its terminating blank line. */
  raw: Buffer;
  /** The data lines joined with '\n', or null for an event without data (comments only). */
  data: string | null;
  /** The `event:` field, if any (error events). */
  event: string | null;
}

const LF = 10;
const CR = 13;

export class SseFramer {
  private pending: Buffer | null = null;

  /** Feed one chunk; complete events are returned in order, the rest is kept. */
  push(chunk: Buffer): SseEvent[] {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const events: SseEvent[] = [];
    let start = 0;
    let lineStart = 0;
    for (;;) {
      const nl = buf.indexOf(LF, lineStart);
      if (nl < 0) break;
      const lineLen = nl - lineStart - (nl > lineStart && buf[nl - 1] === CR ? 1 : 0);
      if (lineLen === 0) {
        // A blank line ends the event; stray blank lines between events carry nothing.
        if (lineStart > start) events.push(parseEvent(buf.subarray(start, nl + 1)));
        start = nl + 1;
      }
      lineStart = nl + 1;
    }
    this.pending = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
    return events;
  }

  /** Bytes of an incomplete event held back (sent as-is at end of stream). */
  takeRemainder(): Buffer | null {
    const r = this.pending;
    this.pending = null;
    return r;
  }

  get pendingBytes(): number {
    return this.pending ? this.pending.length : 0;
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

/** Newline-delimited JSON framing (Ollama's native API), same byte-level rules. */
export class NdjsonFramer {
  private pending: Buffer | null = null;

  push(chunk: Buffer): Array<{ raw: Buffer; line: string }> {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Array<{ raw: Buffer; line: string }> = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(LF, start);
      if (nl < 0) break;
      const raw = buf.subarray(start, nl + 1);
      const line = buf.toString('utf8', start, nl).trim();
      if (line.length > 0) out.push({ raw, line });
      start = nl + 1;
    }
    this.pending = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
    return out;
  }

  takeRemainder(): Buffer | null {
    const r = this.pending;
    this.pending = null;
    return r;
  }

  get pendingBytes(): number {
    return this.pending ? this.pending.length : 0;
  }
}
