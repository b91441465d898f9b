#!/usr/bin/env node
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig, ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { classifyMessages } from './classify/classifier.js';
import { resolveThinkingBudget } from './budget/thinking.js';
import { createLogger } from './log.js';
import cluster from 'node:cluster';
import { startThinkcap } from './app.js';
import { parseWorkers, startPrimary, startWorker, workersProblem } from './workers.js';
import { VERSION } from './version.js';
import { checkCommand } from './check.js';

const COMMANDS = {
  serve: {
    usage: 'thinkcap serve [--config FILE] [--workers N|auto]',
    about: 'start the ext_proc gRPC server and the admin HTTP port (--workers: N processes behind one gRPC port, auto = one per core; default 1)',
    options: ['--config', '--workers'],
    flags: [] as string[],
  },
  classify: {
    usage: 'thinkcap classify [--config FILE] [--json] "TEXT"\nthinkcap classify [--config FILE] --jsonl FILE|-',
    about: 'print tier, budget and signals for one query (--json: as JSON; --jsonl: one JSON object per input line of {"messages": [...]} or {"query": "..."}, - reads stdin)',
    options: ['--config', '--jsonl'],
    flags: ['--json'],
  },
  check: {
    usage: 'thinkcap check --config FILE [--envoy FILE|- ...] [--no-backends]',
    about: 'validate the config, reach each configured backend and list its models, and check an Envoy config, or Istio resources (EnvoyFilter, DestinationRule, VirtualService; --envoy as often as needed), for what thinkcap needs (exit 1 on an error; warnings are listed apart)',
    options: ['--config', '--envoy'],
    flags: ['--no-backends'],
  },
} as const;
type CommandName = keyof typeof COMMANDS;

const USAGE = `thinkcap ${VERSION}: thinking-token and spend budgets for self-hosted reasoning models, as an Envoy ext_proc server

Usage:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage.split('\n').join('\n  ')}\n      ${c.about}`)
  .join('\n')}
  thinkcap --version
  thinkcap [COMMAND] --help

Configuration: YAML file (--config or THINKCAP_CONFIG) plus THINKCAP_* environment variables,
e.g. THINKCAP_SERVER__GRPC_PORT=50052 (double underscore nests keys, values are JSON or text).
An example with every key: thinkcap.example.yaml.`;

function commandHelp(name: CommandName): string {
  const c = COMMANDS[name];
  return `Usage: ${c.usage.split('\n').join('\n       ')}\n\n${c.about}\n`;
}

/** Thrown for a command line thinkcap cannot run: one line, then the usage, exit 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandName,
  ) {
    super(message);
  }
}

/** Reject flags and options the command does not take (before anything starts). */
function checkArgs(name: CommandName, args: string[]): void {
  const c = COMMANDS[name];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) continue;
    if ((c.options as readonly string[]).includes(a)) {
      if (args[i + 1] === undefined) throw new UsageError(`${a} needs a value`, name);
      i++;
    } else if (!(c.flags as readonly string[]).includes(a)) throw new UsageError(`unknown option '${a}' for '${name}'`, name);
  }
}

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
  const c = classifyMessages(messages, cfg.classifier.underTierCost);
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
  if (!text) throw new UsageError('classify needs the query text as an argument', 'classify');
  const r = classifyLine(cfg, [{ role: 'user', content: text }]);
  if (json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    process.stdout.write(`tier:       ${r.tier}\nbudget:     ${r.budget} thinking tokens\nscore:      ${r.score} (confidence ${r.confidence})\n`);
    process.stdout.write(`signals:    ${r.signals.join('; ')}\n`);
  }
  return 0;
}

async function serveCommand(args: string[]): Promise<number> {
  const workers = parseWorkers(takeOption(args, '--workers'));
  const cfg = config(args);
  const problem = workersProblem(cfg, workers);
  if (problem) throw new ConfigError(problem);
  const log = createLogger(cfg);
  if (cluster.isWorker) {
    // A worker of `serve --workers`: SIGTERM from the primary drains its streams.
    const app = await startWorker(cfg, log, workers);
    process.on('SIGTERM', () => void app.stop().finally(() => process.exit(0)));
    process.on('SIGINT', () => {}); // the primary decides (a terminal's Ctrl-C reaches every process)
    return new Promise<number>(() => {});
  }
  let stopping = false;
  let app: { stop(): Promise<void> } | null = null;
  const stop = (signal: string, code = 0) => {
    if (stopping || !app) return;
    stopping = true;
    log.info({ signal, graceMs: cfg.server.shutdownGraceMs }, 'shutting down');
    app.stop().then(
      () => {
        log.info('stopped');
        process.exit(code);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  app = workers > 1 ? await startPrimary(cfg, log, workers, () => stop('a worker failed to start', 1)) : await startThinkcap(cfg, log);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return new Promise<number>(() => {});
}

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  const cmd = args.shift();
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!(cmd in COMMANDS)) throw new UsageError(cmd.startsWith('-') ? `unknown option '${cmd}'` : `unknown command '${cmd}'`);
  const name = cmd as CommandName;
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(commandHelp(name));
    return 0;
  }
  checkArgs(name, args);
  switch (name) {
    case 'serve':
      return serveCommand(args);
    case 'classify':
      return classifyCommand(args);
    case 'check':
      return checkCommand(args);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`thinkcap: ${err.message}\n\n${err.command ? commandHelp(err.command) : USAGE + '\n'}`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof ConfigError) process.stderr.write(`thinkcap: ${err.message}\n`);
    else process.stderr.write(`thinkcap: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
