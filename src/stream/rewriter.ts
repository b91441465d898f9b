import type { ChunkInfo, Dialect } from '../backends/types.js';
import { isRecord } from '../backends/types.js';
import { parseOpenAiStreamEvent } from '../backends/openai.js';
import { DEFAULT_MAX_HELD_BYTES, NdjsonFramer, SseFramer } from './sse.js';
import { THINK_TAGS, ThinkTagTracker, type ThinkTags } from './think.js';
import { countTokens, truncateToTokens } from './tokens.js';
import { reportObject, sseReport, type ReportFields } from '../accounting/report.js';

/** What a continuation follows: budget forcing, or a rescue (see ResponseRewriter.followUp). */
/** The continuations thinkcap makes after an upstream answer (the record's followUp.kind). */
export const FOLLOW_UP_KINDS = ['continuation', 'rescue', 'rescue_at_length', 'rescue_at_context'] as const;
export type FollowUp = (typeof FOLLOW_UP_KINDS)[number];

export interface RewriterOptions {
  dialect: Dialect;
  format: 'sse' | 'ndjson' | 'json';
  /** Thinking tokens the client may see; reasoning past it is dropped. */
  budget: number;
  /** The client asked for usage itself; otherwise usage thinkcap requested is removed. */
  clientWantsUsage: boolean;
  /** Stream starts inside `<think>` (template pre-fills it). */
  thinkPrefilled: boolean;
  /** The markers of a think block in content (backends[].thinkingFormat); `<think>` by default. */
  thinkTags?: ThinkTags;
  /** Cut-off + continuation: hold back the end of a stream that stops on thinkcap's length cap (never the client's own). */
  continuation: boolean;
  /**
   * Hold back the end of a stream whose model stopped inside thinking without an answer, so a
   * continuation can answer (any enforcement where thinkcap can continue).
   */
  rescue?: boolean;
  /**
   * The rescue also answers where the stream stopped at a length inside thinking with no answer
   * and the limit was not the client's: thinkcap's own cap, past the budget (the engine did not
   * end the thinking), or, inside the budget, the engine's own (its context ran out).
   */
  rescueAtLength?: boolean;
  /**
   * The rescue also answers a turn that ended with nothing at all: no reasoning, no answer, no
   * tool call (plan.rescueEmpty: where thinking was expected, and the request ends with no
   * assistant prefill).
   */
  rescueEmpty?: boolean;
  /**
   * The end of the answer (`[DONE]` and the figures before it, or NDJSON's final line) is held
   * back until the stream ends, and goes out with the message that ends the response (the
   * upstream's end, or thinkcap's after a follow-up). A client that leaves at the end it sees
   * (openai-python closes its response at `[DONE]`) would otherwise leave before that, and the
   * request read as cut (answerEnded).
   */
  holdEnd?: boolean;
  tier: string;
  /** Thinking tokens of an earlier leg (a continuation reports the total). */
  thinkingOffset?: number;
  /** Thinking was closed before this stream began (a continuation leg): content is all answer. */
  thinkingClosed?: boolean;
  /** Completion tokens of an earlier leg, added to the usage the client sees (a continuation). */
  completionOffset?: number;
  /**
   * Prompt tokens of the client's request (the first leg's), shown in place of this leg's own
   * (a continuation's prompt also holds the first leg's output); null or absent: the engine's.
   */
  promptTokens?: number | null;
  /**
   * The request's usage so far, both legs (RequestAccount.usage): sent to a client that asked
   * for usage where thinkcap ends the stream before the engine's usage came (cutEnd, failedEnd).
   */
  usageSoFar?: () => { promptTokens: number; completionTokens: number };
  /**
   * Budget forcing's graceful end: past the budget, reasoning is still kept up to the first line
   * break within this many tokens, so the continuation answers after a finished step.
   */
  graceTokens?: number;
  /** The budget the report states, where it differs from `budget` (a continuation leg enforces 0). */
  reportBudget?: number;
  /** More figures for the end-of-stream report (cost, energy), asked for when the stream ends. */
  reportExtra?: () => ReportFields;
  /** false: parse every event (the shortcut for plain answer deltas off; tests compare both). */
  fastAnswerEvents?: boolean;
  /**
   * The most bytes held to be read: one SSE event or NDJSON line, or a whole JSON answer
   * (requests.maxResponseHoldBytes). Past it they pass on unread (see `unread`).
   */
  maxHeldBytes?: number;
}

/**
 * The first characters of a tag pair, raw and as JSON may escape them (Go's encoder writes `<`
 * as \u003c): an event holding one takes the full path. Once per pair (a backend's, or the default).
 */
