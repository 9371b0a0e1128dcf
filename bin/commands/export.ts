/** `pgtrail export`: every recorded session and statement event to a SIEM, at least once, resuming from a cursor. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ExitCode, parseFlags, UsageError, type Command, type CommandContext } from '../cli.js';
import { exportFormats, type ExportFormat } from '../../export/export-format.js';
import { openTarget } from '../../export/export-target.js';
import { runExport } from '../../export/run-export.js';
import { createRootLogger } from '../logger.js';
import { journalDir, journalFlags } from './journal-options.js';

const usage = `usage: pgtrail export --journal DIR --cursor FILE [--follow] [--format json|cef|syslog] [--to stdout|URL]

Delivers every session and statement event of the journal, in journal order, at least once; the
cursor FILE remembers the first record not yet delivered, so a restart resumes there (docs/siem-export.md).
  --journal DIR        the journal directory (else journal.dir from --config F)
  --cursor FILE        where the position is kept (created on first use; moved only after delivery)
  --follow             keep delivering new records as they are recorded, until SIGTERM or SIGINT
  --format F           json (default; one object per line, the fields of search --json), cef, syslog (RFC 5424)
  --to T               stdout (default); http(s)://... a webhook (POST, HMAC-SHA256 signature header
                       x-pgtrail-signature-256); tcp://HOST:PORT or tls://HOST:PORT syslog (octet counting)
  --secret-file F      the webhook's HMAC key (the file's bytes, without a final newline); else the
                       environment variable PGTRAIL_EXPORT_SECRET
  --ca FILE            CA certificates (PEM) for a tls:// syslog receiver
  --batch N            at most N records per delivery (default 500)
A failed delivery is retried with backoff (0.25 s doubling to 30 s) and never skipped.
`;

const contentTypes: Readonly<Record<ExportFormat, string>> = {
  json: 'application/x-ndjson',
  cef: 'text/plain; charset=utf-8',
  syslog: 'text/plain; charset=utf-8',
};

function readSecret(file: string | undefined, ctx: CommandContext): Buffer | null {
  if (file !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new UsageError('--secret-file cannot be read');
    }
    const secret = bytes.subarray(0, bytes.at(-1) === 0x0a ? -1 : undefined);
    if (secret.length === 0) throw new UsageError('--secret-file is empty');
    return secret;
  }
  const env = ctx.env.PGTRAIL_EXPORT_SECRET;
  return env ? Buffer.from(env, 'utf8') : null;
}

async function run(ctx: CommandContext): Promise<ExitCode> {
  const { values } = parseFlags(ctx.argv, {
    ...journalFlags,
    cursor: { type: 'string' },
    follow: { type: 'boolean' },
    format: { type: 'string' },
    to: { type: 'string' },
    'secret-file': { type: 'string' },
    ca: { type: 'string' },
    batch: { type: 'string' },
  });
  if (values.cursor === undefined) throw new UsageError('--cursor FILE is required');
  const format = (values.format ?? 'json') as ExportFormat;
  if (!exportFormats.includes(format)) throw new UsageError(`--format must be one of ${exportFormats.join(', ')}`);
  const batch = values.batch === undefined ? 500 : Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 100_000)
    throw new UsageError('--batch must be from 1 to 100000');
  let ca: Buffer | null = null;
  if (values.ca !== undefined) {
    try {
      ca = readFileSync(values.ca);
    } catch {
      throw new UsageError('--ca cannot be read');
    }
  }
  const target = openTarget(values.to ?? 'stdout', {
    stdout: ctx.stdout,
    secret: readSecret(values['secret-file'], ctx),
    ca,
    timeoutMs: 30_000,
    contentType: contentTypes[format],
  });
  const log = createRootLogger({ level: 'info' }).child({ component: 'export' });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const summary = await runExport({
      journal: journalDir(values, ctx),
      cursorFile: values.cursor,
      follow: values.follow === true,
      format,
      target,
      formatContext: { hostname: hostname(), pid: process.pid },
      signal: stop.signal,
      batchMax: batch,
      onRetry: (err, attempt, delayMs) => {
        const code = (err as { code?: unknown }).code;
        log.warn({ attempt, delayMs, code: typeof code === 'string' ? code : undefined }, 'delivery failed, retrying');
      },
    });
    log.info({ delivered: summary.delivered, cursor: summary.cursor }, 'export stopped');
    log.flush();
    return ExitCode.ok;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** The export command. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'deliver every recorded event to a SIEM (stdout, webhook, syslog), at least once',
  usage,
  run,
};
