/**
 * Inspect `.eval` logs and archives of trajectory files in the browser (issue 17, items 1 and 4),
 * on the production build: both `.eval` fixtures and the `.json` log dropped on the page, a folder
 * picked with "Open folder…", and a `.zip` and a `.tar.gz` built here from the fixtures, dropped.
 * Every count is worked out from the raw files (raw-archives.ts reads the ZIPs through their
 * central directory with node:zlib), and a broken file inside an archive is listed with its
 * reason while the rest load, as is a broken sample of an `.eval` log (the corpus's pinned text).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';
import { shownMessages } from './format-helpers';
import { evalArchiveCounts, gnuTar, inspectSampleCounts, type SampleCounts } from '../unit/core/trajectory/archive/raw-archives';

const baseUrl = inject('baseUrl');
const INSPECT = resolve(__dirname, '../../../shared/fixtures/trajectories/inspect_ai');
const BAD = resolve(__dirname, '../corpus/bad');
const EVALS = ['log_formats.eval', 'log_message_deduplication.eval'];
const JSON_LOG = 'log_tool_call_error.json';
const BROKEN = 'run/broken.json';
const BROKEN_TEXT = '{"messages": [';

/** Each fixture's samples, counted from its raw bytes. */
function rawCounts(name: string): SampleCounts[] {
  const bytes = readFileSync(join(INSPECT, name));
  if (name.endsWith('.eval')) return evalArchiveCounts(bytes);
  return (JSON.parse(bytes.toString('utf8')) as { samples: Record<string, unknown>[] }).samples.map(inspectSampleCounts);
}