function tagLeads(tags: ThinkTags): readonly string[] {
  let leads = LEADS_BY_TAGS.get(tags);
  if (leads === undefined) {
    const codes = new Set([tags.close.charCodeAt(0), ...(tags.open === null ? [] : [tags.open.charCodeAt(0)])]);
    leads = [...codes].flatMap((c) => {
      const hex = c.toString(16).padStart(4, '0');
      return [String.fromCharCode(c), `\\u${hex}`, `\\u${hex.toUpperCase()}`];
    });
    LEADS_BY_TAGS.set(tags, leads);
  }
  return leads;
}

const LEADS_BY_TAGS = new WeakMap<ThinkTags, readonly string[]>();

const DONE_EVENT = Buffer.from('data: [DONE]\n\n');

/** An OpenAI stream's finish chunk for the first choice, as JSON (an end thinkcap writes itself). */
const finishChunk = (reason: string) => JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: reason }] });
const CONTENT_KEY = '"content":"';
const INDEX_KEY = '"index":';

/** A choice after the first (n > 1): its think block and the reasoning tokens kept of it. */
interface OtherChoice {
  think: ThinkTagTracker;
  keptReasoningTokens: number;
}

/** The most choices after the first a response is read for (the engine's; maxChoices is far below). */
const MAX_OTHER_CHOICES = 256;

/**
 * Enforcement layer 3 and the accounting for every dialect: reads the response as it passes,
 * counts reasoning tokens exactly (backend usage) or by tokenizer, drops reasoning past the
 * budget, closes a `<think>` block exactly once, strips usage the client did not ask for, and
 * appends the final figures in a form standard clients ignore (an SSE comment line, or a
 * `thinkcap` field on Ollama's final NDJSON line). SSE and NDJSON events go through the same
 * steps (`onEvent`); only the framing and the end of the stream differ.
 */
export class ResponseRewriter {
  private sse: SseFramer | null = null;
  private ndjson: NdjsonFramer | null = null;
  private jsonChunks: Buffer[] | null = null;
  private jsonBytes = 0;
  private readonly think: ThinkTagTracker;
  private lastCompletion = 0;
  private sawRunningUsage = false;
  private usageReasoning = 0;
  private estimatedReasoning = 0;
  private keptReasoningTokens = 0;
  private reportedReasoning: number | null = null;
  /** Reasoning the client saw (for a continuation prompt). */
  keptReasoning = '';
  /** Answer text so far. */
  answer = '';
  /** o200k tokens of the answer at a length (answerTokens: the report and the close both ask). */
  private answerCount = { chars: 0, tokens: 0 };
  completionTokens: number | null = null;
  promptTokens: number | null = null;
  finishReason: string | null = null;
  error: string | null = null;
  /** Reasoning was dropped or a think block closed by thinkcap. */
  enforced = false;
  /** Set when the upstream ended on the length cap inside thinking and a continuation should answer. */
  continuationWanted = false;
  /**
   * Why a continuation is wanted: budget forcing (thinkcap's cut at the budget), a rescue of a
   * model that ended its turn inside thinking, or of one that thought into thinkcap's length cap.
   */
  followUp: FollowUp | null = null;
  /** The answer text as forwarded (a whole JSON answer): think block included where it is in content. */
  visibleContent = '';
  /** Rewritten whole JSON body (non-streaming). */
  rewrittenBody: Buffer | null = null;
  private sawDone = false;
  /** The answer's end, held back (holdEnd) until the stream ends. */
  private readonly heldEnd: Buffer[] = [];
  private endRead = false;

  /** The answer's end has been read (`[DONE]`, NDJSON's final line): nothing after it is the answer's. */
  get answerEnded(): boolean {
    return this.endRead;
  }
  /** Reasoning and answer pieces seen: one per token in engines' streams (for energy shares). */
  tokenEvents = 0;
  /**
   * What passed on unread because it was longer than maxHeldBytes ('json' for a whole answer,
   * 'sse' or 'ndjson' for an event), else null. Unread bytes are neither rewritten nor counted:
   * the request is charged its reservation (processor.ts).
   */
  unread: 'json' | 'sse' | 'ndjson' | null = null;

  /** OpenAI-format events: plain answer deltas can be read without parsing (plainAnswerText). */
  private readonly plainEvents: boolean;
  /** The first characters of the think tags, raw and JSON-escaped: an event holding one takes the full path. */
  private readonly tagLeads: readonly string[];

  /**
   * The choices after the first, by index (n > 1): each its own think block and reasoning budget.
   * Everything else (the answer a continuation reads, the finish that asks for one, the record's
   * finish reason) is the first choice's: a continuation continues the first choice only.
   */
  private readonly otherChoices = new Map<number, OtherChoice>();

