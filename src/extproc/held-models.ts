/**
 * Requests in flight through this process that hold a model on a backend for what may follow
 * them (RewriteResult.release: Ollama's keep_alive hold), counted by backend url and model. An
 * unload ends the hold of every request running on that model (Ollama's expireRunner: the model
 * goes when they end, and a continuation after one of them loads it again), so only the last
 * of them to finish sends it. Per process: replicas and workers do not see each other's. Every
 * hold taken when a plan is applied ends when its request finishes (the processor's finish,
 * which a closed stream reaches too); were one never to end, the model's unload would wait for
 * Ollama's own expiry of the hold (FOLLOW_KEEP_ALIVE, 10 s).
 */
export class HeldModels {
  private readonly counts = new Map<string, number>();

  static key(url: string, model: unknown): string {
    return `${url}\n${typeof model === 'string' ? model : ''}`;
  }

  hold(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Ends one hold; true where it was the last on its model (the caller may unload it). */
  end(key: string): boolean {
    const left = (this.counts.get(key) ?? 1) - 1;
    if (left > 0) {
      this.counts.set(key, left);
      return false;
    }
    this.counts.delete(key);
    return true;
  }

  /** Holds in flight on a model (tests, diagnostics). */
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/** The process's holds: every processor of a server shares them. */
export const PROCESS_HELD_MODELS = new HeldModels();
