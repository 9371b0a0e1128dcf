/**
 * replay --to keeps its promises (issue 13, points 5 and 6), on the command line against real
 * PostgreSQL servers with a real `pgtrail start` in front: a session is never re-executed on the
 * cluster it was recorded against, whether the target URL names that server, pgtrail itself or
 * another proxy in front of it (unless --force); and a statement whose text or parameters were
 * redacted is reported as skipped with that reason, never as the same outcome.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, type PostgresInfo } from '../embedded/postgres-server.js';
import { testRoles } from './support/test-roles.js';

const bin = join(process.cwd(), 'dist/bin/pgtrail.js');
const { user, password } = testRoles.scram;
const suffix = `${process.pid}_${Date.now() % 100000}`;
const dropParamsDb = `redact_params_${suffix}`;
const normalizeDb = `redact_sql_${suffix}`;
const scratchDb = `replay_scratch_${suffix}`;

/** Runs the pgtrail command line without blocking this process (the relay below lives in it). */
function pgtrail(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function url(host: string, port: number, database: string): string {
  return `postgres://${user}:${password}@${host}:${port}/${database}`;
}

/** `pgtrail start` in front of `server`, recording into `journal` with two redaction rules. */
async function startPgtrail(server: PostgresInfo, journal: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const config = `${journal}.yaml`;
  writeFileSync(
    config,
    [
      'log: { level: silent }',
      'recording:',
      '  redaction:',
      `    - { name: hide-params, database: ${dropParamsDb}, user: null, action: drop-params }`,
      `    - { name: literals, database: ${normalizeDb}, user: null, action: normalize-sql }`,
      '',
    ].join('\n'),
  );
  const upstream = `postgres://${server.host}:${server.port}/?sslmode=verify-full&sslrootcert=${encodeURIComponent(server.caFile)}`;
  const child = spawn(
    process.execPath,
    [bin, 'start', '--config', config, '--journal', journal, '--listen', `127.0.0.1:${port}`, '--upstream', upstream],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`pgtrail start exited with ${code}: ${out}`)));
  });
  return { port, child };
}

/** A bare TCP relay to host:port: "another proxy" that knows nothing of pgtrail. */
async function startRelay(host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((client) => {
    const upstream = connect(port, host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const relayPort = await freePort();
  await new Promise<void>((resolve) => server.listen(relayPort, '127.0.0.1', resolve));
  return { server, port: relayPort };
}

async function run(host: string, port: number, database: string, statements: readonly (readonly string[])[]) {
  const c = new pg.Client({ host, port, user, password, database });
  await c.connect();
  for (const [sql, ...params] of statements) await c.query(sql as string, params.length > 0 ? params : undefined);
  await c.end();
}

async function admin(server: PostgresInfo, database = 'postgres'): Promise<pg.Client> {
  const c = new pg.Client({ ...testRoles.admin, host: server.host, port: server.port, database });
  await c.connect();
  return c;
}

/** The newest session of the journal in database `database`, as `pgtrail sessions --json` lists it. */
async function lastSession(
  journal: string,
  database: string,
): Promise<{ session: string; upstream_system_id: string | null }> {
  const r = await pgtrail('sessions', '--journal', journal, '--json', '--database', database);
  expect(r.code, r.stderr).toBe(0);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { session: string; upstream_system_id: string | null });
  return rows.at(-1) as { session: string; upstream_system_id: string | null };
}

beforeAll(() => {
  // tsc emits even when work in progress elsewhere does not type-check; only the output matters here.
  spawnSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    stdio: 'ignore',
  });
  expect(existsSync(bin)).toBe(true);
}, 180_000);

const majors = inject('postgresMajors');

