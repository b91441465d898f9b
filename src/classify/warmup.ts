/**
 * Classifier warm-up at start. A fresh process classifies its first request in ~3 ms on a 2-core
 * VM, and a later one that reaches a rule not used yet can take a few ms more (each regex
 * compiles on first use, each function runs unoptimised until it is hot): ~30 ms for its first
 * 100 requests, ~6 ms after this warm-up (`node dist/benchmarks/classifier.js --cold` measures
 * both). Classifying these prompts 20 times at start (~80 ms) moves that cost out of the first
 * requests.
 *
 * The prompts are written to reach every tier and the rules' main paths: small talk, arithmetic,
 * a lookup, explain and compare, a design, a proof, a failure report, a reviewed diff, a long
 * paste with an ask at its end, names and measurements, keyword stuffing, a follow-up turn, an
 * agent's system prompt, and text in Chinese, German, Spanish and Russian (a test holds them to
 * that).
 */
import type { ChatMessageLike } from './text.js';
import { classifyMessages } from './classifier.js';

const PASTE = 'The team discussed the rollout plan, the hiring freeze and the budget for next quarter. ';

export const WARM_UP_CONVERSATIONS: readonly (readonly ChatMessageLike[])[] = [
  [{ role: 'user', content: 'Hi there!' }],
  [{ role: 'user', content: 'ok thanks, that worked' }],
  [{ role: 'user', content: 'What is 7 times 8?' }],
  [{ role: 'user', content: 'What port does HTTPS use?' }],
  [{ role: 'user', content: 'Translate "good morning" into French.' }],
  [{ role: 'user', content: 'Explain why the sky is blue, in two sentences.' }],
  [{ role: 'user', content: 'Compare Redis and Memcached for session storage.' }],
  [{ role: 'user', content: 'A train leaves at 3 pm at 60 km/h and another at 4 pm at 80 km/h. When does the second catch up?' }],
  [{ role: 'user', content: 'Design a multi-tenant billing service with idempotent retries, partial refunds and a migration plan; explain the trade-offs of the whole system.' }],
  [{ role: 'user', content: 'Prove that the square root of 2 is irrational, step by step, rigorously: ∀ n ∈ ℕ, n^2 ≠ 2.' }],
  [{ role: 'user', content: 'p99 latency went from 40 ms to 400 ms after we moved the Java 21 service to G1 on EC2; the pods get OOMKilled at 70% of the limit. Where do I look?' }],
  [{ role: 'user', content: 'Review this change for bugs:\n```diff\n- if (retries > max) return err;\n+ if (retries >= max) return err;\n  for (const x of items) {\n    total += x.price;\n  }\n```' }],
  [{ role: 'user', content: `Here are the meeting notes.\n\n${PASTE.repeat(40)}\n\nSummarize the three decisions in bullet points.` }],
  [{ role: 'user', content: 'Prove design optimize analyze derive, step by step, rigorous architecture. What is the capital of France?' }],
  [
    { role: 'user', content: 'Derive the closed form of the Fibonacci numbers.' },
    { role: 'assistant', content: 'F(n) = (φ^n − ψ^n) / √5 ...' },
    { role: 'user', content: 'and for n = 50?' },
  ],
  [
    { role: 'system', content: 'You are the store assistant. Tools: search_orders(query), refund(order_id), reschedule(id, date). Be concise.' },
    { role: 'user', content: 'Can I move the appointment to Friday?' },
  ],
  [{ role: 'user', content: '请证明勾股定理，并说明每一步。' }],
  [{ role: 'user', content: 'Wie viel ist 8 plus 9?' }],
  [{ role: 'user', content: '¿Cómo puedo optimizar esta consulta SQL que tarda 30 segundos?' }],
  [{ role: 'user', content: 'Объясни, как работает сборщик мусора в Go.' }],
];

/** Classifies the warm-up conversations `rounds` times; returns the milliseconds it took. */
export function warmClassifier(rounds = 20): number {
  const start = performance.now();
  for (let r = 0; r < rounds; r++) for (const messages of WARM_UP_CONVERSATIONS) classifyMessages(messages);
  return performance.now() - start;
}
