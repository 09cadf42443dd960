/**
 * The benchmark page: starts the benchmark worker (the product's engine on onnxruntime-web) and
 * exposes it as `window.paBench` for bench/browser.ts to drive through Playwright.
 */
import * as Comlink from 'comlink';
import type { BenchWorkerApi } from './bench.worker';

const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
(window as unknown as { paBench: Comlink.Remote<BenchWorkerApi> }).paBench = Comlink.wrap<BenchWorkerApi>(worker);
document.body.dataset.ready = 'true';