  constructor(private readonly o: RewriterOptions) {
    this.plainEvents = o.format === 'sse' && o.dialect.parseStreamEvent === parseOpenAiStreamEvent && o.fastAnswerEvents !== false;
    this.tagLeads = tagLeads(o.thinkTags ?? THINK_TAGS);
    if (o.format === 'sse') this.sse = new SseFramer(o.maxHeldBytes);
    else if (o.format === 'ndjson') this.ndjson = new NdjsonFramer(o.maxHeldBytes);
    else this.jsonChunks = [];
    // Any OpenAI-compatible engine may write `<think>` into content (vLLM or SGLang without a
    // reasoning parser, llama.cpp --reasoning-format none): the tracker finds out from the
    // stream, and stands down once a reasoning field shows up.
    this.think = this.newThinkTracker();
    if (o.thinkingClosed) this.think.answerOnly();
  }

  /** A think-tag tracker for one choice's content, on this stream's budget. */
  private newThinkTracker(): ThinkTagTracker {
    return new ThinkTagTracker(this.o.budget, countTokens, this.o.thinkPrefilled, truncateToTokens, this.o.thinkTags);
  }

  /**
   * o200k tokens of the answer, for an engine that reported no usage; counted once for a given
   * answer, where the end-of-stream report and the close each counted it (100,000 random Chinese
   * characters, counted on their first 32 KiB: ~5 ms a count here, a session script).
   */
  answerTokens(): number {
    if (this.answerCount.chars !== this.answer.length) this.answerCount = { chars: this.answer.length, tokens: countTokens(this.answer) };
    return this.answerCount.tokens;
  }

  /** Reasoning tokens the backend generated: its own figure, else running usage, else the tokenizer. */
  get thinkingTokens(): number {
    return (this.o.thinkingOffset ?? 0) + this.ownThinkingTokens();
  }

  private ownThinkingTokens(): number {
    if (this.reportedReasoning !== null) return this.reportedReasoning;
    if (this.think.entered) {
      let tokens = this.think.reasoningTokens;
      for (const c of this.otherChoices.values()) tokens += c.think.reasoningTokens;
      return tokens;
    }
    if (this.sawRunningUsage) return this.usageReasoning;
    return this.estimatedReasoning;
  }

  /**
   * Feed one chunk. Returns the bytes to forward in its place, or null when the chunk goes on
   * unchanged. In JSON mode nothing is forwarded until the end.
   */
  push(chunk: Buffer, eos: boolean): Buffer | null {
    if (this.sse) return this.pushSse(chunk, eos);
    if (this.ndjson) return this.pushNdjson(chunk, eos);
    if (this.jsonChunks === null) return null; // past the limit: the rest passes unread
    this.jsonChunks.push(chunk);
    this.jsonBytes += chunk.length;
    if (this.jsonBytes > (this.o.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES)) {
      // Too long to hold and parse: what was held goes out now, the rest as it comes.
      this.unread = 'json';
      const held = Buffer.concat(this.jsonChunks, this.jsonBytes);
      this.jsonChunks = null;
      return held;
    }
    if (!eos) return Buffer.alloc(0);
    return this.finishJson();
  }

