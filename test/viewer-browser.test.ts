/**
 * The viewer in a real browser (Debian's Chromium, playwright-core): a reviewer given only the
 * `viewer:` URL logs in, finds a session, opens it, pins the journal's key and sees every statement
 * verified; a statement run through pgtrail appears live without a reload; text made of markup and
 * script shows as text and never runs; and a journal with one edited record, served by
 * `pgtrail serve`, shows that record as failing verification and the others as verified; an SSO
 * token (checked against a JWKS served over HTTP) logs in through the login form, a forged or
 * unsigned one is refused, and the session ends with the token.
 * Screenshots go to $PGTRAIL_SCREENSHOTS when set (docs/images/ is made that way).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createJwtVerifier } from '../proxy/identity/jwt-verifier.js';
import { launchChromium } from './support/chromium.js';
import { spawnPgtrail } from './support/pgtrail-child.js';
import { runCommand } from './support/run-command.js';
import { startSsoIssuer, type SsoIssuer } from './support/sso-issuer.js';
import { testRoles } from './support/test-roles.js';
import { startViewerFixture, type ViewerFixture } from './support/viewer-fixture.js';

const hostileApp = '<img src=x onerror="window.__pwned=1">psql';
const hostileParam = '<script>window.__pwned=2</script>';
const hostileSql = "select '<b>bold</b><script>window.__pwned=3</script>' as markup";
const longSql = `select n,\n${Array.from({ length: 14 }, (_, i) => `  n * ${i + 1} as times_${i + 1}`).join(',\n')}\nfrom generate_series(1, 3) as n`;

async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.PGTRAIL_SCREENSHOTS;
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}

async function pin(page: Page, vkey: string): Promise<void> {
  await page.getByTestId('vkey-input').fill(vkey);
  await page.getByTestId('pin-key').click();
}

describe('the viewer in Chromium', () => {
  const server = inject('postgres');
  let f: ViewerFixture;
  let issuer: SsoIssuer;
  let client: pg.Client;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const work = mkdtempSync(join(tmpdir(), 'pgtrail-viewer-browser-'));

  beforeAll(async () => {
    issuer = await startSsoIssuer();
    f = await startViewerFixture(server, { jwt: createJwtVerifier(issuer.config, (p) => readFileSync(p)) });
    // Two earlier sessions, already closed, so that the list has more than the live one.
    for (const [role, sql] of [
      [testRoles.md5, 'select count(*) from pg_class'],
      [testRoles.password, 'select now()'],
    ] as const) {
      const other = new pg.Client({ host: f.rec.proxy.host, port: f.rec.proxy.port, ...role, database: 'postgres' });
      await other.connect();
      await other.query(sql);
      await other.end();
    }
    client = new pg.Client({
      host: f.rec.proxy.host,
      port: f.rec.proxy.port,
      ...testRoles.scram,
      database: 'app',
      application_name: hostileApp,
    });
    await client.connect();
    await client.query('select 1 as one');
    await client.query('select $1::text as param', [hostileParam]);
    await client.query(hostileSql);
    await client.query("select 'tamper-target-1' as victim");
    await client.query(longSql);
    await client.query('select 1/0').catch(() => undefined);
    await f.rec.writer.checkpoint();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await client?.end().catch(() => undefined);
    await f?.stop();
    await issuer?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('logs in from the viewer: URL, opens a live session, verifies it and shows new statements live', async () => {
    const page = await browser.context.newPage();
    await page.goto(f.viewer.url);
    // The token leaves the address bar at once.
    await expect.poll(() => page.url()).not.toContain('login=');
    const rows = page.getByTestId('session-row');
    await rows.first().waitFor();
    await expect.poll(() => rows.count()).toBe(3);
    // Newest first: the live session.
    await expect.poll(() => rows.first().textContent()).toContain('● open');
    await shot(page, 'viewer-sessions');

    await rows.first().getByRole('link').click();
    await page.getByTestId('live').waitFor();
    await pin(page, f.rec.writer.verifierKey);
    const statements = page.getByTestId('statement');
    await expect.poll(() => statements.count()).toBe(6);
    const marks = page.getByTestId('statement').getByTestId('mark');
    await expect.poll(async () => (await marks.allTextContents()).every((t) => t === '✓ verified')).toBe(true);

    // Attacker-controlled text is shown as text, and none of it ran.
    const timeline = page.getByTestId('timeline');
    expect(await timeline.textContent()).toContain('<b>bold</b><script>window.__pwned=3</script>');
    expect(await timeline.textContent()).toContain(hostileParam);
    expect(await page.locator('main').textContent()).toContain(hostileApp);
    expect(await page.locator('main script, main img, main b').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await shot(page, 'viewer-session');

    // A statement run now appears without a reload: the marker set on this page survives.
    await page.evaluate(() => {
      (window as { __samePage?: boolean }).__samePage = true;
    });
    await client.query("select 'live statement 42' as live");
    const live = statements.filter({ hasText: 'live statement 42' });
    await live.waitFor();
    expect(await page.evaluate(() => (window as { __samePage?: boolean }).__samePage)).toBe(true);
    // Not covered until the next checkpoint, which the server pushes; then verified.
    await f.rec.writer.checkpoint();
    await expect.poll(() => live.getByTestId('mark').textContent()).toBe('✓ verified');
    expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await page.close();
  });

  it('searches with the command line filters', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${f.base}/#/search?grep=tamper-target&run=true`);
    const rows = page.getByTestId('search-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("select 'tamper-target-1' as victim");
    await page.goto(`${f.base}/#/search?error=22&run=true`);
    await page.getByTestId('search-row').filter({ hasText: 'ERROR 22012' }).waitFor();
    await page.goto(`${f.base}/#/search?user=app&run=true`);
    await expect.poll(() => page.getByTestId('search-row').count()).toBe(7);
    await shot(page, 'viewer-search');
    await page.close();
  });

  it('marks an edited record as failing verification under pgtrail serve, and records the viewing', async () => {
    await client.end();
    await f.rec.writer.checkpoint();
    const copy = join(work, 'journal');
    cpSync(f.rec.journal, copy, { recursive: true, filter: (src) => !/[/\\](index|lock)$/.test(src) });
    // Change one character of one statement's SQL: same length, every other byte as it was.
    const segment = readdirSync(copy).find((n) => n.startsWith('segment-')) as string;
    const text = readFileSync(join(copy, segment), 'utf8');
    const sql = "select 'tamper-target-1' as victim";
    expect(text.split(sql)).toHaveLength(2);
    writeFileSync(join(copy, segment), text.replace(sql, "select 'tamper-target-2' as victim"));

    const serve = spawnPgtrail(['serve', '--journal', copy, '--listen', '127.0.0.1:0']);
    try {
      const url = (await serve.waitFor(/^viewer: (\S+)$/m))[1] as string;
      const page = await browser.context.newPage();
      await page.goto(url);
      await page.getByTestId('session-row').first().getByRole('link').click();
      await pin(page, f.rec.writer.verifierKey);
      const statements = page.getByTestId('statement');
      await expect.poll(() => statements.count()).toBe(7);
      const tampered = statements.filter({ hasText: 'tamper-target-2' });
      await expect.poll(() => tampered.getByTestId('mark').textContent()).toBe('✗ fails verification');
      expect(await tampered.getByTestId('mark').getAttribute('title')).toBe(
        'the record does not match the signed tree',
      );
      const others = await statements.filter({ hasNotText: 'tamper-target-2' }).getByTestId('mark').allTextContents();
      expect(others).toHaveLength(6);
      expect(others.every((t) => t === '✓ verified')).toBe(true);
      await tampered.scrollIntoViewIfNeeded();
      await shot(page, 'viewer-tampered');
      await page.close();
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    // serve wrote its viewings to its own signed audit journal, beside the one it showed.
    const audit = `${copy}-viewer-audit`;
    const viewings = await runCommand('search', ['--journal', audit, '--viewings', '--json']);
    const actions = viewings.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { action: string }).action);
    expect(actions).toEqual(['login', 'session']);
    expect((await runCommand('verify', ['--journal', audit])).code).toBe(0);
  });

  it('logs in with an SSO token typed into the login form, refuses forged ones, and ends with the token', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.goto(`${f.base}/#/sessions`);
    const form = page.locator('form.login');
    await form.waitFor();
    const tryToken = async (token: string) => {
      await form.getByLabel('token').fill(token);
      await form.getByRole('button', { name: 'Log in' }).click();
    };
    const carol = 'carol@example.test';
    for (const forged of [issuer.unsigned(carol), await issuer.token(carol, { foreignKey: true })]) {
      await tryToken(forged);
      await expect.poll(() => form.textContent()).toContain('Login refused: the token is not valid.');
    }
    expect(await page.locator('nav.top').count()).toBe(0);
    // A token valid for three more seconds: the session it opens ends with it.
    await tryToken(await issuer.token(carol, { exp: Math.floor(Date.now() / 1000) + 3 }));
    await expect.poll(() => page.locator('nav.top .who').textContent()).toBe(`signed in as ${carol}`);
    await page.getByTestId('session-row').first().waitFor();
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.locator('form.login, nav.top').first().waitFor();
          return page.locator('form.login').count();
        },
        { interval: 500 },
      )
      .toBe(1);
    await page.close();
  });
});
