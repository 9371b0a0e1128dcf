/** `pgtrail serve`: the web viewer over a journal, recording who viewed what in an audit journal of its own. */
import { resolve } from 'node:path';
import { loadConfig, type Override } from '../../config/load-config.js';
import { listenOverrides } from '../../config/parse-upstream-url.js';
import { openRecorder } from '../../recorder/recorder.js';
import { ExitCode, parseFlags, type Command, type CommandContext } from '../cli.js';
import { createRootLogger } from '../logger.js';
import { untilSignal } from '../run-proxy.js';
import { runViewer } from '../run-viewer.js';

const usage = `usage: pgtrail serve --journal DIR [--listen H:P] [--config F] [--audit-journal DIR2]

Serves the web viewer (docs/viewer.md) over the journal: sessions, live sessions, search and replay,
each statement verified in the browser against a signed checkpoint. Prints the URL to open, with a
login token, on a line "viewer: <url>". Stop it with Ctrl-C.
  --journal DIR        the journal to show (else journal.dir from --config F, else ./pgtrail-journal)
  --listen H:P         where the viewer listens (default viewer.listen: 127.0.0.1:6480; port 0: any free port)
  --config F           YAML configuration (viewer.* and identity.jwt for SSO logins)
  --audit-journal DIR2 where viewings (who opened which session, ran which search) are recorded: a
                       journal of its own, with its own signing key (default viewer.auditJournal, else
                       DIR-viewer-audit). Never the viewed journal: that has one writer, the proxy.
`;

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    journal: { type: 'string' },
    listen: { type: 'string' },
    config: { type: 'string' },
    'audit-journal': { type: 'string' },
  });
  const flags: Override[] = [];
  if (values.listen !== undefined) flags.push(...listenOverrides(values.listen, 'viewer.listen', '--listen'));
  if (values.journal !== undefined) flags.push({ key: 'journal.dir', value: values.journal, source: 'flag --journal' });
  if (values['audit-journal'] !== undefined)
    flags.push({ key: 'viewer.auditJournal', value: values['audit-journal'], source: 'flag --audit-journal' });
  const config = loadConfig({ file: values.config ?? null, env: ctx.env, flags });
  const logger = createRootLogger(config.log);
  const journalDir = resolve(config.journal.dir);
  const auditDir = config.viewer.auditJournal ?? `${journalDir}-viewer-audit`;
  const signalled = untilSignal();
  const audit = await openRecorder(
    { ...config.journal, dir: auditDir, keyFile: null, durability: 'strict' },
    { ...config.recording, redaction: [] },
    (error) => logger.error({ code: error.code }, 'viewer audit journal failed closed'),
  );
  try {
    ctx.stdout.write(`pgtrail: viewings recorded in ${auditDir}, verifier key ${audit.verifierKey}\n`);
    const viewer = await runViewer(config, journalDir, (event) => audit.writer.append(event), logger, ctx);
    const signal = await signalled;
    logger.info({ signal }, 'shutting down');
    await viewer.close();
  } finally {
    await audit.close();
  }
  logger.flush();
  return ExitCode.ok;
}

/** The `serve` command. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'the web viewer: sessions, live sessions, search, verified in the browser',
  usage,
  run,
};
