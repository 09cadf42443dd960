/**
 * The app's "Server" model source (issue 16, item 3), in the production build: a fake vLLM server
 * on 127.0.0.1 (tools/fake-vllm.ts, answering with the product's own ONNX engine on the demo pair,
 * CORS allowed for the app's origin only, as `--allowed-origins` does) serves both models under
 * hub-style names, whose tokenizers come from the test hub (the served names entered as the
 * tokenizers' hub ids). The page asks to allow the new origin (its Content-Security-Policy names only the
 * servers entered), reloads with the session kept, checks the connection (served names and
 * max_model_len shown), loads (each tokenizer checked against the server's /tokenize), and scores a demo episode: the figures equal the CLI's local engine
 * (`score --preset demo`) within 1e-5. A URL nobody entered is refused by the policy before any
 * request leaves the page. An unreachable server and a server that refuses the page's origin
 * (no CORS headers) give the messages the panel promises, with the session intact; back on the
 * first server, the episode's scores come from the score cache. With the tokenizer fields left
 * empty, another episode is tokenized by the server's own /tokenize (the chat template applied
 * server-side, token texts from /detokenize) and scores with the CLI's local figures too.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { TOKENIZER_PROBES } from '../../src/core/engine/server';
import { parseScoreJsonl, type ScoreRecord } from '../../src/core/scores/format';
import { collectShownTokens, openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';
import { startFakeVllm } from '../../tools/fake-vllm';
import type { FakeServer } from '../../tools/fake-inference-server';
import { engineOracle, type LogprobOracle } from '../../tools/logprob-oracle';
import { startHubServer, type HubServer } from './hub-server';

const baseUrl = inject('baseUrl');
const appOrigin = new URL(baseUrl).origin;
const REPO = resolve(__dirname, '../..');
const MODELS = join(REPO, 'public/models');
const EXAMPLES = join(REPO, 'public/examples/demo-episodes.jsonl');
const EPISODE = 'broken-lamp-policy-1';
/** Scored with the server's own tokenizer (another episode: the score cache does not tell tokenizers apart). */
const EPISODE_SERVER_TOKENIZED = 'broken-lamp-policy-2';
const SERVED = { policy: 'test-org/demo-policy', reference: 'test-org/demo-reference' };
const cliArgs = (...args: string[]) => [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'src/cli/main.ts'), ...args];

let dir: string;
let expected: ScoreRecord;
let expectedServerTokenized: ScoreRecord;
let oracles: { policy: LogprobOracle & { dispose(): Promise<void> }; reference: LogprobOracle & { dispose(): Promise<void> } };
let hub: HubServer;
let allowed: FakeServer;
let refusing: FakeServer;
let unentered: Server;
let unenteredRequests = 0;
let unreachableUrl: string;
let session: BrowserSession;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-server-source-'));
  // The independent figures: the CLI's local ONNX engine on the one episode, rendered with the demo pair's chat template.
  const episodeFile = join(dir, 'episode.jsonl');
  writeFileSync(episodeFile, readFileSync(EXAMPLES, 'utf8').split('\n').find((line) => line.includes(`"id":"${EPISODE}"`))! + '\n');
  const out = join(dir, 'scores.jsonl');
  execFileSync(process.execPath, cliArgs('score', '--quiet', '--preset', 'demo', '--render', 'chat', '--out', out, episodeFile), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  expected = parseScoreJsonl(readFileSync(out, 'utf8'), out).records[0].record;
  const secondFile = join(dir, 'episode-2.jsonl');
  writeFileSync(secondFile, readFileSync(EXAMPLES, 'utf8').split('\n').find((line) => line.includes(`"id":"${EPISODE_SERVER_TOKENIZED}"`))! + '\n');
  const secondOut = join(dir, 'scores-2.jsonl');
  execFileSync(process.execPath, cliArgs('score', '--quiet', '--preset', 'demo', '--render', 'chat', '--out', secondOut, secondFile), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  expectedServerTokenized = parseScoreJsonl(readFileSync(secondOut, 'utf8'), secondOut).records[0].record;

  oracles = { policy: await engineOracle(MODELS, 'demo-policy'), reference: await engineOracle(MODELS, 'demo-reference') };
  const models = { [SERVED.policy]: { oracle: oracles.policy, maxModelLen: 128 }, [SERVED.reference]: { oracle: oracles.reference, maxModelLen: 128 } };
  allowed = await startFakeVllm({ models, allowedOrigins: [appOrigin] });
  refusing = await startFakeVllm({ models });
  hub = await startHubServer(inject('hubPort'), { [SERVED.policy]: join(MODELS, 'demo-policy'), [SERVED.reference]: join(MODELS, 'demo-reference') });
  // A server nobody entered: it would let the page read everything (CORS *), so only the policy can stop the request.
  unentered = createServer((request, response) => {
    unenteredRequests++;
    response.writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'application/json' });
    response.end('{"object":"list","data":[]}');
  });
  await new Promise<void>((done) => unentered.listen(0, '127.0.0.1', done));
  unreachableUrl = `http://127.0.0.1:${await freePort()}`;
  session = await openBrowser();
}, 180_000);