  private pushSse(chunk: Buffer, eos: boolean): Buffer | null {
    // Output equals input only when no bytes were held before or after and no event changed.
    const hadPending = this.sse!.pendingBytes > 0;
    const events = this.sse!.push(chunk);
    let changed = hadPending || this.sse!.pendingBytes > 0;
    const parts: Buffer[] = [];
    for (const ev of events) {
      if (ev.data === null) {
        if (ev.unread) {
          this.unread = 'sse';
          changed = true;
        }
        parts.push(ev.raw);
        continue;
      }
      if (ev.data === '[DONE]') {
        this.sawDone = true;
        // Where a continuation follows, its answer ends the response, not this [DONE].
        if (!this.continuationWanted) this.endRead = true;
        changed = true;
        (this.o.holdEnd ? this.heldEnd : parts).push(...this.tail());
        continue;
      }
      const plain = this.plainAnswerText(ev.data);
      if (plain !== null) {
        // An answer delta thinkcap would pass on unchanged: counted without parsing the event.
        if (plain) {
          this.tokenEvents++;
          this.answer += plain;
        }
        parts.push(ev.raw);
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(ev.data);
      } catch {
        if (ev.event === 'error') this.error = ev.data.slice(0, 200);
        parts.push(ev.raw);
        continue;
      }
      const out = this.onEvent(json);
      if (out === undefined) parts.push(ev.raw);
      else {
        changed = true;
        if (out !== null) parts.push(Buffer.from(`data: ${out}\n\n`, 'utf8'));
      }
    }
    if (eos) {
      const rest = this.sse!.takeRemainder();
      if (rest) parts.push(rest);
      if (!this.sawDone) {
        // Stream ended without [DONE] (error, cut): still close the think block.
        for (const fl of this.flushThink()) parts.push(Buffer.from(`data: ${fl}\n\n`, 'utf8'));
      }
      parts.push(...this.heldEnd.splice(0));
      changed = true;
    }
    if (!changed) return null;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** What goes before [DONE]: a closing `</think>` if still open, the figures, then [DONE] (unless a continuation follows). */
  private tail(): Buffer[] {
    const parts: Buffer[] = [];
    for (const fl of this.flushThink()) parts.push(Buffer.from(`data: ${fl}\n\n`, 'utf8'));
    if (this.continuationWanted) return parts; // the continuation supplies the answer and the end
    parts.push(Buffer.from(this.reportComment(this.o.reportExtra?.() ?? {}), 'utf8'), DONE_EVENT);
    return parts;
  }

  /** The end-of-stream report's fields: the tier, the budget, thinking so far, cost and energy. */
  reportFields(extra: ReportFields = this.o.reportExtra?.() ?? {}): ReportFields {
    // unread: an event was too long to read, so the figures leave its tokens out.
    return { tier: this.o.tier, budget: this.o.reportBudget ?? this.o.budget, thinking_tokens: this.thinkingTokens, ...extra, unread: this.unread ?? undefined };
  }

  /** `: thinkcap ...` — an SSE comment: the openai clients and browsers' EventSource skip it. */
  reportComment(extra?: ReportFields): string {
    return sseReport(this.reportFields(extra));
  }

  /**
   * The end of a stream whose continuation failed: SSE, the finish the engine gave the first
   * answer (`firstFinish`; thinkcap held it back for the follow-up), the usage a client asked
   * for, the report with the error and `[DONE]`; NDJSON, an error line as Ollama writes one.
   */
  failedEnd(error: string, firstFinish: string | null = null): Buffer {
    if (this.o.format === 'ndjson') {
      return Buffer.from(`${JSON.stringify({ error, thinkcap: reportObject(this.reportFields({ ...(this.o.reportExtra?.() ?? {}), error })) })}\n`, 'utf8');
    }
    const finish = firstFinish === null ? '' : `data: ${finishChunk(firstFinish)}\n\n`;
    return Buffer.from(`${finish}${this.usageEnd()}${this.reportComment({ ...(this.o.reportExtra?.() ?? {}), error })}data: [DONE]\n\n`, 'utf8');
  }

  /** The usage chunk a client that asked for usage gets where thinkcap ends the stream itself (SSE; empty where none is due). */
  private usageEnd(): string {
    const usage = this.o.clientWantsUsage ? this.o.usageSoFar?.() : undefined;
    const event = usage && this.o.dialect.usageEvent?.({ ...usage, reasoningTokens: this.thinkingTokens });
    return event ? `data: ${JSON.stringify(event)}\n\n` : '';
  }

  /**
   * The end of a stream thinkcap stopped on purpose (a follow-up out of the time Envoy gives it):
   * what the tracker still holds, then a length stop as the engine would write one (OpenAI's
   * finish_reason, Ollama's done line with the report), then the format's end. Not an error: the
   * answer so far stands.
   */
  cutEnd(): Buffer {
    const held = this.flushThink();
    if (this.o.format === 'ndjson') {
      // Ollama's done line counts the prompt and the generated tokens (both legs).
      const usage = this.o.usageSoFar?.();
      const counts = usage ? { prompt_eval_count: usage.promptTokens, eval_count: usage.completionTokens } : {};
      const done = { created_at: new Date().toISOString(), message: { role: 'assistant', content: '' }, done: true, done_reason: 'length', ...counts, thinkcap: reportObject(this.reportFields()) };
      return Buffer.from([...held, JSON.stringify(done)].map((line) => `${line}\n`).join(''), 'utf8');
    }
    return Buffer.from(`${[...held, finishChunk('length')].map((e) => `data: ${e}\n\n`).join('')}${this.usageEnd()}${this.reportComment()}data: [DONE]\n\n`, 'utf8');
  }

  /** Close think blocks still open at the end: a content event in the dialect's format per choice that needs one. */
  private flushThink(): string[] {
    const events: string[] = [];
    const r = this.think.flush();
    if (r.keptReasoning) this.keptReasoning += r.keptReasoning;
    // Text held back as a possible tag is answer after all: the client gets it, and it is counted.
    if (r.answer) this.answer += r.answer;
    if (r.out) {
      if (this.think.closedByUs) this.enforced = true;
      events.push(JSON.stringify(this.o.dialect.contentEvent(r.out)));
    }
    for (const [index, c] of this.otherChoices) {
      const o = c.think.flush();
      if (!o.out) continue;
      if (c.think.closedByUs) this.enforced = true;
      events.push(JSON.stringify(this.o.dialect.contentEvent(o.out, index)));
    }
    return events;
  }

  /** One parsed event: returns undefined (unchanged), null (drop) or the new JSON text. */
  private onEvent(json: unknown): string | null | undefined {
    if (!isRecord(json)) return undefined;
    const d = this.o.dialect;
    const info = d.parseStreamEvent(json);
    const index = d.choiceIndex?.(json) ?? 0;
    this.account(info, false, index === 0);
    if (info.reasoning || info.content) this.tokenEvents++;
    let modified: boolean;
    if (index === 0) modified = this.editFirstChoice(json, info);
    else {
      const edited = this.editOtherChoice(json, info, index);
      if (edited === null) return undefined;
      modified = edited;
    }
    if (!this.o.clientWantsUsage && 'usage' in json) {
      if (d.stripUsage(json)) return null;
      modified = true;
    } else if (index === 0 && (info.usageOnly || info.finishReason !== null) && 'usage' in json && d.annotateUsage?.(json, this.thinkingTokens, this.o.completionOffset ?? 0, this.o.promptTokens)) {
      // thinkcap's figures go on the first choice's end (or the usage chunk); another choice's
      // events keep the usage the engine wrote.
      modified = true;
    }
    if (this.continuationWanted && d.isUsageOnly(json)) return null;
    if (!modified) return undefined;
    if (d.isEmpty(json)) return null;
    return JSON.stringify(json);
  }

  /** The first choice's edits of an event (reasoning kept to the budget, think tags, a continuation's finish); true if it changed. */
  private editFirstChoice(json: Record<string, unknown>, info: ChunkInfo): boolean {
    const d = this.o.dialect;
    let modified = false;
    if (info.toolCalls) this.sawToolCalls = true;
    if (info.reasoning) {
      this.think.answerOnly();
      this.sawReasoning = true;
      const n = this.reasoningTokensOf(info);
      if (this.keepsReasoning()) {
        // Inside the grace window, the piece that breaks the line is the last one kept.
        if (this.keptReasoningTokens >= this.o.budget && info.reasoning.includes('\n')) this.graceEnded = true;
        this.keptReasoningTokens += n;
        this.keptReasoning += info.reasoning;
      } else {
        d.stripReasoning(json);
        modified = true;
        this.enforced = true;
        this.pastBudget = true;
      }
    }
    if (info.content) {
      const r = this.think.push(info.content);
      this.keptReasoning += r.keptReasoning;
      this.answer += r.answer;
      if (r.out !== info.content) {
        d.setContent(json, r.out);
        modified = true;
        if (this.think.closedByUs) this.enforced = true;
      }
    }
    if (info.finishReason !== null && this.wantsContinuation(info.finishReason)) {
      // Upstream stopped on our cap (inside thinking, or in an answer begun early), or the model
      // ended inside thinking with no answer: hide this end; the continuation closes the
      // thinking and answers, or finishes the answer.
      this.continuationWanted = true;
      d.hideFinish(json);
      modified = true;
    }
    return modified;
  }

  /**
   * An event of a choice after the first (n > 1): its reasoning kept up to the budget, its think
   * block closed in its own events. Its finish asks for no continuation (one would continue the
   * first choice), and its text is not the first choice's answer. True if it changed the event;
   * null for a choice past MAX_OTHER_CHOICES, which passes as it came.
   */
  private editOtherChoice(json: Record<string, unknown>, info: ChunkInfo, index: number): boolean | null {
    const d = this.o.dialect;
    let c = this.otherChoices.get(index);
    if (c === undefined) {
      // Past the bound a choice passes as it came (its reasoning still counted above); with spend
      // on, maxChoices (16 by default) keeps requests far below it.
      if (this.otherChoices.size >= MAX_OTHER_CHOICES) return null;
      c = { think: this.newThinkTracker(), keptReasoningTokens: 0 };
      if (this.o.thinkingClosed) c.think.answerOnly();
      this.otherChoices.set(index, c);
    }
    let modified = false;
    if (info.reasoning) {
      c.think.answerOnly();
      if (c.keptReasoningTokens < this.o.budget) c.keptReasoningTokens += this.reasoningTokensOf(info);
      else {
        d.stripReasoning(json);
        modified = true;
        this.enforced = true;
      }
    }
    if (info.content) {
      const r = c.think.push(info.content);
      if (r.out !== info.content) {
        d.setContent(json, r.out);
        modified = true;
        if (c.think.closedByUs) this.enforced = true;
      }
    }
    return modified;
  }

  /**
   * The answer text of an OpenAI-format event that is only an answer delta (no reasoning, no
   * finish, no usage, no error, no tag) once thinking is over, read without parsing the event;
   * null when the event needs the full path. Anything unusual (other spacing, several choices,
   * `<`) takes the full path, which gives the same result for such an event: this is a shortcut,
   * never a different answer.
   */
  private plainAnswerText(data: string): string | null {
    if (!this.plainEvents || !this.think.plainAnswer) return null;
    if (data.charCodeAt(0) !== 123 /* { */ || data.charCodeAt(data.length - 1) !== 125 /* } */) return null;
    if (data.includes('reasoning') || data.includes('"usage"') || data.includes('"error"') || data.includes('tool_calls') || data.includes('function_call')) return null;
    for (const lead of this.tagLeads) if (data.includes(lead)) return null;
    // The first choice's only (n > 1: another choice's answer is not the first's).
    const index = data.indexOf(INDEX_KEY);
    if (index >= 0 && (data.charCodeAt(index + INDEX_KEY.length) !== 48 /* 0 */ || data.indexOf(INDEX_KEY, index + 1) >= 0)) return null;
    const finish = data.indexOf('"finish_reason":');
    if (finish >= 0 && (!data.startsWith('null', finish + 16) || data.indexOf('"finish_reason":', finish + 16) >= 0)) return null;
    const at = data.indexOf(CONTENT_KEY);
    if (at < 0 || data.indexOf(CONTENT_KEY, at + CONTENT_KEY.length) >= 0) return null;
    // The string value ends at the first quote not escaped by an odd run of backslashes.
    const from = at + CONTENT_KEY.length;
    let end = data.indexOf('"', from);
    while (end >= 0) {
      let slashes = 0;
      for (let i = end - 1; i >= from && data.charCodeAt(i) === 92; i--) slashes++;
      if (slashes % 2 === 0) break;
      end = data.indexOf('"', end + 1);
    }
    if (end < 0) return null;
    const raw = data.slice(from, end);
    if (!raw.includes('\\')) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return null;
    }
  }

