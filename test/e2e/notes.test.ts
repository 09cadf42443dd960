/**
 * Notes on spans, end to end in Chromium on the production build (issue 18, item 1): a note on a
 * marked token range (click, shift-click) and one on a whole step, written on the demo's scored
 * examples; they show in the transcript, on the curve and in the list (with its filter); they
 * survive a reload; a bundle brings them into a fresh profile; the HTML report and a snippet link
 * carry them as text; the JSON Lines export equals what was written, and imports back. A note's
 * text holds an `<img onerror>` payload that must stay text everywhere.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { clearSavedSession, openBrowser, type BrowserSession } from '../../tools/browser';
import { sessionReady, waitForFirstVisitDemo } from './session-helpers';
import { downloadOf, openShareMenu } from './share-helpers';
import { decodeSnippet } from '../../src/core/snippet';

const baseUrl = inject('baseUrl');
const SCREENSHOTS = resolve(__dirname, '../../test-results/screenshots');
const PAYLOAD = '<img src=x onerror=window.__pwned=1>';
const RANGE_TEXT = `The agent gave up here ${PAYLOAD}`;
const STEP_TEXT = 'Recovered: the policy knew';

let root: string;
let first: BrowserSession;
let fresh: BrowserSession | null = null;

/** What was written: the lines the export must hold, built here from the page's own facts. */
const written: { trajectory: string; file: string; message: number; tokens: { start: number; end: number } | null; text: string; tags: string[] }[] = [];
let bundlePath = '';
let exportLines: string[] = [];

async function expectInert(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(await page.locator('[data-testid="note-text"] img, [data-testid="step-notes"] img').count()).toBe(0);
}

/** The open trajectory's notes as its notes list shows them (the transcript itself is virtualized): span attributes, tags and text. */
async function shownNotes(page: Page) {
  return page.$$eval('[data-testid="transcript"] [data-testid="notes-index-item"]', (els) =>
    els.map((e) => ({
      message: Number(e.getAttribute('data-message')),
      start: e.getAttribute('data-start'),
      end: e.getAttribute('data-end'),
      tags: Array.from(e.querySelectorAll('[data-testid="notes-index-tag"]'), (t) => t.textContent),
      text: e.querySelector('[data-testid="notes-index-text"]')?.textContent ?? '',
      created: e.getAttribute('data-created') ?? '',
    })),
  );
}

/** Scrolls the transcript to a step (a click on its band on the curve) and returns its notes block. */
async function stepNotesOf(page: Page, message: number) {
  await page.locator(`[data-testid="curve-step-band"][data-message="${message}"]`).click();
  const block = page.locator(`[data-testid="step-notes"][data-message="${message}"]`);
  await block.waitFor();
  return block;
}

async function exportNotesText(page: Page): Promise<string> {
  await openShareMenu(page);
  const download = await downloadOf(page, () => page.getByTestId('export-notes').click());
  expect(download.suggestedFilename()).toBe('notes.jsonl');
  const path = join(root, `notes-${Date.now()}.jsonl`);
  await download.saveAs(path);
  await page.keyboard.press('Escape');
  return readFileSync(path, 'utf8');
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pa-notes-'));
  first = await openBrowser();
});