afterAll(async () => {
  await session?.close();
  await Promise.allSettled([allowed?.close(), refusing?.close(), hub?.close(), oracles?.policy.dispose(), oracles?.reference.dispose()]);
  await new Promise((done) => (unentered ? unentered.close(done) : done(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

/** Enters both URLs (the reference's follows the policy's unless given) and, when the page asks, allows the new origins: the page reloads. */
async function enterServers(page: Page, policyUrl: string, referenceUrl?: string): Promise<void> {
  await page.getByTestId('server-url-policy').fill(policyUrl);
  if (referenceUrl !== undefined) await page.getByTestId('server-url-reference').fill(referenceUrl);
  await expect.poll(() => page.getByTestId('server-origin-notice').count()).toBe(1);
  await Promise.all([page.waitForEvent('load'), page.getByTestId('allow-server-origins').click()]);
  await page.waitForFunction(() => document.querySelector('[data-testid="server-pair"]') !== null, undefined, { timeout: 30_000 });
}

async function trajectoryCount(page: Page): Promise<number> {
  return Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
}

/** The transcript shows the record's tokens (at least `fewest` of them), each with the record's policy and reference figures within 1e-5. */
async function expectShownTokens(page: Page, record: ScoreRecord, fewest: number): Promise<void> {
  const policy = record.steps.flatMap((step) => step.policy);
  const reference = record.steps.flatMap((step) => step.reference);
  expect(policy.length).toBeGreaterThanOrEqual(fewest);
  const shown = await collectShownTokens(page, policy.length);
  expect(shown.length).toBe(policy.length);
  let largest = 0;
  shown.forEach((token, index) => {
    largest = Math.max(largest, Math.abs(token.policy - policy[index]), Math.abs(token.reference - reference[index]));
  });
  expect(largest).toBeLessThan(1e-5);
}

describe('the Server model source', () => {
  it('scores a trajectory through a vLLM server with the figures of the local engine', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    const trajectories = await trajectoryCount(page);
    await page.getByTestId('model-source').selectOption('server');
    await page.getByTestId('server-model-policy').fill(SERVED.policy);
    await page.getByTestId('server-model-reference').fill(SERVED.reference);
    // The tokenizers named by hub id (the test hub serves them); left empty, the server's own is used (the last test).
    await page.getByTestId('server-tokenizer-policy').fill(SERVED.policy);
    await page.getByTestId('server-tokenizer-reference').fill(SERVED.reference);
    await enterServers(page, allowed.url);

    // After the reload: the session and the server choice are as they were, the new origin in force.
    expect(await trajectoryCount(page)).toBe(trajectories);
    expect(await page.getByTestId('model-source').inputValue()).toBe('server');
    expect(await page.getByTestId('server-url-reference').inputValue()).toBe(allowed.url);
    expect(await page.getByTestId('server-model-reference').inputValue()).toBe(SERVED.reference);
    expect(await page.getByTestId('server-origin-notice').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { progressAdvantageConnectOrigins: string[] }).progressAdvantageConnectOrigins)).toEqual([allowed.url]);

    await page.getByTestId('check-servers').click();
    await expect.poll(() => page.getByTestId('server-check').getAttribute('data-ok'), { timeout: 20_000 }).toBe('true');
    const served = await page.getByTestId('served-model').evaluateAll((els) => els.map((el) => [el.getAttribute('data-name'), el.getAttribute('data-context')]));
    expect(served).toEqual([
      [SERVED.policy, '128'],
      [SERVED.reference, '128'],
    ]);
    expect(allowed.requests.some((r) => r.method === 'GET' && r.path === '/v1/models' && r.origin === appOrigin)).toBe(true);
    await page.getByTestId('server-pair').screenshot({ path: join(REPO, 'test-results/screenshots/server-source-panel.png') });

    await page.getByTestId('render-mode').selectOption('chat');
    await page.getByTestId('load-models').click();
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 60_000 }).not.toMatch(/loading|not loaded/);
    if ((await page.getByTestId('model-status').textContent()) !== 'ready') throw new Error(`the served pair did not load: ${await page.getByTestId('model-error').textContent()}`);
    expect(await page.getByTestId('model-status').getAttribute('data-device')).toBe('server');
    expect(await page.getByTestId('device-reason').textContent()).toContain(`vLLM at ${allowed.url}`);
    // Both tokenizers were checked against the server's own /tokenize for the served names, and agree.
    expect(allowed.requests.filter((r) => r.method === 'POST' && r.path === '/tokenize')).toHaveLength(2 * TOKENIZER_PROBES.length);
    expect(await page.getByTestId('tokenizer-notice').count()).toBe(0);

    await page.getByTestId('filter-search').fill(EPISODE);
    await page.locator(`[data-testid="trajectory-row"][data-id="${EPISODE}"]`).click();
    const answeredBefore = allowed.counts.answered;
    await page.getByTestId('score-selected').click();
    const progress = page.getByTestId('scoring-progress');
    await expect.poll(async () => `${await progress.getAttribute('data-running')} ${await progress.getAttribute('data-done')}`, { timeout: 120_000 }).toBe('false 1');
    expect(await page.getByTestId('scoring-error').count()).toBe(0);
    // One request per model: the page's requests reached the server, carrying the page's origin.
    expect(allowed.counts.answered - answeredBefore).toBe(2);

    await expectShownTokens(page, expected, 20);
  });

  it('refuses, by its Content-Security-Policy, a URL the user did not enter', async () => {
    const { page } = session;
    const other = `http://127.0.0.1:${(unentered.address() as AddressInfo).port}/v1/models`;
    const outcome = await page.evaluate(async ({ other, entered }) => {
      const violations: string[] = [];
      const listener = (event: SecurityPolicyViolationEvent) => violations.push(`${event.effectiveDirective} ${event.blockedURI}`);
      document.addEventListener('securitypolicyviolation', listener);
      const attempt = (url: string) => fetch(url).then((r) => `answered ${r.status}`, (error: unknown) => `refused: ${String(error)}`);
      const result = { other: await attempt(other), entered: await attempt(entered) };
      await new Promise((done) => setTimeout(done, 100));
      document.removeEventListener('securitypolicyviolation', listener);
      return { ...result, violations };
    }, { other, entered: `${allowed.url}/v1/models` });
    expect(outcome.other).toMatch(/^refused: TypeError/);
    expect(outcome.entered).toBe('answered 200');
    expect(outcome.violations).toHaveLength(1);
    expect(outcome.violations[0].startsWith(`connect-src ${new URL(other).origin}`)).toBe(true);
    expect(unenteredRequests).toBe(0);
  });

  it('says what an unreachable server and a server that refuses the origin may be, and keeps the session', async () => {
    const { page } = session;
    const trajectories = await trajectoryCount(page);
    await enterServers(page, unreachableUrl, refusing.url);
    expect(await trajectoryCount(page)).toBe(trajectories);
    const requestsBefore = refusing.requests.length;
    await page.getByTestId('check-servers').click();
    await expect.poll(() => page.getByTestId('server-check').getAttribute('data-ok'), { timeout: 20_000 }).toBe('false');
    const policyError = (await page.getByTestId('server-check-error-policy').textContent()) ?? '';
    const referenceError = (await page.getByTestId('server-check-error-reference').textContent()) ?? '';
    for (const [error, url] of [
      [policyError, unreachableUrl],
      [referenceError, refusing.url],
    ] as const) {
      expect(error).toContain(`cannot reach the vLLM server at ${url}`);
      expect(error).toContain(`nothing answers at ${url} (is the server running, on this host and port?)`);
      expect(error).toContain(`does not allow this page's origin ${appOrigin} (CORS)`);
      expect(error).toContain(`--allowed-origins '["${appOrigin}"]'`);
    }
    // The refusing server was reached (the browser sent its origin) and answered without CORS headers.
    expect(refusing.requests.slice(requestsBefore).some((r) => r.path === '/v1/models' && r.origin === appOrigin)).toBe(true);
    // Nothing was lost: the files, and the scores of the served pair shown for the episode.
    expect(await trajectoryCount(page)).toBe(trajectories);
    await page.getByTestId('filter-search').fill(EPISODE);
    await page.locator(`[data-testid="trajectory-row"][data-id="${EPISODE}"]`).click();
    const tokens = expected.steps.reduce((sum, step) => sum + step.policy.length, 0);
    expect((await collectShownTokens(page, tokens)).length).toBe(tokens);

    // Back to the server that scored the episode: its scores come from the score cache, the server is not asked again.
    await page.getByTestId('server-url-policy').fill(allowed.url);
    await page.getByTestId('server-url-reference').fill(allowed.url);
    expect(await page.getByTestId('server-origin-notice').count()).toBe(0);
    await page.getByTestId('load-models').click();
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 60_000 }).toBe('ready');
    const answered = allowed.counts.answered;
    await page.getByTestId('score-selected').click();
    const progress = page.getByTestId('scoring-progress');
    await expect.poll(async () => `${await progress.getAttribute('data-running')} ${await progress.getAttribute('data-reused')}`, { timeout: 60_000 }).toBe('false 1');
    expect(allowed.counts.answered).toBe(answered);
    expect((await collectShownTokens(page, tokens)).length).toBe(tokens);

    // Forgetting a server takes its origin out of the policy from the reload on.
    await Promise.all([page.waitForEvent('load'), page.locator(`[data-testid="forget-server-origin"][data-origin="${refusing.url}"]`).click()]);
    await page.waitForFunction(() => document.querySelector('[data-testid="server-pair"]') !== null, undefined, { timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { progressAdvantageConnectOrigins: string[] }).progressAdvantageConnectOrigins)).toEqual([allowed.url, unreachableUrl]);
    expect(await trajectoryCount(page)).toBe(trajectories);

    // The only errors the page logged are the browser's own lines for the refused requests.
    const unexpected = session.pageErrors.filter((line) => !/blocked by CORS policy|Failed to load resource|Refused to connect|Content Security Policy/.test(line));
    expect(unexpected).toEqual([]);
  });

  it('tokenizes with the server’s own /tokenize when no tokenizer is entered, with the figures of the local engine', async () => {
    const { page } = session;
    expect(await page.getByTestId('server-tokenizer-hint').textContent()).toContain("A tokenizer left empty is the server's own: its /tokenize and /detokenize for the served name");
    await page.getByTestId('server-url-policy').fill(allowed.url);
    await page.getByTestId('server-url-reference').fill(allowed.url);
    await page.getByTestId('server-tokenizer-policy').fill('');
    await page.getByTestId('server-tokenizer-reference').fill('');
    await page.getByTestId('render-mode').selectOption('chat');
    await page.getByTestId('load-models').click();
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 60_000 }).not.toMatch(/loading|not loaded/);
    if ((await page.getByTestId('model-status').textContent()) !== 'ready') throw new Error(`the served pair did not load: ${await page.getByTestId('model-error').textContent()}`);
    expect(await page.getByTestId('tokenizer-notice').count()).toBe(0);

    await page.getByTestId('filter-search').fill(EPISODE_SERVER_TOKENIZED);
    await page.locator(`[data-testid="trajectory-row"][data-id="${EPISODE_SERVER_TOKENIZED}"]`).click();
    const [answeredBefore, requestsBefore] = [allowed.counts.answered, allowed.requests.length];
    await page.getByTestId('score-selected').click();
    const progress = page.getByTestId('scoring-progress');
    await expect.poll(async () => `${await progress.getAttribute('data-running')} ${await progress.getAttribute('data-done')}`, { timeout: 120_000 }).toBe('false 1');
    expect(await page.getByTestId('scoring-error').count()).toBe(0);
    expect(allowed.counts.answered - answeredBefore).toBe(2);
    // The rendering was the server's: its chat template through /tokenize, the token texts through /detokenize, from the page's origin.
    const asked = allowed.requests.slice(requestsBefore).filter((r) => r.method === 'POST' && r.origin === appOrigin);
    expect(asked.filter((r) => r.path === '/tokenize').length).toBeGreaterThan(0);
    expect(asked.filter((r) => r.path === '/detokenize').length).toBeGreaterThan(0);

    await expectShownTokens(page, expectedServerTokenized, 10);
  });
});
