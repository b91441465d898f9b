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
