/**
 * Demo: real Envoy + thinkcap + the backend emulator on loopback. Sends queries of different
 * difficulty through Envoy with the official openai client and prints what thinkcap decided
 * and how much the (emulated) model thought.
 */
import OpenAI from 'openai';
import { startStack } from '../devkit/stack.js';
import { readStream } from '../devkit/openai.js';

const QUERIES: Array<{ q: string; natural: number }> = [
  { q: 'Hi there!', natural: 180 },
  { q: 'What is the capital of Australia?', natural: 350 },
  { q: 'Summarize this in one line: the meeting moved from Tuesday to Thursday because the room was booked.', natural: 400 },
  { q: 'Compare PostgreSQL and MySQL for a write-heavy analytics workload. What are the trade-offs?', natural: 1500 },
  { q: 'Debug this: my Go service deadlocks under load when two goroutines lock the same two mutexes in different order. How do I fix it and prevent it?', natural: 3000 },
  { q: 'Prove that the square root of 2 is irrational, then derive a general proof for the square root of any non-square integer, step by step.', natural: 9000 },
];

async function main(): Promise<void> {
  const stack = await startStack({
    emulator: {
      tokenDelayMs: 0,
      plan: (body) => {
        const msgs = body.messages as Array<{ content: string }>;
        const text = msgs[msgs.length - 1]!.content;
        return { thinkingTokens: QUERIES.find((x) => x.q === text)?.natural ?? 500, answerTokens: 30 };
      },
    },
  });
  try {
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: 'demo', maxRetries: 0 });
    console.log(`Envoy ${stack.envoy.url} -> thinkcap :${stack.thinkcap!.grpcPort} -> emulated vLLM ${stack.emulator.url}\n`);
    const rows: string[][] = [['query', 'tier', 'budget', 'thinking used', 'would have used', 'answer']];
    for (const { q, natural } of QUERIES) {
      const { data: stream, response } = await client.chat.completions
        .create({ model: 'qwen3-emulated', messages: [{ role: 'user', content: q }], stream: true })
        .withResponse();
      const seen = await readStream(stream);
      const thinking = seen.reasoning.length;
      const answer = seen.content;
      rows.push([
        q.length > 48 ? q.slice(0, 45) + '...' : q,
        response.headers.get('x-thinkcap-tier') ?? '-',
        response.headers.get('x-thinkcap-budget') ?? '-',
        String(thinking),
        String(natural),
        answer.trim().length > 0 ? 'yes' : 'NO',
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const [i, r] of rows.entries()) {
      console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  '));
      if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    }
    const used = rows.slice(1).reduce((s, r) => s + Number(r[3]), 0);
    const natural = rows.slice(1).reduce((s, r) => s + Number(r[4]), 0);
    console.log(`\nthinking tokens generated: ${used} with thinkcap, ${natural} without (${Math.round((1 - used / natural) * 100)}% less)`);
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
