/**
 * The viewer's access rules against a real recorded journal: every API route and the live socket
 * refuse a request without a valid token (401); the login token and SSO tokens open a session
 * cookie (HttpOnly, SameSite=Strict) that expires; every answer carries the strict CSP; and each
 * viewing (login, session opened, search run) is a journal record that `pgtrail search --viewings`
 * lists.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';
import { loginCookie, startViewerFixture, type ViewerFixture } from './support/viewer-fixture.js';

const routes = ['/api/me', '/api/sessions', '/api/search?user=app', '/api/proofs?seq=0', '/api/sessions/abc'];

function wsStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', reject);
  });
}

describe('viewer access', () => {
  const server = inject('postgres');
  let f: ViewerFixture;
  let session = '';

  beforeAll(async () => {
    f = await startViewerFixture(server);
    const client = new pg.Client({
      host: f.rec.proxy.host,
      port: f.rec.proxy.port,
      ...testRoles.scram,
      database: 'app',
    });
    await client.connect();
    await client.query('select 1 as one');
    await client.end();
    await f.rec.writer.flush();
    const res = await runCommand('sessions', ['--journal', f.rec.journal, '--json']);
    session = (JSON.parse(res.stdout.trim().split('\n')[0] as string) as { session: string }).session;
  });
  afterAll(() => f?.stop());

  it('answers 401 on every API route and the live socket without a token, and with a wrong one', async () => {
    for (const route of [...routes, `/api/sessions/${session}`, `/api/sessions/${session}/bundle`]) {
      const bare = await fetch(f.base + route);
      expect(bare.status, route).toBe(401);
      const wrong = await fetch(f.base + route, {
        headers: { Cookie: 'pgtrail_viewer=forged', Authorization: 'Bearer nope' },
      });
      expect(wrong.status, route).toBe(401);
      expect(JSON.stringify(await wrong.json())).not.toContain('select');
    }
    expect((await fetch(`${f.base}/api/logout`, { method: 'POST' })).status).toBe(401);
    const login = await fetch(`${f.base}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: `${f.token}x` }),
    });
    expect(login.status).toBe(401);
    const ws = f.base.replace('http', 'ws');
    expect(await wsStatus(`${ws}/api/live`)).toBe(401);
    expect(await wsStatus(`${ws}/api/live`, { Cookie: 'pgtrail_viewer=forged' })).toBe(401);
  });

  it('exchanges the login token for an HttpOnly, SameSite=Strict session cookie that opens everything', async () => {
    const res = await fetch(`${f.base}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: f.token }),
    });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^pgtrail_viewer=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toMatch(/Max-Age=3600/);
    const cookie = setCookie.split(';')[0] as string;
    for (const route of [...routes.filter((r) => r !== '/api/sessions/abc'), `/api/sessions/${session}`]) {
      expect((await fetch(f.base + route, { headers: { Cookie: cookie } })).status, route).toBe(200);
    }
    expect(await wsStatus(`${f.base.replace('http', 'ws')}/api/live`, { Cookie: cookie })).toBe(101);
    // A page of another origin cannot open the live socket with the cookie.
    expect(
      await wsStatus(`${f.base.replace('http', 'ws')}/api/live`, { Cookie: cookie, Origin: 'http://evil.example' }),
    ).toBe(403);
    // The login token also works as a Bearer token (for scripts).
    expect((await fetch(`${f.base}/api/me`, { headers: { Authorization: `Bearer ${f.token}` } })).status).toBe(200);
  });

  it('sends a strict Content-Security-Policy with no inline script or style on the page and the API', async () => {
    for (const path of ['/', '/app.js', '/api/me']) {
      const res = await fetch(f.base + path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const page = await (await fetch(`${f.base}/`)).text();
    expect(page).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/i);
  });

  it('refuses bad filter values with the command line messages (400)', async () => {
    const cookie = await loginCookie(f.base, f.token);
    const bad = await fetch(`${f.base}/api/search?since=yesterday`, { headers: { Cookie: cookie } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^since is a bad time/);
    const cli = await runCommand('search', ['--journal', f.rec.journal, '--since', 'yesterday']);
    expect(cli.thrown?.message).toMatch(/^--since is a bad time/);
    const kind = await fetch(`${f.base}/api/search?kind=nonsense`, { headers: { Cookie: cookie } });
    expect(kind.status).toBe(400);
  });

  it('records every viewing in the journal, listed by pgtrail search --viewings', async () => {
    const cookie = await loginCookie(f.base, f.token);
    expect((await fetch(`${f.base}/api/sessions/${session}`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await fetch(`${f.base}/api/search?user=app&grep=one`, { headers: { Cookie: cookie } })).status).toBe(200);
    const res = await runCommand('search', ['--journal', f.rec.journal, '--viewings', '--json']);
    expect(res.code, res.stderr + String(res.thrown)).toBe(0);
    const rows = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { viewer: string; action: string; target: string; method: string; client: string });
    expect(rows.every((r) => r.viewer === 'login-token' && r.method === 'login-token')).toBe(true);
    expect(rows.some((r) => r.action === 'login')).toBe(true);
    expect(rows).toContainEqual(expect.objectContaining({ action: 'session', target: session }));
    expect(rows).toContainEqual(expect.objectContaining({ action: 'search', target: 'user=app&grep=one' }));
    expect(rows[0]?.client).toMatch(/^127\.0\.0\.1:\d+$/);
    const bySession = await runCommand('search', [
      '--journal',
      f.rec.journal,
      '--viewings',
      '--session',
      session,
      '--json',
    ]);
    const viewed = bySession.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; target: string });
    // Opened twice: once in the test above, once here.
    expect(viewed).toHaveLength(2);
    expect(viewed.every((r) => r.action === 'session' && r.target === session)).toBe(true);
    // The journal with viewing records in it still verifies.
    await f.rec.writer.checkpoint();
    const verify = await runCommand('verify', ['--journal', f.rec.journal]);
    expect(verify.code, verify.stdout).toBe(0);
  });
});
