import { runInNewContext } from 'node:vm';

/**
 * Runs fn and returns what it returns, or fails once it has run `ms` milliseconds. vitest's own
 * timeout cannot stop synchronous code: a regex that reads a long run from each of its starts
 * would hang the test run for hours instead of failing it. A vm timeout interrupts any JavaScript
 * the call runs, regex matching included.
 */
export function within<T>(ms: number, fn: () => T): T {
  try {
    return runInNewContext('run()', { run: fn }, { timeout: ms }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new Error(`did not finish within ${ms} ms`);
    throw err;
  }
}