/** Drops files on the page as a user's drag and drop does: a DataTransfer carried by a drop event. */
async function dropFiles(page: Page, files: { name: string; bytes: Uint8Array }[]): Promise<void> {
  await page.evaluate((payload) => {
    const dt = new DataTransfer();
    for (const f of payload) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
    const target = document.querySelector('[data-testid="drop-zone"]')!;
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files.map((f) => ({ name: f.name, bytes: Array.from(f.bytes) })));
}

/** Waits until the files known by these paths are listed and read. */
async function waitForFiles(page: Page, paths: string[]): Promise<void> {
  await page.waitForFunction(
    (wanted) => {
      const items = Array.from(document.querySelectorAll('[data-testid="file-item"]')).filter((i) => wanted.includes(i.querySelector('.file-name')?.getAttribute('data-path') ?? ''));
      return items.length === wanted.length && items.every((i) => i.getAttribute('data-status') !== 'parsing');
    },
    paths,
    { timeout: 30_000 },
  );
}

/** The listed file known by this path. */
const fileItem = (page: Page, path: string) => page.locator('[data-testid="file-item"]').filter({ has: page.locator(`.file-name[data-path="${path}"]`) });

/** The rows of the file picked in the list's file filter, with what each shows. */
async function rowsOf(page: Page, fileLabel: string): Promise<{ id: string; text: string }[]> {
  await page.getByTestId('filter-file').selectOption({ label: fileLabel });
  const rows = page.locator('[data-testid="trajectory-row"]');
  await expect.poll(() => rows.count()).toBeGreaterThan(0);
  return rows.evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-id') ?? '', text: e.textContent ?? '' })));
}

const stepsText = (n: number) => `${n} step${n === 1 ? '' : 's'}`;
const outcomeText = (success: boolean | undefined) => (success === undefined ? '' : success ? '✓ success' : '✗ failure');

/** A row shows its id, its action-step count and its outcome as the raw sample has them. */
function expectRow(row: { id: string; text: string }, counts: SampleCounts, id = counts.id): void {
  expect(row.id).toBe(id);
  expect(row.text).toContain(stepsText(counts.actionSteps));
  expect(row.text).toContain(outcomeText(counts.success));
}

let session: BrowserSession;
let dir: string;
const archiveFiles: Record<string, Uint8Array> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-archives-'));
  for (const name of [...EVALS, JSON_LOG]) archiveFiles[`run/${name}`] = new Uint8Array(readFileSync(join(INSPECT, name)));
  archiveFiles[BROKEN] = strToU8(BROKEN_TEXT);
  archiveFiles['run/README.md'] = strToU8('# not a trajectory');
  // The folder to pick: the same files on disk.
  for (const [name, bytes] of Object.entries(archiveFiles)) {
    mkdirSync(join(dir, 'logs', name, '..'), { recursive: true });
    writeFileSync(join(dir, 'logs', name), bytes);
  }
  copyFileSync(join(INSPECT, EVALS[0]), join(dir, 'logs/run', 'copy.eval'));
  session = await openBrowser();
});
afterAll(async () => {
  await session?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Inspect .eval logs and archives in the browser', () => {
  it('drops both .eval fixtures and the .json log: one row per sample, transcripts with the raw counts', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    await dropFiles(page, [...EVALS, JSON_LOG].map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(INSPECT, name))) })));
    await waitForFiles(page, [...EVALS, JSON_LOG]);
    for (const name of [...EVALS, JSON_LOG]) {
      const counts = rawCounts(name);
      const rows = await rowsOf(page, name);
      expect(rows).toHaveLength(counts.length);
      for (const [i, sample] of counts.entries()) {
        expectRow(rows[i], sample);
        await page.locator(`[data-testid="trajectory-row"][data-id="${sample.id}"]`).click();
        await expect.poll(async () => (await page.getByTestId('transcript').getAttribute('aria-label')) ?? '').toBe(`Transcript of ${sample.id}`);
        const shown = await shownMessages(page);
        expect(shown.map((m) => m.index)).toEqual(Array.from({ length: sample.messages }, (_, k) => k));
        expect(shown.filter((m) => m.action)).toHaveLength(sample.actionSteps);
        expect(shown.reduce((sum, m) => sum + m.toolCalls, 0)).toBe(sample.toolCalls);
      }
    }
    expect(rawCounts(EVALS[1])).toEqual([expect.objectContaining({ messages: 12, actionSteps: 6, toolCalls: 5 })]);
    for (const name of [...EVALS, JSON_LOG]) expect(await fileItem(page, name).getByTestId('file-error').count()).toBe(0);
  });

  it('a picked folder, a .zip and a .tar.gz of the same files: the trajectory files load, the broken one is listed with its reason', async () => {
    const { page } = session;
    await page.getByTestId('folder-input').setInputFiles(join(dir, 'logs'));
    await dropFiles(page, [
      { name: 'logs.zip', bytes: zipSync(archiveFiles) },
      { name: 'logs.tar.gz', bytes: new Uint8Array(gnuTar(archiveFiles, { gzip: true })) },
    ]);
    const folderPaths = ['broken.json', 'copy.eval', ...EVALS, JSON_LOG].map((n) => `logs/run/${n}`);
    await waitForFiles(page, ['logs.zip', 'logs.tar.gz', ...folderPaths]);

    // The folder: each file on its own, known by its path; the README is left out.
    const folderFiles = await page.locator('[data-testid="file-item"] .file-name').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')).filter((p) => p?.startsWith('logs/')));
    expect(folderFiles).toEqual(folderPaths);
    expect(await fileItem(page, 'logs/run/broken.json').getByTestId('file-error').allTextContents()).toEqual([
      'logs/run/broken.json:1:15: invalid JSON: unexpected end of input: expected a value (object, array, string, number, true, false or null)',
    ]);
    const copy = await rowsOf(page, 'copy.eval');
    expect(copy).toHaveLength(1);
    expectRow(copy[0], rawCounts(EVALS[0])[0]);

    // The archives: one listed file each, trajectories named by their entry, the broken entry listed with its reason.
    for (const archive of ['logs.zip', 'logs.tar.gz']) {
      const rows = await rowsOf(page, archive);
      const expected = [...EVALS, JSON_LOG].flatMap((name) => rawCounts(name).map((counts) => ({ counts, id: `run/${name}:${counts.id}` })));
      expect(rows.map((r) => r.id).sort()).toEqual(expected.map((e) => e.id).sort());
      for (const { counts, id } of expected) expectRow(rows.find((r) => r.id === id)!, counts, id);
      expect(await fileItem(page, archive).getByTestId('file-error').allTextContents()).toEqual([
        `${archive}: ${BROKEN}:1:15: invalid JSON: unexpected end of input: expected a value (object, array, string, number, true, false or null)`,
      ]);
    }
    // An .eval log with a broken sample entry: the corpus's pinned error, naming archive, entry and line:column; the other sample loads.
    const badEval = 'eval-sample-bad-json.eval';
    const pinned = (JSON.parse(readFileSync(join(BAD, 'expected.json'), 'utf8')) as Record<string, { trajectories: string[]; errors: { message: string }[] }>)[badEval];
    await dropFiles(page, [{ name: badEval, bytes: new Uint8Array(readFileSync(join(BAD, badEval))) }]);
    await waitForFiles(page, [badEval]);
    expect(await fileItem(page, badEval).getByTestId('file-error').allTextContents()).toEqual(pinned.errors.map((e) => e.message));
    expect((await rowsOf(page, badEval)).map((r) => r.id)).toEqual(pinned.trajectories);

    // A sample inside the zip opens with the raw counts.
    const [sample] = rawCounts(EVALS[1]);
    await page.getByTestId('filter-file').selectOption({ label: 'logs.zip' });
    await page.locator(`[data-testid="trajectory-row"][data-id="run/${EVALS[1]}:${sample.id}"]`).click();
    const shown = await shownMessages(page);
    expect(shown).toHaveLength(sample.messages);
    expect(shown.filter((m) => m.action)).toHaveLength(sample.actionSteps);
    expect(shown.reduce((sum, m) => sum + m.toolCalls, 0)).toBe(sample.toolCalls);
    expect(session.pageErrors).toEqual([]);
  });
});
