/**
 * `pgtrail start --durability batched` records on a recording thread by default (recording.thread:
 * auto, docs/recording-thread.md) and still serves the metrics and the viewer of its journal: the
 * event and journal metrics are counted on the recording thread and served with the forwarding
 * thread's in one scrape, and each viewing reaches the journal through the recording thread.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';
import { spawnPgtrail, type PgtrailChild } from './support/pgtrail-child.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';
import { loginCookie } from './support/viewer-fixture.js';

/** The Prometheus text as `name{labels}` -> value, and how often each metric family was described. */
function parse(text: string): { samples: Map<string, number>; helps: Map<string, number> } {
  const samples = new Map<string, number>();
  const helps = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const name = line.split(' ')[2] ?? '';
      helps.set(name, (helps.get(name) ?? 0) + 1);
    }
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { samples, helps };
}

describe('pgtrail start, batched: a recording thread that serves metrics and the viewer', () => {
  const server = inject('postgres');
  let dir: string;
  let journal: string;
  let port: number;
  let metricsPort: number;
  let proxy: PgtrailChild;
  let viewerUrl: URL;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pgtrail-thread-services-'));
    journal = join(dir, 'journal');
    port = await freePort();
    metricsPort = await freePort();
    const config = join(dir, 'pgtrail.yaml');
    writeFileSync(
      config,
      [
        'log: { level: warn }',
        'journal: { durability: batched }',
        'tls: { mode: disable }',
        `metrics: { enabled: true, listen: { host: 127.0.0.1, port: ${metricsPort} } }`,
        'viewer: { enabled: true, listen: { host: 127.0.0.1, port: 0 } }',
      ].join('\n'),
    );
    proxy = spawnPgtrail([
      'start',
      '--config',
      config,
      '--journal',
      journal,
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      `postgres://${server.host}:${server.port}/?sslmode=disable`,
    ]);
    const [, url] = (await proxy.waitFor(/viewer: (\S+)/)) as [string, string];
    viewerUrl = new URL(url);
  });
  afterAll(async () => {
    await proxy?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says it records on a worker thread', () => {
    expect(proxy.output()).toContain('(batched, recorded on a worker thread)');
    expect(proxy.output()).toContain(`metrics on http://127.0.0.1:${metricsPort}/metrics`);
  });

  it('serves the statement, session and journal metrics the recording thread counts, with the process and connection ones, once each', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port, ...testRoles.scram, database: 'app' });
    await client.connect();
    await client.query('select 1 as thread_metrics_marker');
    await client.query('select $1::int as thread_metrics_marker', [2]);
    await expect(client.query('select thread_metrics_nope')).rejects.toThrow();
    await client.query('create temp table thread_metrics_t (x int)');
    await client.end();

    // The recording thread reads what the forwarding thread copied every half batch window, and the
    // batch it then starts is counted once written (an empty queue alone may be a batch being written).
    let text = '';
    for (let i = 0; i < 200; i++) {
      text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const { samples } = parse(text);
      if (samples.get('pgtrail_sessions_open') === 0 && samples.get('pgtrail_journal_queue_records') === 0) {
        const written = (samples.get('pgtrail_journal_durable_records') ?? 0) >= 6;
        if (written && (samples.get('pgtrail_statement_duration_seconds_count') ?? 0) >= 4) break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    const { samples: m, helps } = parse(text);
    expect(text).not.toContain('thread_metrics');
    for (const [name, n] of helps) expect(n, name).toBe(1);
    // Counted on the recording thread.
    expect(m.get('pgtrail_sessions_total{method="passthrough",result="ok"}')).toBe(1);
    expect(m.get('pgtrail_sessions_open')).toBe(0);
    expect(m.get('pgtrail_statements_total{kind="select",outcome="ok"}')).toBe(2);
    expect(m.get('pgtrail_statements_total{kind="select",outcome="error"}')).toBe(1);
    expect(m.get('pgtrail_statements_total{kind="ddl",outcome="ok"}')).toBe(1);
    expect(m.get('pgtrail_user_statements_total{user="app",database="app"}')).toBe(4);
    expect(m.get('pgtrail_statement_duration_seconds_count')).toBe(4);
    // One record per statement in batched, opened and closed, and the journal's own.
    expect(m.get('pgtrail_journal_records_appended_total')).toBeGreaterThanOrEqual(6);
    expect(m.get('pgtrail_journal_durable_records')).toBeGreaterThanOrEqual(6);
    expect(m.get('pgtrail_journal_durable_write_seconds_count')).toBeGreaterThan(0);
    expect(m.get('pgtrail_journal_failed')).toBe(0);
    // Counted on the forwarding thread.
    expect(m.get('pgtrail_connections_accepted_total')).toBe(1);
    expect(m.get('pgtrail_connections_closed_total{outcome="forwarded"}')).toBe(1);
    expect(m.get('pgtrail_forwarded_bytes_total{direction="client_to_server"}')).toBeGreaterThan(50);
    expect(m.get('process_cpu_seconds_total')).toBeGreaterThan(0);
    // Served by the forwarding thread; four statements cannot fill a 16 MiB ring (the lag waits depend
    // on how the host schedules the thread: chunk-ring.test.ts tests them).
    expect(m.get('pgtrail_recording_thread_waits_total{reason="lag"}')).toBeGreaterThanOrEqual(0);
    expect(m.get('pgtrail_recording_thread_waits_total{reason="ring_full"}')).toBe(0);
  });

  it('records each viewing in the journal through the recording thread; the journal verifies', async () => {
    const base = viewerUrl.origin;
    const token = new URLSearchParams(viewerUrl.hash.slice(1)).get('login') ?? '';
    const cookie = await loginCookie(base, token);
    expect((await fetch(`${base}/api/search?user=app`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect(await proxy.stop()).toBe(0);

    const viewings = await runCommand('search', ['--journal', journal, '--viewings', '--json']);
    expect(viewings.code, viewings.stderr).toBe(0);
    const rows = viewings.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; target: string });
    expect(rows).toContainEqual(expect.objectContaining({ action: 'login' }));
    expect(rows).toContainEqual(expect.objectContaining({ action: 'search', target: 'user=app' }));
    const verify = await runCommand('verify', ['--journal', journal]);
    expect(verify.code, verify.stderr).toBe(0);
  });
});
