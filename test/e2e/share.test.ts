/**
 * Sharing, end to end in Chromium: a small set is scored with two random models; its analysis
 * bundle opens in a fresh profile with no model and shows the same token values and dataset
 * figures; a snippet link opens in a fresh profile; the HTML report opens from disk with the
 * network off and carries the same values; SVG and PNG exports are valid files. Script-injection
 * payloads sit in every text field (ids, file name, messages, tool calls, agent names) and must
 * stay inert on every path: `window.__pwned` stays undefined and no dialog opens.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Download, Page } from 'playwright-core';
import { parseTrajectoryText } from '../../src/core/trajectory';
import { renderPlainTexts } from '../../src/core/render';
import { decodeSnippet } from '../../src/core/snippet';
import { openAppWithExamples, openBrowser, type BrowserSession, allTokenAdvantageTexts } from '../../tools/browser';
import { writeRandomPair } from '../../tools/random-pair';
import { downloadOf, openShareMenu } from './share-helpers';

const baseUrl = inject('baseUrl');
const SCREENSHOTS = resolve(__dirname, '../../test-results/screenshots');

const PAYLOAD = {
  img: '<img src=x onerror=window.__pwned=1>',
  script: '</script><script>window.__pwned=1</script>',
  jsUrl: 'javascript:window.__pwned=1',
  svg: '"><svg onload=window.__pwned=1>',
};
/** A file name can hold the image payload (no slash in it). */
const FILE = `${PAYLOAD.img}.jsonl`;

const call = (id: string, name: string, args: Record<string, unknown>) => ({ id, type: 'function', function: { name, arguments: JSON.stringify(args) } });
const records = Array.from({ length: 4 }, (_, i) => ({
  id: i % 2 === 0 ? `case-${i} ${PAYLOAD.img}` : `case-${i} ${PAYLOAD.svg}`,
  task_id: `task-${i % 2} ${PAYLOAD.script}`,
  reward: i < 2 ? 1 : 0,
  mistake_step: i < 2 ? undefined : 2,
  mistake_agent: i < 2 ? undefined : `planner ${PAYLOAD.svg}`,
  messages: [
    { role: 'system', content: `You are a support agent ${PAYLOAD.script}` },
    { role: 'user', content: `Please open ${PAYLOAD.jsUrl} and change seat ${i}` },
    {
      role: 'assistant',
      name: `planner ${PAYLOAD.svg}`,
      content: `Checking ${PAYLOAD.img} now`,
      tool_calls: [call(`c${i}`, `lookup${PAYLOAD.img}`, { [`seat ${PAYLOAD.script}`]: i, url: PAYLOAD.jsUrl })],
    },
    { role: 'tool', tool_call_id: `c${i}`, content: `{"seats_free": ${i}, "note": "${PAYLOAD.img.replace(/"/g, '')}"}` },
    { role: 'assistant', name: `closer ${PAYLOAD.img}`, content: i % 2 ? `Done ${PAYLOAD.script}` : `Sorry ${PAYLOAD.svg} cannot` },
  ],
}));

let root: string;
let session: BrowserSession;
const dialogs: string[] = [];

/** What session A showed, compared with every other path. */
const seen = {
  tokens: new Map<string, string[]>(),
  scores: new Map<string, string>(),
  dataset: {} as Record<string, string | null>,
  snippetUrl: '',
  snippetTokens: [] as number[],
  snippetTexts: [] as string[],
  bundlePath: '',
  reportPath: '',
  /** The pair as exports name it: both models by folder name, where they came from, dtype, render mode and β. */
  pair: '',
};

function watchForInjection(page: Page) {
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
}

async function expectInert(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
}

async function save(download: Download, name: string): Promise<string> {
  const path = join(root, name);
  await download.saveAs(path);
  return path;
}

const rowsOf = (page: Page) => page.locator('[data-testid="trajectory-row"]');

async function selectRow(page: Page, index: number): Promise<string> {
  const row = rowsOf(page).nth(index);
  const id = (await row.getAttribute('data-id'))!;
  await row.click();
  await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent()).toBe(id);
  return id;
}

// Every token of the transcript, not only the rows near the viewport (it is virtualized).
const tokenValues = (page: Page) => allTokenAdvantageTexts(page);

/**
 * Selects a row and returns its token values once the transcript shows them: the transcript
 * defers the switch of its token rows (useDeferredValue), so for a moment after the header
 * changes the rows may still be the previous trajectory's.
 */
