import type { ChunkInfo, Dialect } from '../backends/types.js';
import { NdjsonFramer, SseFramer } from './sse.js';
import { countTokens } from './tokens.js';

/**
 * Reads a response as it passes (SSE, NDJSON or one JSON body) and keeps the token figures:
 * exact counts from backend usage where present, a tokenizer estimate otherwise.
 */
export class ResponseObserver {
  private sse: SseFramer | null = null;
  private ndjson: NdjsonFramer | null = null;
  private jsonChunks: Buffer[] | null = null;
  private lastCompletion = 0;
  private usageReasoning = 0;
  private estimatedReasoning = 0;
  private sawRunningUsage = false;
  private reportedReasoning: number | null = null;
  completionTokens: number | null = null;
  promptTokens: number | null = null;
  finishReason: string | null = null;
  error: string | null = null;
  reasoningText = 0;
  contentChars = 0;

  constructor(
    private readonly dialect: Dialect,
    format: 'sse' | 'ndjson' | 'json',
  ) {
    if (format === 'sse') this.sse = new SseFramer();
    else if (format === 'ndjson') this.ndjson = new NdjsonFramer();
    else this.jsonChunks = [];
  }

  push(chunk: Buffer, eos: boolean): void {
    if (this.sse) {
      for (const ev of this.sse.push(chunk)) {
        if (ev.data === null || ev.data === '[DONE]') continue;
        this.onJson(ev.data, ev.event === 'error');
      }
    } else if (this.ndjson) {
      for (const { line } of this.ndjson.push(chunk)) this.onJson(line, false);
      if (eos) {
        const rest = this.ndjson.takeRemainder();
        if (rest) this.onJson(rest.toString('utf8'), false);
      }
    } else if (this.jsonChunks) {
      this.jsonChunks.push(chunk);
      if (eos) {
        const text = Buffer.concat(this.jsonChunks).toString('utf8');
        this.jsonChunks = [];
        try {
          this.apply(this.dialect.parseResponse(JSON.parse(text)), true);
        } catch {
          // Not JSON (an HTML error page, a truncated body): nothing to count.
        }
      }
    }
  }

  private onJson(text: string, isErrorEvent: boolean): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      if (isErrorEvent) this.error = text.slice(0, 200);
      return;
    }
    this.apply(this.dialect.parseStreamEvent(json), false);
  }

  private apply(info: ChunkInfo, whole: boolean): void {
    if (info.error) this.error = info.error;
    if (info.finishReason) this.finishReason = info.finishReason;
    if (info.promptTokens !== null) this.promptTokens = info.promptTokens;
    if (info.reasoningTokens !== null) this.reportedReasoning = info.reasoningTokens;
    if (info.reasoning) {
      this.reasoningText += info.reasoning.length;
      // The tokenizer (~8 us a call) only runs when the backend gives no running count.
      if (info.completionTokens === null || whole) this.estimatedReasoning += countTokens(info.reasoning);
    }
    if (info.content) this.contentChars += info.content.length;
    if (info.completionTokens !== null) {
      if (!info.usageOnly && !whole) {
        // Running usage (vLLM continuous_usage_stats): the tokens added since the last chunk
        // belong to what this chunk carried.
        this.sawRunningUsage = true;
        const delta = info.completionTokens - this.lastCompletion;
        if (info.reasoning && delta > 0) this.usageReasoning += delta;
        this.lastCompletion = info.completionTokens;
      }
      this.completionTokens = info.completionTokens;
    }
  }

  /** Reasoning tokens: the backend's own figure, else running usage, else the tokenizer estimate. */
  get thinkingTokens(): number {
    if (this.reportedReasoning !== null) return this.reportedReasoning;
    if (this.sawRunningUsage) return this.usageReasoning;
    return this.estimatedReasoning;
  }
}
