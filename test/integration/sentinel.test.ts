/**
 * The spend ledger on real Redis Sentinel (one master, one replica, three sentinels of Debian's
 * redis-server, on loopback), two thinkcap replicas: the concurrent race, then a failover of the
 * master in the middle of a paced load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../devkit/stack.js';
import { startRedisSentinel, type RunningRedisSentinel } from '../../devkit/redis-sentinel.js';
import { describeRun, expectFailoverHeld, expectRaceHeld, race, replicatedSpendConfig, runFailover, setTenantCap, settled, startLedgerStack } from '../harness/failover.js';

// "Hello" reserves $0.074 and costs $0.014: a $0.50 cap admits 6 at once, about 35 in all.
const RACE_CAP = 0.5;
// The failover test adds its spend to the race's: about 70 requests fit before the kill, and the
// cap is reached after the failover.
const CAP_AFTER_RACE = 3.5;

describe('spend ledger on real Redis Sentinel, two thinkcap replicas', () => {
  let sentinel: RunningRedisSentinel;
  let stack: Stack;
  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    stack = await startLedgerStack(replicatedSpendConfig({ sentinel: { name: sentinel.name, sentinels: sentinel.sentinels } }, RACE_CAP), 2);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sentinel?.stop();
  });

  it('300 concurrent requests: settled spend ≤ cap, upstream calls = admitted', async () => {
    await expectRaceHeld(stack, await race(stack, 300), RACE_CAP);
  }, 60_000);

  it('the master fails mid-run: nothing settled lost or counted twice, nothing over the cap, refusals only during the failover', async () => {
    expect(await setTenantCap(stack, CAP_AFTER_RACE)).toBe(200);
    const callsBefore = stack.emulator.chatCalls();
    const run = await runFailover(stack, { master: () => sentinel.master(), kill: (p) => sentinel.kill(p), restart: (p) => sentinel.restart(p), replicasAcking: (p) => sentinel.replicasAcking(p) }, { seconds: 12, everyMs: 20, killAtMs: 1500 });
    await settled(stack);
    console.log(describeRun('sentinel', run));
    await expectFailoverHeld(stack, run, CAP_AFTER_RACE, callsBefore);
  }, 120_000);
});
