/**
 * `pgtrail start` with recording.thread (docs/recording-thread.md), as an operator runs it: pgbench
 * through it, both protocols, then a clean stop. Every statement pgbench ran is in the journal exactly
 * once, each session opened and closed with its statement count, and the journal verifies.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../embedded/postgres-server.js';
import { readJournalSessions } from './support/journal-statements.js';
import { spawnPgtrail, type PgtrailChild } from './support/pgtrail-child.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';

const run = promisify(execFile);

describe('pgtrail start with recording.thread', () => {
  const server = inject('postgres');
  let dir: string;
  let port: number;
  let script: string;
  let proxy: PgtrailChild;
  const pgbench = (args: string[]) =>
    run('pgbench', ['-h', '127.0.0.1', '-p', String(port), '-U', testRoles.scram.user, ...args, 'app'], {
      env: { ...process.env, PGPASSWORD: testRoles.scram.password, PGSSLMODE: 'disable' },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pgtrail-thread-'));
    port = await freePort();
    // pgbench's own tables belong to other tests: a script of its own, one parameter per statement.
    script = join(dir, 'select.sql');
    writeFileSync(script, '\\set aid random(1, 100000)\nSELECT :aid::int + 1 AS next_aid;\n');
    const config = join(dir, 'pgtrail.yaml');
    writeFileSync(
      config,
      [
        'log:',
        '  level: warn',
        'recording:',
        '  thread: true',
        'journal:',
        '  durability: batched',
        'tls:',
        '  mode: disable',
      ].join('\n'),
    );
    proxy = spawnPgtrail([
      'start',
      '--config',
      config,
      '--journal',
      join(dir, 'journal'),
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      `postgres://${server.host}:${server.port}/?sslmode=verify-full&sslrootcert=${encodeURIComponent(server.caFile)}`,
    ]);
    await proxy.waitFor(/listening on/);
  });
  afterAll(async () => {
    await proxy?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the recording thread alone at recording.threadNice (19 by default), the forwarding thread at the process nice value', () => {
    const pid = proxy.process.pid;
    expect(pid).toBeDefined();
    // /proc/PID/task/TID/stat: the 19th field is the thread's nice value.
    const niceOf = (tid: string): number => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const own = niceOf(String(pid));
    expect(own).toBeLessThan(19);
    const lowered = readdirSync(`/proc/${pid}/task`).filter((tid) => niceOf(tid) === 19);
    expect(lowered).toHaveLength(1);
  });

  it('records every pgbench statement once, both protocols, and the journal verifies', async () => {
    expect(proxy.output()).toContain('(batched, recorded on a worker thread)');
    const counts: number[] = [];
    for (const mode of ['simple', 'prepared'] as const) {
      const { stdout } = await pgbench(['-f', script, '-M', mode, '-c', '4', '-j', '2', '-t', '300', '-n']);
      expect(stdout).toMatch(/number of transactions actually processed: 1200\/1200/);
      counts.push(1200);
    }
    expect(await proxy.stop()).toBe(0);

    const sessions = [...(await readJournalSessions(join(dir, 'journal'))).values()];
    // 4 clients per run, and pgbench's own first connection of each run.
    expect(sessions).toHaveLength(10);
    for (const s of sessions) {
      expect(s.problems).toEqual([]);
      expect(s.opened?.identity.user).toBe(testRoles.scram.user);
      expect(s.closed?.statements).toBe(s.statements.length);
    }
    const selects = sessions.flatMap((s) =>
      s.statements.filter((st) => /^SELECT (\$1|\d+)::int \+ 1 AS next_aid;?$/.test(String(st.started.sql))),
    );
    expect(selects).toHaveLength(counts[0]! + counts[1]!);
    for (const st of selects) expect(st.finished?.rows).toBe(1);
    const prepared = selects.filter((st) => st.started.protocol === 'extended');
    expect(prepared).toHaveLength(1200);
    expect(prepared.every((st) => st.started.params?.length === 1)).toBe(true);

    const verify = await runCommand('verify', ['--journal', join(dir, 'journal')]);
    expect(verify.code, verify.stderr).toBe(0);
  });

  it('survives kill -9 under load: the restart recovers, closes the sessions left open, and the journal verifies', async () => {
    const journal = join(dir, 'crash-journal');
    const crashPort = await freePort();
    const args = [
      'start',
      '--config',
      join(dir, 'pgtrail.yaml'),
      '--journal',
      journal,
      '--listen',
      `127.0.0.1:${crashPort}`,
      '--upstream',
      `postgres://${server.host}:${server.port}/?sslmode=disable`,
    ];
    const first = spawnPgtrail(args);
    await first.waitFor(/listening on/);
    const bench = spawn(
      'pgbench',
      [
        '-f',
        script,
        '-c',
        '4',
        '-j',
        '2',
        '-T',
        '30',
        '-n',
        '-h',
        '127.0.0.1',
        '-p',
        String(crashPort),
        '-U',
        testRoles.scram.user,
        'app',
      ],
      { env: { ...process.env, PGPASSWORD: testRoles.scram.password, PGSSLMODE: 'disable' }, stdio: 'ignore' },
    );
    const benchDone = new Promise((resolve) => bench.once('exit', resolve));
    // Statements reach the journal (the thread writes every half window), then the plug is pulled.
    for (let i = 0; i < 100; i++) {
      const sessions = await readJournalSessions(journal).catch(() => new Map());
      if ([...sessions.values()].some((s) => s.statements.length > 50)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await first.stop('SIGKILL')).toBeNull();
    await benchDone;

    const second = spawnPgtrail(args);
    await second.waitFor(/listening on/);
    expect(second.output()).toMatch(/closed [1-9]\d* session\(s\) a previous run left open/);
    expect(await second.stop()).toBe(0);

    const sessions = [...(await readJournalSessions(journal)).values()];
    expect(sessions.reduce((n, s) => n + s.statements.length, 0)).toBeGreaterThan(50);
    for (const s of sessions) expect(s.closed?.reason).toBeDefined();
    const verify = await runCommand('verify', ['--journal', journal]);
    expect(verify.code, verify.stderr).toBe(0);
  });
});
