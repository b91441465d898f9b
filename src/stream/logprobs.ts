import { isRecord } from '../backends/types.js';
import { SseFramer } from './sse.js';

/**
 * The token logprobs of a continuation's stream (chat chunks, `choices[0].logprobs.content`),
 * for a whole JSON answer whose client asked for logprobs: the first leg's answer holds those of
 * the tokens before the cut, and the merged answer needs the rest. Holds at most `maxBytes` of
 * them (as JSON); past that it keeps none, and the answer carries the first leg's alone.
 */
export class ContinuationLogprobs {
  private readonly framer: SseFramer;
  private held: unknown[] | null = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {
    this.framer = new SseFramer(maxBytes);
  }

  push(chunk: Buffer): void {
    if (this.held === null) return;
    for (const ev of this.framer.push(chunk)) {
      if (ev.data === null || ev.data === '[DONE]') continue;
      let json: unknown;
      try {
        json = JSON.parse(ev.data);
      } catch {
        continue;
      }
      const choice = isRecord(json) && Array.isArray(json.choices) ? json.choices[0] : undefined;
      const content = isRecord(choice) && isRecord(choice.logprobs) ? choice.logprobs.content : undefined;
      if (!Array.isArray(content) || content.length === 0) continue;
      this.bytes += ev.data.length;
      if (this.bytes > this.maxBytes) {
        this.held = null;
        return;
      }
      for (const entry of content) this.held.push(entry);
    }
  }

  /** The entries in order, or null where there were none or too many to hold. */
  get entries(): unknown[] | null {
    return this.held && this.held.length > 0 ? this.held : null;
  }
}
