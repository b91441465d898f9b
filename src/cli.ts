#!/usr/bin/env node
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig, ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { classifyMessages } from './classify/classifier.js';
import { resolveThinkingBudget } from './budget/thinking.js';
import { createLogger } from './log.js';
import { startThinkcap } from './app.js';
import { VERSION } from './version.js';

const USAGE = `thinkcap ${VERSION}: thinking-token and spend budgets for self-hosted reasoning models, as an Envoy ext_proc server

Usage:
  thinkcap serve [--config FILE]               start the ext_proc gRPC server and the admin HTTP port
  thinkcap classify [--config FILE] "TEXT"     print tier, budget and signals for one query
  thinkcap classify --json "TEXT"              the same as one JSON object
  thinkcap classify --jsonl FILE               one JSON object per input line ({"messages": [...]} or {"query": "..."}); '-' reads stdin
  thinkcap --version

Configuration: YAML file (--config or THINKCAP_CONFIG) plus THINKCAP_* environment variables,
e.g. THINKCAP_SERVER__GRPC_PORT=50052 (double underscore nests keys, values are JSON or text).`;

function takeFlag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}

function takeOption(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new ConfigError(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

function config(args: string[]): Config {
  return loadConfig(takeOption(args, '--config') ?? process.env.THINKCAP_CONFIG);
}

function classifyLine(cfg: Config, messages: Array<{ role?: unknown; content?: unknown }>) {
  const c = classifyMessages(messages);
  const { budget } = resolveThinkingBudget(cfg, c.tier, {});
  return { tier: c.tier, budget, score: c.score, confidence: c.confidence, signals: c.signals };
}

async function classifyCommand(args: string[]): Promise<number> {
  const json = takeFlag(args, '--json');
  const jsonl = takeOption(args, '--jsonl');
  const cfg = config(args);
  if (jsonl !== undefined) {
    const input = jsonl === '-' ? process.stdin : createReadStream(jsonl);
    const rl = createInterface({ input, crlfDelay: Infinity });
    let lineNo = 0;
    let out = '';
    for await (const line of rl) {
      lineNo++;
      if (!line.trim()) continue;
      let obj: { messages?: unknown; query?: unknown };
      try {
        obj = JSON.parse(line) as typeof obj;
      } catch {
        out += JSON.stringify({ line: lineNo, error: 'not valid JSON' }) + '\n';
        continue;
      }
      const messages = Array.isArray(obj.messages)
        ? (obj.messages as Array<{ role?: unknown; content?: unknown }>)
        : typeof obj.query === 'string'
          ? [{ role: 'user', content: obj.query }]
          : null;
      out += JSON.stringify(messages ? classifyLine(cfg, messages) : { line: lineNo, error: 'no messages or query' }) + '\n';
      if (out.length > 64 * 1024) {
        if (!process.stdout.write(out)) await new Promise((r) => process.stdout.once('drain', r));
        out = '';
      }
    }
    process.stdout.write(out);
    return 0;
  }
  const text = args.join(' ');
  if (!text) {
    process.stderr.write('thinkcap classify: give the query text as an argument\n');
    return 2;
  }
  const r = classifyLine(cfg, [{ role: 'user', content: text }]);
  if (json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    process.stdout.write(`tier:       ${r.tier}\nbudget:     ${r.budget} thinking tokens\nscore:      ${r.score} (confidence ${r.confidence})\n`);
    process.stdout.write(`signals:    ${r.signals.join('; ')}\n`);
  }
  return 0;
}

async function serveCommand(args: string[]): Promise<number> {
  const cfg = config(args);
  const log = createLogger(cfg);
  const app = await startThinkcap(cfg, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, inFlight: app.extProc.active, graceMs: cfg.server.shutdownGraceMs }, 'shutting down');
    app.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return new Promise<number>(() => {});
}

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  const cmd = args.shift();
  switch (cmd) {
    case 'serve':
      return serveCommand(args);
    case 'classify':
      return classifyCommand(args);
    case '--version':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`thinkcap: unknown command '${cmd}'\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`thinkcap: ${err.message}\n`);
    else process.stderr.write(`thinkcap: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
