/**
 * `pgtrail export` as an operator runs it (the built binary) against receivers that fail and an
 * exporter that is killed: every event record arrives at least once, in journal order within each
 * delivery, and the cursor never passes a record whose delivery failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/defaults.js';
import { readJournal } from '../recorder/journal-reader.js';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { ensureSigningKey } from '../recorder/signing-key.js';
import { sampleSession } from '../recorder/testing/sample-events.js';

const pgtrailBin = join(import.meta.dirname, '..', 'dist', 'bin', 'pgtrail.js');
const secret = 'siem-test-secret';

interface Delivery {
  readonly seqs: number[];
  readonly accepted: boolean;
}

/** A webhook that checks the signature, records each delivery and answers 500 while `failing()`. */
async function webhook(failing: (body: string) => boolean) {
  const deliveries: Delivery[] = [];
  let badSignatures = 0;
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      if (req.headers['x-pgtrail-signature-256'] !== expected) badSignatures++;
      const text = body.toString('utf8');
      const seqs = text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq);
      const accepted = !failing(text);
      deliveries.push({ seqs, accepted });
      // A little latency, so the exporter is mid-stream when it is killed.
      setTimeout(() => res.writeHead(accepted ? 200 : 500).end(), 15);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    badSignatures: () => badSignatures,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function startExporter(journal: string, cursor: string, to: string, extra: string[] = []): ChildProcess {
  return spawn(
    process.execPath,
    [pgtrailBin, 'export', '--journal', journal, '--cursor', cursor, '--to', to, '--batch', '7', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGTRAIL_EXPORT_SECRET: secret } },
  );
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function cursorNext(cursor: string): number {
  return existsSync(cursor) ? (JSON.parse(readFileSync(cursor, 'utf8')) as { next: number }).next : 0;
}

describe('pgtrail export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-export-'));
  const journal = join(dir, 'journal');
  const eventSeqs: number[] = [];
  let size = 0;

  beforeAll(async () => {
    await ensureSigningKey(journal);
    const writer = await openJournalWriter({ ...defaultConfig.journal, dir: journal, checkpointEveryRecords: 50 });
    for (let s = 0; s < 6; s++) for (const event of sampleSession(`sess${s}`, 60)) void writer.append(event);
    await writer.close();
    for await (const entry of readJournal(journal)) {
      if (entry.event !== null) eventSeqs.push(entry.index);
      size = entry.index + 1;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('killed mid-stream and restarted: every record delivered at least once; none past a failed delivery marked done', async () => {
    const cursor = join(dir, 'cursor-http');
    // Deliveries holding record 150 or later fail until `heal`: the cursor must stop before the first of them.
    let healed = false;
    const hook = await webhook((text) => !healed && text.split('\n').some((l) => l && JSON.parse(l).seq >= 150));
    try {
      const first = startExporter(journal, cursor, hook.url, ['--follow']);
      let stderr = '';
      first.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const firstExit = exited(first);
      for (let i = 0; i < 500 && hook.deliveries.filter((d) => !d.accepted).length < 3; i++)
        await new Promise((r) => setTimeout(r, 20));
      const failed = hook.deliveries.filter((d) => !d.accepted);
      const failedFrom = Math.min(...failed.flatMap((d) => d.seqs));
      // It retried the same batch, never one after it.
      expect(new Set(failed.map((d) => d.seqs[0]))).toEqual(new Set([failedFrom]));
      // While failing, the exporter retries the same batch and the cursor stays at or before it.
      expect(cursorNext(cursor)).toBeLessThanOrEqual(failedFrom);
      expect(stderr).toContain('delivery failed, retrying');
      first.kill('SIGKILL');
      await firstExit;
      expect(cursorNext(cursor)).toBeLessThanOrEqual(failedFrom);
      expect(cursorNext(cursor)).toBeGreaterThan(0);

      healed = true;
      const before = hook.deliveries.length;
      const second = startExporter(journal, cursor, hook.url);
      expect(await exited(second)).toBe(0);
      expect(hook.badSignatures()).toBe(0);
      // The restart resumed where the cursor was, not from the start.
      expect(hook.deliveries[before]?.seqs[0]).toBeGreaterThan(0);
      const received = new Set(hook.deliveries.filter((d) => d.accepted).flatMap((d) => d.seqs));
      expect(eventSeqs.filter((s) => !received.has(s))).toEqual([]);
      for (const d of hook.deliveries) expect(d.seqs).toEqual([...d.seqs].sort((a, b) => a - b));
      expect(cursorNext(cursor)).toBe(size);
    } finally {
      await hook.close();
    }
  });

  it('writes JSON lines with the search --json fields, statements joined with their session', async () => {
    const cursor = join(dir, 'cursor-stdout');
    const child = startExporter(journal, cursor, 'stdout');
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    expect(await exited(child)).toBe(0);
    const records = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.seq)).toEqual(eventSeqs);
    const finished = records.find((r) => r.event === 'statement.finished');
    expect(finished).toMatchObject({
      session: 'sess0',
      statement: 1,
      user: 'app',
      database: 'app',
      role: 'app',
      client: '127.0.0.1:50432',
      application: 'psql',
      sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
      params: ['7919'],
      command: 'SELECT 1',
      rows: 1,
      error: null,
      duration_ms: 0.173,
      kind: 'select',
      finished: true,
    });
    expect(finished?.started_seq).toBeLessThan(finished?.seq as number);
    // A second run has nothing new to deliver.
    const again = startExporter(journal, cursor, 'stdout');
    let more = '';
    again.stdout?.on('data', (d: Buffer) => (more += d.toString()));
    expect(await exited(again)).toBe(0);
    expect(more).toBe('');
  });

  it('sends RFC 5424 messages over TCP with octet-counting framing', async () => {
    const frames: string[] = [];
    let buffered = Buffer.alloc(0);
    const server = createTcpServer((socket) => {
      socket.on('data', (d: Buffer) => {
        buffered = Buffer.concat([buffered, d]);
        for (;;) {
          const space = buffered.indexOf(0x20);
          if (space < 0) break;
          const length = Number(buffered.subarray(0, space).toString('ascii'));
          if (buffered.length < space + 1 + length) break;
          frames.push(buffered.subarray(space + 1, space + 1 + length).toString('utf8'));
          buffered = buffered.subarray(space + 1 + length);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const child = startExporter(journal, join(dir, 'cursor-syslog'), `tcp://127.0.0.1:${port}`, [
        '--format',
        'syslog',
      ]);
      expect(await exited(child)).toBe(0);
      for (let i = 0; i < 100 && frames.length < eventSeqs.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(frames).toHaveLength(eventSeqs.length);
      expect(frames[0]).toMatch(
        /^<109>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ pgtrail \d+ session\.opened \[pgtrail@32473 seq="\d+" session="sess0"\] \{/,
      );
      const json = JSON.parse(frames[1]!.slice(frames[1]!.indexOf('] ') + 2)) as { event: string };
      expect(json.event).toBe('statement.started');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
