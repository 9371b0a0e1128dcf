import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeDigits } from './format/decimal-digits.js';
import { fractionUnsupported, writeFraction } from './json-fraction.js';

const out = Buffer.alloc(64);

/** writeFraction's text, or null when it leaves the number to String(n). */
function written(n: number): string | null {
  const end = writeFraction(n, out, 5);
  return end === fractionUnsupported ? null : out.toString('latin1', 5, end);
}

/** Doubles with a fraction, as the journal's timestamps are: timeOrigin + now(), any sub-ms part. */
const timestamps = fc
  .tuple(fc.integer({ min: 1_600_000_000_000, max: 4_000_000_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([ms, fraction]) => ms + fraction);

describe('writeFraction', () => {
  it('writes String(n) for generated timestamps', () => {
    fc.assert(
      fc.property(timestamps, (n) => {
        const text = written(n);
        if (text !== null) expect(text).toBe(String(n));
      }),
      { numRuns: 20_000 },
    );
  });

  it('writes String(n) for any double from 1 to 2^53, or leaves it', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 2 ** 53, noNaN: true }), (n) => {
        const text = written(n);
        if (text !== null) expect(text).toBe(String(n));
      }),
      { numRuns: 20_000 },
    );
  });

  it('writes every timestamp of a run of performance.now(), and neighbours of powers of two and ten', () => {
    let handled = 0;
    const samples: number[] = [];
    for (let i = 0; i < 50_000; i++) samples.push(performance.timeOrigin + performance.now() + i * 0.0137);
    for (let e = 1; e < 53; e++) {
      for (const base of [2 ** e, 10 ** Math.min(15, e)]) {
        let below = base;
        let above = base;
        for (let i = 0; i < 8; i++) {
          below = nextDown(below);
          above = nextUp(above);
          samples.push(below, above);
        }
      }
    }
    for (const n of samples) {
      const text = written(n);
      if (text === null) continue;
      handled++;
      expect(text).toBe(String(n));
    }
    // The timestamps are what it is for: all of them are written here, not left to String(n).
    expect(handled).toBeGreaterThanOrEqual(50_000 - 50);
  });

  it('leaves whole numbers, numbers below 1, 2^53 and above, and NaN', () => {
    for (const n of [0, 0.5, 0.999, 12, 2 ** 53, 2 ** 60 + 0.5, -1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(writeFraction(n, out, 0)).toBe(fractionUnsupported);
    }
  });

  it('writes whole numbers in decimal (format/decimal-digits.ts), below 1e9 and above', () => {
    for (const n of [0, 7, 10, 99, 100, 999_999_999, 1e9, 1_000_000_007, 1_764_115_200_123, 2 ** 53 - 1]) {
      const end = writeDigits(n, out, 2);
      expect(out.toString('latin1', 2, end)).toBe(String(n));
    }
  });
});

const view = new DataView(new ArrayBuffer(8));
/** The next double above a positive n. */
function nextUp(n: number): number {
  view.setFloat64(0, n);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}
/** The next double below a positive n. */
function nextDown(n: number): number {
  view.setFloat64(0, n);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
}
