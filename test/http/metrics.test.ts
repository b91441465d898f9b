import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/accounting/record.js';
import { MAX_TENANT_LABEL, Metrics, TenantLabels } from '../../src/http/metrics.js';

const record = (tenant: string | undefined, more: Partial<RequestRecord> = {}): RequestRecord => ({
  id: 'x',
  requestId: null,
  startedAt: 0,
  durationMs: 1,
  path: '/v1/chat/completions',
  tier: 'simple',
  budget: 128,
  score: 1,
  signals: [],
  dialect: 'vllm',
  backend: null,
  identity: { tenant },
  thinkingTokens: 100,
  completionTokens: 120,
  promptTokens: 10,
  costUsd: 0.25,
  costBasis: 'tokens',
  energyJ: null,
  energySource: null,
  naturalThinkingTokens: null,
  route: null,
  preview: null,
  pressure: false,
  notes: [],
  status: 200,
  outcome: 'ok',
  reason: null,
  followUp: null,
  stream: false,
  ...more,
});

async function series(m: Metrics, name: string): Promise<Record<string, number>> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name)!;
  return Object.fromEntries(metric.values.map((v) => [JSON.stringify(v.labels), v.value]));
}

describe('per-tenant metrics', () => {
  it("count each tenant's requests by outcome, cost, thinking and energy", async () => {
    const m = new Metrics(10);
    m.record(record('acme'));
    m.record(record('acme', { outcome: 'rejected', status: 429, costUsd: 0, thinkingTokens: null }));
    m.record(record('globex', { energyJ: 12.5, energySource: 'measured-nvml' }));
    m.record(record(undefined));
    expect(await series(m, 'thinkcap_tenant_requests_total')).toEqual({
      '{"tenant":"acme","outcome":"ok"}': 1,
      '{"tenant":"acme","outcome":"rejected"}': 1,
      '{"tenant":"globex","outcome":"ok"}': 1,
      '{"tenant":"(none)","outcome":"ok"}': 1,
    });
    expect(await series(m, 'thinkcap_tenant_cost_usd_total')).toEqual({ '{"tenant":"acme"}': 0.25, '{"tenant":"globex"}': 0.25, '{"tenant":"(none)"}': 0.25 });
    expect(await series(m, 'thinkcap_tenant_thinking_tokens_total')).toEqual({ '{"tenant":"acme"}': 100, '{"tenant":"globex"}': 100, '{"tenant":"(none)"}': 100 });
    expect(await series(m, 'thinkcap_tenant_energy_joules_total')).toEqual({ '{"tenant":"globex"}': 12.5 });
  });

  it('a flood of new tenant ids adds no series past the bound: later ones are "other"', async () => {
    const m = new Metrics(3);
    for (let i = 0; i < 10_000; i++) m.record(record(`t${i}`));
    const got = await series(m, 'thinkcap_tenant_requests_total');
    expect(got).toEqual({
      '{"tenant":"t0","outcome":"ok"}': 1,
      '{"tenant":"t1","outcome":"ok"}': 1,
      '{"tenant":"t2","outcome":"ok"}': 1,
      '{"tenant":"other","outcome":"ok"}': 9997,
    });
    // A tenant seen before the bound keeps its own series.
    m.record(record('t1'));
    expect((await series(m, 'thinkcap_tenant_requests_total'))['{"tenant":"t1","outcome":"ok"}']).toBe(2);
  });

  it('an overlong tenant id is "other", and markup or quotes in one are escaped in the exposition', async () => {
    const labels = new TenantLabels(100);
    expect(labels.of('x'.repeat(MAX_TENANT_LABEL + 1))).toBe('other');
    expect(labels.of('x'.repeat(MAX_TENANT_LABEL))).toBe('x'.repeat(MAX_TENANT_LABEL));
    expect(labels.of('')).toBe('(none)');
    const m = new Metrics(10);
    m.record(record('a"b\nc} 1\nthinkcap_fake 9'));
    const text = await m.registry.metrics();
    expect(text).toContain('thinkcap_tenant_requests_total{tenant="a\\"b\\nc} 1\\nthinkcap_fake 9",outcome="ok"} 1');
    expect(text).not.toMatch(/^thinkcap_fake/m);
  });

  it('tenantLabels 0: no per-tenant series at all', async () => {
    const m = new Metrics(0);
    m.record(record('acme'));
    expect(await series(m, 'thinkcap_tenant_requests_total')).toEqual({});
    expect(await series(m, 'thinkcap_tenant_cost_usd_total')).toEqual({});
  });
});
