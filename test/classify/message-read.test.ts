/**
 * What the classifier reads of a request's messages is bounded (session 20): a turn's two ends
 * and at most MAX_PARTS_EACH_END content parts from each end of it, the system prompt's head, and
 * earlier turns newest first within a budget. The bounded readers must give exactly what the
 * whole-text expressions they replaced give, on the parts they read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyMessages } from '../../src/classify/classifier.js';
import { TIER_NAMES } from '../../src/config/schema.js';
import { MAX_PARTS_EACH_END, ends, messageEnds, messageHead, messageText, type ChatMessageLike } from '../../src/classify/text.js';

const part = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12 }).map((text) => ({ type: 'text', text })) },
  { weight: 1, arbitrary: fc.constant({ type: 'text', text: '' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((text) => ({ type: 'text', text })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({ type: 'image_url', image_url: { url: 'x' } }, null, 'bare string', 7, { text: 5 }, [], { type: 'refusal', refusal: 'no' }, { type: 'thinking', thinking: 'hm' }, { type: 'thinking', text: 't', thinking: 5 }) },
);

/**
 * A part's text as engines render it: a bare string (vLLM), else its text, refusal and thinking
 * strings, a break between them; null for none.
 */
function referencePart(part: unknown): string | null {
  if (typeof part === 'string') return part;
  if (!part || typeof part !== 'object') return null;
  const p = part as Record<string, unknown>;
  const found = [p.text, p.refusal, p.thinking].filter((v): v is string => typeof v === 'string');
  return found.length ? found.join('\n') : null;
}

/** messageText as it was written before the bounded readers (an independent reference): the texts, a break between them once one is non-empty. */
function referenceText(message: ChatMessageLike): string {
  const c = message.content;
  if (typeof c === 'string') return c;
  if (!Array.isArray(c)) return '';
  let out = '';
  for (const part of c) {
    const t = referencePart(part);
    if (t !== null) out += (out ? '\n' : '') + t;
  }
  return out;
}

/** The parts the bounded readers read: all, or the first and last MAX_PARTS_EACH_END. */
function read(message: ChatMessageLike): ChatMessageLike {
  const c = message.content;
  if (!Array.isArray(c) || c.length <= 2 * MAX_PARTS_EACH_END) return message;
  return { ...message, content: [...c.slice(0, MAX_PARTS_EACH_END), ...c.slice(-MAX_PARTS_EACH_END)] };
}

