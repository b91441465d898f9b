import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { Config, TierName } from '../config/schema.js';
import type { EnergyMonitor } from '../energy/monitor.js';

/** What a downgrade rule sees. */
export interface RuleContext {
  tier: TierName;
  /** The target the tier maps to. */
  target: string;
  tenant?: string;
  /** Budget pressure applies to this request's scopes. */
  budgetPressure: boolean;
  /** Latest GPU readings (empty without a GPU source). */
  gpus: Array<{ index: number; memTotalBytes: number | null; memFreeBytes: number | null }>;
  /** Smoothed upstream latency per target (ms). */
  latencyMs: Record<string, number>;
}

export type RuleVerdict = { verdict: 'downgrade' | 'keep' | 'abstain'; reason: string };
/** A custom rule: a module whose default export is this function (sync or async). */
export type DowngradeRule = (ctx: RuleContext) => RuleVerdict | Promise<RuleVerdict>;

export interface RouteDecision {
  target: string;
  model: string | undefined;
  backend: string | undefined;
  downgraded: boolean;
  /** One entry per rule, in order: what it decided and why. */
  reasons: string[];
}

const GiB = 1024 ** 3;
const fmtGiB = (b: number) => `${(b / GiB).toFixed(1)} GiB`;

/**
 * Tier routing: pick the target for a tier, then let the downgrade rules move it to the
 * downgrade target (free VRAM headroom, latency SLO, budget pressure, custom modules). Each
 * rule explains itself; a rule without its data abstains.
 */
export class Router {
  private readonly ema = new Map<string, number>();
  private custom: Array<{ name: string; fn: DowngradeRule }> = [];

  constructor(
    private readonly config: Config['routing'],
    private readonly energy: EnergyMonitor | null,
    private readonly log: Logger,
  ) {
    for (const r of config.rules) if (r.type === 'latency') this.ema.set(r.target, r.seedMs); // seeded: no cold-start burst
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** Load custom rule modules named in config (relative paths resolve from the working directory). */
  async load(): Promise<void> {
    for (const r of this.config.rules) {
      if (r.type !== 'custom') continue;
      const path = isAbsolute(r.module) ? r.module : resolve(process.cwd(), r.module);
      const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
      if (typeof mod.default !== 'function') throw new Error(`routing rule module ${r.module} has no default export function`);
      this.custom.push({ name: r.name ?? r.module, fn: mod.default as DowngradeRule });
    }
  }

  /** Upstream latency observed for a target (time to response headers); feeds the EMA. */
  observe(target: string, ms: number): void {
    const rule = this.config.rules.find((r) => r.type === 'latency' && r.target === target);
    if (!rule || rule.type !== 'latency') return;
    const prev = this.ema.get(target) ?? rule.seedMs;
    this.ema.set(target, prev + rule.alpha * (ms - prev));
  }

  async decide(tier: TierName, facts: { tenant?: string; budgetPressure: boolean }): Promise<RouteDecision | null> {
    const target = this.config.tiers[tier];
    if (!target) return null;
    const reasons: string[] = [];
    let chosen = target;
    let downgraded = false;
    const down = this.config.downgradeTo;
    if (down && down !== target) {
      const ctx: RuleContext = {
        tier,
        target,
        tenant: facts.tenant,
        budgetPressure: facts.budgetPressure,
        gpus: (this.energy?.view().gpus ?? []).map((g) => ({ index: g.index, memTotalBytes: g.memTotalBytes, memFreeBytes: g.memFreeBytes })),
        latencyMs: Object.fromEntries(this.ema),
      };
      let customIdx = 0;
      for (const r of this.config.rules) {
        let v: RuleVerdict;
        if (r.type === 'vram') v = this.vram(r, ctx);
        else if (r.type === 'latency') v = this.latencyRule(r, ctx);
        else if (r.type === 'budget') v = ctx.budgetPressure ? { verdict: 'downgrade', reason: 'budget pressure' } : { verdict: 'keep', reason: 'budget ok' };
        else {
          const c = this.custom[customIdx++];
          if (!c) v = { verdict: 'abstain', reason: `${r.module} not loaded` };
          else {
            try {
              v = await c.fn(ctx);
              v = { verdict: v.verdict, reason: `${c.name}: ${v.reason}` };
            } catch (err) {
              this.log.warn({ err, rule: c.name }, 'custom routing rule failed; it abstains');
              v = { verdict: 'abstain', reason: `${c.name} failed` };
            }
          }
        }
        if (r.type !== 'custom' && r.type !== 'budget' && r.target !== target) continue; // rule guards another target
        reasons.push(`${v.verdict === 'downgrade' ? 'downgrade' : v.verdict}: ${v.reason}`);
        if (v.verdict === 'downgrade') {
          chosen = down;
          downgraded = true;
          break;
        }
      }
    }
    const t = this.config.targets[chosen];
    return { target: chosen, model: t?.model, backend: t?.backend, downgraded, reasons };
  }

  private vram(r: Extract<Config['routing']['rules'][number], { type: 'vram' }>, ctx: RuleContext): RuleVerdict {
    const gpus = r.gpuIndices.length ? ctx.gpus.filter((g) => r.gpuIndices.includes(g.index)) : ctx.gpus;
    const known = gpus.filter((g) => g.memFreeBytes !== null && g.memTotalBytes !== null);
    if (known.length === 0) return { verdict: 'abstain', reason: `vram rule abstains (no GPU memory source for ${r.target})` };
    const free = Math.min(...known.map((g) => g.memFreeBytes!));
    const total = Math.min(...known.map((g) => g.memTotalBytes!));
    const need = r.minFreeBytes ?? (r.minFreeFraction ?? 0.1) * total;
    if (free < need) return { verdict: 'downgrade', reason: `free VRAM ${fmtGiB(free)} below ${fmtGiB(need)} headroom on ${r.target}` };
    return { verdict: 'keep', reason: `free VRAM ${fmtGiB(free)} on ${r.target}` };
  }

  private latencyRule(r: Extract<Config['routing']['rules'][number], { type: 'latency' }>, _ctx: RuleContext): RuleVerdict {
    const ema = this.ema.get(r.target) ?? r.seedMs;
    if (ema > r.sloMs) return { verdict: 'downgrade', reason: `latency ${Math.round(ema)} ms above the ${r.sloMs} ms SLO on ${r.target}` };
    return { verdict: 'keep', reason: `latency ${Math.round(ema)} ms within the ${r.sloMs} ms SLO on ${r.target}` };
  }
}
