import { afterAll, beforeAll, it, inject } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrajectoryText } from '../../src/core/trajectory';
import { renderPlainTexts } from '../../src/core/render';
import { openAppWithExamples, openBrowser, type BrowserSession } from './browser';
import { writeRandomPair } from './models';
const baseUrl = inject('baseUrl');
let session: BrowserSession; let root: string;
beforeAll(async () => { root = mkdtempSync(join(tmpdir(), 'pa-p3-')); const text = JSON.stringify({ id: 'a', messages: [{ role: 'user', content: 'hi there' }, { role: 'assistant', content: 'hello you' }] }) + '\n'; writeFileSync(join(root, 'f.jsonl'), text); writeRandomPair(root, parseTrajectoryText('f.jsonl', text).trajectories.flatMap((t) => renderPlainTexts(t))); session = await openBrowser(); });
afterAll(async () => { await session.close(); });
it('profiles', async () => {
  for (let run = 0; run < 3; run++) {
  const { page } = session;
  await openAppWithExamples(page, baseUrl);
  await page.getByTestId('model-source').selectOption('folders');
  await page.getByTestId('model-folder-policy').setInputFiles(join(root, 'policy'));
  await page.getByTestId('model-folder-reference').setInputFiles(join(root, 'reference'));
  await page.getByTestId('model-device').selectOption('wasm');
  await page.getByTestId('load-models').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="model-status"]')?.textContent === 'ready', null, { timeout: 60000 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start');
  await page.evaluate(() => { const w = window as any; w.__lt = []; new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__lt.push([Math.round(e.startTime), Math.round(e.duration)]))).observe({ type: 'longtask' }); w.__t0 = performance.now(); });
  await page.getByTestId('score-all').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="scoring-progress"]')?.getAttribute('data-running') === 'false', null, { timeout: 120000 });
  await page.waitForTimeout(1500);
  const { profile } = await cdp.send('Profiler.stop') as any;
  const lt = await page.evaluate(() => [(window as any).__t0, (window as any).__lt]);
  console.log(JSON.stringify(lt));
  const byId = new Map(profile.nodes.map((n: any) => [n.id, n]));
  // self time within the longest long task window
  const [t0, tasks] = lt as [number, [number, number][]];
  const longest = tasks.sort((a, b) => b[1] - a[1])[0];
  if (!longest) continue;
  const startUs = profile.startTime; let t = startUs; const self = new Map<string, number>();
  const tsMs = (us: number) => (us - startUs) / 1000;
  // approximate: map performance.now()-based window onto the profile by aligning profile start with t0
  profile.samples.forEach((id: number, i: number) => { t += profile.timeDeltas[i]; const rel = tsMs(t); if (rel >= longest[0] - t0 - 50 && rel <= longest[0] - t0 + longest[1] + 50) { const n: any = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-1)}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + profile.timeDeltas[i] / 1000); } });
  console.log(`longest ${longest[1]}ms at +${Math.round(longest[0] - t0)}ms:\n` + [...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${v.toFixed(0)}ms ${k}`).join('\n'));
  }
});
