import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RawClient, frontendMessage, sqlstateOf, startupMessage } from './support/raw-client.js';
import { testRoles } from './support/test-roles.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';

const server = inject('postgres');
const codes = (messages: { code: number }[]) => messages.map((m) => String.fromCharCode(m.code)).join('');

describe('protocol paths through pgtrail, byte for byte', () => {
  let p: TestProxy;
  let raw: RawClient;
  beforeAll(async () => {
    p = await startTestProxy(server);
    raw = await RawClient.open(p.host, p.port);
    raw.write(startupMessage({ user: testRoles.trust.user, database: 'app' }));
    await raw.untilReady();
  });
  afterAll(async () => {
    raw.end();
    await p.close();
  });

  it('pipelined extended protocol: an error skips everything until Sync, and the next batch runs', async () => {
    raw.write(
      Buffer.concat([
        serialize.parse({ name: 'ok1', text: 'select $1::int as v', types: [] }),
        serialize.bind({ statement: 'ok1', values: ['1'] }),
        serialize.execute({}),
        serialize.parse({ text: 'select 1/0', types: [] }),
        serialize.bind({}),
        serialize.execute({}),
        serialize.bind({ statement: 'ok1', values: ['3'] }),
        serialize.execute({}),
        serialize.sync(),
        serialize.bind({ statement: 'ok1', values: ['4'] }),
        serialize.execute({}),
        serialize.sync(),
      ]),
    );
    const first = await raw.untilReady();
    // 1/0 is folded when the plan is made, so Bind fails; the rest of the batch is skipped.
    expect(codes(first)).toBe('12DC1EZ');
    expect(sqlstateOf(first[5]?.body as Buffer)).toBe('22012');
    const second = await raw.untilReady();
    expect(codes(second)).toBe('2DCZ');
  });

  it('Flush returns results without Sync; portals fetch in parts (PortalSuspended)', async () => {
    raw.write(
      Buffer.concat([
        serialize.parse({ name: 'gs', text: 'select generate_series(1, 5)', types: [] }),
        serialize.bind({ statement: 'gs', portal: 'p1' }),
        serialize.execute({ portal: 'p1', rows: 2 }),
        serialize.flush(),
      ]),
    );
    const got: number[] = [];
    while (got.length < 5) got.push((await raw.next()).code);
    expect(String.fromCharCode(...got)).toBe('12DDs');
    raw.write(Buffer.concat([serialize.execute({ portal: 'p1', rows: 0 }), serialize.sync()]));
    expect(codes(await raw.untilReady())).toBe('DDDCZ');
  });

  it('several statements and an empty one in a single Query', async () => {
    raw.write(frontendMessage('Q', 'select 1; ; select 2\0'));
    expect(codes(await raw.untilReady())).toBe('TDCTDCZ');
    raw.write(frontendMessage('Q', '\0'));
    expect(codes(await raw.untilReady())).toBe('IZ');
  });

  it('FunctionCall (int4abs by OID) gets its FunctionCallResponse', async () => {
    const body = Buffer.alloc(4 + 2 + 2 + 2 + 4 + 4 + 2);
    let o = 0;
    o = body.writeInt32BE(1397, o); // int4abs(int4)
    o = body.writeInt16BE(1, o); // one argument format code:
    o = body.writeInt16BE(1, o); // binary
    o = body.writeInt16BE(1, o); // one argument
    o = body.writeInt32BE(4, o);
    o = body.writeInt32BE(-42, o);
    body.writeInt16BE(1, o); // binary result
    raw.write(frontendMessage('F', body));
    const reply = await raw.untilReady();
    expect(codes(reply)).toBe('VZ');
    expect(reply[0]?.body.readInt32BE(4)).toBe(42);
  });

  it('NoticeResponse and ParameterStatus in mid-session', async () => {
    raw.write(
      frontendMessage(
        'Q',
        "do $$ begin raise notice 'hello from plpgsql'; end $$; set application_name = 'raw-test'\0",
      ),
    );
    const reply = await raw.untilReady();
    expect(codes(reply)).toBe('NCCSZ');
    expect(reply[0]?.body.toString()).toContain('hello from plpgsql');
    expect(reply[3]?.body.toString()).toBe('application_name\0raw-test\0');
  });

  it('COPY FROM STDIN with CopyFail, then COPY TO STDOUT', async () => {
    raw.write(frontendMessage('Q', 'create temp table rc (v int)\0'));
    await raw.untilReady();
    raw.write(frontendMessage('Q', 'copy rc from stdin\0'));
    const started: number[] = [];
    while (started.at(-1) !== 0x47) started.push((await raw.next()).code);
    raw.write(Buffer.concat([frontendMessage('d', '1\n2\n'), frontendMessage('f', 'changed my mind\0')]));
    const failed = await raw.untilReady();
    expect(codes(failed)).toBe('EZ');
    expect(sqlstateOf(failed[0]?.body as Buffer)).toBe('57014');
    raw.write(frontendMessage('Q', 'copy rc from stdin\0'));
    expect((await raw.next()).code).toBe(0x47);
    raw.write(Buffer.concat([frontendMessage('d', '1\n'), frontendMessage('d', '2\n'), frontendMessage('c')]));
    expect(codes(await raw.untilReady())).toBe('CZ');
    raw.write(frontendMessage('Q', 'copy rc to stdout\0'));
    const out = await raw.untilReady();
    expect(codes(out)).toBe('HddcCZ');
  });
});
