/**
 * Whole numbers in decimal, written as ASCII bytes without making a string: the journal writes
 * several per record (its index, the session chain's `sn`, the relay sequence number, whole numbers
 * in the event JSON). The digits come from 32-bit integer arithmetic, a number of 1e9 and above
 * in two parts, which V8 compiles to multiplications where Math.floor(n / 10) is a division.
 * Exact for every whole number below 2^53.
 */

/** A whole number 0 <= n < 2^53 in decimal at `o`; returns the offset after it. */
export function writeDigits(n: number, out: Uint8Array, o: number): number {
  if (n < 1e9) return writeSmall(n | 0, out, o);
  const high = Math.floor(n / 1e9);
  o = writeSmall(high | 0, out, o);
  return writePadded(n - high * 1e9, 9, out, o);
}

/** 0 <= n < 1e9 as exactly `digits` digits (at most 9), leading zeros included; returns the offset after it. */
export function writePadded(n: number, digits: number, out: Uint8Array, o: number): number {
  let rest = n | 0;
  for (let i = digits - 1; i >= 0; i--) {
    const tenth = (rest / 10) | 0;
    out[o + i] = 48 + rest - tenth * 10;
    rest = tenth;
  }
  return o + digits;
}

/** 0 <= n < 1e9 in decimal. */
function writeSmall(n: number, out: Uint8Array, o: number): number {
  let digits = 1;
  for (let r = n; r >= 10; r = (r / 10) | 0) digits++;
  return writePadded(n, digits, out, o);
}
