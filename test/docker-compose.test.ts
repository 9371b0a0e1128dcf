/**
 * docker-compose.yml cannot be started here (no Docker engine on the CI machine), so this test runs
 * what its services run: the recorder and both proxies with the same arguments, read from the file,
 * with only the addresses, directories and the mounted token file swapped for this machine's, then
 * the logins and the look at the one journal that the file's comments promise. It fails when a flag the file uses is renamed, the upstream URL form stops
 * parsing, the published port or the role in docker/ drift from what the comments say, or the
 * Dockerfile's runtime stage stops being the non-root, dist-only image whose entrypoint the args are
 * for (the image itself is not built here). The server is set up as the stock `postgres` image sets
 * it up: TLS off (so the file's sslmode=prefer must fall back to plaintext), SCRAM for host
 * connections, and docker/init-app-role.sql run as the superuser.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

  it('builds every pgtrail service from the Dockerfile, whose runtime stage runs dist/bin/pgtrail.js as node', () => {
    const stage = runtimeStage();
    const instruction = (name: string) => stage.filter(([i]) => i === name).map(([, rest]) => rest);
    expect(instruction('ENTRYPOINT')).toEqual(['["node", "dist/bin/pgtrail.js"]']);
    expect(instruction('USER')).toEqual(['node']);
    expect(instruction('FROM')[0]).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim/);
    expect(instruction('COPY')).toContain('--from=build /pkg/dist ./dist');
    expect(instruction('RUN').join(' ')).toMatch(/npm ci --omit=dev/);
    for (const name of ['recorder', 'pgtrail', 'pgtrail-b']) {
      const s = service(name);
      // The service builds the Dockerfile, whose entrypoint is the pgtrail command; `command` is its arguments.
      expect(s.build, name).toBe('.');
      // Each keeps its state in the image's volume, which the non-root user owns.
      expect(
        s.volumes?.some((v) => v.endsWith(':/var/lib/pgtrail')),
        name,
      ).toBe(true);
    }
    expect(instruction('VOLUME')).toEqual(['["/var/lib/pgtrail"]']);
    // The recorder is reached on the compose network only; the proxies publish on 127.0.0.1.
    expect(service('recorder').ports).toBeUndefined();
  });

  it('runs the recorder and both proxies as the file starts them (TLS off upstream): app/app-secret logs in through each, the one journal holds both sessions with their instance and verifies, SIGTERM exits 0', async () => {
    const recorder = service('recorder');
    const recorderArgs = [...(recorder.command ?? [])];
    expect(recorderArgs[0]).toBe('recorder');
    const recorderListen = flagValue(recorderArgs, '--listen');
    expect(recorder.volumes).toContain(`recorder:${dirname(flagValue(recorderArgs, '--journal'))}`);
    // The role the comments connect as is the one docker/ creates.
    expect(readFileSync(join(root, 'docker', 'init-app-role.sql'), 'utf8')).toMatch(
      /CREATE ROLE app LOGIN PASSWORD 'app-secret'/,
    );
    const recorderPort = await freePort();
    const children: ChildProcess[] = [];
    const outputs: string[] = [];
    const started = (args: string[]) => {
      const child = spawn(process.execPath, [pgtrailBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const i = outputs.push('') - 1;
      child.stdout.on('data', (d: Buffer) => (outputs[i] += d.toString()));
      child.stderr.on('data', (d: Buffer) => (outputs[i] += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const ready = (pattern: RegExp) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`pgtrail did not start: ${outputs[i]}`)), 30_000);
          const check = () => {
            if (pattern.test(outputs[i] ?? '')) {
              clearTimeout(timer);
              resolve();
            }
          };
          child.stdout.on('data', check);
          // The line may have come before this call (the other proxy was awaited first).
          check();
          void exited.then((code) => reject(new Error(`pgtrail exited with ${code}: ${outputs[i]}`)));
        });
      return { child, exited, ready };
    };
    try {
      const rec = started(
        swap(recorder, recorderArgs, {
          '--listen': `127.0.0.1:${recorderPort}`,
          '--journal': journal,
        }),
      );
      await rec.ready(/recorder listening/);
      const proxies: { port: number; instance: string; run: ReturnType<typeof started> }[] = [];
      for (const name of ['pgtrail', 'pgtrail-b']) {
        const proxy = service(name);
        const args = [...(proxy.command ?? [])];
        expect(args[0]).toBe('start');
        // The published port is on 127.0.0.1 only and is the port pgtrail listens on inside the container.
        const containerPort = flagValue(args, '--listen').split(':').at(-1);
        expect(proxy.ports).toEqual([`127.0.0.1:${containerPort}:${containerPort}`]);
        // The proxy reaches the recorder by its service name, on the port it listens on.
        const recorderUrl = new URL(flagValue(args, '--recorder'));
        expect(recorderUrl.host).toBe(`recorder:${recorderListen.split(':').at(-1)}`);
        expect(proxy.volumes).toContain(`${name}:${dirname(flagValue(args, '--spool'))}`);
        const upstream = new URL(flagValue(args, '--upstream'));
        expect(upstream.hostname).toBe('postgres');
        upstream.hostname = server.host;
        upstream.port = String(server.port);
        const port = await freePort();
        const run = started(
          swap(proxy, args, {
            '--listen': `127.0.0.1:${port}`,
            '--upstream': upstream.href,
            '--recorder': `ws://127.0.0.1:${recorderPort}`,
            '--spool': mkdtempSync(join(tmpdir(), 'pgtrail-compose-spool-')),
          }),
        );
        proxies.push({ port, instance: flagValue(args, '--instance'), run });
      }
      for (const p of proxies) await p.run.ready(/listening on/);
      for (const p of proxies) {
        const client = await connectWhenRecording(p.port);
        const { rows } = await client.query<{ u: string; ssl: boolean }>(
          'select current_user as u, (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl, 1 as compose_marker',
        );
        await client.end();
        expect(rows[0]).toEqual({ u: 'app', ssl: false, compose_marker: 1 });
      }
      for (const p of proxies) p.run.child.kill('SIGTERM');
      for (const p of proxies) expect(await p.run.exited).toBe(0);
      rec.child.kill('SIGTERM');
      expect(await rec.exited).toBe(0);
    } finally {
      for (const c of children) c.kill('SIGKILL');
    }

    const sessions = spawnSync(process.execPath, [pgtrailBin, 'sessions', '--journal', journal, '--json'], {
      encoding: 'utf8',
    });
    expect(sessions.status, sessions.stderr).toBe(0);
    const instances = sessions.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { instance: string }).instance);
    expect(instances.sort()).toEqual(['pgtrail-a', 'pgtrail-b']);
    const search = spawnSync(
      process.execPath,
      [pgtrailBin, 'search', '--journal', journal, '--json', '--grep', 'compose_marker'],
      { encoding: 'utf8' },
    );
    expect(search.status, search.stderr).toBe(0);
    const found = search.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { user: string; command: string; instance: string });
    expect(found.map((f) => [f.user, f.command, f.instance]).sort()).toEqual([
      ['app', 'SELECT 1', 'pgtrail-a'],
      ['app', 'SELECT 1', 'pgtrail-b'],
    ]);
    const verify = spawnSync(process.execPath, [pgtrailBin, 'verify', '--journal', journal], { encoding: 'utf8' });
    expect(verify.status, verify.stdout).toBe(0);
  });
});

/** A session through a proxy; a strict proxy refuses sessions (57P03) until it has reached the recorder once. */
async function connectWhenRecording(port: number): Promise<pg.Client> {
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'app', password: 'app-secret', database: 'app' });
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      if (attempt > 50 || (err as { code?: string }).code !== '57P03') throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * A service's arguments with the values of `values`' flags replaced, and every file the service
 * mounts read-only (the token) read from where the mount takes it on this machine.
 */
function swap(s: ComposeService, args: readonly string[], values: Readonly<Record<string, string>>): string[] {
  const mounts = new Map(
    (s.volumes ?? [])
      .filter((v) => v.startsWith('./'))
      .map((v) => {
        const [host = '', container = ''] = v.split(':');
        return [container, join(root, host)] as const;
      }),
  );
  return args.map((a, i) => {
    const flag = args[i - 1] ?? '';
    return values[flag] ?? mounts.get(a) ?? a;
  });
}
