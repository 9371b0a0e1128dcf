/**
 * The logs a witness vouches for: `ORIGIN=VKEY` pairs (repeat an origin to trust several keys, as
 * across a pgtrail key rotation). A bare VKEY stands for `<its key name>=VKEY`, since a pgtrail
 * journal's origin is its key's name.
 */
import { parseVerifierKey, type NoteVerifierKey } from '../recorder/format/note.js';
import type { Sha256 } from '../recorder/format/sha256.js';
import { WitnessError, WitnessErrorCode } from './witness-error.js';

/** Parses the --log values into trusted keys by origin; throws WitnessError(WITNESS_LOG_MALFORMED). */
export function parseWitnessedLogs(
  values: readonly string[],
  sha256: Sha256,
): ReadonlyMap<string, readonly NoteVerifierKey[]> {
  const logs = new Map<string, NoteVerifierKey[]>();
  for (const value of values) {
    // A vkey's first '+' comes after its name; an '=' before it separates an explicit origin.
    const plus = value.indexOf('+');
    const eq = value.indexOf('=');
    const explicit = eq > 0 && (plus < 0 || eq < plus);
    let key: NoteVerifierKey;
    try {
      key = parseVerifierKey(explicit ? value.slice(eq + 1) : value, sha256);
    } catch (err) {
      throw new WitnessError(WitnessErrorCode.logMalformed, `--log ${JSON.stringify(value)} is not ORIGIN=VKEY`, {
        cause: err,
      });
    }
    const origin = explicit ? value.slice(0, eq) : key.name;
    logs.set(origin, [...(logs.get(origin) ?? []), key]);
  }
  return logs;
}
