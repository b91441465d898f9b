import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NdjsonFramer, SseFramer } from '../../src/stream/sse.js';
import { splitAt } from '../harness/split.js';


const EVENTS = [
  'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}',
  'data: {"choices":[{"delta":{"reasoning":"思考 ü "}}]}',
  ': keep-alive comment',
  'event: error\ndata: {"error":{"message":"boom"}}',
  'data: {"choices":[{"delta":{"content":"Ответ 👍"}}]}',
  'data: [DONE]',
];

describe('SseFramer', () => {
  it('frames events split anywhere, including inside multi-byte UTF-8 characters', () => {
    const whole = Buffer.from(EVENTS.map((e) => `${e}\n\n`).join(''), 'utf8');
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (cuts, crlf) => {
        const input = crlf ? Buffer.from(whole.toString('utf8').replace(/\n/g, '\r\n'), 'utf8') : whole;
        const f = new SseFramer();
        const got: Array<string | null> = [];
        const raws: Buffer[] = [];
        for (const part of splitAt(input, cuts)) {
          for (const ev of f.push(part)) {
            got.push(ev.data);
            raws.push(ev.raw);
          }
        }
        expect(f.takeRemainder()).toBeNull();
        expect(got).toEqual([
          '{"choices":[{"delta":{"role":"assistant","content":""}}]}',
          '{"choices":[{"delta":{"reasoning":"思考 ü "}}]}',
          null,
          '{"error":{"message":"boom"}}',
          '{"choices":[{"delta":{"content":"Ответ 👍"}}]}',
          '[DONE]',
        ]);
        // Raw bytes of all events put back together are the input: nothing lost or invented.
        expect(Buffer.concat(raws).equals(input)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an incomplete event until it is whole', () => {
    const f = new SseFramer();
    expect(f.push(Buffer.from('data: {"a":'))).toEqual([]);
    expect(f.pendingBytes).toBeGreaterThan(0);
    const evs = f.push(Buffer.from('1}\n\n'));
    expect(evs.map((e) => e.data)).toEqual(['{"a":1}']);
  });
});

describe('NdjsonFramer', () => {
  it('frames lines split anywhere', () => {
    const lines = ['{"message":{"thinking":"日本"},"done":false}', '{"message":{"content":"ok"},"done":true}'];
    const whole = Buffer.from(lines.join('\n') + '\n');
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
        const f = new NdjsonFramer();
        const got: string[] = [];
        for (const part of splitAt(whole, cuts)) for (const l of f.push(part)) got.push(l.line);
        expect(got).toEqual(lines);
      }),
      { numRuns: 200 },
    );
  });
});

