/**
 * Number::toString (what JSON.stringify writes) of a number with a fractional part and at least 1,
 * written as ASCII bytes without making a string: the journal's timestamps (`ts`, `finishedTs`:
 * performance.timeOrigin + performance.now(), about 1.7e12 with a fraction) are such numbers, and
 * String(n) of them, a string allocated and the shortest-digits search in V8, was the largest
 * single cost of an event's JSON (bench/forwarding-thread-bench.ts).
 *
 * The rule (ECMA-262 Number::toString): the fewest significant digits whose decimal value rounds
 * back to n (round half to even), and of those the closest to n. For 1 <= n < 2^53 the integer
 * part is always written whole, so fewest digits means fewest fraction digits. With ulp = 2^-s the
 * gap between n and its neighbours, n = I + m·2^-s (I = floor(n), m an integer below 2^s), and the
 * decimal I + q/10^k rounds back to n when |q/10^k - m·2^-s| < 2^-(s+1), or equals it and n's last
 * mantissa bit (m's) is 0. In integers: |q·2^(s+1) - 2·m·10^k| < 10^k. The first k with such a q
 * (q is one of the two integers around m·10^k/2^s) gives the digits. Everything is exact while
 * 2^(s+1)·10^k stays below 2^53; beyond that, and for ties between two candidates, the caller falls
 * back to String(n). recorder/json-fraction.test.ts checks it against String(n).
 */

import { writeDigits, writePadded } from './format/decimal-digits.js';

/** writeFraction's answer when it cannot vouch for the digits: use String(n). */
export const fractionUnsupported = -1;

const exactLimit = 2 ** 53;
// 2^e for e in [0, 52]: n's binary exponent is found among them.
const powersOfTwo = Array.from({ length: 53 }, (_, e) => 2 ** e);

/**
 * Writes String(n) for a finite n with 1 <= n < 2^53 and a fractional part into `out` at `o`
 * (at most 25 bytes) and returns the offset after it, or fractionUnsupported (nothing of use written).
 */
export function writeFraction(n: number, out: Uint8Array, o: number): number {
  if (!(n >= 1 && n < exactLimit)) return fractionUnsupported;
  const whole = Math.floor(n);
  if (whole === n) return fractionUnsupported;
  // n's binary exponent: usually the last one (timestamps share it for years), else searched.
  let e = lastExponent;
  if (!(n >= powersOfTwo[e]! && n < powersOfTwo[e + 1]!)) {
    e = Math.floor(Math.log2(n));
    if (powersOfTwo[e]! > n) e--;
    else if (powersOfTwo[e + 1]! <= n) e++;
    lastExponent = e;
  }
  const s = 52 - e;
  const scale = powersOfTwo[s]!;
  const m = (n - whole) * scale;
  const evenMantissa = Math.floor(m * 0.5) * 2 === m;
  const inverse = 1 / scale;
  // Within the exact range k stays far below 9, which writePadded's 32-bit digits need.
  for (let k = 1, p = 10; k <= 9; k++, p *= 10) {
    if (2 * scale * (p + 1) >= exactLimit) return fractionUnsupported;
    const below = Math.floor(m * p * inverse);
    const dBelow = Math.abs(below * 2 * scale - 2 * m * p);
    const dAbove = Math.abs((below + 1) * 2 * scale - 2 * m * p);
    const okBelow = dBelow < p || (dBelow === p && evenMantissa);
    const okAbove = dAbove < p || (dAbove === p && evenMantissa);
    if (!okBelow && !okAbove) continue;
    if (okBelow && okAbove && dBelow === dAbove) return fractionUnsupported;
    const q = okBelow && (!okAbove || dBelow < dAbove) ? below : below + 1;
    if (q <= 0 || q >= p) return fractionUnsupported;
    o = writeDigits(whole, out, o);
    out[o++] = 0x2e; // .
    // q's k digits, leading zeros included (q has no trailing zero: k - 1 digits would have done).
    return writePadded(q, k, out, o);
  }
  return fractionUnsupported;
}

let lastExponent = 40;
