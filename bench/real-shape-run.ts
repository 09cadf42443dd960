/**
 * The real-shape part of `npm run bench` (bench/real-shape.ts measures; this file sequences and
 * reports): one model folder is built for all of its figures and removed after the browser's.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { llamaParameterCount, type LlamaShapeSize } from '../lab/model-builder';
import type { RealShapeWasmOptions } from './browser';
import {
  PLAIN_REFERENCE_CHUNK,
  REAL_SHAPE_FLOPS_FORMULA,
  describeRealShape,
  measureRealShapeMemory,
  measureRealShapeThroughput,
  openRealShapeNativeReference,
  realShapeModel,
  writeRealShapeFolder,
  type RealShapeFolder,
  type RealShapeMemoryFigures,
  type RealShapeThroughputFigures,
} from './real-shape';
import type { BrowserFigures } from './browser';

/** The figures of the real shape and the group each is measured in. */
export const REAL_SHAPE_GROUPS = {
  realShapeEngineVsNative: 'realShape',
  realShapeGflops: 'realShape',
  realShapeMemoryGrowth: 'realShapeMemory',
  realShapeWasmVsNative: 'realShapeWasm',
} as const;

export interface RealShapeRun {
  size: LlamaShapeSize;
  /** Tokens per throughput run (the 4,096). */
  tokens: number;
  repetitions: number;
  wasmRepetitions: number;
  /** Trajectory lengths of the memory figure (8k and 32k). */
  memoryShort: number;
  memoryLong: number;
}

export interface RealShapeDetails {
  model: string;
  size: LlamaShapeSize;
  parameters: number;
  tokens: number;
  buildSeconds: number;
  onnxMB: number;
  /** The last commit that touched src/core/engine when the run started, and whether the working tree had changed it since (the engine measured). */
  engineCommit: string;
  plainReference: string;
  flopsFormula: string;
  throughput: RealShapeThroughputFigures | null;
  memory: (RealShapeMemoryFigures & { measure: string }) | null;
}

const REPO = resolve(import.meta.dirname, '..');

function engineCommit(): string {
  try {
    const commit = execFileSync('git', ['log', '-1', '--format=%h %cI', '--', 'src/core/engine'], { cwd: REPO, encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'src/core/engine'], { cwd: REPO, encoding: 'utf8' }).trim();
    return changed ? `${commit} + uncommitted changes in src/core/engine` : commit;
  } catch {
    return 'unknown (no git)';
  }
}

type Measure = <T>(group: 'realShape' | 'realShapeMemory', what: string, work: () => Promise<T>) => Promise<T | null>;

export interface RealShapeMeasured {
  details: RealShapeDetails | null;
  /** What the browser needs for realShapeWasmVsNative (null when that figure is not asked for or the build failed). */
  wasm: RealShapeWasmOptions | null;
  /** Removes the model folder and closes the native reference (after the browser figures). */
  finish(): Promise<void>;
}

/**
 * Builds the folder when any real-shape figure is asked for, measures the Node figures, and hands
 * the browser what it needs; a failed build is an error of every real-shape group.
 */
