import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestRecord } from '../accounting/record.js';

/** Longest tenant id a per-tenant series is named by; a longer one is counted as "other". */
export const MAX_TENANT_LABEL = 128;

/**
 * The tenant label of a request: its tenant id where it is one of the first `max` ids seen (and
 * at most MAX_TENANT_LABEL characters), "other" past them, "(none)" without a tenant. Bounds the
 * series a stream of new tenant ids can create; ids Envoy sets after authentication come from
 * a closed set in practice, so "other" says `metrics.tenantLabels` is too small.
 */
export class TenantLabels {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}
  of(tenant: string | undefined): string {
    if (tenant === undefined || tenant === '') return '(none)';
    if (this.seen.has(tenant)) return tenant;
    if (this.seen.size >= this.max || tenant.length > MAX_TENANT_LABEL) return 'other';
    this.seen.add(tenant);
    return tenant;
  }
}

/** thinkcap's Prometheus metrics (prom-client), served at /metrics on the admin port. */
export class Metrics {
  readonly registry = new Registry();
  private readonly tenants: TenantLabels | null;
  readonly tenantRequests = new Counter({
    name: 'thinkcap_tenant_requests_total',
    help: 'Chat requests by tenant (the identity header Envoy sets; "(none)" without one, "other" past metrics.tenantLabels distinct tenants) and outcome (rejected: refused before any upstream call, budget refusals among them).',
    labelNames: ['tenant', 'outcome'],
    registers: [this.registry],
  });
  readonly tenantCostUsd = new Counter({ name: 'thinkcap_tenant_cost_usd_total', help: 'Cost of requests in USD, by tenant (as thinkcap_tenant_requests_total).', labelNames: ['tenant'], registers: [this.registry] });
  readonly tenantThinking = new Counter({ name: 'thinkcap_tenant_thinking_tokens_total', help: 'Thinking tokens the backend generated, by tenant.', labelNames: ['tenant'], registers: [this.registry] });
  readonly tenantEnergyJoules = new Counter({ name: 'thinkcap_tenant_energy_joules_total', help: 'GPU energy attributed to requests, in joules, by tenant.', labelNames: ['tenant'], registers: [this.registry] });
  readonly requests = new Counter({
    name: 'thinkcap_requests_total',
    help: 'Chat requests by tier, route, dialect and outcome (ok, passthrough, rejected, upstream_error, aborted, error).',
    labelNames: ['tier', 'route', 'dialect', 'outcome'],
    registers: [this.registry],
  });
  readonly eventReadersDropped = new Counter({
    name: 'thinkcap_event_readers_dropped_total',
    help: 'Live-feed (/api/events) readers disconnected because they read too slowly (their buffer passed its bound).',
    registers: [this.registry],
  });
  readonly thinkingBudgeted = new Counter({ name: 'thinkcap_thinking_tokens_budgeted_total', help: 'Thinking-token budgets granted.', labelNames: ['tier'], registers: [this.registry] });
  readonly thinkingUsed = new Counter({ name: 'thinkcap_thinking_tokens_used_total', help: 'Thinking tokens the backend generated.', labelNames: ['tier'], registers: [this.registry] });
  readonly thinkingSaved = new Counter({
    name: 'thinkcap_thinking_tokens_saved_total',
    help: 'Thinking tokens not generated thanks to the cap, where the natural length is known (backend report or emulator).',
    labelNames: ['tier'],
    registers: [this.registry],
  });
  readonly savedUnknown = new Counter({
    name: 'thinkcap_thinking_tokens_saved_unknown_requests_total',
    help: 'Capped requests whose natural thinking length is unknown, so their saving is not counted (never estimated).',
    labelNames: ['tier'],
    registers: [this.registry],
  });
  readonly costUsd = new Counter({ name: 'thinkcap_cost_usd_total', help: 'Cost of requests in USD.', labelNames: ['tier', 'basis'], registers: [this.registry] });
  readonly energyJoules = new Counter({ name: 'thinkcap_energy_joules_total', help: 'GPU energy attributed to requests, in joules.', labelNames: ['source'], registers: [this.registry] });
  readonly refusals = new Counter({ name: 'thinkcap_budget_refusals_total', help: 'Requests refused before any upstream call.', labelNames: ['scope', 'code'], registers: [this.registry] });
  readonly softCaps = new Counter({ name: 'thinkcap_budget_soft_cap_total', help: 'Requests admitted past a soft spend cap.', labelNames: ['scope'], registers: [this.registry] });
  readonly promptCountingSeconds = new Counter({
    name: 'thinkcap_prompt_counting_seconds_total',
    help: 'Time spent counting prompt tokens for reservations (spend on), metered by spend.promptBound.counting.',
    registers: [this.registry],
  });
  readonly promptShortHead = new Counter({
    name: 'thinkcap_prompt_bound_short_head_total',
    help: 'Prompts counted exactly on a short head only (bounded by UTF-8 bytes past it) because counting had used its time budget (a flood of large prompts) or one prompt took promptMs. Their reservations are larger; none is shorter.',
    registers: [this.registry],
  });
  readonly grpcUnauthenticated = new Counter({
    name: 'thinkcap_grpc_unauthenticated_total',
    help: 'ext_proc streams refused for a missing or wrong server.grpcToken.',
    registers: [this.registry],
  });
  readonly settleOverReservation = new Counter({
    name: 'thinkcap_budget_settle_over_reservation_total',
    help: 'How far real costs passed their reservations (USD or thinking tokens): what finance sees beyond the capped charge.',
    labelNames: ['unit'],
    registers: [this.registry],
  });
  readonly refundsDropped = new Counter({
    name: 'thinkcap_budget_refunds_dropped_total',
    help: 'Refunds of reserves with an unknown outcome dropped while the ledger was away (10,000 were waiting); a reserve that did land stays held until reservationTtlSeconds.',
    registers: [this.registry],
  });
  readonly ledgerErrors = new Counter({ name: 'thinkcap_budget_ledger_errors_total', help: 'Spend ledger unreachable, by the mode applied (open or closed).', labelNames: ['mode'], registers: [this.registry] });
  readonly ledgerDataLost = new Counter({
    name: 'thinkcap_budget_ledger_data_lost_total',
    help: 'The Redis spend ledger came back without the data this process had seen in it (a restart without persistence, a flush): budgets started again from zero.',
    registers: [this.registry],
  });
  readonly ledgerMasterMoves = new Counter({
    name: 'thinkcap_budget_ledger_master_moves_total',
    help: 'Sentinel: the spend ledger found its connection on a master that a majority of the configured sentinels no longer names (a failover it was not told of, or a stale sentinel) and moved to theirs; writes made there in between are lost when the old master rejoins as a replica.',
    registers: [this.registry],
  });
  readonly ledgerEvictable = new Gauge({
    name: 'thinkcap_budget_ledger_evictable',
    help: 'The Redis holding the spend ledger may evict its keys when full (maxmemory set, maxmemory-policy not noeviction): 1, and budgets can silently restart from zero; 0 after a check found no such node.',
    registers: [this.registry],
    // Workers read the same Redis: their figures are one fact, not a sum.
    aggregator: 'max',
  });
  readonly responseUnread = new Counter({
    name: 'thinkcap_response_unread_total',
    help: 'Responses passed on unread because a whole JSON answer or one stream event was longer than requests.maxResponseHoldBytes; each was charged its reservation.',
    labelNames: ['format'],
    registers: [this.registry],
  });
  readonly release = new Counter({
    name: 'thinkcap_backend_release_total',
    help: "Calls to a backend after a response, to release what thinkcap held for a continuation (Ollama: unload a model whose client's keep_alive unloads at once, from the last request through this process that holds it), by outcome; a failed one leaves the model loaded 10 s.",
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly followUps = new Counter({
    name: 'thinkcap_follow_ups_total',
    help: "Continuations thinkcap made after an upstream answer, by kind (continuation: budget forcing; rescue: the model ended its turn inside thinking; rescue_at_length: it thought into thinkcap's length cap, so the engine did not end the thinking at the budget; rescue_at_context: it thought to the end of the engine's context, and the continuation carries the thinking cut to leave the answer room) and outcome (answered; failed; aborted: the client left during it; cut: thinkcap ended it short, its answer so far sent, under STREAMED where requests.streamedFollowUpMs ran out).",
    labelNames: ['kind', 'backend', 'outcome'],
    registers: [this.registry],
  });
  readonly streamErrors = new Counter({ name: 'thinkcap_extproc_stream_errors_total', help: 'ext_proc streams that failed inside thinkcap or ended abnormally.', labelNames: ['kind'], registers: [this.registry] });
  readonly chunkSeconds = new Histogram({
    name: 'thinkcap_chunk_processing_seconds',
    help: 'Time thinkcap spends on one response body chunk.',
    buckets: [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 5e-3],
    registers: [this.registry],
  });
  readonly classifySeconds = new Histogram({
    name: 'thinkcap_classifier_seconds',
    help: 'Time to classify one chat request.',
    buckets: [2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 1e-2],
    registers: [this.registry],
  });
  readonly gpuPower = new Gauge({ name: 'thinkcap_gpu_power_watts', help: 'GPU power draw.', labelNames: ['gpu', 'source'], registers: [this.registry] });
  readonly gpuMemoryUsed = new Gauge({ name: 'thinkcap_gpu_memory_used_bytes', help: 'GPU memory in use.', labelNames: ['gpu', 'source'], registers: [this.registry] });
  readonly gpuMemoryTotal = new Gauge({ name: 'thinkcap_gpu_memory_total_bytes', help: 'GPU memory size.', labelNames: ['gpu', 'source'], registers: [this.registry] });
  readonly gpuUtil = new Gauge({ name: 'thinkcap_gpu_utilization_ratio', help: 'GPU utilisation 0..1.', labelNames: ['gpu', 'source'], registers: [this.registry] });
  readonly gpuEnergy = new Gauge({ name: 'thinkcap_gpu_energy_joules', help: 'GPU energy counter (since driver load), joules.', labelNames: ['gpu', 'source'], registers: [this.registry] });

  /** tenantLabels: distinct tenants the per-tenant series name (config metrics.tenantLabels; 0: none). */
  constructor(tenantLabels = 100) {
    collectDefaultMetrics({ register: this.registry, prefix: 'thinkcap_' });
    this.tenants = tenantLabels > 0 ? new TenantLabels(tenantLabels) : null;
  }

  record(r: RequestRecord): void {
    const tier = r.tier ?? 'none';
    if (this.tenants !== null) {
      const tenant = this.tenants.of(r.identity.tenant);
      this.tenantRequests.inc({ tenant, outcome: r.outcome });
      if (r.costUsd !== null) this.tenantCostUsd.inc({ tenant }, r.costUsd);
      if (r.thinkingTokens !== null) this.tenantThinking.inc({ tenant }, r.thinkingTokens);
      if (r.energyJ !== null) this.tenantEnergyJoules.inc({ tenant }, r.energyJ);
    }
    this.requests.inc({ tier, route: r.backend ?? r.route ?? 'default', dialect: r.dialect ?? 'none', outcome: r.outcome });
    if (r.tier && r.budget !== null) this.thinkingBudgeted.inc({ tier }, r.budget);
    if (r.tier && r.thinkingTokens !== null) this.thinkingUsed.inc({ tier }, r.thinkingTokens);
    if (r.tier && r.thinkingTokens !== null && r.budget !== null && r.outcome === 'ok') {
      if (r.naturalThinkingTokens !== null) this.thinkingSaved.inc({ tier }, Math.max(0, r.naturalThinkingTokens - r.thinkingTokens));
      else if (r.thinkingTokens >= r.budget) this.savedUnknown.inc({ tier });
    }
    if (r.costUsd !== null) this.costUsd.inc({ tier, basis: r.costBasis }, r.costUsd);
    if (r.energyJ !== null) this.energyJoules.inc({ source: r.energySource ?? 'unknown' }, r.energyJ);
    if (r.followUp) this.followUps.inc({ kind: r.followUp.kind, backend: r.backend ?? 'default', outcome: !r.followUp.failed ? 'answered' : r.outcome === 'aborted' ? 'aborted' : r.followUp.cut ? 'cut' : 'failed' });
    if (r.outcome === 'error') this.streamErrors.inc({ kind: 'internal' });
    if (r.outcome === 'aborted') this.streamErrors.inc({ kind: 'aborted' });
  }
}
