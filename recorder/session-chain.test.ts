import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/defaults.js';
import { pruneJournal } from '../retention/prune-journal.js';
import type { TrailEvent } from './events.js';
import { openJournalWriter } from './journal-writer.js';
import { closingRecords } from './sessions-left-open.js';
import { ensureSigningKey, parseSigningKey } from './signing-key.js';
import { sampleSession } from './testing/sample-events.js';
import { verifyJournalDir } from './verify-journal-dir.js';
import { SessionChains } from './format/session-chain.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgtrail-chain-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.signing-key`, { force: true });
});

const options = () => ({ ...defaultConfig.journal, dir, durability: 'strict' as const, segmentMaxBytes: 4096 });

interface RawRecord {
  readonly line: string;
  readonly leaf: string;
  readonly record: { kind: string; event?: Record<string, unknown>; leaf?: string; was?: { session: string } };
}

async function rawRecords(journal: string): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for (const name of (await readdir(journal)).filter((n) => n.endsWith('.jsonl')).sort()) {
    const text = await readFile(join(journal, name), 'utf8');
    for (const line of text.split('\n').filter((l) => l !== '')) {
      const record = JSON.parse(line) as RawRecord['record'];
      const leaf =
        record.kind === 'pruned'
          ? record.leaf!
          : createHash('sha256')
              .update(Buffer.from([0]))
              .update(line)
              .digest('base64');
      out.push({ line, leaf, record });
    }
  }
  return out;
}

/** Each session's chained records in journal order: [sn, sprev, leaf] (pruned records: [null, null, leaf]). */
function chainsOf(records: readonly RawRecord[]): Map<string, [number | null, string | null, string][]> {
  const chains = new Map<string, [number | null, string | null, string][]>();
  for (const { record, leaf } of records) {
    const session = record.kind === 'pruned' ? record.was!.session : (record.event?.['session'] as string | undefined);
    if (session === undefined) continue;
    const sn = record.kind === 'pruned' ? null : record.event!['sn'];
    if (sn !== null && typeof sn !== 'number') continue;
    const list = chains.get(session) ?? [];
    chains.set(session, list);
    list.push([sn, sn === null ? null : (record.event!['sprev'] as string), leaf]);
  }
  return chains;
}

const zero = Buffer.alloc(32).toString('base64');

function expectUnbroken(chain: readonly [number | null, string | null, string][]): void {
  chain.forEach(([sn, sprev], k) => {
    if (sn === null) return;
    expect(sn).toBe(k + 1);
    expect(sprev).toBe(k === 0 ? zero : chain[k - 1]![2]);
  });
}

