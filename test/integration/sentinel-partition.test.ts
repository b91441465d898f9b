/**
 * A Sentinel failover that thinkcap does not see on its own connection: the sentinels lose the
 * master (they get NOAUTH from it, the stand-in for a network partition between them and it)
 * while thinkcap's connection to it stays up. The sentinels promote the replica; the old master,
 * still taking writes from thinkcap, is made the new master's replica once the sentinels reach it
 * again, and everything written to it meanwhile is gone. thinkcap must leave it when the
 * sentinels announce the new master, or every reservation and settlement made there is lost
 * (spend the ledger never counts: `replicaAcks: 0`, the default, has no replica ack to refuse on).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../devkit/stack.js';
import { cutOffFromSentinels, startRedisSentinel, type RunningRedisSentinel } from '../../devkit/redis-sentinel.js';
import { redisAuthCliArgs, redisCli, thinkcapClients, waitFor as until } from '../../devkit/redis.js';
import { concurrentHellos } from '../harness/spend.js';
import { ledgerAfterRefunds, replicatedSpendConfig, settled, trueCost, startLedgerStack } from '../harness/failover.js';

const PASSWORD = 'partition-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** redis-cli on the old master once it asks for the password. */
const authed = (port: number, ...args: string[]) => redisCli(port, ...redisAuthCliArgs(PASSWORD), ...args);
/** A node's role, and its master where it is a replica (diagnostics). */
const role = (port: number) => redisCli(port, 'role').split('\n').slice(0, 3).join(' ');

describe('spend ledger on Sentinel: a failover thinkcap cannot see on its own connection', () => {
  let sentinel: RunningRedisSentinel;
  let stack: Stack;
  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    stack = await startLedgerStack(replicatedSpendConfig({ sentinel: { name: sentinel.name, sentinels: sentinel.sentinels }, replicaAcks: 0 }, 100));
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sentinel?.stop();
  });

  it('follows the master the sentinels promote: spend made after the switch is still in the ledger once the old master rejoins', async () => {
    expect(await concurrentHellos(stack, 3)).toEqual([200, 200, 200]);
    const old = sentinel.master();
    const replica = sentinel.dataPorts.find((p) => p !== old)!;
    expect(thinkcapClients(old)).toBeGreaterThan(0);

    // The sentinels' connections to the old master are cut and come back to a password they do
    // not have; thinkcap's connection (and the replica's link) are left up.
    expect(cutOffFromSentinels(old, PASSWORD)).toBeGreaterThan(0);
    await until('the sentinels promote the replica', () => sentinel.master() === replica, 30_000);
    // From here on a stall of the loaded machine must not look like a second failure. With
    // down-after at 1 s, a new master that answered no PING for a while was failed over in turn,
    // to the old master once it was reachable again, which then made the new master its replica
    // and wiped the five answers below: the ledger read 0.042 against 0.112 USD, as in a
    // clean-clone .ci/run and a full run on Node 22 (session 47: a 6 s SIGSTOP of the new master
    // 2 s after the old one took connections again did the same in two runs of two; thinkcap had
    // followed the second switch too). That is Redis failing over twice, not thinkcap missing one.
    for (const x of sentinel.sentinels) expect(redisCli(x.port, 'sentinel', 'set', sentinel.name, 'down-after-milliseconds', '60000').trim()).toBe('OK');
    // The old master still takes writes (the sentinels cannot reach it to demote it).
    expect(authed(old, 'role').split('\n')[0]).toBe('master');
    // Up to 10 s for thinkcap to follow (it does within a second of the switch); the ledger
    // below says whether it did.
    for (let i = 0; i < 100 && thinkcapClients(replica) === 0; i++) await sleep(100);
    // Said where it did not (a clean-clone .ci/run on 2026-12-05 lost the five answers below to
    // the old master, under load): the ledger check still decides.
    if (thinkcapClients(replica) === 0) console.log(`sentinel-partition: thinkcap had no connection to the new master 10 s after the switch (thinkcap clients on the old master: ${thinkcapClients(old, ...redisAuthCliArgs(PASSWORD))})`);
    // The new master lists a connection from its handshake on, before the ledger is ready for
    // commands (a fail-closed ledger refuses them until then): each replica's /ready says when.
    for (const r of stack.replicas) {
      for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${r.adminPort}/ready`)).ok; i++) await sleep(100);
    }

    expect(await concurrentHellos(stack, 5)).toEqual([200, 200, 200, 200, 200]);
    await settled(stack);

    // The sentinels reach the old master again and make it the new master's replica: what was
    // written to it since the switch is replaced by the new master's data.
    expect(authed(old, 'config', 'set', 'requirepass', '').trim()).toBe('OK');
    // A sentinel reads a replica's INFO every 10 s and converts one that says it is a master only
    // after it has said so for a while: 10-30 s here, more on a loaded machine. It converts none
    // in TILT mode (its timer ran over 2 s late: a stalled machine; 30 s from the last stall) nor
    // within 8 s of finding it down (down-after is 1 s here: one slow PING reply), so a loaded
    // machine can hold it off for long (one run waited past 90 s). Past 60 s the test does what
    // the sentinels would (REPLICAOF the new master) and says so: what follows checks thinkcap's
    // ledger, not them.
    const inSync = () => /master_link_status:up/.test(redisCli(old, 'info', 'replication'));
    const converted = await until('the old master back as a replica in sync', inSync, 60_000).then(
      () => true,
      () => false,
    );
    if (!converted) {
      const tilt = sentinel.sentinels.map((x) => /sentinel_tilt:(\d+)/.exec(redisCli(x.port, 'info', 'sentinel'))?.[1] ?? '?');
      // Where each node and each sentinel stands: two runs in full suites (a clean-clone .ci/run,
      // a run on Node 22) took this branch and then lost the five answers, which no run alone has.
      const named = sentinel.sentinels.map((x) => redisCli(x.port, 'sentinel', 'get-master-addr-by-name', sentinel.name).split('\n').join(':'));
      console.log(`sentinel-partition: the sentinels had not made the old master a replica in 60 s (sentinel_tilt ${tilt.join(', ')}; old ${old}: ${role(old)}; new ${replica}: ${role(replica)}; the sentinels name ${named.join(', ')}; thinkcap connections on old ${thinkcapClients(old)}, on new ${thinkcapClients(replica)}): REPLICAOF sent by the test`);
      redisCli(old, 'replicaof', '127.0.0.1', String(replica));
      await until('the old master back as a replica in sync (REPLICAOF by the test)', inSync, 60_000);
    }

    const b = await ledgerAfterRefunds(stack);
    expect(b.reserved).toBeCloseTo(0, 9);
    // Eight answers, none lost: what they truly cost is what the ledger holds.
    expect(stack.replicas[0]!.history.filter((h) => h.outcome === 'ok')).toHaveLength(8);
    const where = `old ${old}: ${role(old)}; new ${replica}: ${role(replica)}; thinkcap connections on old ${thinkcapClients(old)}, on new ${thinkcapClients(replica)}`;
    expect(b.spent, where).toBeCloseTo(trueCost(stack), 9);
  }, 240_000);
});
