/**
 * docker-compose.yml cannot be started here (no Docker engine on the CI machine), so this test runs
 * what its pgtrail service runs: the same `pgtrail start` arguments, read from the file, with only the
 * addresses swapped for the test server's, then the login and the look at the journal that the
 * file's comments promise. It fails when a flag the file uses is renamed, the upstream URL form stops
 * parsing, the published port or the role in docker/ drift from what the comments say, or the
 * Dockerfile's runtime stage stops being the non-root, dist-only image whose entrypoint the args are
 * for (the image itself is not built here). The server is set up as the stock `postgres` image sets
 * it up: TLS off (so the file's sslmode=prefer must fall back to plaintext), SCRAM for host
 * connections, and docker/init-app-role.sql run as the superuser.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { embeddedBinaries } from '../embedded/postgres-binaries.js';
import { freePort, startPostgres, superuser, type PostgresServer } from '../embedded/postgres-server.js';

const root = join(import.meta.dirname, '..');
const pgtrailBin = join(root, 'dist', 'bin', 'pgtrail.js');

interface ComposeService {
  readonly build?: string;
  readonly command?: readonly string[];
  readonly ports?: readonly string[];
  readonly volumes?: readonly string[];
}

function service(name: string): ComposeService {
  const file = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
    services?: Record<string, ComposeService>;
  };
  const found = file.services?.[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** The Dockerfile's instructions of its last stage (the runtime image), as [instruction, rest] pairs. */
function runtimeStage(): [string, string][] {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const stages: [string, string][][] = [];
  for (const line of lines) {
    const [instruction = '', ...rest] = line.trim().split(/\s+/);
    if (instruction.toUpperCase() === 'FROM') stages.push([]);
    stages.at(-1)?.push([instruction.toUpperCase(), rest.join(' ')]);
  }
  const last = stages.at(-1);
  if (last === undefined || stages.length < 2) throw new Error('the Dockerfile is not multi-stage');
  return last;
}

function flagValue(args: readonly string[], flag: string): string {
  const i = args.indexOf(flag);
  const value = args[i + 1];
  if (i < 0 || value === undefined) throw new Error(`the pgtrail service passes no ${flag}`);
  return value;
}

describe('docker-compose.yml', () => {
  const journal = mkdtempSync(join(tmpdir(), 'pgtrail-compose-'));
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres(embeddedBinaries(), { ssl: false });
    // What the image's entrypoint does with /docker-entrypoint-initdb.d/*.sql.
    const init = spawnSync(
      'psql',
      [
        `host=${server.host} port=${server.port} user=${superuser.user} dbname=postgres`,
        '-X',
        '-v',
        'ON_ERROR_STOP=1',
        '-f',
        join(root, 'docker', 'init-app-role.sql'),
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', PGPASSWORD: superuser.password } },
    );
    if (init.status !== 0) throw new Error(`init-app-role.sql failed: ${init.stderr}`);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(journal, { recursive: true, force: true });
    rmSync(`${journal}.signing-key`, { force: true });
  });

  it('runs its pgtrail command against a PostgreSQL started as the image starts it (TLS off): app/app-secret logs in, search lists the statement, SIGTERM exits 0', async () => {
    const pgtrail = service('pgtrail');
    // The service builds the Dockerfile, whose runtime entrypoint is the pgtrail command; `command` is its arguments.
    expect(pgtrail.build).toBe('.');
    const stage = runtimeStage();
    const instruction = (name: string) => stage.filter(([i]) => i === name).map(([, rest]) => rest);
    expect(instruction('ENTRYPOINT')).toEqual(['["node", "dist/bin/pgtrail.js"]']);
    expect(instruction('USER')).toEqual(['node']);
    expect(instruction('FROM')[0]).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim/);
    expect(instruction('COPY')).toContain('--from=build /src/dist ./dist');
    expect(instruction('RUN').join(' ')).toMatch(/npm ci --omit=dev/);
    const args = [...(pgtrail.command ?? [])];
    expect(args[0]).toBe('start');

    // The published port is on 127.0.0.1 only and is the port pgtrail listens on inside the container.
    const listen = flagValue(args, '--listen');
    const containerPort = listen.split(':').at(-1);
    expect(pgtrail.ports).toEqual([`127.0.0.1:${containerPort}:${containerPort}`]);
    // One volume keeps the journal and, beside it (not in it), its signing key `<journal>.signing-key`;
    // it is the image's volume, which the non-root user owns.
    expect(pgtrail.volumes).toContain(`pgtrail:${dirname(flagValue(args, '--journal'))}`);
    expect(instruction('VOLUME')).toEqual([`["${dirname(flagValue(args, '--journal'))}"]`]);

    // The role the comments connect as is the one docker/ creates.
    expect(readFileSync(join(root, 'docker', 'init-app-role.sql'), 'utf8')).toMatch(
      /CREATE ROLE app LOGIN PASSWORD 'app-secret'/,
    );

    const upstream = new URL(flagValue(args, '--upstream'));
    expect(upstream.hostname).toBe('postgres');
    upstream.hostname = server.host;
    upstream.port = String(server.port);
    const port = await freePort();
    const swapped = args.map((a, i) => {
      if (args[i - 1] === '--listen') return `127.0.0.1:${port}`;
      if (args[i - 1] === '--upstream') return upstream.href;
      if (args[i - 1] === '--journal') return journal;
      return a;
    });

    const child = spawn(process.execPath, [pgtrailBin, ...swapped], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`pgtrail did not start: ${out}`)), 20_000);
        child.stdout.on('data', () => {
          if (out.includes('listening on')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then((code) => reject(new Error(`pgtrail exited with ${code}: ${out}`)));
      });
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'app', password: 'app-secret', database: 'app' });
      await client.connect();
      const { rows } = await client.query<{ u: string; ssl: boolean }>(
        'select current_user as u, (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl, 1 as compose_marker',
      );
      await client.end();
      expect(rows[0]).toEqual({ u: 'app', ssl: false, compose_marker: 1 });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);

    const search = spawnSync(
      process.execPath,
      [pgtrailBin, 'search', '--journal', journal, '--json', '--grep', 'compose_marker'],
      { encoding: 'utf8' },
    );
    expect(search.status, search.stderr).toBe(0);
    const found = search.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { user: string; sql: string; command: string });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ user: 'app', command: 'SELECT 1' });
  });
});
