/** Fixed facts of the embedded demo pair: architecture, β, seeds and where the files live. */
import type { Gpt2Config } from './gpt2-weights';
import { collectNodes } from './solver';
import { buildAllTaskTrees } from './history-tree';
import { DEMO_VOCAB_SIZE, MAX_ACTION_TOKENS, encodeAgentPrompt } from './tokenizer';

export const DEMO_MODEL_CONFIG: Gpt2Config = {
  vocabSize: DEMO_VOCAB_SIZE,
  contextLength: 128,
  embeddingDim: 64,
  layerCount: 2,
  headCount: 4,
};

/** The KL coefficient of the policy's RL training, and so the β of its progress advantage (declared with the demo preset). */
export { DEMO_BETA } from '../core/models/presets';

export const DEMO_TRAINING_SEED = 20260;
/** Held-out episodes for verification come from this seed, never used in training. */
export const DEMO_HELD_OUT_SEED = 777_001;

/** Paths under `public/`. */
export const DEMO_POLICY_FOLDER = 'models/demo-policy';
export const DEMO_REFERENCE_FOLDER = 'models/demo-reference';
export const DEMO_TRAINING_RECORD = 'models/demo-training.json';
export const DEMO_EPISODES_FILE = 'examples/demo-episodes.jsonl';

/** The longest sequence training ever needs: the longest agent prompt of any history, plus one full step. */
export function longestTrainingSequence(): number {
  let longest = 0;
  for (const node of collectNodes(buildAllTaskTrees())) longest = Math.max(longest, encodeAgentPrompt(node.context).length);
  // A multiple of 8: jax-js' WebAssembly kernels tile those much faster (measured ~2× at 72 vs 67).
  return Math.ceil((longest + MAX_ACTION_TOKENS) / 8) * 8;
}
