/**
 * Trains the embedded demo pair and writes everything the app ships:
 *
 *   npx tsx lab/demo/train.ts [--quick] [--out DIR] [--seed N]
 *
 * DIR (default `public`) receives models/demo-policy/, models/demo-reference/ (transformers.js model
 * folders, fp32 / fp16 / q8 / q4), models/demo-training.json (the record of the run) and
 * examples/demo-episodes.jsonl. `--quick` runs the same pipeline on a tiny budget (about a minute).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEMO_BETA,
  DEMO_EPISODES_FILE,
  DEMO_MODEL_CONFIG,
  DEMO_POLICY_FOLDER,
  DEMO_REFERENCE_FOLDER,
  DEMO_TRAINING_RECORD,
  DEMO_TRAINING_SEED,
  longestTrainingSequence,
} from '../../src/demo/config';
import { deriveSeed } from '../../src/demo/random';
import { DEMO_VOCABULARY } from '../../src/demo/tokenizer';
import { modelFolderFiles } from '../model-builder/model-folder';
import type { Gpt2Config, Gpt2Weights } from '../../src/demo/gpt2-weights';
import { episodesJsonLines, sampleMixedEpisodes } from '../../src/demo/episodes';
import { Gpt2Model } from '../../src/demo/gpt2-inference';
import { FULL_SCHEDULE, QUICK_SCHEDULE, trainDemoPair, type TrainingRecord } from './training';

export interface TrainCommandOptions {
  quick: boolean;
  outDir: string;
  seed: number;
  log?: (line: string) => void;
}

async function writeModelFolder(folder: string, config: Gpt2Config, weights: Gpt2Weights): Promise<void> {
  for (const [relativePath, content] of Object.entries(modelFolderFiles({ config, weights, vocabulary: DEMO_VOCABULARY }))) {
    const target = join(folder, relativePath);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

export async function runTrainCommand(options: TrainCommandOptions): Promise<TrainingRecord> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { config, reference, policy, record } = await trainDemoPair({
    seed: options.seed,
    beta: DEMO_BETA,
    config: DEMO_MODEL_CONFIG,
    schedule: options.quick ? QUICK_SCHEDULE : FULL_SCHEDULE,
    sequenceLength: longestTrainingSequence(),
    log,
  });
  await writeModelFolder(join(options.outDir, DEMO_REFERENCE_FOLDER), config, reference);
  await writeModelFolder(join(options.outDir, DEMO_POLICY_FOLDER), config, policy);
  // A seed of its own: the examples are not training episodes.
  const episodes = sampleMixedEpisodes(new Gpt2Model(config, policy), deriveSeed(options.seed, 'examples'), options.quick ? { policy: 1, noisyAgent: 1 } : { policy: 4, noisyAgent: 4 });
  const episodesPath = join(options.outDir, DEMO_EPISODES_FILE);
  await mkdir(dirname(episodesPath), { recursive: true });
  await writeFile(episodesPath, episodesJsonLines(episodes));
  const recordPath = join(options.outDir, DEMO_TRAINING_RECORD);
  await writeFile(recordPath, `${JSON.stringify({ ...record, quick: options.quick, createdBy: 'npx tsx lab/demo/train.ts' }, null, 2)}\n`);
  log(`wrote ${join(options.outDir, DEMO_REFERENCE_FOLDER)}, ${join(options.outDir, DEMO_POLICY_FOLDER)}, ${recordPath}, ${episodesPath} in ${record.totalSeconds.toFixed(0)} s`);
  return record;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (invokedDirectly) {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, out: { type: 'string', default: 'public' }, seed: { type: 'string' } },
  });
  await runTrainCommand({ quick: values.quick ?? false, outDir: values.out ?? 'public', seed: values.seed ? Number(values.seed) : DEMO_TRAINING_SEED });
}
