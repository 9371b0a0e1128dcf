/**
 * Startups pgtrail refuses before authentication decides are on the record as session.auth_failed
 * with the SQLSTATE the client got and why: a malformed startup packet, a protocol pgtrail does not
 * speak, a startup that timed out (with the user when its StartupMessage came), within the rate
 * bound that keeps a flood from growing the journal without limit.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionAuthFailed } from '../recorder/events.js';
import { STARTUP_REFUSAL_BOUND } from '../proxy/startup-refusals.js';
import { RawClient, startupMessage, startupPacket } from './support/raw-client.js';
import { testRoles } from './support/test-roles.js';
import { startTestProxy, type TestProxy } from './support/test-proxy.js';

describe('refused startups are recorded', () => {
  const server = inject('postgres');
  let p: TestProxy;
  beforeAll(async () => {
    p = await startTestProxy(server, { limits: { startupTimeoutMs: 500 } });
  });
  afterAll(async () => {
    await p.close();
  });
  const failedFrom = (port: number) =>
    p.events.filter((e): e is SessionAuthFailed => e.type === 'session.auth_failed' && e.client.port === port);

  async function refused(send: (raw: RawClient) => void): Promise<SessionAuthFailed[]> {
    const raw = await RawClient.open(p.host, p.port);
    const port = raw.socket.localPort ?? 0;
    send(raw);
    await raw.closed();
    return failedFrom(port);
  }

  it('a startup packet with a bad length: 08P01', async () => {
    const bad = Buffer.from([0, 0, 0, 4, 0, 3, 0, 0]);
    expect(await refused((raw) => raw.write(bad))).toEqual([
      expect.objectContaining({ code: '08P01', reason: 'invalid length of startup packet', user: '', method: null }),
    ]);
  });

  it('a protocol major other than 3: 0A000', async () => {
    const v2 = startupMessage({ user: 'app' }, 2, 0);
    expect(await refused((raw) => raw.write(v2))).toEqual([expect.objectContaining({ code: '0A000', user: '' })]);
  });

  it('a client that sends nothing until the startup timeout: 08P01 with the reason', async () => {
    expect(await refused(() => {})).toEqual([
      expect.objectContaining({ code: '08P01', reason: 'canceling authentication due to timeout', user: '' }),
    ]);
  });

  it('a client that never answers the password request: the timeout, with the user it claimed', async () => {
    const rows = await refused((raw) => raw.write(startupMessage({ user: testRoles.scram.user, database: 'app' })));
    expect(rows).toEqual([
      expect.objectContaining({
        code: '08P01',
        reason: 'canceling authentication due to timeout',
        user: testRoles.scram.user,
        database: 'app',
        method: 'passthrough',
      }),
    ]);
  });

  it('a flood of bad packets: a bounded number recorded one by one, every other one counted in a summary', async () => {
    const before = p.events.filter((e) => e.type === 'session.auth_failed').length;
    const flood = 60;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: flood }, async () => {
        const raw = await RawClient.open(p.host, p.port);
        raw.write(startupPacket(1234));
        await raw.closed();
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    await p.close(); // writes the summary of what was held back
    const after = p.events.filter((e): e is SessionAuthFailed => e.type === 'session.auth_failed').slice(before);
    const summaries = after.filter((e) => / more refused startups not recorded one by one/.test(e.reason));
    const oneByOne = after.length - summaries.length;
    const { burst, perSecond } = STARTUP_REFUSAL_BOUND;
    expect(oneByOne).toBeLessThanOrEqual(burst + Math.ceil(seconds * perSecond) + 1);
    expect(oneByOne).toBeLessThan(flood);
    // Nothing unsaid: the summaries count exactly the refusals not recorded one by one.
    const summarised = summaries.reduce((n, e) => n + Number(/^(\d+) more/.exec(e.reason)?.[1]), 0);
    expect(oneByOne + summarised).toBe(flood);
  });
});

describe('wrong passwords are recorded within the same bound', () => {
  const server = inject('postgres');

  async function wrongPassword(p: TestProxy): Promise<void> {
    const client = new pg.Client({
      host: p.host,
      port: p.port,
      user: testRoles.scram.user,
      password: 'not-the-password',
      database: 'app',
    });
    await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
    await client.end().catch(() => {});
  }

  it('one wrong password: session.auth_failed 28P01 with the user and the server message', async () => {
    const p = await startTestProxy(server);
    try {
      await wrongPassword(p);
      await p.close();
      expect(p.events.filter((e) => e.type === 'session.auth_failed')).toEqual([
        expect.objectContaining({
          code: '28P01',
          user: testRoles.scram.user,
          database: 'app',
          method: 'passthrough',
          reason: `password authentication failed for user "${testRoles.scram.user}"`,
        }),
      ]);
    } finally {
      await p.close();
    }
  });

  it('a burst of wrong passwords: a bounded number one by one, the rest counted in a summary', async () => {
    const p = await startTestProxy(server);
    const attempts = 60;
    const started = Date.now();
    try {
      // Ten at a time: a password guesser's pace, without filling the server's connection slots.
      for (let i = 0; i < attempts; i += 10) await Promise.all(Array.from({ length: 10 }, () => wrongPassword(p)));
    } finally {
      await p.close(); // writes the summary of what was held back
    }
    const seconds = (Date.now() - started) / 1000;
    const failed = p.events.filter((e): e is SessionAuthFailed => e.type === 'session.auth_failed');
    const summaries = failed.filter((e) => / more refused startups not recorded one by one/.test(e.reason));
    const oneByOne = failed.filter((e) => !summaries.includes(e));
    const { burst, perSecond } = STARTUP_REFUSAL_BOUND;
    expect(oneByOne.length).toBeLessThanOrEqual(burst + Math.ceil(seconds * perSecond) + 1);
    expect(oneByOne.length).toBeLessThan(attempts);
    for (const e of oneByOne) expect(e).toMatchObject({ code: '28P01', user: testRoles.scram.user });
    expect(summaries.length).toBeGreaterThan(0);
    for (const e of summaries) expect(e.reason).toMatch(/: 28P01 x\d+$/);
    const summarised = summaries.reduce((n, e) => n + Number(/^(\d+) more/.exec(e.reason)?.[1]), 0);
    expect(oneByOne.length + summarised).toBe(attempts);
  });
});
