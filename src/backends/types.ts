import type { DialectName } from '../config/schema.js';

/** What thinkcap decided for one request, handed to the dialect that rewrites it. */
export interface BudgetPlan {
  /** Thinking tokens allowed. */
  thinkingBudget: number;
  /** Answer tokens allowed when the client set no limit of its own. */
  answerTokens: number;
}

export interface RewriteResult {
  /** The client's own completion-token limit, if it set one (never raised). */
  clientMaxTokens: number | null;
  /** The completion-token limit sent upstream. */
  upstreamMaxTokens: number;
  /** The client asked for a streamed response. */
  stream: boolean;
  /** The client itself asked for usage in the stream (else usage chunks thinkcap added are removed). */
  clientWantsUsage: boolean;
}

/** One parsed stream event or non-streaming body, in dialect-neutral terms. */
export interface ChunkInfo {
  reasoning: string;
  content: string;
  /** Completion tokens so far (running, from continuous usage) or in total (final usage). */
  completionTokens: number | null;
  promptTokens: number | null;
  /** Reasoning tokens reported by the backend, when it reports them. */
  reasoningTokens: number | null;
  finishReason: string | null;
  /** A usage-only chunk (no choices). */
  usageOnly: boolean;
  /** An error payload from the backend. */
  error: string | null;
}

export interface Dialect {
  readonly name: DialectName;
  /** How the streamed response is framed. */
  readonly streamFormat: 'sse' | 'ndjson';
  /** Write the budget into the request body in place; the body is the parsed client JSON. */
  rewriteRequest(body: Record<string, unknown>, plan: BudgetPlan): RewriteResult;
  /** Parse one stream event's JSON (SSE data or NDJSON line). */
  parseStreamEvent(json: unknown): ChunkInfo;
  /** Parse a whole non-streaming response body. */
  parseResponse(json: unknown): ChunkInfo;
}

export function emptyChunk(): ChunkInfo {
  return {
    reasoning: '',
    content: '',
    completionTokens: null,
    promptTokens: null,
    reasoningTokens: null,
    finishReason: null,
    usageOnly: false,
    error: null,
  };
}

export function positiveInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : null;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
