import { describe, expect, inject, it } from 'vitest';
import { RawClient, frontendMessage, startupMessage } from './support/raw-client.js';
import { testRoles } from './support/test-roles.js';
import { startTestProxy } from './support/test-proxy.js';

describe('backpressure', () => {
  it('a client that stops reading a 200 MB result keeps pgtrail buffering about a chunk, not the result', async () => {
    const p = await startTestProxy(inject('postgres'));
    const raw = await RawClient.open(p.host, p.port);
    try {
      raw.write(startupMessage({ user: testRoles.trust.user, database: 'app' }));
      await raw.untilReady();
      const before = process.memoryUsage().arrayBuffers;
      raw.channel.detach(); // stops reading: the socket is paused
      raw.write(frontendMessage('Q', "select repeat('x', 1000) from generate_series(1, 200000)\0"));
      await new Promise((r) => setTimeout(r, 2_000));
      const grown = process.memoryUsage().arrayBuffers - before;
      expect(grown).toBeLessThan(16 * 1024 * 1024);
      expect(p.proxy.sessionCount).toBe(1);
    } finally {
      raw.end();
      await p.close();
    }
  });
});
