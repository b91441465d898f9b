/**
 * Load tests check refusals, resets and the ledger, not answer latency on a starved CPU: they give
 * Envoy's message_timeout (and thinkcap's deadline under it) room, so that a CI machine busy with
 * other test files does not turn slowness into timeouts (a 60-request spend race whose cap admits
 * 6 once got no 429 at all in a full local run, at the shipped 0.2 s and 150 ms).
 */
import { extProcFilter } from '../../devkit/envoy.js';

/** Envoy's message_timeout at 2 s (in a parsed config, as `envoy.mutate`). */
export function roomyTimeouts(cfg: any): void {
  extProcFilter(cfg).message_timeout = '2s';
}

/** thinkcap's deadline, inside roomyTimeouts with margin. */
export const ROOMY_DEADLINE = { requests: { deadlineMs: 1500 } };
