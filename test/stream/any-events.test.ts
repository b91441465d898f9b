/**
 * Property test of the response side: events of any JSON shape (choices, deltas, messages,
 * usage and Ollama's fields holding any value, names every object inherits, tags in any field),
 * in every dialect and format, fast path on and off, with and without a continuation to hold
 * for: the rewriter reads them without throwing and still writes its report.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { backendOptions, buildDialect } from '../../src/backends/registry.js';
import { validateConfig } from '../../src/config/load.js';
import { ResponseRewriter } from '../../src/stream/rewriter.js';

const inherited = fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty');
const value = fc.oneof(fc.anything({ maxDepth: 2 }), inherited, fc.constantFrom('<think>', '</think>', 'x</think>y', -1, 1e308, null, [], {}));
const delta = fc.record({ content: value, reasoning: value, reasoning_content: value, role: value, tool_calls: value }, { requiredKeys: [] });
const choice = fc.record({ index: fc.oneof(fc.nat(300), value), delta: fc.oneof(delta, value), message: fc.oneof(delta, value), finish_reason: fc.oneof(fc.constantFrom('stop', 'length', null), value), text: value }, { requiredKeys: [] });
const event = fc.oneof(
  fc.record({ choices: fc.oneof(fc.array(choice, { maxLength: 3 }), value), usage: fc.oneof(fc.record({ completion_tokens: value, prompt_tokens: value, completion_tokens_details: value }, { requiredKeys: [] }), value), error: value }, { requiredKeys: [] }),
  fc.record({ message: fc.oneof(fc.record({ content: value, thinking: value, role: value }, { requiredKeys: [] }), value), done: fc.oneof(fc.boolean(), value), done_reason: value, eval_count: value }, { requiredKeys: [] }),
  value,
);

const config = validateConfig({});
const cases = (['vllm', 'sglang', 'llamacpp', 'ollama', 'ollama-openai', 'generic'] as const).flatMap((d) =>
  (d === 'ollama' ? (['ndjson', 'json'] as const) : (['sse', 'json'] as const)).map((format) => ({ d, format })),
);

it.each(cases)('$d $format: any events are read without a throw, and the report is written', ({ d, format }) => {
  const dialect = buildDialect(d, backendOptions(config, { name: 'b', dialect: d } as never));
  fc.assert(
    fc.property(fc.array(event, { minLength: 1, maxLength: 6 }), fc.nat(50), fc.boolean(), fc.boolean(), fc.boolean(), fc.nat(), (events, budget, prefilled, fast, continuation, cutAt) => {
      const r = new ResponseRewriter({ dialect, format, budget, clientWantsUsage: false, thinkPrefilled: prefilled, continuation, rescue: true, tier: 'simple', fastAnswerEvents: fast, graceTokens: 3 });
      const texts = events.map((e) => JSON.stringify(e) ?? 'null');
      const body = format === 'sse' ? texts.map((t) => `data: ${t}\n\n`).join('') + 'data: [DONE]\n\n' : format === 'ndjson' ? texts.map((t) => `${t}\n`).join('') : texts[0]!;
      const buf = Buffer.from(body);
      const cut = cutAt % (buf.length + 1);
      r.push(buf.subarray(0, cut), false);
      r.push(buf.subarray(cut), true);
      expect(r.reportComment()).toMatch(/^: thinkcap tier=simple budget=\d+ thinking_tokens=\d+/);
    }),
    { numRuns: 300 },
  );
});