describe('the session chain (format 3)', () => {
  it('chains each session from its opening to its close, interleaved, across segments; other events carry none', async () => {
    const vkey = await ensureSigningKey(dir);
    const writer = await openJournalWriter(options());
    const a = sampleSession('sess-a', 30);
    const b = sampleSession('sess-b', 12);
    const authFailed: TrailEvent = {
      type: 'session.auth_failed',
      ts: 1_764_115_200_000,
      session: 'failed-1',
      user: 'mallory',
      database: 'app',
      client: { address: '127.0.0.1', port: 1 },
      application: 'psql',
      code: '28P01',
      reason: 'password authentication failed',
      method: 'passthrough',
    };
    for (let k = 0; k < Math.max(a.length, b.length); k++) {
      if (a[k] !== undefined) await writer.append(a[k]!);
      if (b[k] !== undefined) writer.appendWithoutWaiting(b[k]!);
      if (k === 3) await writer.append(authFailed);
    }
    await writer.close();

    const records = await rawRecords(dir);
    const chains = chainsOf(records);
    expect([...chains.keys()].sort()).toEqual(['sess-a', 'sess-b']);
    expect(chains.get('sess-a')!.length).toBe(a.length);
    expect(chains.get('sess-b')!.length).toBe(b.length);
    expectUnbroken(chains.get('sess-a')!);
    expectUnbroken(chains.get('sess-b')!);
    // The close's sn is the session's record count.
    const closeA = records.find(
      (r) => r.record.event?.['type'] === 'session.closed' && r.record.event['session'] === 'sess-a',
    );
    expect(closeA!.record.event!['sn']).toBe(a.length);
    const failed = records.find((r) => r.record.event?.['session'] === 'failed-1')!;
    expect(failed.record.event!['sn']).toBeUndefined();
    expect(failed.line.endsWith('"method":"passthrough"}}')).toBe(true);

    const report = await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null });
    expect(report.findings).toEqual([]);
    expect(report.intact).toBe(true);
  });

  it('continues a session left open across a restart, closes it with proxy_stopped in the chain, and survives pruning', async () => {
    const vkey = await ensureSigningKey(dir);
    const first = await openJournalWriter(options());
    for (const e of sampleSession('done', 10)) await first.append(e);
    const live = sampleSession('live', 20);
    for (const e of live.slice(0, 9)) await first.append(e);
    const crashed = sampleSession('crashed', 8).filter((e) => e.type !== 'session.closed');
    for (const e of crashed) await first.append(e);
    await first.close();

    // A session that goes on after the restart (a proxy streaming to a recorder service that restarted).
    const second = await openJournalWriter(options());
    expect(second.leftOpen.sessions.map((s) => s.session)).toEqual(['live', 'crashed']);
    for (const e of live.slice(9)) await second.append(e);
    const closes = closingRecords(
      second.leftOpen.sessions.filter((s) => s.session === 'crashed'),
      second.leftOpen.lastEventTs,
      1_800_000_000_000,
    );
    for (const e of closes) await second.append(e);
    await second.close();

    let chains = chainsOf(await rawRecords(dir));
    expect(chains.get('live')!.length).toBe(live.length);
    expect(chains.get('crashed')!.length).toBe(crashed.length + 1);
    for (const chain of chains.values()) expectUnbroken(chain);
    expect((await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null })).findings).toEqual([]);

    // Retention: pruned records keep their leaf, so the chain still verifies and the count holds.
    const pruned = await pruneJournal({ dir, before: 1_764_115_200_005, keepSessionsOpen: false });
    expect(pruned.pruned).toBeGreaterThan(0);
    chains = chainsOf(await rawRecords(dir));
    expect(chains.get('live')!.some(([sn]) => sn === null)).toBe(true);
    for (const chain of chains.values()) expectUnbroken(chain);
    const report = await verifyJournalDir(dir, { pinnedKeys: [vkey], stateFile: null });
    expect(report.findings).toEqual([]);
    // And a writer reopening the pruned journal continues the chains it finds.
    const third = await openJournalWriter(options());
    await third.close();
  });

  it('leaves a journal of an older format without chains, and it still verifies', async () => {
    await cp(join(import.meta.dirname, 'testing', 'example-journal'), dir, { recursive: true });
    // The example's test key (docs/journal-format.md §8: seed 32 × 0x07).
    const seed = Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 7)]).toString('base64');
    const key = parseSigningKey(`PRIVATE+KEY+pgtrail/5eed5eed5eed5eed+12273791+${seed}`);
    const writer = await openJournalWriter({ ...options(), signingKey: key });
    for (const e of sampleSession('old-format', 6)) await writer.append(e);
    await writer.close();
    const records = await rawRecords(dir);
    expect(records.some((r) => r.record.event !== undefined && 'sn' in r.record.event)).toBe(false);
    const report = await verifyJournalDir(dir, { pinnedKeys: [key.verifierKey], stateFile: null });
    expect(report.findings).toEqual([]);
  });
});

describe('SessionChains', () => {
  const enc = new TextEncoder();
  const leafOf = (n: number): Uint8Array => new Uint8Array(32).fill(n);
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  const event = (type: string, session: string, chain: { sprev: Uint8Array; sn: number } | null): Uint8Array =>
    enc.encode(
      `{"type":"${type}","ts":1,"session":"${session}","x":"y"${chain === null ? '' : `,"sprev":"${b64(chain.sprev)}","sn":${chain.sn}`}}`,
    );
  const check = (chains: SessionChains, bytes: Uint8Array, leaf: Uint8Array) =>
    chains.event(bytes, 0, bytes.length, leaf);

  it('accepts an unbroken chain and reports a record removed, repeated, or chained to the wrong record', () => {
    const good = new SessionChains();
    expect(check(good, event('session.opened', 's', { sprev: leafOf(0), sn: 1 }), leafOf(1))).toBeNull();
    expect(check(good, event('statement.started', 's', { sprev: leafOf(1), sn: 2 }), leafOf(2))).toBeNull();
    expect(check(good, event('session.auth_failed', 'other', null), leafOf(9))).toBeNull();
    expect(check(good, event('session.closed', 's', { sprev: leafOf(2), sn: 3 }), leafOf(3))).toBeNull();
    expect(good.open.size).toBe(0);

    const removed = new SessionChains();
    check(removed, event('session.opened', 's', { sprev: leafOf(0), sn: 1 }), leafOf(1));
    expect(check(removed, event('session.closed', 's', { sprev: leafOf(2), sn: 3 }), leafOf(3))).toMatch(
      /record 3 of its session but is record 2/,
    );

    const wrongLink = new SessionChains();
    check(wrongLink, event('session.opened', 's', { sprev: leafOf(0), sn: 1 }), leafOf(1));
    expect(check(wrongLink, event('statement.started', 's', { sprev: leafOf(7), sn: 2 }), leafOf(2))).toMatch(/sprev/);

    const missing = new SessionChains();
    check(missing, event('session.opened', 's', { sprev: leafOf(0), sn: 1 }), leafOf(1));
    expect(check(missing, event('statement.started', 's', null), leafOf(2))).toMatch(/lacks/);

    const stray = new SessionChains();
    expect(check(stray, event('statement.started', 'nobody', { sprev: leafOf(0), sn: 1 }), leafOf(1))).toMatch(
      /not open/,
    );
  });
});
