/**
 * COPY with node-postgres, which has no COPY API of its own: a query object it submits like any other
 * (the "submittable" interface pg-copy-streams uses), sending or collecting the CopyData itself.
 */
import type pg from 'pg';

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** Runs `COPY ... FROM STDIN` with the given chunks; resolves with the command tag. */
export function copyIn(client: pg.Client, sql: string, chunks: readonly Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let tag = '';
    const submittable = {
      submit(connection: CopyConnection) {
        connection.query(sql);
      },
      handleCopyInResponse(connection: CopyConnection) {
        for (const c of chunks) connection.sendCopyFromChunk(c);
        connection.endCopyFrom();
      },
      handleCommandComplete(msg: { text: string }) {
        tag = msg.text;
      },
      // node-postgres forgets the active query when its ErrorResponse arrives: the ReadyForQuery
      // after it never reaches this object, so the error settles the promise here.
      handleError(err: unknown) {
        reject(err);
      },
      handleReadyForQuery() {
        resolve(tag);
      },
    };
    void (client.query(submittable as unknown as pg.QueryConfig) as unknown);
  });
}

/** Runs `COPY ... TO STDOUT`; resolves with all the data. */
export function copyOut(client: pg.Client, sql: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const submittable = {
      submit(connection: CopyConnection) {
        connection.query(sql);
      },
      handleCopyData(msg: { chunk: Buffer }) {
        // pg-protocol's chunk is a view of its read buffer, which it reuses: copy it.
        parts.push(Buffer.from(msg.chunk));
      },
      handleCommandComplete() {},
      // As in copyIn: the ErrorResponse settles it, no ReadyForQuery follows for this object.
      handleError(err: unknown) {
        reject(err);
      },
      handleReadyForQuery() {
        resolve(Buffer.concat(parts));
      },
    };
    void (client.query(submittable as unknown as pg.QueryConfig) as unknown);
  });
}
