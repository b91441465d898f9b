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