afterAll(async () => {
  await first?.close();
  await fresh?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('notes on spans', () => {
  it('writes a note on a token range and one on a step; both show in the transcript, the curve and the list', async () => {
    const { page } = first;
    await clearSavedSession(page, baseUrl);
    await page.goto(baseUrl);
    await sessionReady(page);
    await waitForFirstVisitDemo(page);
    const trajectory = (await page.locator('[data-testid="trajectory-row"]').first().getAttribute('data-id'))!;
    const row = page.locator(`[data-testid="trajectory-row"][data-id="${trajectory}"]`);
    await row.click();
    await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent()).toBe(trajectory);
    await page.locator('[data-testid="transcript"] [data-testid="scored-step"]').first().waitFor();
    const messages = await page.locator('[data-testid="curve-step"]:not([data-unscored])').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-message'))));
    expect(messages.length).toBeGreaterThanOrEqual(2);
    const [rangeMessage, stepMessage] = messages;
    const file = (await page.locator('[data-testid="file-item"] .file-name').first().getAttribute('data-path'))!;

    // Click token 1, shift-click token 3: tokens 1 ≤ i < 4 are marked.
    await stepNotesOf(page, rangeMessage);
    const tokens = page.locator(`[data-testid="transcript"] [data-testid="scored-step"][data-message="${rangeMessage}"] [data-testid="token"]`);
    await tokens.nth(1).click();
    await tokens.nth(3).click({ modifiers: ['Shift'] });
    const rangeNotes = page.locator(`[data-testid="step-notes"][data-message="${rangeMessage}"]`);
    await rangeNotes.getByTestId('add-note-range').click();
    await rangeNotes.getByTestId('note-text-input').fill(RANGE_TEXT);
    await rangeNotes.locator('[data-testid="note-tag-choice"][data-tag="decisive"]').check();
    await rangeNotes.getByTestId('note-free-tags').fill('refund, my tag');
    await rangeNotes.getByTestId('note-save').click();
    written.push({ trajectory, file, message: rangeMessage, tokens: { start: 1, end: 4 }, text: RANGE_TEXT, tags: ['decisive', 'refund', 'my tag'] });

    // The range's tokens are marked as noted, no other.
    await expect.poll(() => tokens.evaluateAll((els) => els.flatMap((e, i) => (e.getAttribute('data-noted') ? [i] : [])))).toEqual([1, 2, 3]);
    expect(await rangeNotes.getByTestId('note-text').textContent()).toBe(RANGE_TEXT);

    const stepNotes = await stepNotesOf(page, stepMessage);
    await stepNotes.getByTestId('add-note-step').click();
    await stepNotes.getByTestId('note-text-input').fill(STEP_TEXT);
    await stepNotes.locator('[data-testid="note-tag-choice"][data-tag="recovery"]').check();
    await stepNotes.getByTestId('note-save').click();
    written.push({ trajectory, file, message: stepMessage, tokens: null, text: STEP_TEXT, tags: ['recovery'] });

    const notes = await shownNotes(page);
    expect(notes.map(({ created: _created, ...n }) => n)).toEqual([
      { message: rangeMessage, start: '1', end: '4', tags: ['decisive', 'refund', 'my tag'], text: RANGE_TEXT },
      { message: stepMessage, start: '', end: '', tags: ['recovery'], text: STEP_TEXT },
    ]);
    expect(await stepNotes.getByTestId('note-text').textContent()).toBe(STEP_TEXT);
    await page.setViewportSize({ width: 1280, height: 1600 });
    await stepNotesOf(page, rangeMessage);
    await page.screenshot({ path: join(SCREENSHOTS, 'notes.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await page.locator('[data-testid="curve-note-mark"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-message'))))).toEqual([rangeMessage, stepMessage].sort((a, b) => a - b));
    expect(await row.getByTestId('row-notes').getAttribute('data-count')).toBe('2');
    // The list's filter: with notes, and by tag.
    const total = await page.getByTestId('trajectory-count').getAttribute('data-count');
    await page.getByTestId('filter-notes').selectOption('with-notes');
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-visible')).toBe('1');
    await page.getByTestId('filter-notes').selectOption('tag:false alarm');
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-visible')).toBe('0');
    await page.getByTestId('filter-notes').selectOption('tag:my tag');
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-visible')).toBe('1');
    await page.getByTestId('filter-notes').selectOption('any');
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-visible')).toBe(total);
    await expectInert(page);
  });

  it('exports the notes as JSON Lines equal to what was written', async () => {
    const { page } = first;
    const created = (await shownNotes(page)).map((n) => n.created);
    expect(created.every((c) => !Number.isNaN(Date.parse(c)))).toBe(true);
    const text = await exportNotesText(page);
    const expected = written.map((n, i) => JSON.stringify({ trajectory: n.trajectory, file: n.file, message: n.message, tokens: n.tokens, text: n.text, tags: n.tags, created: created[i] }));
    exportLines = text.trimEnd().split('\n');
    expect(exportLines).toEqual(expected);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('edits and deletes a note, and the notes survive a reload', async () => {
    const { page } = first;
    const block = await stepNotesOf(page, written[1].message);
    await block.getByTestId('note-edit').click();
    await block.getByTestId('note-text-input').fill('temporary');
    await block.getByTestId('note-save').click();
    await expect.poll(async () => (await shownNotes(page)).map((n) => n.text)).toContain('temporary');
    await block.getByTestId('note-edit').click();
    await block.getByTestId('note-text-input').fill(STEP_TEXT);
    await block.getByTestId('note-save').click();
    const before = await shownNotes(page);
    // A third note, deleted again: it must not come back after the reload.
    await block.getByTestId('add-note-step').click();
    await block.getByTestId('note-text-input').fill('deleted');
    await block.getByTestId('note-save').click();
    await expect.poll(async () => (await shownNotes(page)).length).toBe(3);
    await block.locator('[data-testid="note"]', { hasText: 'deleted' }).getByTestId('note-delete').click();
    await expect.poll(async () => (await shownNotes(page)).length).toBe(2);
    expect(await shownNotes(page)).toEqual(before);
    // The writer debounces: wait until the notes store is saved (IndexedDB holds two notes).
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const open = indexedDB.open('progress-advantage-session');
              open.onsuccess = () => {
                const request = open.result.transaction('notes').objectStore('notes').count();
                request.onsuccess = () => (open.result.close(), resolve(request.result));
              };
            }),
        ),
      )
      .toBe(2);
    await page.reload();
    await sessionReady(page);
    await page.locator('[data-testid="transcript"] [data-testid="notes-index-item"]').first().waitFor();
    expect(await shownNotes(page)).toEqual(before);
    expect((await exportNotesText(page)).trimEnd().split('\n')).toEqual(exportLines);
    await expectInert(page);
  });

  it('puts the notes in the HTML report, as text', async () => {
    const { page } = first;
    await openShareMenu(page);
    const download = await downloadOf(page, () => page.getByTestId('export-report-selected').click());
    const path = join(root, 'report.html');
    await download.saveAs(path);
    await page.keyboard.press('Escape');
    const report = await first.context.newPage();
    await report.goto(pathToFileURL(path).href);
    const items = await report.$$eval('[data-part="note"]', (els) =>
      els.map((e) => ({
        span: e.querySelector('[data-part="note-span"]')?.textContent,
        tags: Array.from(e.querySelectorAll('[data-part="note-tag"]'), (t) => t.textContent),
        text: e.querySelector('[data-part="note-text"]')?.textContent,
        images: e.querySelectorAll('img').length,
      })),
    );
    expect(items).toEqual([
      { span: `message ${written[0].message}, tokens 2–4`, tags: written[0].tags, text: RANGE_TEXT, images: 0 },
      { span: `message ${written[1].message} (the whole step)`, tags: written[1].tags, text: STEP_TEXT, images: 0 },
    ].sort((a, b) => Number(a.span.split(' ')[1].replace(',', '')) - Number(b.span.split(' ')[1].replace(',', ''))));
    expect(await report.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await report.close();
  });

  it('carries the step’s notes in its snippet link', async () => {
    const { page } = first;
    await page.locator(`[data-testid="curve-step-band"][data-message="${written[0].message}"]`).click();
    await openShareMenu(page);
    await page.getByTestId('share-snippet').click();
    const url = await page.getByTestId('snippet-url').inputValue();
    await page.keyboard.press('Escape');
    const decoded = decodeSnippet(new URL(url).hash);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(decoded.snippet.notes?.map((n) => [n.tokens, n.text, n.tags])).toEqual([[written[0].tokens, RANGE_TEXT, written[0].tags]]);
    const snippet = await first.context.newPage();
    await snippet.goto(url);
    await snippet.getByTestId('snippet-note-text').waitFor();
    expect(await snippet.getByTestId('snippet-note-text').textContent()).toBe(RANGE_TEXT);
    expect(await snippet.locator('[data-testid="snippet-notes"] img').count()).toBe(0);
    expect(await snippet.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await snippet.close();
  });

  it('brings the notes back from a bundle in a fresh profile, and imports the JSON Lines', async () => {
    const { page } = first;
    await openShareMenu(page);
    const download = await downloadOf(page, () => page.getByTestId('export-bundle-selected').click());
    bundlePath = join(root, 'selected.pa-bundle.json.gz');
    await download.saveAs(bundlePath);
    await page.keyboard.press('Escape');
    expect(first.pageErrors).toEqual([]);

    fresh = await openBrowser();
    const other = fresh.page;
    await clearSavedSession(other, baseUrl);
    await other.goto(baseUrl);
    await sessionReady(other);
    await openShareMenu(other);
    await other.getByTestId('open-bundle-input').setInputFiles(bundlePath);
    await other.keyboard.press('Escape');
    await other.locator(`[data-testid="trajectory-row"][data-id="${written[0].trajectory}"]`).click();
    await expect.poll(() => other.locator('[data-testid="transcript"] h2').textContent()).toBe(written[0].trajectory);
    await other.locator('[data-testid="transcript"] [data-testid="notes-index-item"]').nth(1).waitFor();
    const notes = await shownNotes(other);
    expect(notes.map((n) => n.text).sort()).toEqual([RANGE_TEXT, STEP_TEXT].sort());
    expect((await exportNotesText(other)).trimEnd().split('\n')).toEqual(exportLines);
    await expectInert(other);

    // Delete them and import the JSON Lines export: the same notes again.
    for (const n of written) await (await stepNotesOf(other, n.message)).getByTestId('note-delete').click();
    await expect.poll(async () => (await shownNotes(other)).length).toBe(0);
    const jsonl = join(root, 'import.jsonl');
    writeFileSync(jsonl, `${exportLines.join('\n')}\n{"trajectory":"nope","message":0,"tokens":null,"text":"x","tags":[],"created":"2026-12-05T08:30:00Z"}\n`);
    await openShareMenu(other);
    await other.getByTestId('import-notes-input').setInputFiles(jsonl);
    await expect.poll(() => other.getByTestId('share-status').textContent()).toBe('Added 2 notes from import.jsonl. Not added: import.jsonl: line 3: no loaded trajectory has the id "nope"');
    await other.keyboard.press('Escape');
    expect((await exportNotesText(other)).trimEnd().split('\n')).toEqual(exportLines);
    expect(fresh.pageErrors).toEqual([]);
  });
});
