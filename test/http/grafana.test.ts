import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/http/metrics.js';
import { packageRoot } from '../../src/paths.js';

describe('Grafana dashboard', () => {
  it('every query uses metrics thinkcap exports', async () => {
    const dash = JSON.parse(readFileSync(join(packageRoot(), 'deploy', 'grafana', 'thinkcap-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const m = new Metrics();
    const exported = new Set((await m.registry.getMetricsAsJSON()).map((x) => x.name));
    const used = new Set<string>();
    for (const p of dash.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) for (const name of t.expr.match(/thinkcap_[a-z_]+/g) ?? []) used.add(name.replace(/_(bucket|sum|count)$/, ''));
    }
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(exported.has(name), name).toBe(true);
  });
});
