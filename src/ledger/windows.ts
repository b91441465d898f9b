import type { WindowKind } from '../config/schema.js';

/** Start and end (ms, UTC) of the window instance containing `now`. Pure: time is passed in. */
export function windowBounds(window: WindowKind, now: number): { start: number; end: number | null } {
  const d = new Date(now);
  switch (window) {
    case 'hour': {
      const start = Math.floor(now / 3_600_000) * 3_600_000;
      return { start, end: start + 3_600_000 };
    }
    case 'day': {
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      return { start, end: start + 86_400_000 };
    }
    case 'month': {
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      return { start, end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
    }
    case 'total':
      return { start: 0, end: null };
  }
}