export async function measureRealShape(run: RealShapeRun, groups: ReadonlySet<string>, measure: Measure, errors: Record<string, string>, log: (line: string) => void): Promise<RealShapeMeasured> {
  const wanted = ['realShape', 'realShapeMemory', 'realShapeWasm'].filter((group) => groups.has(group));
  const none: RealShapeMeasured = { details: null, wasm: null, finish: async () => undefined };
  if (wanted.length === 0) return none;
  const model = realShapeModel(run.size);
  // Before anything runs: the engine measured is the one on disk now (other sessions may commit meanwhile).
  const engine = engineCommit();
  let folder: RealShapeFolder;
  try {
    log(`realShape: writing ${describeRealShape(model)} …`);
    folder = await writeRealShapeFolder(model);
    log(`realShape: written in ${folder.buildSeconds} s (${Math.round(folder.onnxBytes / 2 ** 20)} MiB q4 graph)`);
  } catch (error) {
    for (const group of wanted) errors[group] = `building the real-shape model failed: ${error instanceof Error ? error.message : String(error)}`;
    return none;
  }
  const throughput = await measure('realShape', `engine vs plain onnxruntime-node, ${run.tokens} tokens`, () => measureRealShapeThroughput(folder, run.tokens, run.repetitions, log));
  const memory = await measure('realShapeMemory', `${run.memoryLong} vs ${run.memoryShort} tokens, each in a fresh process`, () => measureRealShapeMemory(folder, run.memoryShort, run.memoryLong));
  let native: Awaited<ReturnType<typeof openRealShapeNativeReference>> | null = null;
  if (groups.has('realShapeWasm')) {
    try {
      native = await openRealShapeNativeReference(folder, run.tokens);
    } catch (error) {
      errors.realShapeWasm = `the native reference failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  const { config } = model;
  return {
    details: {
      model: describeRealShape(model),
      size: run.size,
      parameters: llamaParameterCount(config),
      tokens: run.tokens,
      buildSeconds: folder.buildSeconds,
      onnxMB: Math.round(folder.onnxBytes / 2 ** 20),
      engineCommit: engine,
      plainReference: `plain onnxruntime-node InferenceSession on the same onnx/model_q4.onnx, the same tokens in runs of ${PLAIN_REFERENCE_CHUNK} positions (present.* fed back as past_key_values), every output fetched`,
      flopsFormula: REAL_SHAPE_FLOPS_FORMULA,
      throughput,
      memory: memory && { ...memory, measure: 'peak resident set size (process.resourceUsage().maxRSS) of a fresh Node process per length, engine on the q4 file, agent-like scored ranges' },
    },
    wasm: native && {
      folderRoot: folder.root,
      modelId: model.id,
      shape: { vocabSize: config.vocabSize, embeddingDim: config.hiddenSize, layerCount: config.layerCount, headCount: config.headCount, kvHeadCount: config.kvHeadCount, headDim: config.headDim },
      tokens: run.tokens,
      repetitions: run.wasmRepetitions,
      plainChunk: PLAIN_REFERENCE_CHUNK,
      nativeTokensPerSecond: () => native!.tokensPerSecond(1),
    },
    async finish() {
      await native?.close();
      await folder.remove();
    },
  };
}

/** realShapeWasmVsNative: the WASM engine's tokens/s ÷ the mean of the native reference timed around it. */
export function realShapeWasmRatio(browser: BrowserFigures | null): number | null {
  const wasm = browser?.realShapeWasm;
  if (!wasm) return null;
  const native = wasm.nativeTokensPerSecondAround.reduce((sum, value) => sum + value, 0) / wasm.nativeTokensPerSecondAround.length;
  return Number((wasm.engineTokensPerSecond / native).toFixed(3));
}

interface TargetLine {
  label: string;
  value: string;
  target: string;
  met: boolean | null;
}

/** The report's lines for the real-shape figures. */
export function realShapeTargetLines(
  report: { realShapeEngineVsNative: number | null; realShapeWasmVsNative: number | null; realShapeMemoryGrowth: number | null; realShapeGflops: number | null; realShapeGflopsShareOfPeak: number | null; gflopsPeak: number; realShapeSize: string },
  details: RealShapeDetails | null,
  wasm: BrowserFigures['realShapeWasm'] | null,
): TargetLine[] {
  const check = (value: number | null, ok: (value: number) => boolean): boolean | null => (value === null ? null : ok(value));
  const throughput = details?.throughput;
  const memory = details?.memory;
  const size = `'${report.realShapeSize}'`;
  return [
    {
      label: 'realShapeEngineVsNative',
      value: throughput ? `${report.realShapeEngineVsNative} (${size}, ${details.tokens} tokens: engine ${throughput.engineTokensPerSecond} vs plain onnxruntime-node ${throughput.nativeTokensPerSecond} tokens/s; chunk ${throughput.chunkSize}, ${throughput.chunks} chunks, head rows ${throughput.logitRows})` : 'not measured',
      target: '≥ 1.0',
      met: check(report.realShapeEngineVsNative, (v) => v >= 1),
    },
    {
      label: 'realShapeWasmVsNative',
      value: wasm ? `${report.realShapeWasmVsNative} (${size}: WASM engine ${wasm.engineTokensPerSecond} tokens/s on ${wasm.threads} threads vs plain onnxruntime-node ${wasm.nativeTokensPerSecondAround.join(' / ')} before / after)` : 'not measured',
      target: '≥ 1.0',
      met: check(report.realShapeWasmVsNative, (v) => v >= 1),
    },
    {
      label: 'realShapeMemoryGrowth',
      value: memory ? `${report.realShapeMemoryGrowth} (${size}: peak RSS ${memory.peakRssLongMB} MB at ${memory.longTokens} tokens vs ${memory.peakRssShortMB} MB at ${memory.shortTokens}; after scoring ${memory.scoredRssLongMB} vs ${memory.scoredRssShortMB} MB; KV cache ${memory.kvCacheLongMB} vs ${memory.kvCacheShortMB} MB)` : 'not measured',
      target: '≤ 1.5',
      met: check(report.realShapeMemoryGrowth, (v) => v <= 1.5),
    },
    {
      label: 'realShapeGflops',
      value: report.realShapeGflops === null ? 'not measured' : `${report.realShapeGflops} GFLOP/s of ${report.gflopsPeak} peak (${((report.realShapeGflopsShareOfPeak ?? 0) * 100).toFixed(1)} %, ${size})`,
      target: 'report',
      met: null,
    },
  ];
}
