import { isRecord } from '../backends/types.js';
import { NdjsonFramer, SseFramer } from './sse.js';

/**
 * The token logprobs of a continuation's stream, for a whole JSON answer whose client asked for
 * logprobs: the first leg's answer holds those of the tokens before the cut, and the merged
 * answer needs the rest. An OpenAI-style stream carries them in `choices[0].logprobs.content`,
 * Ollama's chat lines (the continuation's /api/generate lines, converted) in a top-level
 * `logprobs` list. Holds at most `maxBytes` of them (as JSON); past that it keeps none, and the
 * answer carries the first leg's alone.
 */
export class ContinuationLogprobs {
  private readonly read: (chunk: Buffer) => string[];
  private held: unknown[] | null = [];
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly format: 'sse' | 'ndjson',
  ) {
    if (format === 'sse') {
      const framer = new SseFramer(maxBytes);
      this.read = (chunk) => framer.push(chunk).flatMap((ev) => (ev.data === null || ev.data === '[DONE]' ? [] : [ev.data]));
    } else {
      const framer = new NdjsonFramer(maxBytes);
      this.read = (chunk) => framer.push(chunk).flatMap((l) => (l.unread ? [] : [l.line]));
    }
  }

  push(chunk: Buffer): void {
    if (this.held === null) return;
    for (const text of this.read(chunk)) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        continue;
      }
      const entries = this.entriesOf(json);
      if (!Array.isArray(entries) || entries.length === 0) continue;
      this.bytes += text.length;
      if (this.bytes > this.maxBytes) {
        this.held = null;
        return;
      }
      for (const entry of entries) this.held.push(entry);
    }
  }

  private entriesOf(json: unknown): unknown {
    if (!isRecord(json)) return undefined;
    if (this.format === 'ndjson') return json.logprobs;
    const choice = Array.isArray(json.choices) ? json.choices[0] : undefined;
    return isRecord(choice) && isRecord(choice.logprobs) ? choice.logprobs.content : undefined;
  }

  /** The entries in order, or null where there were none or too many to hold. */
  get entries(): unknown[] | null {
    return this.held && this.held.length > 0 ? this.held : null;
  }
}
