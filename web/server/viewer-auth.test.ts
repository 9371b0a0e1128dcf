import { describe, expect, it } from 'vitest';
import { sessionCookie, ViewerAuth } from './viewer-auth.js';

describe('ViewerAuth', () => {
  const token = 'the-login-token';

  it('expires a session ttlMs after login, and says so in the cookie', async () => {
    let now = 1_000_000;
    const auth = new ViewerAuth(token, 60_000, null, () => now);
    const session = await auth.login(token);
    expect(session?.viewer.expiresAt).toBe(now + 60_000);
    const cookie = `${sessionCookie}=${session?.cookie}`;
    expect(auth.setCookie(session?.cookie ?? '', session?.viewer.expiresAt)).toMatch(/Max-Age=60$/);
    now += 59_999;
    expect(await auth.authenticate({ cookie })).not.toBeNull();
    now += 1;
    expect(await auth.authenticate({ cookie })).toBeNull();
    // Gone for good: turning the clock back does not revive it.
    now -= 10_000;
    expect(await auth.authenticate({ cookie })).toBeNull();
  });

  it('ends a session at logout, and clears the cookie', async () => {
    const auth = new ViewerAuth(token, 60_000, null);
    const session = await auth.login(token);
    const cookie = `${sessionCookie}=${session?.cookie}`;
    expect(await auth.authenticate({ cookie })).not.toBeNull();
    auth.logout(cookie);
    expect(await auth.authenticate({ cookie })).toBeNull();
    expect(auth.setCookie('')).toContain('Max-Age=0');
  });

  it('refuses anything but the login token when no SSO issuer is configured', async () => {
    const auth = new ViewerAuth(token, 60_000, null);
    expect(await auth.login(`${token}x`)).toBeNull();
    expect(await auth.login('a.b.c')).toBeNull();
    expect(await auth.authenticate({ authorization: `Bearer ${token}` })).not.toBeNull();
    expect(await auth.authenticate({ authorization: 'Bearer a.b.c' })).toBeNull();
  });
});
