/**
 * Batched durability writes a statement that finishes within the batch window as one `statement`
 * record (docs/journal-format.md §14); strict keeps two records. The same traffic recorded both ways
 * must read the same everywhere users see it: `search --json` and `export` print the same statements
 * with the same fields (minus what differs between any two runs: record numbers, times, session ids,
 * client and proxy ports, durations), and both journals verify.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Durability } from '../config/config.js';
import { readJournal } from '../recorder/journal-reader.js';
import { startRecordingProxy, type RecordingProxy } from './support/recording-proxy.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';

type Row = Record<string, unknown>;

// Members that differ between any two runs of the same traffic.
const varying = new Set(['seq', 'started_seq', 'ts', 'session', 'client', 'instance', 'duration_ms']);

function comparable(rows: readonly Row[]): Row[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => !varying.has(key))));
}

async function traffic(rec: RecordingProxy): Promise<void> {
  const client = new pg.Client({
    host: rec.proxy.host,
    port: rec.proxy.port,
    user: testRoles.scram.user,
    password: testRoles.scram.password,
    database: 'app',
    application_name: 'one-record',
  });
  await client.connect();
  await client.query('drop table if exists one_record');
  await client.query('create table one_record (id int primary key, note text)');
  for (const id of [1, 2, 3]) await client.query('insert into one_record values ($1, $2)', [id, `n${id}`]);
  await client.query('select * from one_record order by id');
  await client.query('insert into one_record values (1, $1)', ['dup']).catch(() => undefined);
  await client.query('select 1 as a; select 2 as b');
  await client.query('begin');
  await client.query('update one_record set note = $1 where id = $2', ['changed', 2]);
  await client.query('commit');
  // Longer than half the batch window: its start is written before it finishes, as two records.
  await client.query('select pg_sleep(0.3)');
  await client.query('delete from one_record where id = 3');
  await client.end();
}

async function recordAndRead(server: ReturnType<typeof inject<'postgres'>>, durability: Durability) {
  // A 200 ms window: batches start at most every 100 ms, so on a loaded machine the short statements
  // still finish before a batch starts (and merge) while pg_sleep(0.3) is always cut in two.
  const rec = await startRecordingProxy(server, { durability, batchWindowMs: 200 });
  try {
    await traffic(rec);
    await new Promise((r) => setTimeout(r, 50));
    await rec.stop();
    const types: string[] = [];
    for await (const entry of readJournal(rec.journal)) if (entry.event !== null) types.push(entry.event.type);
    const search = await runCommand('search', ['--journal', rec.journal, '--json']);
    expect(search.code).toBe(0);
    const cursorDir = mkdtempSync(join(tmpdir(), 'pgtrail-cursor-'));
    const exported = await runCommand('export', ['--journal', rec.journal, '--cursor', join(cursorDir, 'cursor')]);
    rmSync(cursorDir, { recursive: true, force: true });
    expect(exported.code).toBe(0);
    const verify = await runCommand('verify', ['--journal', rec.journal]);
    expect(verify.code).toBe(0);
    const lines = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Row);
    return {
      types,
      search: lines(search.stdout).filter((r) => r['application'] === 'one-record'),
      export: lines(exported.stdout).filter((r) => String(r['event']).startsWith('statement.')),
    };
  } finally {
    await rec.stop();
    rec.remove();
  }
}

describe('one record per statement in batched durability', () => {
  const server = inject('postgres');
  let strict: Awaited<ReturnType<typeof recordAndRead>>;
  let batched: Awaited<ReturnType<typeof recordAndRead>>;

  beforeAll(async () => {
    strict = await recordAndRead(server, 'strict');
    batched = await recordAndRead(server, 'batched');
  }, 60_000);
  afterAll(() => undefined);

  it('writes statement records in batched durability only, and two records for a statement longer than the window', () => {
    expect(strict.types).not.toContain('statement');
    expect(batched.types.filter((t) => t === 'statement').length).toBeGreaterThan(5);
    // pg_sleep(0.3) outlasts half the window: its start was released before its finish came.
    expect(batched.types).toContain('statement.started');
    expect(batched.types).toContain('statement.finished');
  });

  it('search --json prints the same statements with the same fields', () => {
    expect(strict.search.length).toBeGreaterThan(10);
    expect(comparable(batched.search)).toEqual(comparable(strict.search));
  });

  it('export delivers every statement as the same statement.finished object, one object per record', () => {
    const finished = (rows: readonly Row[]) => rows.filter((r) => r['event'] === 'statement.finished');
    expect(finished(strict.export).length).toBe(strict.search.length);
    expect(comparable(finished(batched.export))).toEqual(comparable(finished(strict.export)));
    // A statement record is delivered as its statement.finished object alone, so `seq` stays unique.
    const seqs = batched.export.map((r) => r['seq']);
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
