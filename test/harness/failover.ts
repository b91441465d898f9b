/**
 * A paced load through Envoy while the Redis master holding the spend keys is killed, a replica
 * takes over and the killed node comes back as its replica. Shared by the Cluster and Sentinel
 * tests; every loop is bounded by time.
 */
import type { Stack } from '../../devkit/stack.js';

export interface LedgerTopology {
  /** Port of the master holding thinkcap's keys now, or null while none does. */
  master(): number | null;
  kill(port: number): void;
  restart(port: number): Promise<void>;
  replicasInSync(port: number): number;
}

export interface FailoverRun {
  /** Each request: when it was sent (ms from the start) and the HTTP status. */
  requests: Array<{ at: number; status: number }>;
  killedAt: number;
  /** When another master held the keys (ms from the start). */
  promotedAt: number;
  /** When the killed node was back and in sync as the new master's replica. */
  rejoinedAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runFailover(stack: Stack, topology: LedgerTopology, o: { seconds: number; everyMs: number; killAtMs: number }): Promise<FailoverRun> {
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 20 });
  const t0 = Date.now();
  const requests: FailoverRun['requests'] = [];
  const inflight: Array<Promise<void>> = [];
  const load = (async () => {
    for (let i = 0; Date.now() - t0 < o.seconds * 1000; i++) {
      const at = Date.now() - t0;
      inflight.push(
        fetch(`${stack.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(15_000) })
          .then(async (r) => {
            await r.arrayBuffer();
            requests.push({ at, status: r.status });
          })
          .catch(() => {
            requests.push({ at, status: 0 });
          }),
      );
      await sleep(Math.max(0, t0 + (i + 1) * o.everyMs - Date.now()));
    }
  })();

  await sleep(o.killAtMs);
  const old = topology.master();
  if (old === null) throw new Error('no master before the kill');
  topology.kill(old);
  const killedAt = Date.now() - t0;
  let promotedAt = -1;
  for (let i = 0; i < 300; i++) {
    const now = topology.master();
    if (now !== null && now !== old) {
      promotedAt = Date.now() - t0;
      break;
    }
    await sleep(50);
  }
  if (promotedAt < 0) throw new Error('no replica took over within 15 s');
  await topology.restart(old);
  for (let i = 0; i < 300 && topology.replicasInSync(topology.master()!) < 1; i++) await sleep(50);
  const rejoinedAt = Date.now() - t0;
  await load;
  await Promise.all(inflight);
  return { requests: requests.sort((a, b) => a.at - b.at), killedAt, promotedAt, rejoinedAt };
}

/** Wait (bounded) until both replicas have pushed every settlement kept during the failover. */
export async function settled(stack: Stack, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (stack.replicas.some((r) => r.spend.pendingReconciliation > 0) && Date.now() < end) await sleep(100);
}
