import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack, type StackOptions } from '../../devkit/stack.js';
import { packageRoot } from '../../src/paths.js';
import { validateConfig } from '../../src/config/load.js';
import { scratchDir } from '../harness/scratch.js';

const EASY = 'Hello';
const HARD = 'Design a rate limiter for a public API served by 10 replicas, with per-user limits, and explain the failure modes.';
const TIERED = join(packageRoot(), 'envoy', 'envoy-tiered.yaml');

function routing(extra: Record<string, unknown> = {}) {
  return {
    enabled: true,
    targets: { small: { model: 'qwen3-1.7b' }, large: { model: 'qwen3-32b' } },
    tiers: { trivial: 'small', simple: 'small', moderate: 'large', complex: 'large', deep: 'large' },
    downgradeTo: 'small',
    ...extra,
  };
}

async function tiered(thinkcap: StackOptions['thinkcap'], large: StackOptions['emulator'] = {}): Promise<Stack> {
  return startStack({
    emulators: { llm_small: { model: 'small' }, llm_large: { model: 'large', ...large } },
    thinkcap,
    envoy: { file: TIERED },
  });
}

async function send(stack: Stack, content: string, stream = false) {
  const r = await fetch(`${stack.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-thinkcap-route': 'large' /* a client cannot pick: Envoy strips it */ },
    body: JSON.stringify({ model: 'client-model', stream, messages: [{ role: 'user', content }] }),
  });
  await r.text();
  return { route: r.headers.get('x-thinkcap-route'), reason: r.headers.get('x-thinkcap-route-reason') ?? '', tier: r.headers.get('x-thinkcap-tier') };
}

describe('tier routing through the real Envoy with two backends', () => {
  it('each tier reaches its cluster with the model rewritten', async () => {
    const stack = await tiered({ routing: routing() });
    try {
      const easy = await send(stack, EASY);
      expect(easy.route).toBe('small');
      expect(stack.emulators.llm_small!.chatCalls()).toBe(1);
      expect((stack.emulators.llm_small!.requests.at(-1)!.body as { model: string }).model).toBe('qwen3-1.7b');
      const hard = await send(stack, HARD, true);
      expect(hard.tier).toBe('complex');
      expect(hard.route).toBe('large');
      expect(stack.emulators.llm_large!.chatCalls()).toBe(1);
      expect((stack.emulators.llm_large!.requests.at(-1)!.body as { model: string }).model).toBe('qwen3-32b');
      expect(stack.emulators.llm_small!.chatCalls()).toBe(1);
    } finally {
      await stack.stop();
    }
  });

  it('a client-sent x-thinkcap-route is ignored when routing is off (Envoy strips it, default route)', async () => {
    const stack = await tiered({});
    try {
      await send(stack, EASY);
      expect(stack.emulators.llm_large!.chatCalls()).toBe(1);
      expect(stack.emulators.llm_small!.chatCalls()).toBe(0);
    } finally {
      await stack.stop();
    }
  });

  describe('VRAM rule (GPU memory from a DCGM exporter)', () => {
    let dcgm: Server;
    let freeMiB = 40_000;
    let url: string;
    beforeAll(async () => {
      dcgm = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(
          `DCGM_FI_DEV_FB_USED{gpu="0",modelName="NVIDIA H100 80GB HBM3"} ${81_559 - freeMiB}\nDCGM_FI_DEV_FB_FREE{gpu="0",modelName="NVIDIA H100 80GB HBM3"} ${freeMiB}\nDCGM_FI_DEV_POWER_USAGE{gpu="0",modelName="NVIDIA H100 80GB HBM3"} 500\nDCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",modelName="NVIDIA H100 80GB HBM3"} ${Date.now()}\n`,
        );
      });
      await new Promise<void>((r) => dcgm.listen(0, '127.0.0.1', () => r()));
      url = `http://127.0.0.1:${(dcgm.address() as AddressInfo).port}/metrics`;
    });
    afterAll(() => new Promise<void>((r) => dcgm.close(() => r())));

    it('fires when free VRAM is below the headroom, and not otherwise', async () => {
      const stack = await tiered({
        energy: { source: 'dcgm', dcgmUrl: url, intervalMs: 50 },
        routing: routing({ rules: [{ type: 'vram', target: 'large', minFreeBytes: 8 * 1024 ** 3 }] }),
      });
      try {
        freeMiB = 40_000;
        await new Promise((r) => setTimeout(r, 150));
        const ok = await send(stack, HARD);
        expect(ok.route).toBe('large');
        expect(ok.reason).toMatch(/^keep: free VRAM 39\.1 GiB on large$/);
        freeMiB = 4_000;
        await new Promise((r) => setTimeout(r, 200));
        const low = await send(stack, HARD);
        expect(low.route).toBe('small');
        expect(low.reason).toMatch(/^downgrade: free VRAM 3\.9 GiB below 8\.0 GiB headroom on large$/);
        expect(stack.emulators.llm_small!.chatCalls()).toBe(1);
      } finally {
        await stack.stop();
      }
    });
  });

  it('VRAM rule without a GPU source abstains and says so', async () => {
    const stack = await tiered({ energy: { source: 'none' }, routing: routing({ rules: [{ type: 'vram', target: 'large', minFreeFraction: 0.1 }] }) });
    try {
      const r = await send(stack, HARD);
      expect(r.route).toBe('large');
      expect(r.reason).toMatch(/abstain: vram rule abstains \(no GPU memory source for large\)/);
    } finally {
      await stack.stop();
    }
  });

  it('latency rule: seeded EMA within the SLO keeps, a slow large tier downgrades', async () => {
    const stack = await tiered({ routing: routing({ rules: [{ type: 'latency', target: 'large', sloMs: 150, seedMs: 50, alpha: 0.5 }] }) }, { firstByteDelayMs: 400 });
    try {
      const first = await send(stack, HARD);
      expect(first.route).toBe('large'); // seeded at 50 ms: no cold-start downgrade
      expect(first.reason).toMatch(/keep: latency 50 ms within the 150 ms SLO on large/);
      // That request took ~400 ms to first byte: the EMA rises past the SLO.
      const second = await send(stack, HARD);
      expect(second.route).toBe('small');
      expect(second.reason).toMatch(/downgrade: latency \d+ ms above the 150 ms SLO on large/);
    } finally {
      await stack.stop();
    }
  });

  it('budget pressure rule downgrades near the cap, not before', async () => {
    const stack = await tiered({
      spend: { enabled: true, pricing: { promptUsdPerMTok: 0, completionUsdPerMTok: 10_000 }, pressure: { fraction: 0.5, maxTier: 'deep' }, limits: [{ scope: 'tenant', id: '*', window: 'total', usd: 100 }] },
      routing: routing({ rules: [{ type: 'budget' }] }),
    });
    try {
      const first = await send(stack, HARD);
      expect(first.route).toBe('large');
      expect(first.reason).toBe('keep: budget ok');
      let r = first;
      for (let i = 0; i < 10 && r.route === 'large'; i++) r = await send(stack, HARD);
      expect(r.route).toBe('small');
      expect(r.reason).toBe('downgrade: budget pressure');
    } finally {
      await stack.stop();
    }
  });

  it('custom rule modules named in config', async () => {
    const dir = scratchDir('tc-rule-');
    const file = join(dir, 'night-shift.mjs');
    writeFileSync(file, "export default (ctx) => ctx.tenant === undefined && ctx.tier === 'complex' ? { verdict: 'downgrade', reason: 'anonymous complex traffic goes small' } : { verdict: 'keep', reason: 'fine' };\n");
    const stack = await tiered({ routing: routing({ rules: [{ type: 'custom', module: file, name: 'night-shift' }] }) });
    try {
      const r = await send(stack, HARD);
      expect(r.route).toBe('small');
      expect(r.reason).toBe('downgrade: night-shift: anonymous complex traffic goes small');
    } finally {
      await stack.stop();
    }
  });

  it('config names unknown routing targets', () => {
    expect(() => validateConfig({ routing: { targets: { small: {} }, tiers: { deep: 'huge' } } })).toThrow(/routing\.tiers\.deep: unknown routing target 'huge'/);
  });
});
