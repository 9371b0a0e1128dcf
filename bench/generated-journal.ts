/**
 * The journal the search and viewer benchmarks read: `statements` statements in sessions of 100,
 * 20 at a time, over 30 days from 2026-01-01, written through the journal sink in batched
 * durability as the proxy writes them (search/testing/generated-trail.ts makes the events).
 */
import { defaultConfig } from '../config/defaults.js';
import { createJournalSink } from '../recorder/journal-sink.js';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { createSigningKey } from '../recorder/signing-key.js';
import { generateTrail } from '../search/testing/generated-trail.js';

/** A day in milliseconds. */
export const day = 86_400_000;
/** When the generated traffic starts. */
export const generatedStartMs = Date.parse('2026-01-01T00:00:00Z');
const start = generatedStartMs;
const statementsPerSession = 100;

/** How many sessions a generated journal of `statements` statements holds. */
export function generatedSessions(statements: number): number {
  return Math.max(1, Math.ceil(statements / statementsPerSession));
}

/** Creates a signing key and a journal in `dir` and writes the generated trail into it. */
export async function writeGeneratedJournal(dir: string, statements: number): Promise<void> {
  const shape = {
    sessions: generatedSessions(statements),
    statementsPerSession,
    startMs: start,
    stepMs: (30 * day) / statements,
    concurrent: 20,
  };
  await createSigningKey(dir);
  const writer = await openJournalWriter({ ...defaultConfig.journal, dir, durability: 'batched' });
  const sink = createJournalSink(writer, 'batched');
  let n = 0;
  for (const event of generateTrail(shape)) {
    await sink.record(event);
    if (++n % 50_000 === 0) await writer.flush();
  }
  await writer.close();
}
