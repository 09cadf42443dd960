/**
 * A write the browser refuses (issue 14, item 3), in the production build:
 * - a quota (set through the DevTools protocol): the notice says what the browser holds, read back
 *   (the next visit finds exactly that: everything saved before the error), and offers the whole
 *   session as a bundle;
 * - a full disk: the profile on a 40 MB tmpfs, filled up under the browser, so that IndexedDB's
 *   write fails with an I/O error; the same checks. Mounting needs root (as here and in CI): without
 *   it the test fails and says so.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { decodeBundle } from '../../src/core/bundle';
import { CHROMIUM_ARGS, CHROMIUM_PATH, openAppWithExamples } from '../../tools/browser';
import { savedCounts, sessionReady, waitForFirstVisitDemo } from './session-helpers';

const baseUrl = inject('baseUrl');
let root: string;
let context: BrowserContext | undefined;
let mounted: string | undefined;

/** `rows` trajectories of about 80 KB each that no compression shrinks. */
function writeBigFile(name: string, rows: number): string {
  const path = join(root, name);
  const lines = Array.from({ length: rows }, (_, i) => JSON.stringify({ id: `${name}-${i}`, messages: [{ role: 'user', content: randomBytes(60_000).toString('base64') }, { role: 'assistant', content: `done ${i}` }] }));
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pa-storage-full-'));
});

afterEach(async () => {
  await context?.close().catch(() => undefined);
  context = undefined;
  if (mounted) execFileSync('umount', [mounted]);
  mounted = undefined;
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function launch(profile: string): Promise<{ page: Page; pageErrors: string[] }> {
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // The browser logs the refused write itself; the page's own errors are what count.
    if (m.type() === 'error' && !/QuotaExceededError|IOError|Failed to write blobs|Internal error/i.test(m.text())) pageErrors.push(`console.error: ${m.text()}`);
  });
  return { page, pageErrors };
}

async function openFile(page: Page, path: string, rows: number): Promise<void> {
  const before = Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
  await page.getByTestId('file-input').setInputFiles(path);
  await expect.poll(async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count')), { timeout: 60_000 }).toBe(before + rows);
}

/** Downloads the session through the notice's offer; returns the bundle's trajectory ids. */
async function downloadedSessionIds(page: Page): Promise<string[]> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByTestId('save-failure').getByTestId('download-session').click()]);
  expect(download.suggestedFilename()).toBe('session.pa-bundle.json.gz');
  const path = join(root, `downloaded-${Date.now()}.gz`);
  await download.saveAs(path);
  const bundle = await decodeBundle(new Uint8Array(readFileSync(path)), 'session.pa-bundle.json.gz');
  return bundle.entries.map((e) => e.trajectory.id);
}

const shownIds = (page: Page) => page.$$eval('[data-testid="trajectory-row"]', (rows) => rows.map((r) => r.getAttribute('data-id') ?? ''));

