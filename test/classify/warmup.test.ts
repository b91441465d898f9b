import { describe, expect, it } from 'vitest';
import { classifyMessages } from '../../src/classify/classifier.js';
import { WARM_UP_CONVERSATIONS } from '../../src/classify/warmup.js';
import { TIER_NAMES } from '../../src/config/schema.js';

describe('classifier warm-up', () => {
  const results = WARM_UP_CONVERSATIONS.map((m) => classifyMessages(m));
  const signals = results.flatMap((c) => c.signals).join('\n');

  it('reaches every tier', () => {
    expect(new Set(results.map((c) => c.tier))).toEqual(new Set(TIER_NAMES));
  });

  it("reaches the rules' main paths (so that their regexes are compiled and their functions hot before the first request)", () => {
    for (const path of [
      /greeting or acknowledgement/,
      /one-step arithmetic/,
      /asks a lookup/,
      /asks to explain, compare/,
      /asks to design/,
      /asks for a proof/,
      /a failure or slowdown to diagnose|a failure report|a measured problem in a named system/,
      /lines of code/,
      /words of pasted material/,
      /stuffed around|a hard word around/,
      /follow-up in a harder conversation/,
      /a request to a tool-using agent/,
      /mathematical notation/,
      /a calculation or word problem/,
    ]) {
      expect(signals, String(path)).toMatch(path);
    }
    // Scripts other than Latin reach the lexicons' Chinese terms and the Cyrillic words.
    const text = WARM_UP_CONVERSATIONS.flatMap((m) => m.map((x) => String(x.content))).join(' ');
    expect(text).toMatch(/\p{Script=Han}/u);
    expect(text).toMatch(/\p{Script=Cyrillic}/u);
  });
});