describe('bounded reads of a message', () => {
  it('messageEnds is ends(messageText) of the parts read, messageHead its head, and messageText the join it was', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.array(part, { maxLength: 30 }), fc.array(part, { minLength: 2 * MAX_PARTS_EACH_END - 3, maxLength: 2 * MAX_PARTS_EACH_END + 40 }), fc.string({ maxLength: 80 })),
        fc.integer({ min: 1, max: 120 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        (content, max, share) => {
          const head = Math.floor(max * share);
          const message = { role: 'user', content };
          const whole = referenceText(read(message));
          expect(messageText(message)).toBe(referenceText(message));
          expect(messageEnds(message, max, head)).toBe(ends(whole, max, head));
          expect(messageHead(message, max)).toBe(whole.slice(0, max));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('reads the first and last parts of a turn of many parts, not its middle', () => {
    const parts = Array.from({ length: 10_000 }, (_, i) => ({ type: 'text', text: `p${i}` }));
    const text = messageEnds({ content: parts }, 1 << 20, 1 << 19);
    expect(text.startsWith('p0\np1\n')).toBe(true);
    expect(text.endsWith('p9998\np9999')).toBe(true);
    expect(text).toContain(`p${MAX_PARTS_EACH_END - 1}\np${10_000 - MAX_PARTS_EACH_END}`);
    expect(text).not.toContain(`\np${MAX_PARTS_EACH_END}\n`);
  });
});

describe('the conversation the classifier reads', () => {
  const proof = 'Prove that there are infinitely many primes of the form 4k+3, and derive the density of such primes among all primes.';
  const answered = (content: string) => [
    { role: 'user', content },
    { role: 'assistant', content: 'Here it is.' },
  ];

  it('always reads the newest earlier turn whole, however long', () => {
    // A long paste with the hard ask at its end: read in part, its start would have to decide.
    const paste = `${'The build log follows. '.repeat(400)}\n\n${proof}`;
    const c = classifyMessages([...answered(paste), { role: 'user', content: 'why?' }]);
    expect(c.signals).toContain('follow-up in a harder conversation');
    expect(TIER_NAMES.indexOf(c.tier)).toBeGreaterThanOrEqual(TIER_NAMES.indexOf('complex'));
    // The follow-up scores the turn's score less 0.6 (or its own, if higher), the turn scored as
    // it scores alone.
    const own = classifyMessages([{ role: 'user', content: 'and then?' }], undefined, false).score;
    for (const turn of [paste, `Summarize this log for the on-call channel, then list the likely root causes:\n\n${'worker 7 restarted after a config reload; '.repeat(200)}`]) {
      const alone = classifyMessages([{ role: 'user', content: turn }], undefined, false);
      const followUp = classifyMessages([...answered(turn), { role: 'user', content: 'and then?' }], undefined, false);
      expect(followUp.score).toBeCloseTo(Math.max(own, alone.score - 0.6), 1);
      expect(alone.score - 0.6).toBeGreaterThan(own);
    }
  });

  it('reads older turns while they fit in 600 characters in all, newest first', () => {
    const short = (n: number) => answered(`What is ${n} plus ${n}?`);
    // The proof two turns back is read when the turn after it is short ...
    const near = classifyMessages([...answered(proof), ...short(2), { role: 'user', content: 'why?' }]);
    expect(near.signals).toContain('follow-up in a harder conversation');
    // ... and not past 600 characters of newer turns (here a turn of more than 600 between).
    const between = answered(`Summarize: ${'the meeting went fine and lunch was good. '.repeat(16)}`);
    expect(messageText(between[0]!).length).toBeGreaterThan(600);
    const far = classifyMessages([...answered(proof), ...between, ...short(3), { role: 'user', content: 'why?' }]);
    expect(TIER_NAMES.indexOf(far.tier)).toBeLessThan(TIER_NAMES.indexOf(near.tier));
    // The newest turn alone decides there: the same as a conversation without the proof.
    expect(far).toEqual(classifyMessages([...between, ...short(3), { role: 'user', content: 'why?' }]));
  });

  it('looks through 256 messages for earlier turns and for a system prompt, not all of them', () => {
    const tools = (n: number) => Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'tool' : 'assistant', content: 'ok' }));
    const why = { role: 'user', content: 'why?' };
    // Earlier user turns: the proof 201 messages back is read, 301 back is not.
    expect(classifyMessages([{ role: 'user', content: proof }, ...tools(200), why]).signals).toContain('follow-up in a harder conversation');
    expect(classifyMessages([{ role: 'user', content: proof }, ...tools(300), why])).toEqual(classifyMessages([why]));
    // The system prompt: the first 256 messages.
    const rigour = { role: 'system', content: 'You are a rigorous research mathematician.' };
    const ask = { role: 'user', content: 'Explain how a hash map works.' };
    expect(classifyMessages([rigour, ...tools(200), ask]).signals).toContain('system prompt asks for rigour');
    expect(classifyMessages([...tools(300), rigour, ask]).signals).not.toContain('system prompt asks for rigour');
  });

  it('a turn sent as many content parts reads as the same text sent as one string', () => {
    const parts = [{ type: 'text', text: 'Design a sharded rate limiter for 10 regions.' }, ...Array.from({ length: 50 }, (_, i) => ({ type: 'text', text: `note ${i}` }))];
    expect(classifyMessages([{ role: 'user', content: parts }])).toEqual(classifyMessages([{ role: 'user', content: messageText({ content: parts }) }]));
  });
});