describe('a write the browser refuses', () => {
  it('over the quota: the notice says what is kept (read back), nothing saved before is lost, and the session can be downloaded', async () => {
    const { page, pageErrors } = await launch(mkdtempSync(join(root, 'profile-')));
    const cdp = await page.context().newCDPSession(page);
    const origin = new URL(baseUrl).origin;
    // Browsers read a site's quota when its storage opens: set it before the app starts.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 3_000_000 });
    await openAppWithExamples(page, baseUrl);
    await sessionReady(page);
    const examples = await waitForFirstVisitDemo(page);
    const first = writeBigFile('fits.jsonl', 10);
    await openFile(page, first, 10);
    await expect.poll(() => savedCounts(page), { timeout: 30_000 }).toMatchObject({ files: 2, trajectories: examples + 10, results: examples });
    // About 2.4 MB more than the quota leaves.
    const big = writeBigFile('too-big.jsonl', 30);
    await openFile(page, big, 30);
    const notice = page.getByTestId('save-failure');
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.getAttribute('data-kind')).toBe('quota');
    expect(await notice.locator('p').textContent()).toBe(
      `Browser storage is full: the latest changes are kept in this tab only, not for the next visit. Kept in this browser: 2 files, ${examples + 10} trajectories, ${examples} scored trajectories. (read back just now) Download the session as a bundle to keep all of it.`,
    );
    // The tab has everything, and so does the bundle it offers.
    const shown = examples + 40;
    expect(await page.getByTestId('trajectory-count').getAttribute('data-count')).toBe(String(shown));
    const ids = await downloadedSessionIds(page);
    expect(ids).toHaveLength(shown);
    expect(ids).toContain('too-big.jsonl-29');

    // The next visit finds what the notice said.
    await page.reload();
    await sessionReady(page);
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(examples + 10));
    expect(await page.locator('[data-testid="file-item"] .file-name').allTextContents()).toEqual(['demo-episodes.jsonl', 'fits.jsonl']);
    expect((await shownIds(page)).length).toBeGreaterThan(0);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    await cdp.detach();
    expect(pageErrors).toEqual([]);
  });

  it('on a full disk: the notice says what the browser still holds, which is what the next visit finds, and offers the session as a bundle', async () => {
    const profile = join(root, 'small-volume');
    mkdirSync(profile, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', profile], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`this test puts the browser profile on a 40 MB tmpfs and needs to mount one (run it as root): ${error instanceof Error ? error.message : String(error)}`);
    }
    mounted = profile;
    let { page, pageErrors } = await launch(profile);
    await openAppWithExamples(page, baseUrl);
    await sessionReady(page);
    const examples = await waitForFirstVisitDemo(page);
    const first = writeBigFile('saved.jsonl', 20);
    await openFile(page, first, 20);
    await expect.poll(() => savedCounts(page), { timeout: 30_000 }).toMatchObject({ files: 2, trajectories: examples + 20, results: examples });

    // Fill the volume under the browser, leaving 1.5 MB: the next file does not fit on the disk (the browser's quota still thinks it does).
    const free = Number(execFileSync('df', ['-k', '--output=avail', profile]).toString().trim().split('\n').at(-1));
    execFileSync('dd', ['if=/dev/zero', `of=${join(profile, 'filler')}`, 'bs=1k', `count=${Math.max(0, free - 1500)}`], { stdio: 'ignore' });
    const big = writeBigFile('no-room.jsonl', 40);
    await openFile(page, big, 40);
    const notice = page.getByTestId('save-failure');
    await notice.waitFor({ timeout: 30_000 });
    const text = (await notice.locator('p').textContent()) ?? '';
    console.log(`full disk: ${text}`);
    expect(await notice.getAttribute('data-kind')).toBe('failed');
    expect(text).toMatch(/^Saving the session failed \(.+\) and this tab has stopped saving: changes are kept in this tab only, not for the next visit\. /);
    const kept = /Kept in this browser: (\d+) files?, (\d+) trajector(?:y|ies), (\d+) scored trajector(?:y|ies)\. \(read back just now\) Download the session as a bundle to keep all of it\.$/.exec(text);
    expect(kept, text).not.toBeNull();
    const [keptFiles, keptTrajectories] = [Number(kept![1]), Number(kept![2])];
    // Everything saved before the failure is still there.
    expect(keptFiles).toBeGreaterThanOrEqual(2);
    expect(keptTrajectories).toBeGreaterThanOrEqual(examples + 20);
    const shown = examples + 60;
    expect(await page.getByTestId('trajectory-count').getAttribute('data-count')).toBe(String(shown));
    const ids = await downloadedSessionIds(page);
    expect(ids).toHaveLength(shown);
    expect(ids).toContain('no-room.jsonl-39');
    expect(pageErrors).toEqual([]);

    // The next visit, with room on the disk again, finds what the notice said.
    await context!.close();
    rmSync(join(profile, 'filler'));
    ({ page, pageErrors } = await launch(profile));
    await page.goto(baseUrl);
    await sessionReady(page);
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(keptTrajectories));
    expect(await page.getByTestId('file-item').count()).toBe(keptFiles);
    expect(pageErrors).toEqual([]);
  });
});
