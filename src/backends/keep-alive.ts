/**
 * Ollama's keep_alive: how long a model stays loaded after a request (Go durations, as Ollama
 * parses them). No imports: the config schema reads it too.
 */

/** Go's time.ParseDuration units, in seconds. */
const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * A keep_alive in seconds as Ollama reads it (api.Duration: a number of seconds, or a Go duration
 * string; negative is forever), or null where it is not one (Ollama refuses the request then).
 */
export function keepAliveSeconds(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? (v < 0 ? Infinity : v) : null;
  if (typeof v !== 'string') return null;
  let rest = v;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return null;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < rest.length) {
    const m = DURATION_PART.exec(rest);
    if (m === null) return null;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  }
  return sign < 0 && total > 0 ? Infinity : total;
}

/**
 * The server's own default (OLLAMA_KEEP_ALIVE, read by Ollama's envconfig.KeepAlive): a Go
 * duration or a whole number of seconds, negative for ever; null where Ollama would not read it
 * (it then keeps its default, 5m).
 */
export function serverKeepAliveSeconds(v: string | number): number | null {
  if (typeof v === 'number') return Number.isInteger(v) ? keepAliveSeconds(v) : null;
  const seconds = keepAliveSeconds(v);
  if (seconds !== null) return seconds;
  return /^[-+]?\d+$/.test(v) ? keepAliveSeconds(Number(v)) : null;
}
