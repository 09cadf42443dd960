/**
 * Writes a transformers.js-loadable GPT-2 model folder with seeded random weights.
 *
 *   npx tsx lab/build-random-model.ts --out DIR [--seed N] [--layers L] [--width W] [--heads H]
 *       [--vocab V] [--positions P] [--formats fp32,fp16,q8,q4]
 *
 * --vocab is the model's total vocabulary including the 4 special tokens; the tokenizer gets a synthetic
 * word-level vocabulary of V − 4 pieces.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  GPT2_WEIGHT_FORMATS,
  SPECIAL_TOKEN_COUNT,
  modelFolderFiles,
  randomGpt2Weights,
  syntheticVocabulary,
  type Gpt2Config,
  type Gpt2WeightFormat,
} from './model-builder';

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

function parseFormats(text: string): Gpt2WeightFormat[] {
  const formats = text.split(',').map((format) => format.trim()).filter(Boolean);
  for (const format of formats) {
    if (!(GPT2_WEIGHT_FORMATS as readonly string[]).includes(format)) {
      throw new Error(`--formats: unknown format ${JSON.stringify(format)} (known: ${GPT2_WEIGHT_FORMATS.join(', ')})`);
    }
  }
  return formats as Gpt2WeightFormat[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      layers: { type: 'string', default: '2' },
      width: { type: 'string', default: '64' },
      heads: { type: 'string', default: '4' },
      vocab: { type: 'string', default: '256' },
      positions: { type: 'string', default: '256' },
      formats: { type: 'string', default: GPT2_WEIGHT_FORMATS.join(',') },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help || !values.out) {
    console.log('Usage: tsx lab/build-random-model.ts --out DIR [--seed N] [--layers L] [--width W] [--heads H] [--vocab V] [--positions P] [--formats fp32,fp16,q8,q4]');
    process.exitCode = values.help ? 0 : 1;
    return;
  }
  const vocabSize = positiveInteger('vocab', values.vocab);
  if (vocabSize <= SPECIAL_TOKEN_COUNT) throw new Error(`--vocab must exceed the ${SPECIAL_TOKEN_COUNT} special tokens`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${JSON.stringify(values.seed)}`);

  const config: Gpt2Config = {
    vocabSize,
    contextLength: positiveInteger('positions', values.positions),
    embeddingDim: positiveInteger('width', values.width),
    layerCount: positiveInteger('layers', values.layers),
    headCount: positiveInteger('heads', values.heads),
  };
  const files = modelFolderFiles({
    config,
    weights: randomGpt2Weights(config, seed),
    vocabulary: syntheticVocabulary(vocabSize - SPECIAL_TOKEN_COUNT),
    formats: parseFormats(values.formats),
  });

  const outDir = resolve(values.out);
  for (const [relativePath, content] of Object.entries(files)) {
    const target = join(outDir, relativePath);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  console.log(`Wrote ${Object.keys(files).length} files to ${outDir}: ${Object.keys(files).sort().join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
