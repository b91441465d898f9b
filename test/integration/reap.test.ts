import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';

/**
 * Whether a process with this pid is running: signal 0 checks without sending; on Linux a zombie
 * (exited, not yet reaped by an init that may never reap it) counts as gone.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

// A test whose start fails before its cleanup is set up (spend.test.ts once: a thinkcap that
// refused its config) must not leave its servers running after the run: devkit/reap.ts kills what
// is left when the test process exits.
describe('devkit: servers a test process started do not outlive it', () => {
  it('a process that starts a redis-server and exits without stopping it leaves none running, and no data folder', async () => {
    const redis = pathToFileURL(join(packageRoot(), 'dist', 'devkit', 'redis.js')).href;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const { startRedis } = await import(${JSON.stringify(redis)}); const r = await startRedis(); console.log(r.process.pid); console.log(r.cli('config', 'get', 'dir').trim().split('\\n').at(-1)); process.exit(0);`], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const [pidLine, dir] = r.stdout.trim().split('\n');
    expect(dir).toMatch(/thinkcap-redis-/);
    expect(existsSync(dir!)).toBe(false);
    const pid = Number(pidLine);
    expect(pid).toBeGreaterThan(0);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 100));
    const left = alive(pid);
    if (left) process.kill(pid, 'SIGKILL');
    expect(left).toBe(false);
  });
});
