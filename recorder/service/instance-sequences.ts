/**
 * Per proxy instance, the last sequence number the journal holds. The journal is the only state the
 * recorder service keeps: at start it reads the `relay` member of every relayed event back, so a
 * restart after a crash (kill -9 included) knows exactly which events are durable, and a proxy that
 * resends them is told to skip them (Welcome) and has any that still come dropped as duplicates.
 */
import { readJournal } from '../journal-reader.js';

/** Instance name to its last durable sequence number. */
export type InstanceSequences = Map<string, number>;

/** Reads the last relayed sequence number of every instance from the journal in `dir`. */
export async function readInstanceSequences(dir: string): Promise<InstanceSequences> {
  const sequences: InstanceSequences = new Map();
  for await (const entry of readJournal(dir)) {
    const relay = relayOf(entry.event);
    if (relay === null) continue;
    if (relay.seq > (sequences.get(relay.instance) ?? 0)) sequences.set(relay.instance, relay.seq);
  }
  return sequences;
}

/** The relay member of a journal event, when it has a well-formed one. */
export function relayOf(event: unknown): { instance: string; seq: number } | null {
  if (typeof event !== 'object' || event === null) return null;
  const relay = (event as { relay?: unknown }).relay;
  if (typeof relay !== 'object' || relay === null) return null;
  const { instance, seq } = relay as { instance?: unknown; seq?: unknown };
  if (typeof instance !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq)) return null;
  return { instance, seq };
}
