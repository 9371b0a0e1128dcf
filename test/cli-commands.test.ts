/**
 * The `pgtrail` command line as a psql or pgbouncer user tries it: --version, --help, messages for
 * wrong flags and paths, tables fitted to 80 columns, --wide, --expanded, empty results, and replay
 * pacing. Every command runs as its own process on a journal written by the journal writer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../bin/commands/index.js';
import { defaultConfig } from '../config/defaults.js';
import type { TrailEvent } from '../recorder/events.js';
import { openJournalWriter } from '../recorder/journal-writer.js';
import { ensureSigningKey } from '../recorder/signing-key.js';

const pgtrailBin = join(import.meta.dirname, '..', 'dist', 'bin', 'pgtrail.js');

function pgtrail(args: readonly string[], env: Record<string, string> = { COLUMNS: '80' }) {
  const r = spawnSync(process.execPath, [pgtrailBin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const peer = { address: '10.0.0.7', port: 41000 };
const start = Date.parse('2026-12-01T10:00:00Z');
const longSql = `select ${Array.from({ length: 30 }, (_, i) => `column_number_${i}`).join(', ')} from a_table_with_a_long_name where id = 1`;

function session(id: string, at: number, statements: readonly string[], closeAfterMs: number): TrailEvent[] {
  const events: TrailEvent[] = [
    {
      type: 'session.opened',
      ts: at,
      session: id,
      identity: { user: 'alice', method: { kind: 'passthrough' } },
      database: 'app',
      role: 'alice',
      client: peer,
      upstream: { address: '127.0.0.1', port: 5432 },
      application: 'psql',
      clientTls: null,
      upstreamTls: null,
      backendPid: 7,
      serverVersion: '18.0',
    },
  ];
  statements.forEach((sql, i) => {
    const ts = at + 100 * (i + 1);
    events.push(
      {
        type: 'statement.started',
        ts,
        session: id,
        statement: i + 1,
        user: 'alice',
        role: 'alice',
        protocol: 'simple',
        sql,
        params: null,
        preparedName: null,
        portal: null,
        redaction: null,
      },
      {
        type: 'statement.finished',
        ts: ts + 1.25,
        session: id,
        statement: i + 1,
        command: 'SELECT 1',
        rows: 1,
        error: null,
        durationMs: 1.25,
        txStatus: 'I',
        resultDigest: null,
        notExecuted: false,
        copy: null,
        capturedRows: null,
      },
    );
  });
  const closed = at + closeAfterMs;
  events.push({
    type: 'session.closed',
    ts: closed,
    session: id,
    reason: 'client_quit',
    durationMs: closeAfterMs,
    statements: statements.length,
  });
  return events;
}

describe('the pgtrail command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgtrail-cli-'));
  const journal = join(dir, 'journal');
  // Same millisecond, so their ids share 10 characters; the third opens a day later.
  const ids = ['01M8XMFBS8AAAAAAAAAAAAAAAA', '01M8XMFBS8BBBBBBBBBBBBBBBB', '01M8ZZZZZZCCCCCCCCCCCCCCCC'];

  beforeAll(async () => {
    await ensureSigningKey(journal);
    const writer = await openJournalWriter({ ...defaultConfig.journal, dir: journal, durability: 'batched' });
    for (const e of [
      ...session(ids[0] as string, start, ['select 1', longSql], 1_000),
      ...session(ids[1] as string, start, ['select 2'], 1_000),
      // Its last statement is at +100 ms; it closes at +1600 ms: a 1.5 s gap before "session closed".
      ...session(ids[2] as string, start + 86_400_000, ['select 3'], 1_600),
    ])
      writer.appendWithoutWaiting(e);
    await writer.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its version with --version and -V', () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const r = pgtrail([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`pgtrail ${version}\n`);
    }
  });

  it('lists every registered command in --help', () => {
    const r = pgtrail(['--help']);
    expect(r.code).toBe(0);
    for (const c of commands)
      expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(r.stdout).toContain('pgtrail --version');
    const search = pgtrail(['help', 'search']);
    expect(search.code).toBe(0);
    expect(search.stdout).toBe(pgtrail(['search', '--help']).stdout);
    expect(search.stdout).toMatch(/^usage: pgtrail search /);
  });

  it('says what is wrong with flags in one lowercase line with the code', () => {
    const cases: [string[], string][] = [
      [
        ['search', '--journal', journal, '--bogus'],
        'pgtrail search: unknown option --bogus (see pgtrail search --help) [USAGE]\n',
      ],
      [
        ['search', '--journal', journal, '--limit', '-1'],
        'pgtrail search: --limit must be a whole number, 0 or more (see pgtrail search --help) [USAGE]\n',
      ],
      [
        ['sessions', '--journal'],
        'pgtrail sessions: option --journal needs a value (see pgtrail sessions --help) [USAGE]\n',
      ],
      [
        ['search', '--journal', journal, '--user', '--json'],
        'pgtrail search: option --user needs a value, and --json looks like an option (write --user=--json if it is the value) (see pgtrail search --help) [USAGE]\n',
      ],
      [
        ['sessions', '--journal', journal, '--json=yes'],
        'pgtrail sessions: option --json takes no value (see pgtrail sessions --help) [USAGE]\n',
      ],
      [
        ['sessions', '--journal', journal, 'extra'],
        'pgtrail sessions: unexpected argument "extra" (see pgtrail sessions --help) [USAGE]\n',
      ],
      [
        ['search', '--journal', journal, '--wide', '--json'],
        'pgtrail search: --json and --wide cannot be combined (see pgtrail search --help) [USAGE]\n',
      ],
      [['nonsense'], 'pgtrail: unknown command "nonsense" (see pgtrail --help) [USAGE]\n'],
    ];
    for (const [args, message] of cases) {
      const r = pgtrail(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr: message });
    }
  });

  it('says what is wrong with a config in words, with file, line, column and code', () => {
    const yaml = join(dir, 'broken.yaml');
    writeFileSync(yaml, 'listen:\n  host: a: b\n');
    const broken = pgtrail(['start', '--config', yaml]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toBe(
      `pgtrail start: config error: not valid YAML: nested mappings are not allowed in compact mappings (${yaml}, line 2, column 9) [CONFIG_INVALID]\n`,
    );
    const badValue = join(dir, 'bad-value.yaml');
    writeFileSync(badValue, 'log:\n  level: info\nlisten:\n  port: 70000\n');
    const value = pgtrail(['start', '--config', badValue]);
    expect(value.code).toBe(2);
    expect(value.stderr).toMatch(
      new RegExp(`^pgtrail start: config error: listen\\.port .*\\(${badValue}, line 4\\) \\[CONFIG_INVALID\\]\\n$`),
    );
    const missing = pgtrail(['sessions', '--config', join(dir, 'nope.yaml')]);
    expect(missing.stderr).toBe(
      `pgtrail sessions: config error: cannot read config file: it does not exist (ENOENT) (${join(dir, 'nope.yaml')}) [CONFIG_UNREADABLE]\n`,
    );
    // A user or database in --upstream would be ignored (each client brings its own): refused, as documented.
    const upstream = pgtrail(['start', '--upstream', 'postgres://app@127.0.0.1:5432/prod']);
    expect(upstream.code).toBe(2);
    expect(upstream.stderr).toBe(
      'pgtrail start: config error: flag --upstream must not carry a user or database: each client names its own [CONFIG_FLAG_INVALID]\n',
    );
  });

  it('names the file that is in the way when --journal is not a directory', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a journal\n');
    for (const [command, ...more] of [
      ['keygen'],
      ['verify'],
      ['start', '--upstream', 'postgres://127.0.0.1:1', '--listen', '127.0.0.1:1'],
    ] as const) {
      const r = pgtrail([command, '--journal', file, ...more]);
      expect(r.code).toBe(2);
      // Node's own words would be `ENOTDIR: not a directory, stat '<file>/…'`: the path it was given, not the one to fix.
      expect(r.stderr).toMatch(new RegExp(`^pgtrail ${command}: .*${file}.* \\[[A-Z_]+\\]\\n$`));
      expect(r.stderr).not.toMatch(/ENOTDIR: not a directory/);
    }
    const nested = pgtrail(['keygen', '--journal', join(file, 'sub')]);
    expect(nested.stderr).toMatch(
      new RegExp(`^pgtrail keygen: ${file} is a file, not a directory \\(needed for ${file}/\\S+\\) \\[ENOTDIR\\]\\n$`),
    );
    const search = pgtrail(['search', '--journal', file]);
    expect(search.code).toBe(2);
    expect(search.stderr).toBe(`pgtrail search: no journal directory at ${file} [SEARCH_JOURNAL_MISSING]\n`);
  });

  it('ends every listing with its count, (0 statements) and (0 sessions) included', () => {
    const none = pgtrail(['search', '--journal', journal, '--user', 'nobody']);
    expect(none.code).toBe(0);
    expect(none.stdout.trimEnd().split('\n').at(-1)).toBe('(0 statements)');
    expect(pgtrail(['sessions', '--journal', journal, '--user', 'nobody']).stdout).toMatch(/\n\(0 sessions\)\n$/);
    expect(pgtrail(['sessions', '--journal', journal]).stdout).toMatch(/\n\(3 sessions\)\n$/);
    expect(pgtrail(['search', '--journal', journal, '--user', 'nobody', '--json']).stdout).toBe('');
  });

  it('fits the search table to 80 columns and shows all of the SQL', () => {
    const r = pgtrail(['search', '--journal', journal]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines[0]).toMatch(/^TIME \(UTC\) +SESSION +USER +DATABASE +RESULT +MS/);
    // The two sessions of the same millisecond need 11 characters to tell apart; the listing uses that length.
    expect(r.stdout).toContain('12-01 10:00:00  01M8XMFBS8A#1  alice  app       SELECT 1  1.3');
    // Folded under its row, wrapped at spaces: the words of the SQL come back whole and in order.
    const sqlLines = lines.filter((l) => l.startsWith('    ') && !l.startsWith('    SQL'));
    expect(sqlLines.map((l) => l.trim()).join(' ')).toBe(['select 1', longSql, 'select 2', 'select 3'].join(' '));
    const wide = pgtrail(['search', '--journal', journal], { COLUMNS: '1000' });
    expect(wide.stdout).toContain(`SELECT 1  1.3  ${longSql}\n`);
  });

  it('gives whole values on one line with --wide, and one field per line with --expanded', () => {
    const wide = pgtrail(['search', '--journal', journal, '--wide']);
    const lines = wide.stdout.trimEnd().split('\n');
    expect(lines.length).toBe(1 + 4 + 1);
    expect(lines[0]).toMatch(/^TIME +SEQ +SESSION +USER +DATABASE +ROLE +RESULT +ROWS +MS +SQL$/);
    expect(lines[2]).toContain(`2026-12-01T10:00:00.200Z`);
    expect(lines[2]).toContain(`${ids[0]}#2`);
    expect(lines[2]?.endsWith(longSql)).toBe(true);
    const expanded = pgtrail(['search', '--journal', journal, '-x', '--session', `${ids[2]}#1`]);
    const seq = /^seq +\| (\d+)$/m.exec(expanded.stdout)?.[1];
    expect(expanded.stdout).toBe(
      [
        '-[ RECORD 1 ]-+---------------------------------------',
        'time          | 2026-12-02T10:00:00.100Z',
        `seq           | ${seq}`,
        `session       | ${ids[2]}#1`,
        'user          | alice',
        'role          | alice',
        'database      | app',
        'client        | 10.0.0.7:41000',
        'application   | psql',
        'protocol      | simple',
        'kind          | select',
        'result        | SELECT 1',
        'rows          | 1',
        'duration ms   | 1.250',
        'sql           | select 3',
        '(1 statement)',
        '',
      ].join('\n'),
    );
    const sessions = pgtrail(['sessions', '--journal', journal, '--expanded', '--limit', '1']);
    expect(sessions.stdout).toContain(`session     | ${ids[0]}`);
    expect(sessions.stdout).toContain('closed      | 2026-12-01T10:00:01.000Z (client_quit)');
  });

  it('paces the gap before "session closed" at --speed, as every other gap', () => {
    const began = performance.now();
    const r = pgtrail(['replay', ids[2] as string, '--journal', journal, '--speed', '2']);
    const tookMs = performance.now() - began;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('   +1.600s session closed: client_quit');
    // 1.6 s of session at twice real time: at least 0.8 s, of which 0.75 s come after the last statement.
    expect(tookMs).toBeGreaterThanOrEqual(800);
  });
});
