import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import type { SessionClosed, SessionOpened } from '../recorder/events.js';
import { RawClient, sqlstateOf, startupMessage, startupPacket } from './support/raw-client.js';
import { testRoles } from './support/test-roles.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';
import { waitForBackendGone, waitForRunningQuery } from './support/wait-for-query.js';

const server = inject('postgres');

function connect(p: TestProxy, role: { user: string; password: string } = testRoles.scram): Promise<pg.Client> {
  const c = new pg.Client({ host: p.host, port: p.port, user: role.user, password: role.password, database: 'app' });
  c.on('error', () => {});
  return c.connect().then(() => c);
}

/** A raw session logged in as trust_user, at ReadyForQuery. */
async function rawSession(p: TestProxy): Promise<RawClient> {
  const raw = await RawClient.open(p.host, p.port);
  raw.write(startupMessage({ user: testRoles.trust.user, database: 'app' }));
  await raw.untilReady();
  return raw;
}

/** Reads until an ErrorResponse; returns its SQLSTATE. */
async function nextError(raw: RawClient): Promise<string> {
  for (;;) {
    const m = await raw.next();
    if (m.code === 0x45) return sqlstateOf(m.body);
  }
}

async function stillWorks(c: pg.Client): Promise<void> {
  expect((await c.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
}

describe('malformed input closes only its own session', () => {
  const garbage: [string, Buffer][] = [
    ['an unknown message type', Buffer.from([0x01, 0, 0, 0, 4])],
    ['a negative length', Buffer.from([0x51, 0xff, 0xff, 0xff, 0xf0])],
    ['a Sync with a body', Buffer.from([0x53, 0, 0, 0, 6, 1, 2])],
    ['a startup packet in mid-session', startupMessage({ user: 'x' })],
  ];
  for (const [what, bytes] of garbage) {
    it(`${what}: 08P01 to that client, the session is closed, others go on`, async () => {
      const p = await startTestProxy(server);
      try {
        const other = await connect(p);
        const raw = await rawSession(p);
        raw.write(bytes);
        expect(await nextError(raw)).toBe('08P01');
        await raw.closed();
        await stillWorks(other);
        await other.end();
        expect(p.events.some((e) => e.type === 'session.closed' && e.reason === 'error')).toBe(true);
      } finally {
        await p.close();
      }
    });
  }

  it('garbage before startup and an unsupported protocol version are refused without harm', async () => {
    const p = await startTestProxy(server);
    try {
      const other = await connect(p);
      const a = await RawClient.open(p.host, p.port);
      a.write(Buffer.from([0, 0, 0, 3, 1, 2, 3, 4]));
      expect(sqlstateOf((await a.next()).body)).toBe('08P01');
      const b = await RawClient.open(p.host, p.port);
      b.write(startupMessage({ user: 'app' }, 2, 0));
      expect(sqlstateOf((await b.next()).body)).toBe('0A000');
      const c = await RawClient.open(p.host, p.port);
      c.write(Buffer.alloc(20_000, 0xff));
      await c.closed();
      await stillWorks(other);
      await other.end();
    } finally {
      await p.close();
    }
  });
});

describe('protocol negotiation', () => {
  it('answers a 3.2 StartupMessage with _pq_ options with one NegotiateProtocolVersion, then goes on in 3.0', async () => {
    const p = await startTestProxy(server);
    try {
      const raw = await RawClient.open(p.host, p.port);
      raw.write(startupMessage({ user: testRoles.trust.user, database: 'app', '_pq_.example': 'on' }, 3, 2));
      const messages = await raw.untilReady();
      const negotiations = messages.filter((m) => m.code === 0x76);
      expect(negotiations.length).toBe(1);
      const body = negotiations[0]?.body as Buffer;
      expect(body.readInt32BE(0)).toBe(0);
      expect(body.readInt32BE(4)).toBe(1);
      expect(body.subarray(8).toString()).toBe('_pq_.example\0');
      const key = messages.find((m) => m.code === 0x4b);
      expect(key?.body.length).toBe(8);
      raw.end();
    } finally {
      await p.close();
    }
  });
});

describe('limits', () => {
  it('refuses connections beyond limits.maxConnections with 53300', async () => {
    const p = await startTestProxy(server, { limits: { maxConnections: 2 } });
    try {
      const a = await connect(p);
      const b = await connect(p);
      await expect(connect(p)).rejects.toMatchObject({ code: '53300' });
      await stillWorks(a);
      await a.end();
      await b.end();
    } finally {
      await p.close();
    }
  });

  it('closes a session that sends a message over limits.maxMessageBytes with 08P01; others go on', async () => {
    const p = await startTestProxy(server, { limits: { maxMessageBytes: 64 * 1024 } });
    try {
      const other = await connect(p);
      const c = await connect(p);
      await expect(c.query(`select '${'x'.repeat(100_000)}'`)).rejects.toMatchObject({ code: '08P01' });
      await stillWorks(other);
      await other.end();
    } finally {
      await p.close();
    }
  });

  it('closes an idle session after limits.idleSessionTimeoutMs with 57P05, but not one running a long statement', async () => {
    const p = await startTestProxy(server, { limits: { idleSessionTimeoutMs: 300 } });
    try {
      const busy = await connect(p);
      await busy.query('select pg_sleep(1)');
      const idle = await connect(p);
      const error = new Promise<Error & { code?: string }>((resolve) => idle.on('error', resolve));
      expect((await error).code).toBe('57P05');
      expect(p.events.some((e) => e.type === 'session.closed' && e.reason === 'idle_timeout')).toBe(true);
      await busy.end().catch(() => {});
    } finally {
      await p.close();
    }
  });

  it('drops a client that does not finish startup within limits.startupTimeoutMs', async () => {
    const p = await startTestProxy(server, { limits: { startupTimeoutMs: 200 } });
    try {
      const raw = await RawClient.open(p.host, p.port);
      raw.write(startupPacket(80877104).subarray(0, 4));
      await raw.closed();
    } finally {
      await p.close();
    }
  });
});

describe('session ends', () => {
  it('a client that vanishes mid-transaction leaves no upstream session (idle in transaction, and mid-statement)', async () => {
    const p = await startTestProxy(server);
    try {
      const inTx = await connect(p);
      await inTx.query('begin');
      const pid1 = (await inTx.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      const running = await connect(p);
      const pid2 = (await running.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      void running.query('select pg_sleep(60) as vanish_marker').catch(() => {});
      await waitForRunningQuery(server, 'vanish_marker');
      for (const c of [inTx, running])
        (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      expect(await waitForBackendGone(server, pid1)).toBe(true);
      expect(await waitForBackendGone(server, pid2)).toBe(true);
      const closed = p.events.filter((e): e is SessionClosed => e.type === 'session.closed');
      expect(closed.filter((e) => e.reason === 'client_gone').length).toBe(2);
    } finally {
      await p.close();
    }
  });

  it("a backend terminated by the server: the client gets the server's FATAL, the session closes as upstream_gone", async () => {
    const p = await startTestProxy(server);
    const admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: testRoles.admin.user,
      password: testRoles.admin.password,
      database: 'postgres',
    });
    await admin.connect();
    try {
      const c = await connect(p);
      const pid = (await c.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      const error = new Promise<Error & { code?: string }>((resolve) => c.on('error', resolve));
      await admin.query('select pg_terminate_backend($1)', [pid]);
      expect((await error).code).toBe('57P01');
      for (let i = 0; i < 200 && p.proxy.sessionCount > 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(p.events.some((e) => e.type === 'session.closed' && e.reason === 'upstream_gone')).toBe(true);
      expect(p.proxy.sessionCount).toBe(0);
    } finally {
      await admin.end();
      await p.close();
    }
  });

  it('records session.opened and session.closed (client_quit) with the session facts', async () => {
    const p = await startTestProxy(server);
    try {
      const c = new pg.Client({
        host: p.host,
        port: p.port,
        user: 'app',
        password: 'app-secret',
        database: 'app',
        application_name: 'limits-test',
      });
      await c.connect();
      const pid = (await c.query('select pg_backend_pid() as pid')).rows[0].pid as number;
      await c.end();
      for (let i = 0; i < 200 && !p.events.some((e) => e.type === 'session.closed'); i++)
        await new Promise((r) => setTimeout(r, 25));
      const opened = p.events.find((e): e is SessionOpened => e.type === 'session.opened');
      expect(opened).toMatchObject({
        database: 'app',
        role: 'app',
        application: 'limits-test',
        backendPid: pid,
        clientTls: null,
        upstreamTls: null,
        upstream: { port: server.port },
      });
      expect(opened?.session).toMatch(/^[0-9A-Z]{26}$/);
      const closed = p.events.find((e): e is SessionClosed => e.type === 'session.closed');
      expect(closed).toMatchObject({ session: opened?.session, reason: 'client_quit', statements: 0 });
    } finally {
      await p.close();
    }
  });

  it('close() drains: sessions still open after shutdownGraceMs get 57P01', async () => {
    const p = await startTestProxy(server, { limits: { shutdownGraceMs: 200 } });
    const c = await connect(p);
    const error = new Promise<Error & { code?: string }>((resolve) => c.on('error', resolve));
    await p.close();
    expect((await error).code).toBe('57P01');
    expect(p.proxy.sessionCount).toBe(0);
    expect(p.events.some((e) => e.type === 'session.closed' && e.reason === 'shutdown')).toBe(true);
  });
});