describe('SseFramer: the one-data-line shortcut', () => {
  /** The event's data as the SSE rules give it: data lines joined by \n, one leading space dropped, a CR before LF dropped. */
  const reference = (event: string): string | null => {
    let data: string | null = null;
    for (let line of event.split('\n')) {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data = data === null ? value : `${data}\n${value}`;
    }
    return data;
  };

  it('gives every event the data the SSE rules give it', () => {
    const value = fc.string({ unit: fc.oneof(fc.constantFrom('\r', ' ', ':', 'é', '👍', '"'), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 20 }).map((v) => v.replace(/\n/g, ''));
    const prefix = fc.constantFrom('data: ', 'data:', 'data:  ', 'event: error\ndata: ', ': c\ndata: ', 'data: x\ndata: ');
    const end = fc.constantFrom('\n\n', '\r\n\r\n', '\r\n\n', '\n\r\n');
    fc.assert(
      fc.property(prefix, value, end, (p, v, e) => {
        const event = `${p}${v}${e}`;
        const [got] = new SseFramer().push(Buffer.from(event, 'utf8'));
        expect(got?.data).toBe(reference(event));
      }),
      { numRuns: 500 },
    );
  });
});

/**
 * The framing rules over a whole input at once (how the framer read every byte before it kept
 * events as pieces): events end at a blank line (empty, or a lone CR, before LF); blank lines
 * with no event before them are dropped; the rest is the remainder.
 */
function frameWhole(input: Buffer): { raws: string[]; rest: string | null } {
  const raws: string[] = [];
  let start = 0;
  let lineStart = 0;
  for (let nl = input.indexOf(10); nl >= 0; nl = input.indexOf(10, lineStart)) {
    const len = nl - lineStart - (nl > lineStart && input[nl - 1] === 13 ? 1 : 0);
    if (len === 0) {
      if (lineStart > start) raws.push(input.subarray(start, nl + 1).toString('latin1'));
      start = nl + 1;
    }
    lineStart = nl + 1;
  }
  return { raws, rest: start < input.length ? input.subarray(start).toString('latin1') : null };
}

describe('SseFramer: events held as pieces', () => {
  const piece = fc.constantFrom('data: x', 'data: {"a":"é"}', ': c', 'event: error', '\r', '\n', '\r\n', '\n\n', '\r\n\r\n', '\r\r\n', ' ', '👍');

  it('frames any stream split anywhere as the whole stream read at once', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 10 }), (pieces, cuts) => {
        const input = Buffer.from(pieces.join(''), 'utf8');
        const f = new SseFramer();
        const raws: string[] = [];
        for (const part of splitAt(input, cuts)) for (const ev of f.push(part)) raws.push(ev.raw.toString('latin1'));
        const rest = f.takeRemainder();
        expect({ raws, rest: rest ? rest.toString('latin1') : null }).toEqual(frameWhole(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('holds no more than its limit of an event that never ends, passing its bytes on unread, then frames the next event', () => {
    const limit = 64 * 1024;
    const f = new SseFramer(limit);
    const big = Buffer.from(`data: ${'x'.repeat(1024 * 1024)}`);
    const out: Buffer[] = [];
    let unreadPieces = 0;
    let most = 0;
    for (let at = 0; at < big.length; at += 1000) {
      for (const ev of f.push(big.subarray(at, at + 1000))) {
        expect(ev.unread).toBe(true);
        expect(ev.data).toBeNull();
        unreadPieces++;
        out.push(ev.raw);
      }
      most = Math.max(most, f.pendingBytes);
    }
    expect(most).toBeLessThanOrEqual(limit);
    expect(f.unreadCount).toBe(1);
    // The blank line ends it; the next event is read as usual, in the same chunk.
    const evs = f.push(Buffer.from('\n\ndata: {"a":1}\n\n'));
    expect(evs.map((e) => [e.data, e.unread ?? false])).toEqual([
      [null, true],
      ['{"a":1}', false],
    ]);
    out.push(evs[0]!.raw);
    expect(Buffer.concat(out).equals(Buffer.concat([big, Buffer.from('\n\n')]))).toBe(true);
    expect(unreadPieces).toBeGreaterThan(900);
    expect(f.takeRemainder()).toBeNull();
  });

  it('frames an event up to its limit as usual', () => {
    const f = new SseFramer(100);
    const ev = `data: ${'y'.repeat(92)}\n\n`; // 100 bytes
    const got = [...f.push(Buffer.from(ev.slice(0, 99))), ...f.push(Buffer.from(ev.slice(99)))];
    expect(got.map((e) => [e.data?.length, e.unread ?? false])).toEqual([[92, false]]);
  });
});

describe('NdjsonFramer: lines held as pieces', () => {
  it('holds no more than its limit of a line that never ends, passing it on unread, then frames the next line', () => {
    const f = new NdjsonFramer(4096);
    const out: Buffer[] = [];
    let most = 0;
    for (let i = 0; i < 300; i++) {
      for (const l of f.push(Buffer.from('{"response":"' + 'z'.repeat(80)))) {
        expect(l).toMatchObject({ line: '', unread: true });
        out.push(l.raw);
      }
      most = Math.max(most, f.pendingBytes);
    }
    expect(most).toBeLessThanOrEqual(4096);
    const lines = f.push(Buffer.from('"}\n{"done":true}\n'));
    expect(lines.map((l) => [l.line, l.unread ?? false])).toEqual([
      ['', true],
      ['{"done":true}', false],
    ]);
    expect(Buffer.concat([...out, lines[0]!.raw]).length).toBe(300 * 93 + 3);
  });
});