  private wantsContinuation(finish: string): boolean {
    const followUp = this.followUpFor(finish);
    if (followUp !== null) this.followUp = followUp;
    return followUp !== null;
  }

  private followUpFor(finish: string): FollowUp | null {
    // The model answered with a tool call: its turn is complete, and a continuation would add a
    // text answer beside the call (Ollama ends such a turn with done_reason "stop").
    if (this.sawToolCalls) return null;
    if (finish === 'length') {
      if (this.o.continuation) return 'continuation';
      if (this.o.rescueAtLength !== true || this.error || this.answer.trim() !== '') return null;
      // Thinking ran past the budget to the length cap: the client saw the budget's worth, and
      // without a continuation no answer would come. (Reasoning was dropped past the budget, or
      // thinkcap closed the block at it: not where it closes one the answer ended inside.)
      if (this.pastBudget || this.think.closedAtBudget) return 'rescue_at_length';
      // A length stop inside the budget, the client's limit not the one (rescueAtLength): thinkcap's
      // cap leaves the budget and an answer allowance, so the engine stopped at a limit of its own,
      // its context (llama-server generates to the end of one slot's and stops there).
      return this.sawReasoning || this.think.entered ? 'rescue_at_context' : null;
    }
    if (!this.o.continuation && !this.o.rescue) return null;
    if (finish !== 'stop' || this.error) return null;
    // The model ended its turn while still thinking, or right after it: no answer came. (With a
    // reasoning parser the two read alike; a `<think>` block in content tells them apart, and an
    // empty answer after a closed block is no answer either.) A turn with nothing in it at all
    // is one that ended as the thinking began (rescueEmpty).
    return this.answer.trim() === '' && (this.sawReasoning || this.think.entered || this.o.rescueEmpty === true) ? 'rescue' : null;
  }

