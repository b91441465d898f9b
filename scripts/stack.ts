/**
 * A local stack to try thinkcap by hand: the real Envoy (shipped envoy.yaml) + thinkcap + a
 * backend: the emulator (vLLM's wire format, default) or the real llama-server with SmolLM2
 * (--llama; scripts/install-llama.sh builds it once). Prints the URL to call, the dashboard and
 * example commands; Ctrl-C or SIGTERM stops every process it started.
 *
 *   npm run stack [-- --llama] [-- --port 10000 --admin-port 9100]
 */
import { createServer } from 'node:net';
import { startStack, type Stack } from '../devkit/stack.js';
import { LLAMA_ENVOY, startLlamaServer, type RunningLlama } from '../devkit/llama.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The preferred port when it is free on loopback, else 0 (any). */
async function prefer(port: number): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(0));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(port)));
  });
}

async function main(): Promise<void> {
  const useLlama = process.argv.includes('--llama');
  const listenerPort = await prefer(Number(option('port') ?? 10000));
  const adminPort = await prefer(Number(option('admin-port') ?? 9100));
  let llama: RunningLlama | null = null;
  let stack: Stack;
  if (useLlama) {
    llama = await startLlamaServer({ template: 'think-forced-open', reasoningFormat: 'deepseek', slots: 2 });
  }
  try {
    stack = await startStack({
      emulator: { dialect: 'vllm', tokenDelayMs: 15 },
      backendPort: llama?.port,
      thinkcap: {
        log: { level: 'info' },
        server: { adminPort },
        dashboard: { promptPreview: true },
        // One slot's context is 2,048 tokens (4,096 over 2 slots), less an eighth: SmolLM2's tokenizer
        // counts more than o200k, thinkcap's count (README, contextTokens).
        ...(llama ? { backends: [{ name: 'llama', dialect: 'llamacpp', url: llama.url, contextTokens: 1792 }] } : { backends: [{ name: 'emulator', dialect: 'vllm' }] }),
      },
      // With a real engine, full duplex lets thinkcap rescue an answer when the model ends its turn
      // inside thinking (small models do); llama-server also needs one request per connection.
      envoy: { ...(listenerPort ? { listenerPort } : {}), ...(llama ? { ...LLAMA_ENVOY, responseBodyMode: 'FULL_DUPLEX_STREAMED' as const } : {}) },
    });
  } catch (err) {
    await llama?.stop();
    throw err;
  }
  const base = stack.baseURL;
  const admin = `http://127.0.0.1:${stack.thinkcap!.adminPort}`;
  const backend = llama ? `llama-server (SmolLM2-135M, llama.cpp) at ${llama.url}; Envoy in FULL_DUPLEX_STREAMED mode` : `emulator (vLLM wire format, thinks ~200 tokens) at ${stack.emulator.url}`;
  console.log(`
thinkcap stack is up. Ctrl-C stops it.

  OpenAI base URL   ${base}
  dashboard         ${admin}/dashboard
  metrics           ${admin}/metrics
  Envoy admin       ${stack.envoy.adminUrl}
  backend           ${backend}

Try:
  curl -si ${base}/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":200}'

  curl -sN ${base}/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"m","stream":true,"messages":[{"role":"user","content":"Prove that 2 is prime"}]}'

  python3 -c 'from openai import OpenAI; r = OpenAI(base_url="${base}", api_key="x").chat.completions.with_raw_response.create(model="m", messages=[{"role":"user","content":"Hi"}]); print(r.headers.get("x-thinkcap-tier"), r.headers.get("x-thinkcap-budget"), r.headers.get("x-thinkcap-thinking-tokens")); print(r.parse().choices[0].message.content)'

  node -e 'import("openai").then(async ({default: OpenAI}) => { const {data, response} = await new OpenAI({baseURL: "${base}", apiKey: "x"}).chat.completions.create({model: "m", messages: [{role: "user", content: "Hi"}]}).withResponse(); console.log(response.headers.get("x-thinkcap-tier"), data.usage?.completion_tokens_details?.reasoning_tokens, data.choices[0].message.content) })'
`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Envoy, thinkcap and the backend`);
    await stack.stop();
    await llama?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
