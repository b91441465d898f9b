import { LedgerUnavailableError, type Ledger } from './types.js';

/**
 * `serve --workers N` with the memory ledger: the ledger lives in the primary process and each
 * worker reaches it over the cluster's IPC channel, so every worker reserves against the same
 * counters (reserve stays atomic: the primary runs one call at a time on one event loop).
 */

type Op = 'ready' | 'reserve' | 'settle' | 'state' | 'getLimits' | 'putLimit' | 'deleteLimit';
const OPS: readonly Op[] = ['ready', 'reserve', 'settle', 'state', 'getLimits', 'putLimit', 'deleteLimit'];

export interface LedgerCall {
  t: 'ledger';
  id: number;
  op: Op;
  args: unknown[];
}

export type LedgerReply = { t: 'ledger'; id: number; ok: true; value: unknown } | { t: 'ledger'; id: number; ok: false; error: string; unavailable: boolean };

/** A channel to the primary: send a message, and hear its replies. */
export interface IpcChannel {
  send(message: LedgerCall): boolean;
  onMessage(listener: (message: unknown) => void): void;
}

/** A worker's ledger: every call goes to the primary's ledger and back. */
export class IpcLedger implements Ledger {
  readonly kind = 'memory' as const;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly channel: IpcChannel,
    /** A call the primary has not answered by then fails as "ledger unavailable". */
    private readonly timeoutMs = 2000,
  ) {
    channel.onMessage((m) => {
      const reply = m as { t?: string; id?: number; ok?: boolean; value?: unknown; error?: string; unavailable?: boolean } | null;
      if (!reply || reply.t !== 'ledger' || typeof reply.id !== 'number') return;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      if (reply.ok) p.resolve(reply.value);
      else p.reject(reply.unavailable ? new LedgerUnavailableError(reply.error ?? 'ledger unavailable') : new Error(reply.error));
    });
  }

  private call<T>(op: Op, args: unknown[], timeoutMs = this.timeoutMs): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LedgerUnavailableError(`ledger ${op}: no answer from the primary process in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      let sent = false;
      try {
        sent = this.channel.send({ t: 'ledger', id, op, args });
      } catch {
        sent = false;
      }
      if (!sent) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new LedgerUnavailableError(`ledger ${op}: the primary process is not reachable`));
      }
    });
  }

  ready(timeoutMs: number): Promise<void> {
    return this.call('ready', [timeoutMs], timeoutMs + 500);
  }
  reserve(...args: Parameters<Ledger['reserve']>): ReturnType<Ledger['reserve']> {
    return this.call('reserve', args);
  }
  settle(...args: Parameters<Ledger['settle']>): ReturnType<Ledger['settle']> {
    return this.call('settle', args);
  }
  state(...args: Parameters<Ledger['state']>): ReturnType<Ledger['state']> {
    return this.call('state', args);
  }
  getLimits(): ReturnType<Ledger['getLimits']> {
    return this.call('getLimits', []);
  }
  putLimit(...args: Parameters<Ledger['putLimit']>): ReturnType<Ledger['putLimit']> {
    return this.call('putLimit', args);
  }
  deleteLimit(...args: Parameters<Ledger['deleteLimit']>): ReturnType<Ledger['deleteLimit']> {
    return this.call('deleteLimit', args);
  }
  async close(): Promise<void> {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new LedgerUnavailableError('ledger closed'));
      this.pending.delete(id);
    }
  }
}

/** The primary's side: run one worker's call on the real ledger and say how it went. */
export async function answerLedgerCall(ledger: Ledger, message: unknown): Promise<LedgerReply | null> {
  const call = message as Partial<LedgerCall> | null;
  if (!call || call.t !== 'ledger' || typeof call.id !== 'number' || !OPS.includes(call.op as Op) || !Array.isArray(call.args)) return null;
  try {
    const fn = ledger[call.op as Op] as (...a: unknown[]) => Promise<unknown>;
    const value = await fn.apply(ledger, call.args);
    return { t: 'ledger', id: call.id, ok: true, value: value ?? null };
  } catch (err) {
    return { t: 'ledger', id: call.id, ok: false, error: err instanceof Error ? err.message : String(err), unavailable: err instanceof LedgerUnavailableError };
  }
}
