import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';
import { freePort } from '../devkit/envoy.js';

const CLI = join(packageRoot(), 'dist', 'src', 'cli.js');

describe('thinkcap CLI (built)', () => {
  it('is built (npm run build runs before the tests)', () => {
    expect(existsSync(CLI)).toBe(true);
  });

  it('serve: /health answers, SIGTERM exits 0', async () => {
    const grpcPort = await freePort();
    const adminPort = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: { ...process.env, THINKCAP_SERVER__GRPC_PORT: String(grpcPort), THINKCAP_SERVER__ADMIN_PORT: String(adminPort), THINKCAP_SERVER__ADMIN_HOST: '127.0.0.1', THINKCAP_SERVER__GRPC_HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let health: any = null;
    for (let i = 0; i < 100 && !health; i++) {
      try {
        health = await (await fetch(`http://127.0.0.1:${adminPort}/health`)).json();
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(health, out).toMatchObject({ status: 'ok', version: '0.1.0', gpu: 'none', defaultDialect: 'vllm' });
    expect(typeof health.uptimeSeconds).toBe('number');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('shutting down');
  });

  it('serve: a bad config fails at start naming the key', () => {
    const r = spawnSync(process.execPath, [CLI, 'serve'], { env: { ...process.env, THINKCAP_SERVER__ADMIN_PORT: '"nine"' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/server\.adminPort: .*expected number/);
  });

  it.each([
    [['--workers', '0'], /--workers must be a whole number from 1 to 256, or auto \(got '0'\)/],
    [['--workers', 'many'], /--workers must be a whole number/],
    // Energy is shared among one process's requests in flight: workers would each see only theirs.
    [['--workers', '2'], /--workers 2 needs energy\.source: none/],
  ])('serve %j fails at start with one line, exit 1', (args, message) => {
    const r = spawnSync(process.execPath, [CLI, 'serve', ...(args as string[])], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(message);
  });

  it('classify --json prints tier and budget', () => {
    const r = spawnSync(process.execPath, [CLI, 'classify', '--json', 'Hello'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tier: 'trivial', budget: 32 });
  });
});

describe('thinkcap CLI behaves like a CLI', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });

  it.each([['--help'], ['help'], ['serve', '--help'], ['classify', '--help'], ['check', '--help'], ['check', '-h']])('%s %s prints usage and exits 0 (serve does not start)', (...args) => {
    const r = run(...args);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage:/);
  });

  it('--version prints the version', () => {
    const r = run('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('0.1.0');
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['serve', '--port', '1'], /unknown option '--port' for 'serve'/],
    [['classify', '--json', '--fast', 'Hi'], /unknown option '--fast' for 'classify'/],
    [['check', '--config'], /--config needs a value/],
    [['classify'], /classify needs the query text/],
  ])('%j: one-line error, the usage, exit 2', (args, message) => {
    const r = run(...(args as string[]));
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(message);
    expect(r.stderr).toMatch(/Usage:/);
  });
});
