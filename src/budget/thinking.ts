import type { Config, LimitsOverride, TierName } from '../config/schema.js';

export interface Identity {
  tenant?: string;
  user?: string;
  session?: string;
}

export interface BudgetDecision {
  budget: number;
  /** Why the budget differs from the tier's default, if it does. */
  adjustments: string[];
}

/** The tier a client's `reasoning_effort` asks for. */
export const EFFORT_TIER: Record<string, TierName> = {
  none: 'trivial',
  minimal: 'trivial',
  low: 'simple',
  medium: 'moderate',
  high: 'complex',
  // Above high: OpenAI's xhigh; vLLM and SGLang take max too (DeepSeek V4's top effort).
  xhigh: 'deep',
  max: 'deep',
};

/**
 * A table's own entry for a key a client or an identity header chose: "constructor" or
 * "toString" must not find what every object inherits (a reasoning_effort of "constructor" once
 * threw here, and the request passed uncapped under onInternalError: open).
 */
function own<T>(table: Readonly<Record<string, T>>, key: string | undefined): T | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * The thinking budget for a request: the tier's budget, then tenant, user and session
 * overrides (most specific last), then the client's hint within the resulting limits.
 * Pure: config and request facts in, number out.
 */
export function resolveThinkingBudget(
  config: Config,
  tier: TierName,
  identity: Identity,
  clientHint: { reasoningEffort?: unknown; thinkingBudget?: unknown } = {},
): BudgetDecision {
  const adjustments: string[] = [];
  let budget = config.tiers[tier].budget;
  let floor = 0;
  // Without a scope ceiling, nobody thinks past the largest configured tier budget.
  let ceiling = Math.max(...Object.values(config.tiers).map((t) => t.budget));
  const scopes: Array<[string, LimitsOverride | undefined]> = [
    ['tenant', own(config.overrides.tenants, identity.tenant)],
    ['user', own(config.overrides.users, identity.user)],
    ['session', own(config.overrides.sessions, identity.session)],
  ];
  for (const [scope, o] of scopes) {
    if (!o) continue;
    const tierBudget = o.budgets?.[tier];
    if (tierBudget !== undefined) {
      budget = tierBudget;
      adjustments.push(`${scope} budget for ${tier}`);
    }
    if (o.scale !== undefined) {
      budget = Math.round(budget * o.scale);
      adjustments.push(`${scope} scale ${o.scale}`);
    }
    if (o.floor !== undefined) floor = Math.max(floor, o.floor);
    if (o.ceiling !== undefined) ceiling = Math.min(ceiling, o.ceiling);
  }

  if (config.clientHints) {
    let hinted: number | undefined;
    if (typeof clientHint.thinkingBudget === 'number' && Number.isFinite(clientHint.thinkingBudget) && clientHint.thinkingBudget >= 0) {
      hinted = Math.floor(clientHint.thinkingBudget);
      adjustments.push('client budget');
    } else if (typeof clientHint.reasoningEffort === 'string' && own(EFFORT_TIER, clientHint.reasoningEffort) !== undefined) {
      hinted = config.tiers[EFFORT_TIER[clientHint.reasoningEffort]!].budget;
      adjustments.push(`client reasoning_effort ${clientHint.reasoningEffort}`);
    }
    // A client may always ask for less; asking for more is held to the scope's ceiling below.
    if (hinted !== undefined) {
      budget = hinted;
      if (hinted < floor) floor = hinted;
    }
  }
  if (budget < floor) {
    budget = floor;
    adjustments.push(`floor ${floor}`);
  }
  if (budget > ceiling) {
    budget = ceiling;
    adjustments.push(`ceiling ${ceiling}`);
  }
  return { budget, adjustments };
}

/**
 * The thinking budget that still leaves an answer room inside the client's own completion
 * limit: thinking stops `reserve` tokens short of max_tokens (the reserve is at most half of
 * max_tokens, so a small limit is shared). Pure.
 */
export function budgetWithAnswerRoom(budget: number, clientMaxTokens: number | null, reserve: number): number {
  if (clientMaxTokens === null) return budget;
  const keep = Math.min(reserve, Math.floor(clientMaxTokens / 2));
  return Math.max(0, Math.min(budget, clientMaxTokens - keep));
}
