/**
 * `npm run bench [-- --json] [--quick] [--node-only]`: every figure of BENCHMARKS.md, measured as
 * ratios within one run (the machines are shared and noisy). The models are builder-made GPT-2s
 * of realistic shape with seeded random weights: throughput does not depend on the weights' values.
 */
import type { Gpt2Config, LlamaShapeSize } from '../lab/model-builder';
import { measureBrowser, type BrowserFigures, type BrowserGroup } from './browser';
import { cpuPeak, describeMachine, type CpuPeak, type MachineDescription } from './machine';
import { forwardFlops, type BenchModel } from './models';
import {
  measureMemoryGrowth,
  measurePrefixReuse,
  measureScoreRecordTransfer,
  measureThroughput,
  openNativeReference,
  type MemoryFigures,
  type PrefixReuseFigures,
  type ScoreRecordTransferFigures,
  type ThroughputFigures,
} from './node';
import { SERVER_GROUPS, measureServerClient, serverTargetLines, type ServerClientDetails } from './server-client';
import { LLAMA_CPP_GROUPS, llamaCppTargetLines, measureLlamaCpp, type LlamaCppDetails } from './llama-cpp';
import { REAL_SHAPE_GROUPS, measureRealShape, realShapeTargetLines, realShapeWasmRatio, type RealShapeDetails, type RealShapeRun } from './real-shape-run';

/** The figures that are measured together (one model, one browser page …). */
export const FIGURE_GROUPS = {
  engineVsNative: 'throughput',
  bytesPerToken: 'throughput',
  gflops: 'gflops',
  prefixReuse: 'prefixReuse',
  memoryGrowth: 'memory',
  wasmVsNative: 'wasm',
  webgpuMatchesWasm: 'webgpu',
  firstRenderMs: 'render',
  longTasksDuringScroll: 'render',
  parseMBps: 'parse',
  ...REAL_SHAPE_GROUPS,
  ...SERVER_GROUPS,
  ...LLAMA_CPP_GROUPS,
} as const;
export type FigureName = keyof typeof FIGURE_GROUPS;
type FigureGroup = (typeof FIGURE_GROUPS)[FigureName];
const BROWSER_GROUPS: ReadonlySet<FigureGroup> = new Set(['wasm', 'webgpu', 'render', 'parse', 'realShapeWasm']);

export interface BenchOptions {
  /** Small models and sizes: seconds instead of minutes (what the unit test runs). */
  quick: boolean;
  /** Leave out the browser figures (no Chromium, no vite build). */
  nodeOnly: boolean;
  /** Measure only these figures (and what is measured with them); all when absent. */
  only?: readonly FigureName[];
  /** The real-shape model's size (default: `small`, `tiny` with quick). */
  realShapeSize?: LlamaShapeSize;
  log(line: string): void;
}


interface BenchSizes {
  throughputModel: BenchModel;
  throughputTokens: number;
  repetitions: number;
  gflopsModel: BenchModel;
  prefixModel: BenchModel;
  trajectories: number;
  sharedPrefix: number;
  ownTokens: number;
  memoryModel: BenchModel;
  memoryShort: number;
  memoryLong: number;
  webgpuModel: BenchModel;
  renderTokens: number;
  parseBytes: number;
  realShape: RealShapeRun;
}

const gpt2 = (id: string, config: Gpt2Config): BenchModel => ({ id, config });

const FULL: BenchSizes = {
  // ≈ 12M parameters: the DEVELOPERS guide's reference shape (onnxruntime-node ≈ 1,700 tokens/s).
  throughputModel: gpt2('gpt2-v32000-d256-l4', { vocabSize: 32_000, contextLength: 2048, embeddingDim: 256, layerCount: 4, headCount: 4 }),
  throughputTokens: 1024,
  repetitions: 5,
  gflopsModel: gpt2('gpt2-v32000-d512-l4', { vocabSize: 32_000, contextLength: 2048, embeddingDim: 512, layerCount: 4, headCount: 8 }),
  prefixModel: gpt2('gpt2-v32000-d256-l4-ctx8k', { vocabSize: 32_000, contextLength: 8192, embeddingDim: 256, layerCount: 4, headCount: 4 }),
  // τ²-bench-like: system prompt with the domain policy and tool schemas ≈ 3,000 tokens, 8 samples of a task.
  trajectories: 8,
  sharedPrefix: 3000,
  ownTokens: 1500,
  memoryModel: gpt2('gpt2-v32000-d256-l4-ctx32k', { vocabSize: 32_000, contextLength: 32_768, embeddingDim: 256, layerCount: 4, headCount: 4 }),
  memoryShort: 8192,
  memoryLong: 32_768,
  webgpuModel: gpt2('gpt2-v2000-d64-l2', { vocabSize: 2000, contextLength: 512, embeddingDim: 64, layerCount: 2, headCount: 4 }),
  renderTokens: 100_000,
  parseBytes: 50 * 1024 * 1024,
  realShape: { size: 'small', tokens: 4096, repetitions: 3, wasmRepetitions: 2, memoryShort: 8192, memoryLong: 32_768 },
};

