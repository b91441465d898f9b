import { describe, expect, it } from 'vitest';
import { CountingMeter } from '../../src/budget/counting.js';

describe('the time budget for counting prompt tokens', () => {
  const options = { windowMs: 100, budgetMs: 25, headChars: 4096 };
  const meterAt = () => {
    const clock = { t: 1000 };
    return { clock, meter: new CountingMeter(options, () => clock.t) };
  };

  it('counts in full within the budget, on the short head once a window has used it', () => {
    const { clock, meter } = meterAt();
    expect(meter.exactChars()).toBeUndefined();
    meter.spent(10);
    clock.t += 10;
    meter.spent(14);
    expect(meter.exactChars()).toBeUndefined();
    meter.spent(1);
    expect(meter.used()).toBe(25);
    expect(meter.exactChars()).toBe(4096);
  });

  it('the previous window weighs by its overlap with the window that ends now, and is forgotten after two', () => {
    const { clock, meter } = meterAt();
    meter.spent(40);
    clock.t += 100; // the next window starts: the previous one overlaps it fully
    expect(meter.used()).toBeCloseTo(40);
    expect(meter.exactChars()).toBe(4096);
    clock.t += 50; // half of it still overlaps
    expect(meter.used()).toBeCloseTo(20);
    expect(meter.exactChars()).toBeUndefined();
    meter.spent(10);
    expect(meter.used()).toBeCloseTo(30);
    expect(meter.exactChars()).toBe(4096);
    clock.t += 250; // two windows on: nothing left
    expect(meter.used()).toBe(0);
    expect(meter.exactChars()).toBeUndefined();
  });

  it('a flood: full counts stop at the budget in every window, whatever the arrival rate', () => {
    const { clock, meter } = meterAt();
    let full = 0;
    let fullMs = 0;
    const perWindow = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      // A 32 KiB prompt costs 11 ms in full, 1.5 ms on the short head; one arrives every 0.5 ms.
      const cost = meter.exactChars() === undefined ? 11 : 1.5;
      if (cost === 11) {
        full++;
        fullMs += cost;
        const w = Math.floor(clock.t / 100);
        perWindow.set(w, (perWindow.get(w) ?? 0) + cost);
      }
      meter.spent(cost);
      clock.t += 0.5 + cost;
    }
    expect(full).toBeGreaterThan(0);
    // At most the budget plus one count in any fixed window.
    for (const ms of perWindow.values()) expect(ms).toBeLessThanOrEqual(25 + 11);
    expect(fullMs / (clock.t - 1000)).toBeLessThan(0.36);
  });
});
