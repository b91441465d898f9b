/**
 * `thinkcap serve` as a child process, for the integration tests that kill or restart it: started
 * from the built CLI with a config file, its last 4 KB of output kept so that a start that fails
 * says why, and waited for on its admin port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../devkit/envoy.js';
import { packageRoot } from '../../src/paths.js';

export interface ServeProcess {
  child: ChildProcess;
  grpcPort: number;
  adminPort: number;
  configPath: string;
  /** What the process printed (stdout and stderr, the last 4 KB). */
  output(): string;
}

/** Spawn `thinkcap serve --config <configPath> ...args`, keeping its output. */
export function spawnServe(configPath: string, args: readonly string[] = []): { child: ChildProcess; output(): string } {
  const child = spawn(process.execPath, [join(packageRoot(), 'dist/src/cli.js'), 'serve', ...args, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString('utf8')).slice(-4096));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => out };
}

/**
 * Wait until the admin port answers `path` (default /ready) with 2xx. Throws, with what the
 * process printed, if it exits first or is not up in `timeoutMs` (default 30 s: Node processes
 * starting beside other test files on a 2-core CI machine).
 */
export async function waitServing(proc: { child: ChildProcess; output(): string }, adminPort: number, o: { path?: string; timeoutMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`thinkcap serve (admin ${adminPort}) exited (${proc.child.exitCode ?? proc.child.signalCode}): ${proc.output()}`);
    }
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}${o.path ?? '/ready'}`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`thinkcap serve (admin ${adminPort}) not up in ${o.timeoutMs ?? 30_000} ms: ${proc.output()}`);
}

/**
 * `thinkcap serve` on two free ports with the config `config(ports)` written to `dir`, waited
 * for. A port found free can be taken by a parallel test file before the process binds it: then
 * it starts again on fresh ports (three tries in all).
 */
export async function startServe(
  dir: string,
  config: (ports: { grpcPort: number; adminPort: number }) => Record<string, unknown>,
  o: { args?: readonly string[]; path?: string; timeoutMs?: number } = {},
): Promise<ServeProcess> {
  for (let attempt = 1; ; attempt++) {
    const grpcPort = await freePort();
    const adminPort = await freePort();
    const configPath = join(dir, `thinkcap-${grpcPort}.yaml`);
    writeFileSync(configPath, stringify(config({ grpcPort, adminPort })));
    const proc = spawnServe(configPath, o.args);
    try {
      await waitServing(proc, adminPort, o);
      return { ...proc, grpcPort, adminPort, configPath };
    } catch (err) {
      proc.child.kill('SIGKILL');
      if (attempt >= 3 || !/EADDRINUSE|address already in use/i.test(String(err))) throw err;
    }
  }
}