const QUICK: BenchSizes = {
  throughputModel: gpt2('quick-v4000-d64-l2', { vocabSize: 4000, contextLength: 512, embeddingDim: 64, layerCount: 2, headCount: 2 }),
  throughputTokens: 256,
  repetitions: 2,
  gflopsModel: gpt2('quick-v4000-d128-l2', { vocabSize: 4000, contextLength: 512, embeddingDim: 128, layerCount: 2, headCount: 4 }),
  prefixModel: gpt2('quick-v4000-d64-l2-ctx1k', { vocabSize: 4000, contextLength: 1024, embeddingDim: 64, layerCount: 2, headCount: 2 }),
  trajectories: 4,
  sharedPrefix: 300,
  ownTokens: 150,
  // The vocabulary stays ≥ 32,000: memory must not grow with vocabulary × length.
  memoryModel: gpt2('quick-v32000-d32-l1-ctx2k', { vocabSize: 32_000, contextLength: 2048, embeddingDim: 32, layerCount: 1, headCount: 2 }),
  memoryShort: 512,
  memoryLong: 2048,
  webgpuModel: gpt2('quick-v500-d32-l1', { vocabSize: 500, contextLength: 512, embeddingDim: 32, layerCount: 1, headCount: 2 }),
  renderTokens: 10_000,
  parseBytes: 5 * 1024 * 1024,
  realShape: { size: 'tiny', tokens: 512, repetitions: 2, wasmRepetitions: 2, memoryShort: 512, memoryLong: 2048 },
};

