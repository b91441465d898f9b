/**
 * Does every ask get an answer? Complex and deep asks with no client limit, sent one at a time
 * with the official openai SDK to an OpenAI base URL (thinkcap behind Envoy, or an engine alone),
 * sampling on: one line per ask (tier, budget, thinking and completion tokens, finish, answer
 * characters, the record's follow-up where the admin port is given) and how many had no answer.
 *
 *   npm run stack -- --llama        # in another shell: Envoy + thinkcap + the real llama-server
 *   npm run build && node dist/benchmarks/answers.js http://127.0.0.1:10000/v1 8 [--admin http://127.0.0.1:9100]
 *
 * A reasoning model with no client limit may think to the end of its engine's context: that is
 * where an answer goes missing (README, "rescue_at_context").
 */
import OpenAI from 'openai';

const ASKS = [
  'Design a distributed rate limiter for a multi-region API gateway; cover failure modes and consistency.',
  'Prove rigorously that every bounded monotone sequence of reals converges.',
  'Optimize this SQL query: SELECT * FROM a JOIN b ON a.id=b.id WHERE b.x > 5',
  'Our Kafka consumers lag grows 2x every night at 02:00 and p99 latency jumps to 4 s. Diagnose step by step.',
];

async function main(): Promise<void> {
  const [baseURL, countArg] = process.argv.slice(2).filter((a, i, all) => a !== '--admin' && all[i - 1] !== '--admin');
  const adminAt = process.argv.indexOf('--admin');
  const admin = adminAt >= 0 ? process.argv[adminAt + 1] : undefined;
  if (!baseURL) throw new Error('usage: node dist/benchmarks/answers.js <OpenAI base URL> [asks, 8] [--admin <thinkcap admin URL>]');
  const count = Number(countArg ?? 8);
  const client = new OpenAI({ baseURL, apiKey: 'none', maxRetries: 0, timeout: 600_000 });
  let unanswered = 0;
  console.log('| ask | tier | budget | thinking | completion | finish | answer chars | follow-up | s |\n|---:|---|---:|---:|---:|---|---:|---|---:|');
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const { data, response } = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: ASKS[i % ASKS.length]! }] }).withResponse();
    const choice = data.choices[0]!;
    const answer = (choice.message.content ?? '').trim();
    if (answer === '') unanswered++;
    let followUp = '';
    if (admin) {
      const history = (await (await fetch(`${admin}/api/history`)).json()) as { requests: Array<{ followUp: { kind: string; failed: boolean } | null }> };
      const f = history.requests[0]?.followUp;
      followUp = f ? `${f.kind}${f.failed ? ' (failed)' : ''}` : '–';
    }
    const h = (name: string) => response.headers.get(`x-thinkcap-${name}`) ?? '–';
    console.log(`| ${i + 1} | ${h('tier')} | ${h('budget')} | ${h('thinking-tokens')} | ${data.usage?.completion_tokens ?? '–'} | ${choice.finish_reason} | ${answer.length} | ${followUp} | ${((performance.now() - started) / 1000).toFixed(1)} |`);
  }
  console.log(`\nno answer: ${unanswered} of ${count}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