  private sawReasoning = false;
  /** The first choice's reasoning passed the budget (dropped or cut there). */
  private pastBudget = false;
  /** The first choice carried tool calls. */
  private sawToolCalls = false;

  private graceEnded = false;

  /** Reasoning is kept below the budget, and past it inside the grace window until a line ends. */
  private keepsReasoning(): boolean {
    if (this.keptReasoningTokens < this.o.budget) return true;
    const grace = this.o.graceTokens ?? 0;
    return grace > 0 && !this.graceEnded && this.keptReasoningTokens < this.o.budget + grace && !this.keptReasoning.endsWith('\n');
  }

  private reasoningTokensOf(info: ChunkInfo): number {
    if (info.completionTokens !== null && !info.usageOnly && this.lastDelta >= 0) return Math.max(1, this.lastDelta);
    if (this.o.dialect.tokenPerEvent) return 1;
    // account() counted this event's reasoning just before (an engine without running usage).
    return this.eventReasoningTokens >= 0 ? this.eventReasoningTokens : countTokens(info.reasoning);
  }

  private lastDelta = -1;
  /** The tokenizer's count of the current event's reasoning, when account() made one (else -1). */
  private eventReasoningTokens = -1;

  /** firstChoice: false for the events of a choice after the first, whose finish is not the record's. */
  private account(info: ChunkInfo, whole: boolean, firstChoice = true): void {
    if (info.error) this.error = info.error;
    if (info.finishReason && firstChoice) this.finishReason = info.finishReason;
    if (info.promptTokens !== null) this.promptTokens = info.promptTokens;
    if (info.reasoningTokens !== null) this.reportedReasoning = info.reasoningTokens;
    this.lastDelta = -1;
    this.eventReasoningTokens = -1;
    if (info.completionTokens !== null) {
      // Usage on a chunk before the finish means running counts (vLLM continuous_usage_stats);
      // usage only on the last chunk (llama.cpp, Ollama's done line) is a final total.
      if (!info.usageOnly && !whole && (this.sawRunningUsage || info.finishReason === null)) {
        // Running usage (vLLM continuous_usage_stats): the tokens added since the last chunk
        // belong to what this chunk carried.
        this.sawRunningUsage = true;
        const delta = info.completionTokens - this.lastCompletion;
        this.lastDelta = delta;
        if (info.reasoning && delta > 0) this.usageReasoning += delta;
        this.lastCompletion = info.completionTokens;
      }
      this.completionTokens = info.completionTokens;
    }
    if (info.reasoning && (info.completionTokens === null || whole)) {
      if (this.o.dialect.tokenPerEvent && !whole) this.estimatedReasoning += 1;
      else {
        this.eventReasoningTokens = countTokens(info.reasoning);
        this.estimatedReasoning += this.eventReasoningTokens;
      }
    }
  }

