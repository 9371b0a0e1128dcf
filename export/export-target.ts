/**
 * Where `pgtrail export` delivers (docs/siem-export.md). A target's deliver() resolves only once the
 * receiver has the lines (HTTP: a 2xx answer; syslog: written to the connection; stdout: handed to
 * the stream) and rejects otherwise; the exporter then retries the same lines and does not move its
 * cursor. Targets are parsed from `--to`: `stdout`, `http://…` or `https://…` (a webhook, signed with
 * HMAC-SHA256), `tcp://HOST:PORT` or `tls://HOST:PORT` (syslog, RFC 6587 octet counting / RFC 5425).
 */
import { createHmac } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { ExportError, ExportErrorCode } from './export-error.js';

/** Name of the HTTP header that carries `sha256=<hex of HMAC-SHA256(secret, body)>`. */
export const signatureHeader = 'x-pgtrail-signature-256';

/** A receiver of formatted lines. */
export interface ExportTarget {
  /** Delivers `lines` in order; see the module comment for when it resolves. */
  deliver(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** What a target may need besides its URL. */
export interface TargetOptions {
  readonly stdout: NodeJS.WritableStream;
  /** The HMAC key for http(s) targets. */
  readonly secret: Buffer | null;
  /** Extra CA certificates (PEM) for tls:// syslog. */
  readonly ca: Buffer | null;
  /** How long one delivery may take before it counts as failed. */
  readonly timeoutMs: number;
  /** Content type of an HTTP body (by format). */
  readonly contentType: string;
}

/** Parses `--to` into a target (connections are made at the first delivery). */
export function openTarget(to: string, options: TargetOptions): ExportTarget {
  if (to === 'stdout') return streamTarget(options.stdout);
  if (!URL.canParse(to)) throw new ExportError(ExportErrorCode.targetInvalid, '--to must be stdout or a URL');
  const url = new URL(to);
  switch (url.protocol) {
    case 'http:':
    case 'https:':
      if (options.secret === null)
        throw new ExportError(
          ExportErrorCode.secretMissing,
          'an http(s) target needs a signing secret (--secret-file or PGTRAIL_EXPORT_SECRET)',
        );
      return httpTarget(url, options.secret, options);
    case 'tcp:':
    case 'tls:': {
      const port = Number(url.port);
      if (url.hostname === '' || !Number.isInteger(port) || port < 1)
        throw new ExportError(ExportErrorCode.targetInvalid, `--to ${url.protocol}// needs HOST:PORT`);
      return syslogTarget(url.hostname.replace(/^\[|\]$/g, ''), port, url.protocol === 'tls:', options);
    }
    default:
      throw new ExportError(ExportErrorCode.targetInvalid, `unsupported --to scheme ${url.protocol}`);
  }
}

function streamTarget(out: NodeJS.WritableStream): ExportTarget {
  return {
    deliver: (lines) =>
      new Promise((resolve, reject) => {
        out.write(`${lines.join('\n')}\n`, (err) => (err ? reject(err) : resolve()));
      }),
    close: async () => {},
  };
}

function httpTarget(url: URL, secret: Buffer, options: TargetOptions): ExportTarget {
  return {
    async deliver(lines) {
      const body = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
      const signature = createHmac('sha256', secret).update(body).digest('hex');
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'content-type': options.contentType, [signatureHeader]: `sha256=${signature}` },
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (err) {
        throw new ExportError(ExportErrorCode.deliveryFailed, 'the webhook could not be reached', { cause: err });
      }
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299)
        throw new ExportError(ExportErrorCode.deliveryFailed, `the webhook answered ${res.status}`);
    },
    close: async () => {},
  };
}

function syslogTarget(host: string, port: number, tls: boolean, options: TargetOptions): ExportTarget {
  let socket: Socket | null = null;
  let broken: Error | null = null;
  const connect = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error) =>
        reject(
          new ExportError(ExportErrorCode.deliveryFailed, 'the syslog receiver could not be reached', { cause: err }),
        );
      const s = tls
        ? connectTls({ host, port, servername: host, ...(options.ca ? { ca: options.ca } : {}) }, () => done())
        : connectTcp({ host, port }, () => done());
      const done = () => {
        s.off('error', onError);
        s.on('error', (err) => {
          broken = err;
        });
        s.on('close', () => {
          broken ??= new Error('closed');
        });
        resolve(s);
      };
      s.once('error', onError);
      s.setTimeout(options.timeoutMs, () => s.destroy(new Error('timeout')));
    });
  return {
    async deliver(lines) {
      if (socket !== null && broken !== null) {
        socket.destroy();
        socket = null;
      }
      if (socket === null) {
        broken = null;
        socket = await connect();
        socket.setTimeout(0);
      }
      // RFC 6587 §3.4.1 octet counting: MSG-LEN SP SYSLOG-MSG, MSG-LEN the byte length of the message.
      const frames = lines.map((line) => {
        const msg = Buffer.from(line, 'utf8');
        return Buffer.concat([Buffer.from(`${msg.length} `, 'ascii'), msg]);
      });
      const s = socket;
      await new Promise<void>((resolve, reject) => {
        s.write(Buffer.concat(frames), (err) =>
          err || broken
            ? reject(
                new ExportError(ExportErrorCode.deliveryFailed, 'the syslog connection failed', {
                  cause: err ?? broken,
                }),
              )
            : resolve(),
        );
      });
    },
    close: async () => {
      socket?.end();
      socket = null;
    },
  };
}