/** The JSON object of `--json` (its last line). A figure is null when it was left out (--node-only, --only) or failed (see `errors`). */
export interface BenchReport {
  engineVsNative: number | null;
  wasmVsNative: number | null;
  webgpuMatchesWasm: boolean | null;
  webgpuMaxAbsDifference: number | null;
  bytesPerToken: number | null;
  memoryGrowth: number | null;
  prefixReuse: number | null;
  gflops: number | null;
  gflopsPeak: number;
  gflopsPeakMethod: string;
  gflopsShareOfPeak: number | null;
  firstRenderMs: number | null;
  longTasksDuringScroll: number | null;
  parseMBps: number | null;
  /** Speed on a real shape (bench/real-shape.ts): engine ÷ plain onnxruntime-node, WASM engine ÷ the same, peak memory 32k ÷ 8k, GFLOP/s. */
  realShapeEngineVsNative: number | null;
  realShapeWasmVsNative: number | null;
  realShapeMemoryGrowth: number | null;
  realShapeGflops: number | null;
  realShapeGflopsShareOfPeak: number | null;
  /** Which size the real-shape figures are of (`small` by default; `--real-shape-size 0.5b` for the issue's 0.5 B). */
  realShapeSize: LlamaShapeSize;
  /** The vLLM / SGLang client (bench/server-client.ts): prompt tokens/s against an instant server; 4 replicas ÷ 1. */
  serverClientTokensPerSecond: number | null;
  serverReplicaScaling: number | null;
  /** `score --engine llama.cpp` ÷ the ONNX engine, tokens/s on one SiLU model as GGUF and ONNX (bench/llama-cpp.ts). */
  llamaCppVsOnnx: number | null;
  quick: boolean;
  machine: MachineDescription;
  details: {
    throughput: (ThroughputFigures & { model: string; tokens: number }) | null;
    /** Moving a long trajectory's score record between threads and into IndexedDB (measured with the throughput figures). */
    scoreRecordTransfer: ScoreRecordTransferFigures | null;
    gflops: (ThroughputFigures & { model: string; tokens: number; flopsFormula: string }) | null;
    prefixReuse: (PrefixReuseFigures & { model: string; trajectories: number; sharedPrefix: number; ownTokens: number }) | null;
    memory: (MemoryFigures & { model: string; measure: string }) | null;
    browser: Omit<BrowserFigures, 'errors'> | null;
    realShape: RealShapeDetails | null;
    server: ServerClientDetails | null;
    llamaCpp: LlamaCppDetails | null;
  };
  errors: Record<string, string>;
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

const describeModel = (model: BenchModel): string => {
  const { vocabSize, embeddingDim, layerCount, headCount, contextLength } = model.config;
  return `GPT-2 (model-builder, fp32): vocabulary ${vocabSize}, width ${embeddingDim}, ${layerCount} layers, ${headCount} heads, context ${contextLength}`;
};

export async function runBenchmarks(options: BenchOptions): Promise<BenchReport> {
  const sizes = options.quick ? QUICK : FULL;
  const { log } = options;
  const groups = new Set<FigureGroup>(options.only ? options.only.map((name) => FIGURE_GROUPS[name]) : Object.values(FIGURE_GROUPS));
  if (options.nodeOnly) for (const group of BROWSER_GROUPS) groups.delete(group);
  const machine = describeMachine();
  const peak: CpuPeak = cpuPeak(machine);
  log(`machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, load average ${machine.loadAverageAtStart}; peak ${peak.gflops} GFLOP/s`);
  const errors: Record<string, string> = {};
  /** Runs one group's measurement; a failure is recorded and the other groups still run. */
  const measure = async <T>(group: FigureGroup, what: string, work: () => Promise<T>): Promise<T | null> => {
    if (!groups.has(group)) return null;
    log(`${group}: ${what} …`);
    try {
      return await work();
    } catch (error) {
      errors[group] = error instanceof Error ? error.message : String(error);
      log(`${group}: failed: ${errors[group]}`);
      return null;
    }
  };
  const fewer = Math.max(2, Math.floor(sizes.repetitions / 2));

  const throughput = await measure('throughput', `${describeModel(sizes.throughputModel)}, ${sizes.throughputTokens} tokens`, () =>
    measureThroughput({ model: sizes.throughputModel, tokens: sizes.throughputTokens, repetitions: sizes.repetitions }),
  );
  const scoreRecordTransfer = await measure('throughput', `score record of ${sizes.renderTokens} tokens: clone, pack, unpack`, async () =>
    measureScoreRecordTransfer(sizes.renderTokens, sizes.repetitions),
  );
  const gflops = await measure('gflops', describeModel(sizes.gflopsModel), () =>
    measureThroughput({ model: sizes.gflopsModel, tokens: sizes.throughputTokens, repetitions: fewer }),
  );
  const prefix = await measure('prefixReuse', `${sizes.trajectories} trajectories sharing ${sizes.sharedPrefix} tokens`, () =>
    measurePrefixReuse({ model: sizes.prefixModel, trajectories: sizes.trajectories, sharedPrefix: sizes.sharedPrefix, ownTokens: sizes.ownTokens }),
  );
  const memory = await measure('memory', `${sizes.memoryLong} vs ${sizes.memoryShort} tokens, each in a fresh process`, () =>
    measureMemoryGrowth({ model: sizes.memoryModel, shortTokens: sizes.memoryShort, longTokens: sizes.memoryLong }),
  );

  const server = await measure('server', 'the vLLM / SGLang client against test servers on 127.0.0.1', () => measureServerClient(options.quick));
  const llamaCpp = await measure('llamaCpp', 'llama.cpp and the ONNX engine on one Llama-shape model (GGUF and ONNX)', () => measureLlamaCpp(options.quick, log));

  const realShapeRun = { ...sizes.realShape, size: options.realShapeSize ?? sizes.realShape.size };
  const realShape = await measureRealShape(realShapeRun, groups, measure, errors, log);

  let browser: BrowserFigures | null = null;
  const browserGroups = new Set([...groups].filter((group) => BROWSER_GROUPS.has(group))) as Set<BrowserGroup>;
  if (!realShape.wasm) browserGroups.delete('realShapeWasm');
  if (browserGroups.size > 0) {
    const native = browserGroups.has('wasm') ? await openNativeReference(sizes.throughputModel, sizes.throughputTokens) : null;
    try {
      browser = await measureBrowser({
        groups: browserGroups,
        wasmModel: sizes.throughputModel,
        wasmTokens: sizes.throughputTokens,
        wasmRepetitions: fewer,
        webgpuModel: sizes.webgpuModel,
        renderTokens: sizes.renderTokens,
        parseBytes: sizes.parseBytes,
        nativeTokensPerSecond: () => native!.tokensPerSecond(fewer),
        ...(realShape.wasm ? { realShape: realShape.wasm } : {}),
        log,
      });
      Object.assign(errors, browser.errors);
    } catch (error) {
      errors.browser = error instanceof Error ? error.message : String(error);
      log(`browser: failed: ${errors.browser}`);
    } finally {
      await native?.close();
    }
  }
  await realShape.finish();
  const realShapeGflops = realShape.details?.throughput?.gflops ?? null;
  const webgpuDifference = browser?.webgpu ? Math.max(browser.webgpu.maxAbsDifference, browser.webgpu.reuseMaxAbsDifference) : null;
  const { errors: _browserErrors, ...browserDetails } = browser ?? { errors: {} };
  return {
    engineVsNative: throughput?.engineVsNative ?? null,
    wasmVsNative: browser?.wasm ? Number((browser.wasm.engineTokensPerSecond / mean(browser.wasm.nativeTokensPerSecondAround)).toFixed(3)) : null,
    webgpuMatchesWasm: webgpuDifference === null ? null : webgpuDifference <= 1e-3,
    webgpuMaxAbsDifference: webgpuDifference,
    bytesPerToken: throughput?.bytesPerToken ?? null,
    memoryGrowth: memory?.memoryGrowth ?? null,
    prefixReuse: prefix?.prefixReuse ?? null,
    gflops: gflops?.gflops ?? null,
    gflopsPeak: peak.gflops,
    gflopsPeakMethod: peak.method,
    gflopsShareOfPeak: gflops ? Number((gflops.gflops / peak.gflops).toFixed(3)) : null,
    firstRenderMs: browser?.firstRenderMs ?? null,
    longTasksDuringScroll: browser?.longTasksDuringScroll ?? null,
    parseMBps: browser?.parseMBps ?? null,
    realShapeEngineVsNative: realShape.details?.throughput?.engineVsNative ?? null,
    realShapeWasmVsNative: realShapeWasmRatio(browser),
    realShapeMemoryGrowth: realShape.details?.memory?.memoryGrowth ?? null,
    realShapeGflops,
    realShapeGflopsShareOfPeak: realShapeGflops === null ? null : Number((realShapeGflops / peak.gflops).toFixed(3)),
    realShapeSize: realShapeRun.size,
    serverClientTokensPerSecond: server?.serverClientTokensPerSecond ?? null,
    serverReplicaScaling: server?.serverReplicaScaling ?? null,
    llamaCppVsOnnx: llamaCpp?.llamaCppVsOnnx ?? null,
    quick: options.quick,
    machine,
    details: {
      throughput: throughput && { ...throughput, model: describeModel(sizes.throughputModel), tokens: sizes.throughputTokens },
      scoreRecordTransfer,
      gflops: gflops && {
        ...gflops,
        model: describeModel(sizes.gflopsModel),
        tokens: sizes.throughputTokens,
        flopsFormula: `2 × (layers × (4d² + 2d·d_mlp) + V·d) per token + 4 × layers × d × attended keys (causal: token t attends t + 1); ${forwardFlops(sizes.gflopsModel.config, sizes.throughputTokens).toExponential(3)} FLOPs for ${sizes.throughputTokens} tokens`,
      },
      prefixReuse: prefix && { ...prefix, model: describeModel(sizes.prefixModel), trajectories: sizes.trajectories, sharedPrefix: sizes.sharedPrefix, ownTokens: sizes.ownTokens },
      memory: memory && { ...memory, model: describeModel(sizes.memoryModel), measure: 'peak resident set size (process.resourceUsage().maxRSS) of a fresh Node process per length' },
      browser: browser ? (browserDetails as Omit<BrowserFigures, 'errors'>) : null,
      realShape: realShape.details,
      server: server?.details ?? null,
      llamaCpp: llamaCpp?.details ?? null,
    },
    errors,
  };
}

interface TargetLine {
  label: string;
  value: string;
  target: string;
  met: boolean | null;
}

/** The human-readable summary printed before the JSON line. */
export function formatReport(report: BenchReport): string {
  const shown = (value: number | boolean | null, unit = ''): string => (value === null ? 'not measured' : `${value}${unit}`);
  const check = (value: number | null, ok: (value: number) => boolean): boolean | null => (value === null ? null : ok(value));
  const { throughput, prefixReuse, memory, browser } = report.details;
  const lines: TargetLine[] = [
    {
      label: 'engineVsNative',
      value: throughput ? `${report.engineVsNative} (engine ${throughput.engineTokensPerSecond} vs plain onnxruntime-node ${throughput.nativeTokensPerSecond} tokens/s)` : shown(null),
      target: '≥ 0.9',
      met: check(report.engineVsNative, (v) => v >= 0.9),
    },
    {
      label: 'wasmVsNative',
      value: browser?.wasm
        ? `${report.wasmVsNative} (WASM engine ${browser.wasm.engineTokensPerSecond} tokens/s on ${browser.wasm.threads} threads vs plain onnxruntime-node ${browser.wasm.nativeTokensPerSecondAround.join(' / ')} before / after)`
        : shown(null),
      target: '≥ 0.4 (aim)',
      met: check(report.wasmVsNative, (v) => v >= 0.4),
    },
    {
      label: 'webgpuMatchesWasm',
      value: browser?.webgpu ? `${report.webgpuMatchesWasm} (max |Δ log-prob| ${report.webgpuMaxAbsDifference?.toExponential(1)} on ${browser.webgpu.adapter})` : shown(null),
      target: '≤ 1e-3',
      met: report.webgpuMatchesWasm,
    },
    {
      label: 'bytesPerToken',
      value: throughput ? `${report.bytesPerToken} (separate reduction session: ${throughput.bytesPerTokenSeparateReduction}; naive 4 × V = ${throughput.bytesPerTokenNaive})` : shown(null),
      target: '≤ 64',
      met: check(report.bytesPerToken, (v) => v <= 64),
    },
    {
      label: 'memoryGrowth',
      value: memory ? `${report.memoryGrowth} (peak RSS ${memory.peakRssLongMB} MB at ${memory.longTokens} tokens vs ${memory.peakRssShortMB} MB at ${memory.shortTokens}; KV cache ${memory.kvCacheLongMB} vs ${memory.kvCacheShortMB} MB)` : shown(null),
      target: '≤ 1.5',
      met: check(report.memoryGrowth, (v) => v <= 1.5),
    },
    {
      label: 'prefixReuse',
      value: prefixReuse ? `${report.prefixReuse} (${prefixReuse.tokensForwardedWithReuse} of ${prefixReuse.tokensForwardedNaive} tokens forwarded; max |Δ| ${prefixReuse.maxAbsDifference.toExponential(1)})` : shown(null),
      target: '≤ 0.6',
      met: check(report.prefixReuse, (v) => v <= 0.6),
    },
    {
      label: 'gflops',
      value: report.gflops === null ? shown(null) : `${report.gflops} GFLOP/s of ${report.gflopsPeak} peak (${((report.gflopsShareOfPeak ?? 0) * 100).toFixed(1)} %)`,
      target: 'report',
      met: null,
    },
    { label: 'firstRenderMs', value: shown(report.firstRenderMs, ' ms'), target: '< 1500', met: check(report.firstRenderMs, (v) => v < 1500) },
    {
      label: 'longTasksDuringScroll',
      value: report.longTasksDuringScroll === null ? shown(null) : `${report.longTasksDuringScroll}${browser?.longTaskDurationsMs?.length ? ` (${browser.longTaskDurationsMs.join(', ')} ms)` : ''}`,
      target: '0',
      met: check(report.longTasksDuringScroll, (v) => v === 0),
    },
    { label: 'parseMBps', value: shown(report.parseMBps, ' MB/s'), target: 'report', met: null },
    ...realShapeTargetLines(report, report.details.realShape, browser?.realShapeWasm ?? null),
    ...serverTargetLines(report.details.server && { serverClientTokensPerSecond: report.serverClientTokensPerSecond!, serverReplicaScaling: report.serverReplicaScaling!, details: report.details.server }),
    ...llamaCppTargetLines(report.details.llamaCpp && { llamaCppVsOnnx: report.llamaCppVsOnnx!, details: report.details.llamaCpp }),
  ];
  const { machine } = report;
  const header = `bench${report.quick ? ' (quick sizes)' : ''}: ${machine.nproc} CPUs (${machine.cpuModel}, ${machine.physicalCores} cores at ${machine.clockMHz} MHz), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.chromium}; load average at start ${machine.loadAverageAtStart}`;
  const body = lines.map(({ label, value, target, met }) => `  ${label.padEnd(24)} ${value}   target ${target}${met === null ? '' : met ? '  ✓' : '  ✗'}`);
  const errors = Object.entries(report.errors).map(([name, reason]) => `  ${name}: failed: ${reason}`);
  return [header, ...body, ...errors].join('\n');
}