async function selectRowTokens(page: Page, index: number): Promise<{ id: string; values: string[] }> {
  const before = JSON.stringify(await tokenValues(page));
  const id = await selectRow(page, index);
  let values: string[] = [];
  await expect
    .poll(async () => {
      values = await tokenValues(page);
      return values.length > 0 && JSON.stringify(values) !== before;
    })
    .toBe(true);
  return { id, values };
}

/** Every figure of the dataset view, by its test id and data-value. */
async function datasetNumbers(page: Page): Promise<Record<string, string | null>> {
  await page.getByTestId('tab-dataset').click();
  await page.locator('[data-testid="dataset-view"][data-state="ready"]').waitFor();
  await page.getByTestId('sweep-table').waitFor();
  const numbers = await page.$$eval('[data-testid="dataset-view"] [data-value]', (els) =>
    els.map((e) => [`${e.closest('[data-testid]')?.getAttribute('data-testid')}:${e.getAttribute('data-token-aggregation') ?? ''}:${e.getAttribute('data-step-aggregation') ?? ''}:${e.closest('tr')?.getAttribute('data-predictor') ?? e.closest('tr')?.getAttribute('data-method') ?? ''}`, e.getAttribute('data-value')] as const),
  );
  await page.getByTestId('tab-trajectory').click();
  const out: Record<string, string | null> = {};
  numbers.forEach(([k, v], i) => (out[`${i}:${k}`] = v));
  return out;
}

async function checkSvg(page: Page, path: string, kind: string, minElements: Record<string, number>) {
  const text = readFileSync(path, 'utf8');
  const result = await page.evaluate(
    ({ text, selectors }) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const error = doc.querySelector('parsererror')?.textContent ?? null;
      const counts: Record<string, number> = {};
      for (const s of selectors) counts[s] = doc.querySelectorAll(s).length;
      return { error, root: doc.documentElement.localName, kind: doc.documentElement.getAttribute('data-kind'), counts, pair: Array.from(doc.querySelectorAll('[data-part="model-pair"] tspan'), (t) => t.textContent).join(' '), legend: doc.querySelectorAll('[data-part="legend-item"]').length, scripts: doc.querySelectorAll('script, foreignObject').length };
    },
    { text, selectors: Object.keys(minElements) },
  );
  expect(result.error).toBeNull();
  expect(result.root).toBe('svg');
  expect(result.kind).toBe(kind);
  expect(result.pair).toBe(`model pair: ${seen.pair}`);
  expect(result.legend).toBeGreaterThan(0);
  expect(result.scripts).toBe(0);
  for (const [selector, min] of Object.entries(minElements)) expect(result.counts[selector], selector).toBeGreaterThanOrEqual(min);
}

function checkPng(path: string) {
  const bytes = readFileSync(path);
  // Kept with the screenshots for a look at what users get.
  mkdirSync(SCREENSHOTS, { recursive: true });
  copyFileSync(path, join(SCREENSHOTS, `export-${basename(path)}`));
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // IHDR: width and height, big-endian, right after the chunk header.
  expect(bytes.toString('latin1', 12, 16)).toBe('IHDR');
  expect(bytes.readUInt32BE(16)).toBeGreaterThan(100);
  expect(bytes.readUInt32BE(20)).toBeGreaterThan(100);
  expect(bytes.length).toBeGreaterThan(1000);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pa-share-'));
  const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  writeFileSync(join(root, FILE), text);
  writeRandomPair(root, parseTrajectoryText(FILE, text).trajectories.flatMap((t) => renderPlainTexts(t)));
  session = await openBrowser();
  watchForInjection(session.page);
});

