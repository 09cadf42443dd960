/**
 * `score --engine llama.cpp --policy A.gguf --reference B.gguf [--policy-tokenizer M]
 * [--reference-tokenizer M] [--threads N] [--gpu auto|off] FILE…`: the score command on local GGUF
 * files through llama.cpp (src/node/llama-cpp-engine.ts; docs/score.md, "Local GGUF files"). The
 * rest of `score` (rendering, context policy, the job, the output lines) is score.ts's own: this
 * file parses the engine's options and loads the pair.
 *
 * Trajectories are rendered and tokenized with each model's Hugging Face tokenizer, exactly as for
 * the ONNX engine (same renderer, same spans), and the GGUF file only ever sees token ids: a GGUF
 * carries llama.cpp's vocabulary, not the tokenizer the renderer needs (pre-tokenizer, chat template).
 */
import { open, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { disposeScoringPair, loadPairEngines, loadPairTokenizers, modelInfoOf, ModelLoadError, type ModelSpec, type PairSpec, type ScoringPair } from '../../core/scoring';
import { llamaCppEngineFactory, type LlamaCppEngine } from '../../node/llama-cpp-engine';
import { folderLocation } from '../../node/model-files';
import type { Reporter } from './score-io';
import { executionRecord, reportModel, type LoadedSide } from './score-report';

export const LLAMA_CPP_ENGINE = 'llama.cpp';

export const LLAMA_CPP_USAGE = `  --engine E          onnx (default) | llama.cpp: with llama.cpp, --policy and --reference are
                      .gguf files run in-process by llama.cpp (CPU, or CUDA / Vulkan / Metal)
  --policy-tokenizer M      llama.cpp: the folder or hub id with the policy's Hugging Face
  --reference-tokenizer M   tokenizer (default: the folder holding the .gguf, if it has one)
  --threads N         llama.cpp: CPU threads (default: every core)
  --gpu auto|off      llama.cpp: use a GPU when there is one (default auto)`;

/** The llama.cpp engine's options as parsed from the command line. */
export interface LlamaCppCommand {
  policyTokenizer: string | undefined;
  referenceTokenizer: string | undefined;
  threads: number | undefined;
  gpu: 'auto' | false;
}

/** The parseArgs options this engine adds to `score`. */
export const LLAMA_CPP_OPTIONS = {
  engine: { type: 'string' },
  'policy-tokenizer': { type: 'string' },
  'reference-tokenizer': { type: 'string' },
  threads: { type: 'string' },
  gpu: { type: 'string' },
} as const;

/**
 * The llama.cpp options of parsed `score` arguments: null for the ONNX engine (then none of them
 * may be given). Throws an Error whose message is the usage error.
 */
export function parseLlamaCppCommand(values: Record<string, unknown>): LlamaCppCommand | null {
  const engine = values.engine ?? 'onnx';
  const given = (['policy-tokenizer', 'reference-tokenizer', 'threads', 'gpu'] as const).filter((key) => values[key] !== undefined);
  if (engine === 'onnx') {
    if (given.length > 0) throw new Error(`--${given[0]} is an option of --engine llama.cpp`);
    return null;
  }
  if (engine !== LLAMA_CPP_ENGINE) throw new Error(`--engine: unknown value '${String(engine)}' (expected onnx | llama.cpp | vllm | sglang)`);
  for (const key of ['preset', 'precomputed', 'dtype'] as const) {
    if (values[key] !== undefined) throw new Error(`--${key} is not an option of --engine llama.cpp (${key === 'dtype' ? "the GGUF file's own type is used" : 'give --policy and --reference .gguf files'})`);
  }
  const threads = values.threads as string | undefined;
  if (threads !== undefined && (!/^\d+$/.test(threads) || Number(threads) < 1)) throw new Error(`--threads: expected an integer ≥ 1, got '${threads}'`);
  const gpu = (values.gpu as string | undefined) ?? 'auto';
  if (gpu !== 'auto' && gpu !== 'off') throw new Error(`--gpu: expected auto or off, got '${gpu}'`);
  return {
    policyTokenizer: values['policy-tokenizer'] as string | undefined,
    referenceTokenizer: values['reference-tokenizer'] as string | undefined,
    threads: threads === undefined ? undefined : Number(threads),
    gpu: gpu === 'auto' ? 'auto' : false,
  };
}

/** A usage problem found while resolving files (score.ts reports it with exit status 2). */
export class LlamaCppUsageError extends Error {}

const GGUF_MAGIC = 'GGUF';

async function resolveGgufFile(path: string, side: 'policy' | 'reference'): Promise<ModelSpec & { path: string }> {
  const absolute = resolve(path);
  const found = await stat(absolute).catch(() => null);
  if (!found?.isFile()) throw new LlamaCppUsageError(`--${side}: no file ${path} (--engine llama.cpp takes a .gguf file)`);
  const handle = await open(absolute, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    const magic = buffer.subarray(0, bytesRead).toString('latin1');
    if (magic !== GGUF_MAGIC) throw new LlamaCppUsageError(`--${side}: ${path} is not a GGUF file (it starts with ${JSON.stringify(magic)}, not "GGUF")`);
  } finally {
    await handle.close();
  }
  return { location: folderLocation(absolute), label: `GGUF file ${absolute}`, remote: false, path: absolute };
}

/** The tokenizer of one side: the option given, else the folder holding the .gguf when it has a tokenizer.json. */
async function resolveTokenizer(given: string | undefined, ggufPath: string, side: 'policy' | 'reference'): Promise<ModelSpec & { spec: string }> {
  if (given === undefined) {
    const folder = dirname(ggufPath);
    if (await stat(resolve(folder, 'tokenizer.json')).catch(() => null)) return { location: folderLocation(folder), label: `folder ${folder}`, remote: false, spec: folder };
    throw new LlamaCppUsageError(
      `--${side}-tokenizer is needed: ${ggufPath}'s folder has no tokenizer.json. Name the model's Hugging Face folder or hub id (e.g. Qwen/Qwen3-8B): trajectories are rendered and tokenized with it, as for the ONNX engine`,
    );
  }
  const folder = await stat(resolve(given)).catch(() => null);
  if (folder?.isDirectory()) return { location: folderLocation(resolve(given)), label: `folder ${resolve(given)}`, remote: false, spec: given };
  return { location: { modelId: given }, label: `hub model "${given}"`, remote: true, spec: given };
}

/** What score.ts needs of a loaded pair (its LoadedPair). */
export interface LoadedLlamaCppPair {
  pair: ScoringPair;
  policyLabel: string;
  referenceLabel: string;
  execution: ReturnType<typeof executionRecord>;
}

/** Loads both tokenizers and both GGUF files, reports each model as `score` does, and returns the pair. */
export async function loadLlamaCppPair(
  options: LlamaCppCommand,
  models: { policy: string; reference: string; chunkSize: number | undefined },
  reporter: Reporter,
): Promise<LoadedLlamaCppPair> {
  const policyFile = await resolveGgufFile(models.policy, 'policy');
  const referenceFile = await resolveGgufFile(models.reference, 'reference');
  const tokenizerSpec: PairSpec = {
    policy: await resolveTokenizer(options.policyTokenizer, policyFile.path, 'policy'),
    reference: await resolveTokenizer(options.referenceTokenizer, referenceFile.path, 'reference'),
    dtype: 'gguf',
  };
  const tokenizers = await loadPairTokenizers(tokenizerSpec);
  if ('notice' in tokenizers.pairing) reporter.notice(`notice: ${tokenizers.pairing.notice}`);
  const started = Date.now();
  const factory = llamaCppEngineFactory({
    gpu: options.gpu,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(models.chunkSize !== undefined ? { batchSize: models.chunkSize } : {}),
  });
  const engines = await loadPairEngines({ policy: policyFile, reference: referenceFile, dtype: 'gguf' }, 'cpu', factory);
  const policyEngine = engines.policyEngine as LlamaCppEngine;
  const referenceEngine = engines.referenceEngine as LlamaCppEngine;
  for (const [engine, tokenizer, side] of [[policyEngine, tokenizers.policyTokenizer, 'policy'], [referenceEngine, tokenizers.referenceTokenizer, 'reference']] as const) {
    // A tokenizer whose special ids lie outside the file's vocabulary is not this file's tokenizer.
    const ids = [tokenizer?.bosTokenId, tokenizer?.eosTokenId].filter((id): id is number => typeof id === 'number');
    const outside = ids.find((id) => id >= engine.vocabSize);
    if (outside !== undefined) {
      await disposeScoringPair(engines);
      throw new ModelLoadError(`the ${side} tokenizer has token id ${outside}, outside ${engine.modelId}'s vocabulary of ${engine.vocabSize}: is it this model's tokenizer?`);
    }
  }
  const infoOf = (engine: LlamaCppEngine, tokenizer: NonNullable<typeof tokenizers.policyTokenizer>) =>
    modelInfoOf(engine, tokenizer, { device: 'cpu', dtype: engine.fileType, ...(models.chunkSize !== undefined ? { requestedChunkSize: models.chunkSize } : {}) });
  const policySide: LoadedSide = { side: 'policy', spec: policyFile.path, info: infoOf(policyEngine, tokenizers.policyTokenizer!) };
  const referenceSide = { side: 'reference', spec: referenceFile.path, info: infoOf(referenceEngine, tokenizers.referenceTokenizer) } as const;
  reportModel(reporter, policySide);
  reportModel(reporter, referenceSide, `${((Date.now() - started) / 1000).toFixed(2)} s`);
  const dtype = policyEngine.fileType === referenceEngine.fileType ? policyEngine.fileType : `${policyEngine.fileType} / ${referenceEngine.fileType}`;
  return {
    pair: { spec: { policy: policyFile, reference: referenceFile, dtype }, device: 'cpu', ...tokenizers, ...engines },
    policyLabel: policyFile.path,
    referenceLabel: referenceFile.path,
    execution: executionRecord(policySide, referenceSide),
  };
}