  private pushNdjson(chunk: Buffer, eos: boolean): Buffer | null {
    const hadPending = this.ndjson!.pendingBytes > 0;
    const lines = this.ndjson!.push(chunk);
    const parts: Buffer[] = [];
    let changed = hadPending || this.ndjson!.pendingBytes > 0;
    const handle = (raw: Buffer, line: string, unread?: true) => {
      if (unread) {
        this.unread = 'ndjson';
        changed = true;
        parts.push(raw);
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        parts.push(raw);
        return;
      }
      if (!isRecord(json)) {
        parts.push(raw);
        return;
      }
      const final = this.o.dialect.isFinalEvent(json);
      const out = this.onEvent(json);
      if (!final) {
        if (out === undefined) parts.push(raw);
        else {
          changed = true;
          if (out !== null) parts.push(Buffer.from(`${out}\n`, 'utf8'));
        }
        return;
      }
      // The final line: close a think block still open, then the figures on the final line
      // itself (clients ignore the extra field); dropped where a continuation will answer.
      changed = true;
      for (const fl of this.flushThink()) parts.push(Buffer.from(`${fl}\n`, 'utf8'));
      if (this.continuationWanted) return;
      this.o.dialect.annotateUsage?.(json, this.thinkingTokens, this.o.completionOffset ?? 0, this.o.promptTokens);
      json.thinkcap = reportObject(this.reportFields());
      this.endRead = true;
      (this.o.holdEnd ? this.heldEnd : parts).push(Buffer.from(`${JSON.stringify(json)}\n`, 'utf8'));
    };
    for (const { raw, line, unread } of lines) handle(raw, line, unread);
    if (eos) {
      const rest = this.ndjson!.takeRemainder();
      if (rest) handle(rest, rest.toString('utf8').trim());
      parts.push(...this.heldEnd.splice(0));
      changed = true;
    }
    if (!changed) return null;
    return Buffer.concat(parts);
  }

