import type { ContinuationRequest } from '../backends/types.js';

export interface ContinuationRun {
  url: string;
  request: ContinuationRequest;
  signal: AbortSignal;
  onChunk(chunk: Buffer): void;
  /** Give up when the backend sends nothing for this long. */
  idleTimeoutMs?: number;
}

/**
 * Budget forcing, second leg: thinkcap asks the same backend to answer from prompt + thinking
 * so far + end of thinking and streams the bytes to the caller as they arrive.
 */
export async function runContinuation(run: ContinuationRun): Promise<void> {
  const url = new URL(run.request.path, run.url.endsWith('/') ? run.url : `${run.url}/`);
  const idle = new AbortController();
  const signal = AbortSignal.any([run.signal, idle.signal]);
  let timer = setTimeout(() => idle.abort(new Error('continuation idle timeout')), run.idleTimeoutMs ?? 60_000);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'accept-encoding': 'identity' },
      body: JSON.stringify(run.request.body),
      signal,
    });
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      throw new Error(`continuation answered ${res.status}: ${text.slice(0, 200)}`);
    }
    for await (const chunk of res.body) {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new Error('continuation idle timeout')), run.idleTimeoutMs ?? 60_000);
      run.onChunk(Buffer.from(chunk));
    }
  } finally {
    clearTimeout(timer);
  }
}
