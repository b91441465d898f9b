import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** Children still running that this process started (reapOnExit). */
const running = new Set<ChildProcess>();
/** Folders not removed yet (removeOnExit). */
const folders = new Set<string>();
let hooked = false;

/** One exit listener for all: the children first, then the folders they wrote in. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
    for (const d of folders) rmSync(d, { recursive: true, force: true });
  });
}

/**
 * Kill `child` (SIGKILL) if it is still running when this process exits: a test whose start failed
 * before its cleanup was set up, an aborted run or a crashed script must not leave a server behind
 * (a failed start once left a redis-server running after the run).
 */
export function reapOnExit<C extends ChildProcess>(child: C): C {
  running.add(child);
  child.once('exit', () => running.delete(child));
  hookExit();
  return child;
}

/**
 * Remove the folder `dir` when this process exits, or earlier through the function returned (a
 * server's data folder, a benchmark's configs): a caller that never stops what it started leaves
 * no folder behind either.
 */
export function removeOnExit(dir: string): () => void {
  folders.add(dir);
  hookExit();
  return () => {
    rmSync(dir, { recursive: true, force: true });
    folders.delete(dir);
  };
}
