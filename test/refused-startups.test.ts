/**
 * Startups pgtrail refuses before authentication decides are on the record as session.auth_failed
 * with the SQLSTATE the client got and why: a malformed startup packet, a protocol pgtrail does not
 * speak, a startup that timed out (with the user when its StartupMessage came), within the rate
 * bound that keeps a flood from growing the journal without limit.
 */
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
