import type { ChildProcess } from 'node:child_process';

/** Children still running that this process started (reapOnExit). */
const running = new Set<ChildProcess>();
let hooked = false;

/**
 * Kill `child` (SIGKILL) if it is still running when this process exits: a test whose start failed
 * before its cleanup was set up, an aborted run or a crashed script must not leave a server behind
 * (a failed start once left a redis-server running after the run). One exit listener for all.
 */
export function reapOnExit<C extends ChildProcess>(child: C): C {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  return child;
}
