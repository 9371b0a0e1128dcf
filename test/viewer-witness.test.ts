/**
 * Witnesses in the viewer, in Chromium: a journal written with a real `pgtrail witness` process
 * cosigning its checkpoints; the reviewer pins the journal key and the witness key, and the page
 * checks the cosignature itself (cosignature/v1, recorder/format/cosignature.ts), shows each
 * statement "witnessed by 1", a statement recorded after the cosigned checkpoint "not yet
 * witnessed" until the witness cosigns the next one (pushed, no reload), and a pinned witness that
 * never cosigned as such; and the session downloaded as an evidence bundle that the page checks
 * (the browser-safe bundle check) and the journal records. Screenshots: viewer-witnessed, viewer-bundle.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatCosignerKey } from '../recorder/format/cosignature.js';
import { checkBundle, parseBundle } from '../recorder/verify/bundle-check.js';
import { launchChromium } from './support/chromium.js';
import { runCommand } from './support/run-command.js';
import { testRoles } from './support/test-roles.js';
import { startViewerFixture, type ViewerFixture } from './support/viewer-fixture.js';
import { startWitnessProcess, type WitnessProcess } from './support/witness-process.js';

const witnessName = 'witness.test/w1';

describe('witnesses in the viewer (Chromium)', () => {
  const server = inject('postgres');
  const state = mkdtempSync(join(tmpdir(), 'pgtrail-viewer-witness-'));
  let witness: WitnessProcess;
  let f: ViewerFixture;
  let client: pg.Client;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  /** Waits until the witness has cosigned at least `n` checkpoints of the journal. */
  const cosigned = async (n: number) => {
    for (let waited = 0; (f.rec.writer.witnessStats[0]?.cosigned ?? 0) < n; waited += 100) {
      if (waited > 15_000) throw new Error(`the witness cosigned fewer than ${n} checkpoints`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    f = await startViewerFixture(server, {
      witnesses: async (vkey) => {
        witness = await startWitnessProcess(state, [vkey], 0, witnessName);
        return [{ url: witness.url, vkey: witness.vkey }];
      },
    });
    client = new pg.Client({ host: f.rec.proxy.host, port: f.rec.proxy.port, ...testRoles.scram, database: 'app' });
    await client.connect();
    await client.query('select 1 as one');
    await client.query("select 'cosigned' as witnessed");
    await f.rec.writer.checkpoint();
    await cosigned(1);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await client?.end().catch(() => undefined);
    await f?.stop();
    await witness?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('checks the cosignature in the browser and marks statements witnessed, then new ones as they are cosigned', async () => {
    const page = await browser.context.newPage();
    await page.goto(f.viewer.url);
    await page.getByTestId('session-row').first().getByRole('link').click();
    await page.getByTestId('live').waitFor();
    await page.getByTestId('vkey-input').fill(f.rec.writer.verifierKey);
    await page.getByTestId('pin-key').click();
    const statements = page.getByTestId('statement');
    await expect.poll(() => statements.count()).toBe(2);
    await expect
      .poll(async () => (await statements.getByTestId('mark').allTextContents()).every((t) => t === '✓ verified'))
      .toBe(true);
    // No witness key pinned: the page says nothing about witnesses.
    expect(await page.getByTestId('witness-mark').count()).toBe(0);

    // A key that is not a witness key is refused.
    await page.getByTestId('witness-input').fill(f.rec.writer.verifierKey);
    await page.getByTestId('pin-witness').click();
    await expect
      .poll(() => page.locator('.key-bar .error-message').first().textContent())
      .toContain('not a witness key');

    await page.getByTestId('witness-input').fill(witness.vkey);
    await page.getByTestId('pin-witness').click();
    const witnessMarks = statements.getByTestId('witness-mark');
    await expect.poll(() => witnessMarks.allTextContents()).toEqual(['witnessed by 1', 'witnessed by 1']);
    expect(await witnessMarks.first().getAttribute('title')).toMatch(new RegExp(`cosigned by ${witnessName}$`));
    await expect.poll(() => page.getByTestId('cosigners').textContent()).toContain(`✓ ${witnessName} cosigned`);

    // A second pinned witness that never cosigned this journal: shown as such, the count stays 1.
    const absent = formatCosignerKey('witness.test/absent', ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    await page.getByTestId('witness-input').fill(absent);
    await page.getByTestId('pin-witness').click();
    await expect
      .poll(() => page.getByTestId('cosigner').allTextContents())
      .toContainEqual('witness.test/absent: no cosignature');
    await expect.poll(() => witnessMarks.allTextContents()).toEqual(['witnessed by 1', 'witnessed by 1']);

    // A statement after the cosigned checkpoint: verified or pending, but not yet witnessed...
    await client.query("select 'after the cosigned checkpoint' as later");
    const later = statements.filter({ hasText: 'after the cosigned checkpoint' });
    await later.waitFor();
    await expect.poll(() => later.getByTestId('witness-mark').textContent()).toBe('not yet witnessed');
    // ...until the witness cosigns the next checkpoint, which the server pushes.
    const before = f.rec.writer.witnessStats[0]?.cosigned ?? 0;
    await f.rec.writer.checkpoint();
    await cosigned(before + 1);
    await expect.poll(() => later.getByTestId('witness-mark').textContent()).toBe('witnessed by 1');
    await expect.poll(() => later.getByTestId('mark').textContent()).toBe('✓ verified');
    const dir = process.env.PGTRAIL_SCREENSHOTS;
    if (dir) await page.screenshot({ path: join(dir, 'viewer-witnessed.png') });
    await page.close();
  });

  it('downloads the session as an evidence bundle, checked in the browser, and records the download', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${f.base}/#/sessions`);
    await page.getByTestId('session-row').first().getByRole('link').click();
    await page.getByTestId('live').waitFor();
    const session = decodeURIComponent(page.url().replace(/^.*#\/session\//, ''));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-bundle').click()]);
    expect(download.suggestedFilename()).toBe(`session-${session}.json`);
    const text = readFileSync((await download.path()) as string, 'utf8');
    // The file is the bundle pgtrail verify --bundle checks: intact under the journal and witness keys.
    const report = checkBundle(parseBundle(text), {
      vkeys: [f.rec.writer.verifierKey],
      witnessKeys: [witness.vkey],
      quorum: 1,
    });
    expect(report).toMatchObject({ intact: true, session, closed: false, witnessed: 1 });
    const status = page.getByTestId('bundle-status');
    await expect
      .poll(() => status.textContent())
      .toBe(
        `✓ checked in this browser: intact, ${report.records} records in the signed tree of ${report.treeSize}, ` +
          `complete up to record ${report.upTo} (still open), witnessed by 1`,
      );
    const viewings = await runCommand('search', ['--journal', f.rec.journal, '--viewings', '--json']);
    expect(
      viewings.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { action: string; target: string }),
    ).toContainEqual(expect.objectContaining({ action: 'bundle', target: session }));
    const dir = process.env.PGTRAIL_SCREENSHOTS;
    if (dir) await page.screenshot({ path: join(dir, 'viewer-bundle.png') });
    await page.close();
  });
});