afterAll(async () => {
  await session?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('sharing an analysis', () => {
  it('scores a set with injection payloads everywhere; nothing runs', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    await page.getByTestId('model-source').selectOption('folders');
    await page.getByTestId('model-folder-policy').setInputFiles(join(root, 'policy'));
    await page.getByTestId('model-folder-reference').setInputFiles(join(root, 'reference'));
    await page.getByTestId('model-device').selectOption('wasm');
    await page.getByTestId('load-models').click();
    await expect.poll(async () => `${await page.getByTestId('model-status').textContent()} ${(await page.getByTestId('model-error').allTextContents()).join(' ')}`.trim(), { timeout: 60_000 }).toBe('ready');
    // Exports name the models by their folders' names (not the worker's ids), the dtype, the render mode and β (set to 0.5 below).
    seen.pair = 'policy policy · reference reference (dropped folders) · fp32 · plain rendering · β\u00a0=\u00a00.5';
    await page.getByTestId('file-input').setInputFiles(join(root, FILE));
    await expect.poll(() => page.locator('[data-testid="filter-file"] option').allTextContents()).toContain(FILE);
    await page.getByTestId('filter-file').selectOption({ label: FILE });
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-visible')).toBe(String(records.length));
    // A non-default β: a bundle must bring the settings back for the values to match.
    await page.getByTestId('setting-beta').fill('0.5');
    for (let i = 0; i < records.length; i++) {
      await selectRow(page, i);
      await page.getByTestId('score-selected').click();
      await expect.poll(() => page.getByTestId('scoring-progress').getAttribute('data-running'), { timeout: 60_000 }).toBe('false');
      await page.locator('[data-testid="transcript"] [data-testid="token"]').first().waitFor({ state: 'attached' });
    }
    for (let i = 0; i < records.length; i++) {
      const { id, values } = await selectRowTokens(page, i);
      expect(values.length).toBeGreaterThan(10);
      seen.tokens.set(id, values);
      seen.scores.set(id, (await page.getByTestId('transcript-score').getAttribute('data-value')) ?? '');
    }
    // The payloads are on the page as text.
    expect(await page.locator('[data-testid="trajectory-row"]').first().getAttribute('data-id')).toContain(PAYLOAD.img);
    seen.dataset = await datasetNumbers(page);
    expect(Object.keys(seen.dataset).length).toBeGreaterThan(30);
    await expectInert(page);
  });

  it('exports the listed set as a bundle and the HTML report', async () => {
    const { page } = session;
    await openShareMenu(page);
    const bundle = await downloadOf(page, () => page.getByTestId('export-bundle-visible').click());
    expect(bundle.suggestedFilename()).toBe('listed.pa-bundle.json.gz');
    seen.bundlePath = await save(bundle, 'listed.pa-bundle.json.gz');
    expect([...readFileSync(seen.bundlePath).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    // The bundle names both models, where they came from, the dtype, the render mode and β.
    const modelPairs = (JSON.parse(gunzipSync(readFileSync(seen.bundlePath)).toString('utf8')) as { modelPairs: unknown[] }).modelPairs;
    expect(modelPairs).toEqual([expect.objectContaining({ policy: 'policy', reference: 'reference', source: 'folders', dtype: 'fp32', render: 'plain', beta: 0.5 })]);
    await openShareMenu(page);
    const report = await downloadOf(page, () => page.getByTestId('export-report-visible').click());
    expect(report.suggestedFilename()).toBe('4-trajectories.report.html');
    seen.reportPath = await save(report, 'report.html');
    await expectInert(page);
  });

  it('makes a snippet link of a chosen step', async () => {
    const { page } = session;
    await page.keyboard.press('Escape');
    await selectRowTokens(page, 0);
    await page.locator('[data-testid="step-badge"][data-message="2"]').click();
    const step = page.locator('[data-testid="transcript"] [data-testid="scored-step"][data-message="2"] [data-testid="token"]');
    seen.snippetTokens = await step.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-advantage'))));
    // The tokens as the model saw them (the transcript shows plain-mode steps as the message's own text).
    seen.snippetTexts = await step.evaluateAll((els) => els.map((e) => e.getAttribute('data-token') ?? ''));
    await openShareMenu(page);
    await page.getByTestId('share-snippet').click();
    seen.snippetUrl = await page.getByTestId('snippet-url').inputValue();
    await page.screenshot({ path: join(SCREENSHOTS, 'share-menu.png') });
    expect(seen.snippetUrl.startsWith(`${baseUrl.replace(/\/$/, '')}/#snippet=`)).toBe(true);
    expect(seen.snippetUrl.length).toBeLessThan(33_000);
    // The link names both models, where they came from, the dtype, the render mode and β.
    const decoded = decodeSnippet(new URL(seen.snippetUrl).hash);
    expect(decoded.ok && decoded.snippet.modelPair).toBe(seen.pair);
    // The per-step button makes the same kind of link.
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="step-share-snippet"]').first().click();
    expect(await page.getByTestId('snippet-url').inputValue()).toMatch(/#snippet=[A-Za-z0-9_-]+$/);
    await page.keyboard.press('Escape');
    await expectInert(page);
  });

  it('exports the step curve, the heatmap, the ROC curve and the sweep as valid SVG and PNG', async () => {
    const { page } = session;
    const { values: shownTokens } = await selectRowTokens(page, 2);
    const curveSvg = await save(await downloadOf(page, () => page.getByTestId('export-curve-svg').click()), 'curve.svg');
    await checkSvg(page, curveSvg, 'step-curve', { 'rect[data-step]': 2, '[data-part="running"]': 1, '[data-part="decisive-step"]': 1, '[data-part="labelled-mistake"]': 1 });
    checkPng(await save(await downloadOf(page, () => page.getByTestId('export-curve-png').click()), 'curve.png'));
    await page.getByTestId('heatmap-from').fill('1');
    await page.getByTestId('heatmap-to').fill('2');
    await page.screenshot({ path: join(SCREENSHOTS, 'share-transcript-exports.png') });
    const heatmap = await save(await downloadOf(page, () => page.getByTestId('export-heatmap-svg').click()), 'heatmap.svg');
    const tokenCount = shownTokens.length;
    await checkSvg(page, heatmap, 'heatmap', { '[data-part="token"]': tokenCount, '[data-part="token"] title': tokenCount, '[data-part="step-header"]': 2 });
    checkPng(await save(await downloadOf(page, () => page.getByTestId('export-heatmap-png').click()), 'heatmap.png'));
    await page.getByTestId('tab-dataset').click();
    await page.getByTestId('roc-curve').waitFor();
    const roc = await save(await downloadOf(page, () => page.getByTestId('export-roc-svg').click()), 'roc.svg');
    await checkSvg(page, roc, 'roc-curve', { '[data-part="roc"]': 1, '[data-part="roc-point"]': 2, '[data-part="diagonal"]': 1 });
    checkPng(await save(await downloadOf(page, () => page.getByTestId('export-roc-png').click()), 'roc.png'));
    await page.getByTestId('sweep-table').waitFor();
    const sweep = await save(await downloadOf(page, () => page.getByTestId('export-sweep-svg').click()), 'sweep.svg');
    await checkSvg(page, sweep, 'sweep-table', { '[data-part="cell"]': 30 });
    checkPng(await save(await downloadOf(page, () => page.getByTestId('export-sweep-png').click()), 'sweep.png'));
    await page.getByTestId('tab-trajectory').click();
    await expectInert(page);
    expect(session.pageErrors).toEqual([]);
  });

  it('opens the bundle in a fresh profile with no model: same token values, scores and dataset figures', async () => {
    const fresh = await openBrowser();
    watchForInjection(fresh.page);
    try {
      const { page } = fresh;
      await openAppWithExamples(page, baseUrl);
      const before = Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
      // A damaged bundle is refused with a reason and adds nothing.
      const bytes = readFileSync(seen.bundlePath);
      const cut = join(root, 'cut.pa-bundle.json.gz');
      writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
      await page.getByTestId('file-input').setInputFiles(cut);
      await expect.poll(() => page.getByTestId('file-error').allTextContents()).toEqual([expect.stringMatching(/^cut\.pa-bundle\.json\.gz: .*(truncated|damaged)/)]);
      expect(Number(await page.getByTestId('trajectory-count').getAttribute('data-count'))).toBe(before);

      // Opened over a fresh session, the bundle replaces the examples (the damaged one tried first does not count as the user's own file).
      await page.getByTestId('file-input').setInputFiles(seen.bundlePath);
      await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count')).toBe(String(records.length));
      expect(await page.locator('[data-testid="file-item"] .file-name').allTextContents()).toEqual(['cut.pa-bundle.json.gz', FILE]);
      expect(await page.getByTestId('model-status').textContent()).toBe('not loaded');
      expect(await page.getByTestId('setting-beta').inputValue()).toBe('0.5');
      await page.getByTestId('filter-file').selectOption({ label: FILE });
      await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-visible')).toBe(String(records.length));
      for (let i = 0; i < records.length; i++) {
        const id = await selectRow(page, i);
        await expect.poll(() => tokenValues(page)).toEqual(seen.tokens.get(id));
        expect(await page.getByTestId('transcript-score').getAttribute('data-value')).toBe(seen.scores.get(id));
      }
      expect(await datasetNumbers(page)).toEqual(seen.dataset);
      // Exports from the opened bundle still name the pair that scored it, with no model loaded.
      await selectRow(page, 2);
      const curve = await save(await downloadOf(page, () => page.getByTestId('export-curve-svg').click()), 'curve-from-bundle.svg');
      await checkSvg(page, curve, 'step-curve', { 'rect[data-step]': 2 });
      await expectInert(page);
      expect(fresh.pageErrors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('opens the snippet link in a fresh profile with no file and no model; a broken link shows an error', async () => {
    const fresh = await openBrowser();
    watchForInjection(fresh.page);
    try {
      const { page } = fresh;
      await page.goto(seen.snippetUrl);
      await page.locator('[data-testid="snippet-view"][data-state="ready"]').waitFor();
      const tokens = page.locator('[data-testid="snippet-view"] [data-testid="token"]');
      const values = await tokens.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-advantage'))));
      expect(values.length).toBe(seen.snippetTokens.length);
      values.forEach((a, i) => expect(Math.abs(a - seen.snippetTokens[i])).toBeLessThan(1e-5));
      expect(await tokens.evaluateAll((els) => els.map((e) => e.getAttribute('data-token') ?? ''))).toEqual(seen.snippetTexts);
      expect(await page.getByTestId('snippet-trajectory').textContent()).toBe(records[0].id);
      expect(await page.getByTestId('snippet-step').getAttribute('data-message')).toBe('2');
      expect(await page.getByTestId('snippet-model-pair').textContent()).toBe(seen.pair);
      expect(await page.getByTestId('snippet-values').locator('tbody tr').count()).toBe(values.length);
      await page.screenshot({ path: join(SCREENSHOTS, 'snippet-view.png'), fullPage: true });
      // No files were opened and no models loaded: the inspector is not even there.
      expect(await page.getByTestId('file-item').count()).toBe(0);
      await expectInert(page);

      await page.evaluate(() => (window.location.hash = '#snippet=AAAA'));
      await expect.poll(() => page.getByTestId('snippet-error').textContent()).toMatch(/This snippet link cannot be shown: the snippet link is damaged/);
      await page.evaluate(() => (window.location.hash = `#snippet=${'%3Cimg%20src=x%20onerror=window.__pwned=1%3E'}`));
      await expect.poll(() => page.getByTestId('snippet-error').textContent()).toMatch(/not base64url/);
      await expectInert(page);
      expect(fresh.pageErrors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('opens the HTML report from disk with the network off: same values, payloads as text, nothing runs', async () => {
    const fresh = await openBrowser();
    watchForInjection(fresh.page);
    try {
      const { page, context } = fresh;
      await context.setOffline(true);
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(seen.reportPath).href;
      await page.goto(url);
      expect(requests).toEqual([url]);
      expect(await page.title()).toBe('Progress-advantage report: 4 trajectories');
      await page.screenshot({ path: join(SCREENSHOTS, 'html-report.png') });
      expect(await page.evaluate(() => document.scripts.length)).toBe(0);
      const sections = page.locator('[data-part="trajectory"]');
      expect(await sections.count()).toBe(records.length);
      for (let i = 0; i < records.length; i++) {
        const section = sections.nth(i);
        const id = (await section.getAttribute('data-trajectory-id'))!;
        expect(await section.locator('h2').textContent()).toBe(id);
        const values = await section.locator('[data-advantage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-advantage') ?? ''));
        expect(values).toEqual(seen.tokens.get(id));
        expect(await section.locator('svg rect[data-step]').count()).toBe(2);
        expect(await section.textContent()).toContain(`lookup${PAYLOAD.img}`);
        // Every token has its values in a tooltip.
        expect(await section.locator('span.t').first().getAttribute('title')).toMatch(/^A [+-]?\d+\.\d{4} · log π_θ -?\d+\.\d{4} · log π_ref -?\d+\.\d{4}$/);
      }
      const settings = await page.locator('[data-part="settings"]').textContent();
      expect(settings).toContain('β0.5');
      expect(settings).toContain(`model pair${seen.pair}`);
      expect(await page.locator('[data-part="summary"]').textContent()).toContain('AUROC (score as confidence of success)');
      expect(await page.locator('[data-part="summary"] svg [data-part="roc"]').count()).toBe(1);
      await expectInert(page);
      expect(fresh.pageErrors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
