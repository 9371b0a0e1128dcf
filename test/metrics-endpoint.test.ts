/**
 * Scrapes a running `pgtrail start --metrics` (the built binary, as an operator runs it) after real
 * client traffic, and checks that each metric of docs/metrics.md moved as the traffic says it must,
 * and that no SQL reaches the endpoint.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';
import { spawnPgtrail } from './support/pgtrail-child.js';
import { testRoles } from './support/test-roles.js';

const pgtrailBin = join(import.meta.dirname, '..', 'dist', 'bin', 'pgtrail.js');

/** Parses the Prometheus text format into `name{labels}` -> value (labels as printed). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('metrics endpoint', () => {
  const server = inject('postgres');
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-metrics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts connections, sessions, statements, bytes and journal records of real traffic; no SQL in it', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        pgtrailBin,
        'start',
        '--listen',
        `127.0.0.1:${port}`,
        '--metrics',
        `127.0.0.1:${metricsPort}`,
        '--journal',
        join(dir, 'journal'),
        '--upstream',
        `postgres://${server.host}:${server.port}/?sslmode=disable`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 500 && !out.includes('listening on'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(out).toContain(`metrics on http://127.0.0.1:${metricsPort}/metrics`);

      const scrape = async () => {
        const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        return res.text();
      };
      const before = samples(await scrape());
      expect(before.get('pgtrail_statements_total')).toBeUndefined();

      const connect = (password: string) =>
        new pg.Client({ host: '127.0.0.1', port, user: testRoles.scram.user, password, database: 'app' });
      const c = connect(testRoles.scram.password);
      await c.connect();
      await c.query('select 1 as metrics_marker_sql');
      await c.query('select $1::int as metrics_marker_sql', [2]);
      await expect(c.query('select metrics_marker_nope')).rejects.toThrow();
      await c.query('create temp table metrics_t (x int)');
      await c.query('insert into metrics_t values (1), (2)');
      await c.end();
      const bad = connect('wrong-password');
      bad.on('error', () => {});
      await expect(bad.connect()).rejects.toThrow();

      // The session's close is recorded after the client has gone: wait for it rather than race it.
      let text = '';
      for (let i = 0; i < 200; i++) {
        text = await scrape();
        if ((samples(text).get('pgtrail_connections_closed_total{outcome="refused"}') ?? 0) >= 1) {
          if ((samples(text).get('pgtrail_sessions_open') ?? 1) === 0) break;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      const m = samples(text);
      expect(text).not.toContain('metrics_marker');
      expect(m.get('pgtrail_connections_accepted_total')).toBe(2);
      expect(m.get('pgtrail_connections_closed_total{outcome="forwarded"}')).toBe(1);
      expect(m.get('pgtrail_connections_closed_total{outcome="refused"}')).toBe(1);
      expect(m.get('pgtrail_connections_open')).toBe(0);
      expect(m.get('pgtrail_sessions_total{method="passthrough",result="ok"}')).toBe(1);
      expect(m.get('pgtrail_sessions_total{method="unknown",result="failed"}')).toBe(1);
      expect(m.get('pgtrail_sessions_open')).toBe(0);
      expect(m.get('pgtrail_statements_total{kind="select",outcome="ok"}')).toBe(2);
      expect(m.get('pgtrail_statements_total{kind="select",outcome="error"}')).toBe(1);
      expect(m.get('pgtrail_statements_total{kind="ddl",outcome="ok"}')).toBe(1);
      expect(m.get('pgtrail_statements_total{kind="insert",outcome="ok"}')).toBe(1);
      expect(m.get('pgtrail_user_statements_total{user="app",database="app"}')).toBe(5);
      expect(m.get('pgtrail_statement_duration_seconds_count')).toBe(5);
      expect(m.get('pgtrail_statement_duration_seconds_bucket{le="+Inf"}')).toBe(5);
      expect(m.get('pgtrail_forwarded_bytes_total{direction="client_to_server"}')).toBeGreaterThan(50);
      expect(m.get('pgtrail_forwarded_bytes_total{direction="server_to_client"}')).toBeGreaterThan(50);
      // Each statement's records (a statement refused before it ran is one record), opened,
      // auth_failed and closed, and checkpoints besides; the journal also holds started + checkpoint.
      expect(m.get('pgtrail_journal_records_appended_total')).toBeGreaterThanOrEqual(12);
      expect(m.get('pgtrail_journal_durable_records')).toBeGreaterThanOrEqual(14);
      expect(m.get('pgtrail_journal_durable_write_seconds_count')).toBeGreaterThan(0);
      expect(m.get('pgtrail_journal_checkpoints_total')).toBeGreaterThanOrEqual(1);
      expect(m.get('pgtrail_journal_checkpoint_tree_size')).toBeGreaterThanOrEqual(1);
      expect(m.get('pgtrail_journal_queue_records')).toBe(0);
      expect(m.get('pgtrail_journal_failed')).toBe(0);
      expect(m.get('process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(m.has('nodejs_heap_size_used_bytes')).toBe(true);
      expect(m.has('nodejs_gc_duration_seconds_count')).toBe(false);
      // Strict durability records on the forwarding thread: there is no recording thread to wait for.
      expect([...m.keys()].some((k) => k.startsWith('pgtrail_recording_thread_'))).toBe(false);

      expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).toBe(405);
      const head = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses to start when the metrics address is in use (METRICS_LISTEN_FAILED, exit 2)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const metricsPort = address !== null && typeof address === 'object' ? address.port : 0;
    try {
      const child = spawnPgtrail([
        'start',
        '--listen',
        `127.0.0.1:${await freePort()}`,
        '--metrics',
        `127.0.0.1:${metricsPort}`,
        '--journal',
        join(dir, 'journal-taken'),
        '--upstream',
        `postgres://${server.host}:${server.port}/?sslmode=disable`,
      ]);
      expect(await child.exited).toBe(2);
      expect(child.output()).toContain(`cannot listen for metrics on 127.0.0.1:${metricsPort} [METRICS_LISTEN_FAILED]`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  for (const durability of ['strict', 'batched'] as const) {
    it(`with a remote journal (${durability}${durability === 'batched' ? ', on the recording thread' : ''}), reports the recorder link and the events it has not acknowledged`, async () => {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, 'metrics-test-token-0123456789\n', { mode: 0o600 });
      const recorderPort = await freePort();
      const metricsPort = await freePort();
      const proxyPort = await freePort();
      const recorder = spawnPgtrail([
        'recorder',
        '--listen',
        `127.0.0.1:${recorderPort}`,
        '--journal',
        join(dir, `remote-journal-${durability}`),
        '--token-file',
        tokenFile,
      ]);
      const batched = durability === 'batched' ? ['--spool', join(dir, 'spool')] : [];
      const proxy = spawnPgtrail([
        'start',
        '--listen',
        `127.0.0.1:${proxyPort}`,
        '--upstream',
        `postgres://${server.host}:${server.port}/?sslmode=disable`,
        '--durability',
        durability,
        ...batched,
        '--recorder',
        `ws://127.0.0.1:${recorderPort}`,
        '--recorder-token-file',
        tokenFile,
        '--metrics',
        `127.0.0.1:${metricsPort}`,
      ]);
      try {
        await recorder.waitFor(/recorder listening/);
        await proxy.waitFor(/listening on/);
        let m = new Map<string, number>();
        for (let i = 0; i < 200 && m.get('pgtrail_recorder_link_up') !== 1; i++) {
          m = samples(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
          await new Promise((r) => setTimeout(r, 25));
        }
        expect(m.get('pgtrail_recorder_link_up')).toBe(1);
        expect(m.get('pgtrail_recorder_unacknowledged_events')).toBe(0);
        expect(m.get('pgtrail_recorder_spool_bytes')).toBe(0);
        // No journal in this process: its journal gauges read 0.
        expect(m.get('pgtrail_journal_durable_records')).toBe(0);
        // Served only with a recording thread, which batched durability records on.
        expect(m.has('pgtrail_recording_thread_waits_total{reason="lag"}')).toBe(durability === 'batched');

        await recorder.stop('SIGKILL');
        for (let i = 0; i < 200 && m.get('pgtrail_recorder_link_up') !== 0; i++) {
          m = samples(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
          await new Promise((r) => setTimeout(r, 25));
        }
        expect(m.get('pgtrail_recorder_link_up')).toBe(0);
        if (durability === 'batched') {
          // The recorder down: a batched session's events wait, counted, and go to the spool.
          const c = new pg.Client({ host: '127.0.0.1', port: proxyPort, database: 'app', ...testRoles.scram });
          await c.connect();
          await c.query('SELECT 1');
          await c.end();
          for (let i = 0; i < 200 && (m.get('pgtrail_recorder_spool_bytes') ?? 0) === 0; i++) {
            m = samples(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
            await new Promise((r) => setTimeout(r, 25));
          }
          expect(m.get('pgtrail_recorder_unacknowledged_events')).toBeGreaterThanOrEqual(3);
          expect(m.get('pgtrail_recorder_spool_bytes')).toBeGreaterThan(0);
        }
      } finally {
        await proxy.stop();
        await recorder.stop();
      }
    });
  }
});
