/**
 * Issue 14, items 5 and 9, end to end in Chromium on the production build: files nesting 5,000
 * levels deep (tool arguments as an object, as a JSON string; a value of unknown shape) give the
 * ingestion's one error naming the file and the JSON path, with no "Unserializable return value"
 * or postMessage error; a file at the nesting bound crosses from the worker to the page, opens,
 * exports as a bundle and comes back from it; a hand-made bundle nesting deeper is refused with its
 * entry and path; an Inspect AI log written by Python's json (NaN, Infinity, -Infinity) loads.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { decodeBundle } from '../../src/core/bundle';
import { MAX_JSON_DEPTH } from '../../src/core/trajectory/json-depth';
import { openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';
import { payloadBundle } from '../unit/core/bundle/fixtures';
import { chatRecordOfDepth, deepObjectText, depthOf } from '../unit/core/trajectory/deep-json';

const baseUrl = inject('baseUrl');
const BAD = resolve(__dirname, '../corpus/bad');
const EXPECTED = JSON.parse(readFileSync(resolve(BAD, 'expected.json'), 'utf8')) as Record<string, { trajectories: string[]; errors: { message: string; severity?: string }[] }>;
const CORPUS_FILES = ['deep-tool-arguments.json', 'deep-arguments-string.jsonl', 'deep-unknown-shape.json', 'inspect-nan-infinity.json'];

let session: BrowserSession;
let dir: string;
const generated = { atBound: '', pastBound: '', deepBundle: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-deep-'));
  generated.atBound = join(dir, 'at-bound.json');
  generated.pastBound = join(dir, 'past-bound.json');
  generated.deepBundle = join(dir, 'deep.pa-bundle.json');
  writeFileSync(generated.atBound, chatRecordOfDepth(MAX_JSON_DEPTH, 'at-bound'));
  writeFileSync(generated.pastBound, chatRecordOfDepth(MAX_JSON_DEPTH + 1, 'past-bound'));
  // A bundle written by hand, not by this app: a trajectory's metadata 5,000 levels deep.
  const bundle = payloadBundle();
  bundle.entries[1].trajectory.metadata = { x: '__DEEP__' };
  writeFileSync(generated.deepBundle, JSON.stringify(bundle).replace('"__DEEP__"', deepObjectText(5000)));
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
  rmSync(dir, { recursive: true, force: true });
});

const fileItem = (page: Page, name: string) => page.locator('[data-testid="file-item"]', { has: page.locator(`.file-name[data-path="${name}"]`) });

async function settled(page: Page, name: string): Promise<string> {
  const item = fileItem(page, name);
  await expect.poll(() => item.getAttribute('data-status'), { timeout: 60_000 }).toMatch(/^(done|failed)$/);
  return (await item.getAttribute('data-status'))!;
}

async function openTrajectory(page: Page, id: string): Promise<void> {
  await page.getByTestId('filter-search').fill(id);
  await page.locator(`[data-testid="trajectory-row"][data-id="${id}"]`).click();
  await expect.poll(() => page.getByTestId('transcript').getAttribute('aria-label')).toBe(`Transcript of ${id}`);
}

describe('deeply nested files and NaN / Infinity in the page', () => {
  it('give the ingestion’s errors, load what is within the bound, and open it', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    await page.getByTestId('file-input').setInputFiles([...CORPUS_FILES.map((f) => resolve(BAD, f)), generated.atBound, generated.pastBound]);

    for (const name of CORPUS_FILES) {
      const status = await settled(page, name);
      const item = fileItem(page, name);
      const errors = EXPECTED[name].errors.filter((e) => e.severity !== 'notice').map((e) => e.message);
      const notices = EXPECTED[name].errors.filter((e) => e.severity === 'notice').map((e) => e.message);
      expect(await item.getByTestId('file-error').allTextContents()).toEqual(errors);
      expect(await item.getByTestId('file-notice').allTextContents()).toEqual(notices);
      expect(status).toBe(EXPECTED[name].trajectories.length === 0 ? 'failed' : 'done');
    }
    expect(await settled(page, 'past-bound.json')).toBe('failed');
    expect(await fileItem(page, 'past-bound.json').getByTestId('file-error').textContent()).toMatch(
      /^past-bound\.json: OpenAI chat messages: at messages\[1\]\.tool_calls\[0\]\.function\.arguments\.a\.a.*…: expected JSON nested at most 256 levels deep, found 257 levels$/,
    );
    expect(await settled(page, 'at-bound.json')).toBe('done');
    expect(await fileItem(page, 'at-bound.json').getByTestId('file-error').count()).toBe(0);

    // The record at the bound crossed to the page whole: its arguments are shown, indented, 250 levels deep.
    await openTrajectory(page, 'at-bound');
    const args = await page.getByTestId('tool-call-args').first().textContent();
    expect(args!.split('\n')).toHaveLength(2 * (MAX_JSON_DEPTH - 6) + 1);
    expect(args!.trimEnd().endsWith('}')).toBe(true);

    // The Inspect log's samples, read with their non-finite numbers.
    await openTrajectory(page, 'lp#1');
    expect(await page.getByTestId('message').count()).toBe(2);
    await page.getByTestId('filter-search').fill('');
    expect(session.pageErrors).toEqual([]);
  }, 180_000);

  it('export as a bundle that holds them (-Infinity log-probs as null) and is read back', async () => {
    const { page } = session;
    await page.getByTestId('share-menu-button').click();
    const [download]: [Download, void] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByTestId('export-bundle-all').click()]);
    const bundlePath = join(dir, 'session.pa-bundle.json.gz');
    await download.saveAs(bundlePath);
    expect(await page.getByTestId('share-status').getAttribute('data-kind')).not.toBe('error');
    const bundle = await decodeBundle(readFileSync(bundlePath), 'session.pa-bundle.json.gz');
    const atBound = bundle.entries.find((e) => e.trajectory.id === 'at-bound')!;
    expect(depthOf(atBound.trajectory.messages[1].toolCalls![0].arguments)).toBe(MAX_JSON_DEPTH - 6);
    const lp = bundle.entries.find((e) => e.trajectory.id === 'lp#1')!;
    expect(lp.trajectory.messages[1].logprobs!.map((l) => l.logprob)).toEqual([-0.25, Number.NEGATIVE_INFINITY]);

    // Read back in a fresh profile: the worker decodes it and sends it to the page in slices.
    const fresh = await openBrowser();
    try {
      await openAppWithExamples(fresh.page, baseUrl);
      await fresh.page.getByTestId('file-input').setInputFiles(bundlePath);
      await expect.poll(() => fresh.page.locator('[data-testid="file-item"][data-status="done"]').count(), { timeout: 60_000 }).toBeGreaterThan(0);
      await openTrajectory(fresh.page, 'at-bound');
      expect((await fresh.page.getByTestId('tool-call-args').first().textContent())!.split('\n')).toHaveLength(2 * (MAX_JSON_DEPTH - 6) + 1);
      expect(fresh.pageErrors).toEqual([]);
    } finally {
      await fresh.close();
    }
    expect(session.pageErrors).toEqual([]);
  }, 180_000);

  it('refuse a hand-made bundle nesting 5,000 levels deep, naming the entry and the path', async () => {
    const { page } = session;
    await page.getByTestId('file-input').setInputFiles(generated.deepBundle);
    expect(await settled(page, 'deep.pa-bundle.json')).toBe('failed');
    expect(await fileItem(page, 'deep.pa-bundle.json').getByTestId('file-error').textContent()).toMatch(
      /^deep\.pa-bundle\.json: entries\[1\]\.trajectory\.metadata\.x\.a\.a.*…: expected a trajectory nested at most 261 levels deep \(JSON read from files nests at most 256\), found 5,002 levels$/,
    );
    expect(session.pageErrors).toEqual([]);
  }, 60_000);
});