describe.each(majors.map((s) => [s.major, s] as const))(
  'replay --to, recorded through pgtrail on PostgreSQL %i',
  (_major, server) => {
    const root = mkdtempSync(join(tmpdir(), 'pgtrail-replay-safety-'));
    const journal = join(root, 'journal');
    let pgtrailPort = 0;
    let child: ChildProcess | null = null;
    let relay: { server: Server; port: number } | null = null;
    let systemId = '';
    let session = '';

    beforeAll(async () => {
      const a = await admin(server);
      systemId = (await a.query<{ id: string }>('select system_identifier::text as id from pg_control_system()'))
        .rows[0]!.id;
      await a.query(`create database ${scratchDb} owner ${user}`);
      await a.end();
      ({ port: pgtrailPort, child } = await startPgtrail(server, journal));
      relay = await startRelay(server.host, server.port);
      await run('127.0.0.1', pgtrailPort, 'app', [
        ['create table if not exists replay_safety (id int, name text)'],
        ['insert into replay_safety values ($1, $2)', '1', 'apple'],
      ]);
      session = (await lastSession(journal, 'app')).session;
    }, 60_000);

    afterAll(async () => {
      child?.kill('SIGTERM');
      relay?.server.close();
      const a = await admin(server);
      await a.query(`drop database if exists ${scratchDb} with (force)`);
      await a.end();
      const app = await admin(server, 'app');
      await app.query('drop table if exists replay_safety');
      await app.end();
      rmSync(root, { recursive: true, force: true });
    });

    it('records which cluster each session ran on (system_identifier, read by an ordinary role)', async () => {
      expect((await lastSession(journal, 'app')).upstream_system_id).toBe(systemId);
    });

    it('refuses to re-execute through pgtrail itself, through another proxy and directly, with one line and exit 2', async () => {
      for (const [via, port] of [
        ['pgtrail', pgtrailPort],
        ['a tcp relay', relay!.port],
        ['the server', server.port],
      ] as const) {
        const host = via === 'the server' ? server.host : '127.0.0.1';
        const r = await pgtrail('replay', session, '--journal', journal, '--to', url(host, port, scratchDb));
        expect(r.code, `via ${via}: ${r.stdout}`).toBe(2);
        expect(r.stdout).not.toContain('replaying');
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain(`recorded against (system identifier ${systemId})`);
        expect(r.stderr).toContain('[REPLAY_TARGET_IS_UPSTREAM]');
        expect(r.stderr).not.toContain(password);
      }
    });

    it('--force still replays, here through pgtrail into a scratch database', async () => {
      const r = await pgtrail(
        'replay',
        session,
        '--journal',
        journal,
        '--to',
        url('127.0.0.1', pgtrailPort, scratchDb),
        '--force',
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/2 statements: 0 diverged, 0 skipped\n$/);
    });

    it('replays on a different cluster without --force', async () => {
      const other = majors.find((s) => s.major !== server.major);
      if (other === undefined) return; // one PostgreSQL on this machine: the refusals above still hold
      const a = await admin(other);
      const db = `replay_other_${suffix}_${server.major}`;
      await a.query(`create database ${db} owner ${user}`);
      try {
        const r = await pgtrail('replay', session, '--journal', journal, '--to', url(other.host, other.port, db));
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/2 statements: 0 diverged, 0 skipped\n$/);
      } finally {
        await a.query(`drop database if exists ${db} with (force)`);
        await a.end();
      }
    });

    it('reports statements whose parameters or text were redacted as skipped, never as the same', async () => {
      const a = await admin(server);
      for (const db of [dropParamsDb, normalizeDb]) await a.query(`create database ${db} owner ${user}`);
      try {
        const statements = [
          ['create table items (id int, name text)'],
          ['insert into items values ($1, $2)', '1', 'apple'],
          ["select name from items where id = 1 and name <> 'pear'"],
        ] as const;
        for (const [db, rule] of [
          [dropParamsDb, 'hide-params'],
          [normalizeDb, 'literals'],
        ] as const) {
          await run('127.0.0.1', pgtrailPort, db, statements);
          const recorded = (await lastSession(journal, db)).session;
          // Into a fresh scratch database, so that nothing else could differ.
          const target = `replay_redacted_${suffix}`;
          await a.query(`create database ${target} owner ${user}`);
          try {
            const r = await pgtrail(
              'replay',
              recorded,
              '--journal',
              journal,
              '--to',
              url(server.host, server.port, target),
              '--force',
            );
            expect(r.code, r.stderr).toBe(0);
            const verdicts = r.stdout.split('\n').filter((l) => l.startsWith('#'));
            expect(verdicts).toHaveLength(3);
            for (const v of verdicts) {
              expect(v).not.toMatch(/-> (same|DIVERGES)$/);
              expect(v).toContain(`-> skipped: redacted when recorded (${rule})`);
            }
            expect(r.stdout).toMatch(/3 statements: 0 diverged, 3 skipped\n$/);
          } finally {
            await a.query(`drop database if exists ${target} with (force)`);
          }
        }
      } finally {
        for (const db of [dropParamsDb, normalizeDb]) await a.query(`drop database if exists ${db} with (force)`);
        await a.end();
      }
    });
  },
);