  /**
   * A whole answer's choices after the first (n > 1): each one's reasoning cut at the budget and
   * its think block closed, as the first's are. True if one changed.
   */
  private finishOtherChoices(json: Record<string, unknown>): boolean {
    const d = this.o.dialect;
    const count = Math.min(d.responseChoices?.(json) ?? 1, MAX_OTHER_CHOICES + 1);
    let changed = false;
    for (let index = 1; index < count; index++) {
      const info = d.parseResponse(json, index);
      let reasoning: string | null = null;
      let content: string | null = null;
      if (info.reasoning) {
        const tokens = countTokens(info.reasoning);
        if (this.reportedReasoning === null) this.estimatedReasoning += tokens;
        if (tokens > this.o.budget) {
          reasoning = truncateToTokens(info.reasoning, this.o.budget);
          this.enforced = true;
        }
      }
      if (info.content) {
        const think = this.newThinkTracker();
        if (info.reasoning || this.o.thinkingClosed) think.answerOnly();
        this.otherChoices.set(index, { think, keptReasoningTokens: 0 });
        const a = think.push(info.content);
        const b = think.flush();
        const out = a.out + b.out;
        if (out !== info.content) {
          content = out;
          if (think.closedByUs) this.enforced = true;
        }
      }
      if (reasoning !== null || content !== null) {
        d.setResponseText(json, reasoning, content, index);
        changed = true;
      }
    }
    return changed;
  }

  private finishJson(): Buffer {
    const raw = Buffer.concat(this.jsonChunks!);
    this.jsonChunks = [];
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return raw; // not JSON (an error page): forwarded as it came
    }
    if (!isRecord(json)) return raw;
    const d = this.o.dialect;
    const info = d.parseResponse(json);
    // One tokenizer pass over the reasoning serves the estimate and the truncation check.
    const reasoningTokens = info.reasoning ? countTokens(info.reasoning) : 0;
    this.account({ ...info, reasoning: '' }, true);
    if (this.reportedReasoning === null) this.estimatedReasoning = reasoningTokens;
    this.tokenEvents += info.completionTokens ?? reasoningTokens + countTokens(info.content);
    let reasoning: string | null = null;
    let content: string | null = null;
    if (info.reasoning) this.think.answerOnly();
    if (info.content) {
      const a = this.think.push(info.content);
      const b = this.think.flush();
      this.keptReasoning = a.keptReasoning + b.keptReasoning;
      this.answer = a.answer + b.answer;
      if (this.think.closedByUs) this.enforced = true;
      const out = a.out + b.out;
      if (out !== info.content) content = out;
    }
    this.visibleContent = content ?? info.content;
    if (info.reasoning) {
      const grace = this.o.graceTokens ?? 0;
      if (grace > 0 && info.finishReason === 'length' && !info.content.trim()) {
        // Stopped inside thinking past the budget: end at the first line break after it.
        const cut = graceCut(info.reasoning, this.o.budget, info.reasoningTokens ?? info.completionTokens ?? reasoningTokens);
        if (cut.length < info.reasoning.length) {
          reasoning = cut;
          this.enforced = true;
          this.pastBudget = true;
        }
      } else if (reasoningTokens > this.o.budget + grace) {
        reasoning = truncateToTokens(info.reasoning, this.o.budget + grace);
        this.enforced = true;
        this.pastBudget = true;
      }
      this.keptReasoning = reasoning ?? info.reasoning;
    }
    if (info.reasoning) this.sawReasoning = true;
    if (info.toolCalls) this.sawToolCalls = true;
    if (info.finishReason !== null && this.wantsContinuation(info.finishReason)) this.continuationWanted = true;
    const othersChanged = this.finishOtherChoices(json);
    const usageChanged = d.annotateUsage?.(json, this.thinkingTokens, this.o.completionOffset ?? 0, this.o.promptTokens) ?? false;
    if (reasoning === null && content === null && !usageChanged && !othersChanged) return raw;
    d.setResponseText(json, reasoning, content);
    this.rewrittenBody = Buffer.from(JSON.stringify(json), 'utf8');
    return this.rewrittenBody;
  }
}

/**
 * A whole answer's reasoning, stopped inside the grace window: the text up to the budget (by
 * its share of the engine's token count, as no token boundaries come with it), then on to the
 * first line break; without one, all of it. Pure.
 */
export function graceCut(reasoning: string, budget: number, engineTokens: number): string {
  if (engineTokens <= budget) return reasoning;
  const at = Math.floor((reasoning.length * budget) / engineTokens);
  if (at > 0 && reasoning[at - 1] === '\n') return reasoning.slice(0, at);
  const nl = reasoning.indexOf('\n', at);
  return nl >= 0 ? reasoning.slice(0, nl + 1) : reasoning;
}
