/**
 * Files with the same name stay apart, end to end in Chromium: a Who&When folder holding
 * `Algorithm-Generated/7.json` and `Hand-Crafted/7.json` (real files from the shared fixtures; the
 * Hand-Crafted one is the fixture's `1.json` under the name the full benchmark gives a seventh log,
 * and the fixture's `1.json` sits beside it, so two files hold a trajectory of the same id) is
 * opened with "Open folder…": each file is listed with the shortest end of its path that tells it
 * apart, a README beside them is left out. Its bundle opens in a fresh profile as the same files
 * (no demo episodes alongside it), and a view link to the trajectory of one of them selects that one.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Download, Page } from 'playwright-core';
import { openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';

const baseUrl = inject('baseUrl');
const REPO = resolve(__dirname, '../..');
const WHO_AND_WHEN = resolve(REPO, '../shared/fixtures/trajectories/who_and_when');

const PATHS = ['Who&When/Algorithm-Generated/7.json', 'Who&When/Hand-Crafted/1.json', 'Who&When/Hand-Crafted/7.json'];
const LABELS = ['Algorithm-Generated/7.json', '1.json', 'Hand-Crafted/7.json'];
/** The trajectory id of the fixture's Hand-Crafted/1.json (its question_ID): held by two of the files. */
const SHARED_ID = (JSON.parse(readFileSync(join(WHO_AND_WHEN, 'Hand-Crafted/1.json'), 'utf8')) as { question_ID: string }).question_ID;

let root: string;
let session: BrowserSession;
let bundlePath = '';

async function fileNames(page: Page): Promise<{ labels: string[]; paths: (string | null)[] }> {
  const names = page.locator('[data-testid="file-item"] .file-name');
  return { labels: await names.allTextContents(), paths: await names.evaluateAll((els) => els.map((e) => e.getAttribute('data-path'))) };
}

async function waitForFiles(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const items = Array.from(document.querySelectorAll('[data-testid="file-item"]'));
      return items.length === n && items.every((i) => i.getAttribute('data-status') === 'done');
    },
    count,
    { timeout: 30_000 },
  );
}

/** The file the open transcript's trajectory came from, as its header names it. */
async function transcriptFile(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const facts = Array.from(document.querySelectorAll('[data-testid="transcript"] dt'));
    return facts.find((dt) => dt.textContent === 'file')?.nextElementSibling?.textContent ?? null;
  });
}

async function followLink(page: Page, file: string, id: string): Promise<void> {
  const params = new URLSearchParams({ v: '1', file, traj: id, tab: 'trajectory' });
  await page.evaluate((hash) => (window.location.hash = hash), `#${params.toString()}`);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pa-file-identity-'));
  const folder = join(root, 'Who&When');
  mkdirSync(join(folder, 'Algorithm-Generated'), { recursive: true });
  mkdirSync(join(folder, 'Hand-Crafted'), { recursive: true });
  copyFileSync(join(WHO_AND_WHEN, 'Algorithm-Generated/7.json'), join(folder, 'Algorithm-Generated/7.json'));
  copyFileSync(join(WHO_AND_WHEN, 'Hand-Crafted/1.json'), join(folder, 'Hand-Crafted/1.json'));
  copyFileSync(join(WHO_AND_WHEN, 'Hand-Crafted/1.json'), join(folder, 'Hand-Crafted/7.json'));
  writeFileSync(join(folder, 'README.md'), '# Who&When\n');
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('files with the same name', () => {
  it('open from a folder with their paths and are told apart', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    // The examples are the user's starting point; closed here so the bundle holds only the folder's files.
    await page.locator('[data-testid="file-item"] button[aria-label^="Close"]').first().click();
    await waitForFiles(page, 0);
    await page.getByTestId('folder-input').setInputFiles(join(root, 'Who&When'));
    await waitForFiles(page, 3);
    expect(await fileNames(page)).toEqual({ labels: LABELS, paths: PATHS });
    expect(await page.getByTestId('trajectory-count').getAttribute('data-count')).toBe('3');
    expect(await page.locator('[data-testid="filter-file"] option').allTextContents()).toEqual(['all files', ...LABELS]);

    // A link to the shared id in Hand-Crafted/7.json selects that file's trajectory, not the same id in 1.json.
    await followLink(page, 'Who&When/Hand-Crafted/7.json', SHARED_ID);
    await expect.poll(() => transcriptFile(page)).toBe('Who&When/Hand-Crafted/7.json');
    await followLink(page, 'Who&When/Hand-Crafted/1.json', SHARED_ID);
    await expect.poll(() => transcriptFile(page)).toBe('Who&When/Hand-Crafted/1.json');
    // The address follows the view with the whole path.
    expect(new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('file')).toBe('Who&When/Hand-Crafted/1.json');

    if ((await page.getByTestId('share-menu').count()) === 0) await page.getByTestId('share-menu-button').click();
    const [download]: [Download, void] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByTestId('export-bundle-all').click()]);
    bundlePath = join(root, 'who-and-when.pa-bundle.json.gz');
    await download.saveAs(bundlePath);
    const bundle = JSON.parse(gunzipSync(readFileSync(bundlePath)).toString('utf8')) as { entries: { fileName: string; file: number }[] };
    expect(bundle.entries.map((e) => [e.fileName, e.file])).toEqual(PATHS.map((p, i) => [p, i]));
    expect(session.pageErrors).toEqual([]);
  });

  it('stay apart through a bundle opened in a fresh profile, with no demo episodes alongside it', async () => {
    const fresh = await openBrowser();
    try {
      const { page } = fresh;
      await openAppWithExamples(page, baseUrl);
      await page.getByTestId('file-input').setInputFiles(bundlePath);
      await expect.poll(() => fileNames(page), { timeout: 30_000 }).toEqual({ labels: LABELS, paths: PATHS });
      await waitForFiles(page, 3);
      expect(await page.getByTestId('trajectory-count').getAttribute('data-count')).toBe('3');

      await followLink(page, 'Who&When/Hand-Crafted/7.json', SHARED_ID);
      await expect.poll(() => transcriptFile(page)).toBe('Who&When/Hand-Crafted/7.json');

      // After a reload the session brings the same files back, and a link opened with the page still finds its file.
      await page.waitForTimeout(2_500);
      const params = new URLSearchParams({ v: '1', file: 'Who&When/Hand-Crafted/1.json', traj: SHARED_ID, tab: 'trajectory' });
      await page.goto('about:blank');
      await page.goto(`${baseUrl}#${params.toString()}`);
      await waitForFiles(page, 3);
      expect(await fileNames(page)).toEqual({ labels: LABELS, paths: PATHS });
      await expect.poll(() => transcriptFile(page)).toBe('Who&When/Hand-Crafted/1.json');
      expect(fresh.pageErrors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
