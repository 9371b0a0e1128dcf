/**
 * A client message pgtrail cannot decode is pgtrail's to refuse: the client gets 08P01 from pgtrail
 * (not the server's "invalid message format"), the attempt is in the journal, and other sessions go
 * on. That the bytes never reach PostgreSQL, at every split of the stream, is shown by
 * proxy/protocol/client-frame-reader.test.ts.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RawClient, sqlstateOf, startupMessage } from './support/raw-client.js';
import {
  startRecordingProxy,
  startThreadRecordingProxy,
  type RecordingProxy,
  type ThreadRecordingProxy,
} from './support/recording-proxy.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';

describe('a malformed client message through a recording proxy', () => {
  const server = inject('postgres');
  let rec: RecordingProxy;
  beforeAll(async () => {
    rec = await startRecordingProxy(server);
  });
  afterAll(async () => {
    await rec.stop();
    rec.remove();
  });

  it('a Query without its terminating zero: 08P01 from pgtrail, recorded, session ended, others unaffected', async () => {
    const other = new pg.Client({ host: rec.proxy.host, port: rec.proxy.port, ...testRoles.scram, database: 'app' });
    await other.connect();

    const raw = await RawClient.open(rec.proxy.host, rec.proxy.port);
    raw.write(startupMessage({ user: testRoles.trust.user, database: 'app' }));
    await raw.untilReady();
    const text = 'select 1 as malformed_marker';
    const frame = Buffer.alloc(5 + text.length);
    frame[0] = 0x51; // Query, its body without the zero that ends the string
    frame.writeInt32BE(4 + text.length, 1);
    frame.write(text, 5);
    raw.write(frame);
    const answer = await raw.next();
    expect(String.fromCharCode(answer.code)).toBe('E');
    expect(sqlstateOf(answer.body)).toBe('08P01');
    // pgtrail's own words, not the server's "invalid message format".
    expect(answer.body.toString('latin1')).toContain('malformed Query message');
    await raw.closed();

    const { rows } = await other.query<{ ok: number }>('select 1 as ok');
    expect(rows).toEqual([{ ok: 1 }]);
    await other.end();

    await rec.writer.flush();
    const search = await runCommand('search', ['--journal', rec.journal, '--json', '--error', '08P01']);
    expect(search.code, search.stderr).toBe(0);
    const found = search.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sql: string; error: unknown; not_executed: boolean; user: string });
    expect(found).toEqual([
      expect.objectContaining({
        sql: text,
        user: testRoles.trust.user,
        error: { code: '08P01', message: 'malformed Query message' },
        not_executed: true,
      }),
    ]);
  });
});

describe('a malformed client message through a proxy recording on a recording thread', () => {
  const server = inject('postgres');
  let rec: ThreadRecordingProxy;
  beforeAll(async () => {
    rec = await startThreadRecordingProxy(server);
  });
  afterAll(async () => {
    await rec.stop();
    rec.remove();
  });

  it('a Bind whose value runs past its end: 08P01 from the forwarding thread, recorded by the recording thread', async () => {
    const raw = await RawClient.open(rec.proxy.host, rec.proxy.port);
    raw.write(startupMessage({ user: testRoles.trust.user, database: 'app' }));
    await raw.untilReady();
    // Bind: portal '', statement '', no formats, one value said to be 100 bytes long but 2 given.
    const body = Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 100, 0x34, 0x32, 0, 0]);
    const frame = Buffer.alloc(5 + body.length);
    frame[0] = 0x42;
    frame.writeInt32BE(4 + body.length, 1);
    body.copy(frame, 5);
    raw.write(frame);
    const answer = await raw.next();
    expect(String.fromCharCode(answer.code)).toBe('E');
    expect(sqlstateOf(answer.body)).toBe('08P01');
    expect(answer.body.toString('latin1')).toContain('malformed Bind message');
    await raw.closed();

    // Stopping closes the journal: everything the thread read is written.
    await rec.stop();
    const search = await runCommand('search', ['--journal', rec.journal, '--json', '--error', '08P01']);
    expect(search.code, search.stderr).toBe(0);
    const found = search.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { protocol: string; error: unknown; not_executed: boolean; user: string });
    expect(found).toEqual([
      expect.objectContaining({
        user: testRoles.trust.user,
        error: { code: '08P01', message: 'malformed Bind message' },
        not_executed: true,
      }),
    ]);
  });
});
