/**
 * The result digest of a query computed without pgtrail: the query runs as a simple Query over a bare
 * protocol connection straight to PostgreSQL (as trust_user), and the digest is SHA-256 over the
 * DataRow message bodies (after the type byte and length) in the order the server sent them, which is
 * how docs/journal-format.md defines `resultDigest`. Text result format, as a simple Query returns.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { serialize } from 'pg-protocol';
import type { PostgresInfo } from '../../embedded/postgres-server.js';
import { testRoles } from './test-roles.js';

/** The digest and row count of `sql`'s result, read directly from `server`. */
export async function rawResultDigest(
  server: PostgresInfo,
  database: string,
  sql: string,
): Promise<{ digest: string; rows: number }> {
  const socket = connect({ host: server.host, port: server.port });
  const hash = createHash('sha256');
  let rows = 0;
  let readies = 0;
  let failure: string | null = null;
  let buffer: Buffer = Buffer.alloc(0);
  let wake: () => void = () => {};
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    let at = 0;
    while (buffer.length - at >= 5 && buffer.length - at >= 1 + buffer.readInt32BE(at + 1)) {
      const code = buffer[at] as number;
      const end = at + 1 + buffer.readInt32BE(at + 1);
      if (code === 0x44) {
        hash.update(buffer.subarray(at + 5, end)); // DataRow
        rows++;
      } else if (code === 0x45) failure = 'error response';
      else if (code === 0x52 && buffer.readInt32BE(at + 5) !== 0) failure = 'authentication required';
      else if (code === 0x5a) readies++;
      at = end;
    }
    buffer = buffer.subarray(at);
    wake();
  });
  const ready = (n: number): Promise<void> =>
    new Promise((resolve, reject) => {
      wake = () => {
        if (failure !== null) reject(new Error(failure));
        else if (readies >= n) resolve();
      };
      socket.once('error', reject);
      wake();
    });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  try {
    socket.write(serialize.startup({ user: testRoles.trust.user, database }));
    await ready(1);
    socket.write(serialize.query(sql));
    await ready(2);
    return { digest: hash.digest('hex'), rows };
  } finally {
    socket.end(serialize.end());
  }
}

/** SHA-256 (hex) of the DataRow bodies of one-column text rows: Int16 1, then Int32 length and the bytes (or -1 for null). */
export function oneColumnDigest(values: readonly (Buffer | string | null)[]): string {
  const hash = createHash('sha256');
  for (const v of values) {
    const head = Buffer.alloc(6);
    head.writeInt16BE(1, 0);
    if (v === null) {
      head.writeInt32BE(-1, 2);
      hash.update(head);
      continue;
    }
    const bytes = typeof v === 'string' ? Buffer.from(v) : v;
    head.writeInt32BE(bytes.length, 2);
    hash.update(head).update(bytes);
  }
  return hash.digest('hex');
}

/** SHA-256 (hex) of bytes. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
