/**
 * The metrics of the journal's witnessing and of the recorder service, scraped from real processes:
 * `pgtrail start --metrics` sending its checkpoints to a real `pgtrail witness` (and to a witness
 * that is down), and `pgtrail recorder --metrics` with two proxies streaming to it, one instance
 * beyond the label cap, and a peer with a wrong token.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { freePort } from '../embedded/postgres-server.js';
import { subprotocol } from '../recorder/wire/recorder-frames.js';
import { spawnPgtrail } from './support/pgtrail-child.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';
import { startWitnessProcess } from './support/witness-process.js';

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

/** Scrapes until `ready` holds of the samples (or 20 s pass); returns the last scrape. */
async function scrapeUntil(port: number, ready: (m: Map<string, number>) => boolean): Promise<Map<string, number>> {
  let m = new Map<string, number>();
  for (const until = Date.now() + 20_000; Date.now() < until; ) {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    m = samples(await res.text());
    if (ready(m)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return m;
}

async function queries(port: number, count: number): Promise<void> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user: testRoles.scram.user,
    password: testRoles.scram.password,
    database: 'app',
  });
  await c.connect();
  for (let i = 0; i < count; i++) await c.query('select $1::int as metrics_marker', [i]);
  await c.end();
}

describe('witness and recorder service metrics', () => {
  const server = inject('postgres');
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-metrics-wr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const upstream = `postgres://${server.host}:${server.port}/?sslmode=disable`;

  it('counts cosignatures of a real witness and failures of a witness that is down, with the lag of each', async () => {
    const journal = join(dir, 'witnessed');
    const keygen = await runCommand('keygen', ['--journal', journal]);
    expect(keygen.code).toBe(0);
    const witness = await startWitnessProcess(join(dir, 'witness-state'), [keygen.stdout.trim()], 0, 'witness.test/up');
    const down = await startWitnessProcess(join(dir, 'witness-down'), [keygen.stdout.trim()], 0, 'witness.test/down');
    const downVkey = down.vkey;
    await down.stop();
    const config = join(dir, 'witnessed.yaml');
    writeFileSync(
      config,
      stringify({
        journal: {
          dir: journal,
          checkpointEveryMs: 100,
          witnesses: [
            { url: witness.url, vkey: witness.vkey },
            { url: down.url, vkey: downVkey },
          ],
        },
      }),
    );
    const port = await freePort();
    const metricsPort = await freePort();
    const proxy = spawnPgtrail([
      'start',
      '--config',
      config,
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      upstream,
      '--metrics',
      `127.0.0.1:${metricsPort}`,
    ]);
    try {
      await proxy.waitFor(/listening on/);
      await queries(port, 5);
      const up = 'witness="witness.test/up"';
      const m = await scrapeUntil(
        metricsPort,
        (s) =>
          (s.get(`pgtrail_witness_cosignatures_total{${up},result="cosigned"}`) ?? 0) >= 1 &&
          (s.get(`pgtrail_witness_lag_records{${up}}`) ?? 1) === 0 &&
          (s.get('pgtrail_witness_cosignatures_total{witness="witness.test/down",result="failed"}') ?? 0) >= 1 &&
          (s.get('pgtrail_journal_checkpoint_tree_size') ?? 0) >= 10,
      );
      expect(m.get(`pgtrail_witness_cosignatures_total{${up},result="cosigned"}`)).toBeGreaterThanOrEqual(1);
      expect(m.get(`pgtrail_witness_cosignatures_total{${up},result="failed"}`)).toBe(0);
      expect(m.get(`pgtrail_witness_alarms_total{${up}}`)).toBe(0);
      // The witness is level with the latest checkpoint: what it cosigned is what was signed.
      expect(m.get(`pgtrail_witness_cosigned_tree_size{${up}}`)).toBeGreaterThanOrEqual(10);
      expect(m.get(`pgtrail_witness_lag_records{${up}}`)).toBe(0);
      const downLabels = 'witness="witness.test/down"';
      expect(m.get(`pgtrail_witness_cosignatures_total{${downLabels},result="failed"}`)).toBeGreaterThanOrEqual(1);
      expect(m.get(`pgtrail_witness_cosignatures_total{${downLabels},result="cosigned"}`)).toBe(0);
      // Never cosigned: its size is not known, so it has no size or lag sample.
      expect(m.has(`pgtrail_witness_cosigned_tree_size{${downLabels}}`)).toBe(false);
      expect(m.get('pgtrail_journal_checkpoint_lag_records')).toBeGreaterThanOrEqual(0);
    } finally {
      expect(await proxy.stop()).toBe(0);
      await witness.stop();
    }
  });

  it('pgtrail recorder --metrics: connected proxies, acknowledged sequence per instance (capped), refused peers, its journal', async () => {
    const tokenFile = join(dir, 'token');
    const token = 'metrics-recorder-token-0123456789';
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const config = join(dir, 'recorder.yaml');
    writeFileSync(
      config,
      stringify({ journal: { checkpointEveryMs: 100 }, recorderService: { maxInstanceLabels: 1 } }),
    );
    const recorderPort = await freePort();
    const metricsPort = await freePort();
    const recorder = spawnPgtrail([
      'recorder',
      '--config',
      config,
      '--listen',
      `127.0.0.1:${recorderPort}`,
      '--journal',
      join(dir, 'recorded'),
      '--token-file',
      tokenFile,
      '--metrics',
      `127.0.0.1:${metricsPort}`,
    ]);
    const proxyPorts = [await freePort(), await freePort()];
    const proxy = (instance: string, i: number) =>
      spawnPgtrail([
        'start',
        '--listen',
        `127.0.0.1:${proxyPorts[i]}`,
        '--upstream',
        upstream,
        '--recorder',
        `ws://127.0.0.1:${recorderPort}`,
        '--recorder-token-file',
        tokenFile,
        '--instance',
        instance,
      ]);
    const proxies = [proxy('metrics-a', 0)];
    try {
      await recorder.waitFor(new RegExp(`metrics on http://127\\.0\\.0\\.1:${metricsPort}/metrics`));
      // metrics-a connects first and takes the one labelled slot; metrics-b comes after it.
      await proxies[0]!.waitFor(/listening on/);
      await scrapeUntil(metricsPort, (s) => s.get('pgtrail_recorder_instances_connected') === 1);
      proxies.push(proxy('metrics-b', 1));
      await proxies[1]!.waitFor(/listening on/);
      await queries(proxyPorts[0]!, 4);
      await queries(proxyPorts[1]!, 2);

      const refused = new WebSocket(`ws://127.0.0.1:${recorderPort}`, subprotocol, {
        headers: { authorization: 'Bearer not-a-token-of-this-recorder' },
      });
      const status = await new Promise<number>((resolve) => {
        refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        refused.on('error', () => resolve(-1));
      });
      expect(status).toBe(401);

      const a = 'instance="metrics-a"';
      const m = await scrapeUntil(
        metricsPort,
        (s) =>
          s.get('pgtrail_recorder_instances_connected') === 2 &&
          (s.get(`pgtrail_recorder_instance_acknowledged_seq{${a}}`) ?? 0) >= 10 &&
          (s.get('pgtrail_recorder_events_total') ?? 0) >= 20 &&
          s.get(`pgtrail_recorder_instance_unacknowledged_events{${a}}`) === 0 &&
          (s.get('pgtrail_journal_checkpoints_total') ?? 0) >= 1,
      );
      expect(m.get('pgtrail_recorder_connections_open')).toBe(2);
      expect(m.get('pgtrail_recorder_instances_connected')).toBe(2);
      expect(m.get(`pgtrail_recorder_instance_connected{${a}}`)).toBe(1);
      // metrics-a: opened, 4 x (started, finished), closed = 10 events at least (its numbers run 1, 2, ...).
      expect(m.get(`pgtrail_recorder_instance_acknowledged_seq{${a}}`)).toBeGreaterThanOrEqual(10);
      expect(m.get(`pgtrail_recorder_instance_unacknowledged_events{${a}}`)).toBe(0);
      // The cap is 1: metrics-b has no series of its own; its events in flight count under _other.
      expect([...m.keys()].some((k) => k.includes('metrics-b'))).toBe(false);
      expect(m.get('pgtrail_recorder_instance_unacknowledged_events{instance="_other"}')).toBe(0);
      expect(m.has('pgtrail_recorder_instance_acknowledged_seq{instance="_other"}')).toBe(false);
      expect(m.get('pgtrail_recorder_refused_total{reason="unauthorized"}')).toBe(1);
      expect(m.get('pgtrail_recorder_events_total')).toBeGreaterThanOrEqual(16);
      expect(m.get('pgtrail_recorder_batches_total')).toBeGreaterThanOrEqual(1);
      expect(m.get('pgtrail_recorder_duplicate_events_total')).toBe(0);
      expect(m.get('pgtrail_journal_records_appended_total')).toBeGreaterThanOrEqual(16);
      expect(m.get('pgtrail_journal_durable_write_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(m.get('pgtrail_journal_checkpoints_total')).toBeGreaterThanOrEqual(1);
      expect(m.get('pgtrail_journal_failed')).toBe(0);
      expect(m.get('process_cpu_seconds_total')).toBeGreaterThan(0);

      // A proxy that goes away: its instance reads 0, and its acknowledged number stays.
      await proxies[0]!.stop();
      const after = await scrapeUntil(metricsPort, (s) => s.get(`pgtrail_recorder_instance_connected{${a}}`) === 0);
      expect(after.get(`pgtrail_recorder_instance_connected{${a}}`)).toBe(0);
      expect(after.get(`pgtrail_recorder_instance_acknowledged_seq{${a}}`)).toBeGreaterThanOrEqual(10);
      expect(after.get('pgtrail_recorder_instances_connected')).toBe(1);
    } finally {
      for (const p of proxies) await p.stop();
      expect(await recorder.stop()).toBe(0);
    }
  });
});
