/**
 * The exported demo models compute what training computed: the ONNX graph run by onnxruntime-node,
 * the jax-js training forward pass and the TypeScript forward pass agree on every log-prob within
 * 1e-4, for strong random weights and for the shipped pair; transformers.js tokenizes episodes with
 * the exported chat template exactly as training did.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, Tensor, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL_CONFIG, DEMO_POLICY_FOLDER, DEMO_REFERENCE_FOLDER, longestTrainingSequence } from '../../../../src/demo/config';
import { DEMO_TASKS, runEpisode, type DemoEpisode } from '../../../../src/demo/environment';
import { Gpt2Model, logSoftmax } from '../../../../src/demo/gpt2-inference';
import { noisyAgent } from '../../../../src/demo/noisy-agent';
import { gpt2WeightsFromOnnx } from '../../../../src/demo/onnx-weights';
import { seededUniform } from '../../../../src/demo/random';
import { DEMO_VOCABULARY, tokenizeConversation } from '../../../../src/demo/tokenizer';
import { modelFolderFiles } from '../../../../lab/model-builder';
import { randomGpt2Weights, type Gpt2Weights } from '../../../../lab/model-builder';
import { createJaxGpt2 } from '../../../../lab/demo/jax-gpt2';
import { OnnxDemoModel } from '../../../../lab/demo/onnx-scorer';

const PUBLIC = resolve('public');
const BATCH = 4;
const sequenceLength = longestTrainingSequence();
const jax = createJaxGpt2(DEMO_MODEL_CONFIG, sequenceLength, BATCH);

function sampleEpisodes(): DemoEpisode[] {
  const agent = noisyAgent(seededUniform(41));
  const environment = seededUniform(42);
  return Array.from({ length: BATCH }, (_, index) => runEpisode((index * 3) % DEMO_TASKS.length, agent, 'noisy-agent', environment));
}
const sequences = sampleEpisodes().map((episode) => tokenizeConversation(episode.messages).ids.slice(0, sequenceLength + 1));

/** Per sequence, log p(ids[t] | ids[<t]) for t ≥ 1 under the jax-js training forward pass. */
function jaxLogProbs(weights: Gpt2Weights): number[][] {
  const inputs = new Int32Array(BATCH * sequenceLength);
  const targets = new Int32Array(BATCH * sequenceLength);
  sequences.forEach((ids, row) => {
    for (let t = 0; t + 1 < ids.length; t++) {
      inputs[row * sequenceLength + t] = ids[t];
      targets[row * sequenceLength + t] = ids[t + 1];
    }
  });
  const logProbs = jax.targetLogProbs(weights, { batchSize: BATCH, sequenceLength, inputs, targets, weights: new Float32Array(BATCH * sequenceLength) });
  return sequences.map((ids, row) => Array.from(logProbs.subarray(row * sequenceLength, row * sequenceLength + ids.length - 1)));
}

function maxDifference(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i].length);
    row.forEach((value, j) => (max = Math.max(max, Math.abs(value - b[i][j]))));
  });
  return max;
}

let tmpRoot: string;

beforeAll(async () => {
  tmpRoot = await mkdtemp(join(tmpdir(), 'demo-export-'));
});
afterAll(async () => {
  if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
});

async function exportFolder(name: string, weights: Gpt2Weights): Promise<string> {
  const folder = join(tmpRoot, name);
  for (const [relativePath, content] of Object.entries(modelFolderFiles({ config: DEMO_MODEL_CONFIG, weights, vocabulary: DEMO_VOCABULARY, formats: ['fp32'] }))) {
    await mkdir(dirname(join(folder, relativePath)), { recursive: true });
    await writeFile(join(folder, relativePath), content);
  }
  return folder;
}

describe.each([
  ['strong random weights', async () => exportFolder('random', randomGpt2Weights(DEMO_MODEL_CONFIG, 3))],
  ['the shipped policy', async () => join(PUBLIC, DEMO_POLICY_FOLDER)],
  ['the shipped reference', async () => join(PUBLIC, DEMO_REFERENCE_FOLDER)],
])('%s: ONNX = training forward = TypeScript forward', (_name, folderOf) => {
  it('log-probs agree within 1e-4', async () => {
    const folder = await folderOf();
    const weights = gpt2WeightsFromOnnx(await readFile(join(folder, 'onnx/model.onnx')), DEMO_MODEL_CONFIG);
    const onnx = await OnnxDemoModel.load(folder);
    const exported = await onnx.sequenceLogProbs(sequences);
    await onnx.dispose();
    const model = new Gpt2Model(DEMO_MODEL_CONFIG, weights);
    const typescript = sequences.map((ids) => model.sequenceLogProbs(ids));
    const training = jaxLogProbs(weights);
    expect(maxDifference(exported, training)).toBeLessThan(1e-4);
    expect(maxDifference(exported, typescript)).toBeLessThan(1e-4);
    // Not vacuous: the model is far from uniform on these tokens.
    const spread = Math.max(...exported.flat()) - Math.min(...exported.flat());
    expect(spread).toBeGreaterThan(1);
  });
});

describe('transformers.js on the shipped policy folder', () => {
  const savedEnv = { allowRemoteModels: env.allowRemoteModels, allowLocalModels: env.allowLocalModels, localModelPath: env.localModelPath };
  afterAll(() => Object.assign(env, savedEnv));

  it('renders episodes with the chat template to the training ids, and its logits give the same log-probs', async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = join(PUBLIC, dirname(DEMO_POLICY_FOLDER));
    const modelId = DEMO_POLICY_FOLDER.split('/').pop()!;
    const tokenizer = await AutoTokenizer.from_pretrained(modelId);
    const model = await AutoModelForCausalLM.from_pretrained(modelId, { dtype: 'fp32' });
    try {
      const weights = gpt2WeightsFromOnnx(await readFile(join(PUBLIC, DEMO_POLICY_FOLDER, 'onnx/model.onnx')), DEMO_MODEL_CONFIG);
      const reference = new Gpt2Model(DEMO_MODEL_CONFIG, weights);
      for (const episode of sampleEpisodes()) {
        const ids = tokenizer.apply_chat_template(episode.messages, { tokenize: true, add_generation_prompt: false, return_tensor: false, return_dict: false }) as number[];
        const trainingIds = tokenizeConversation(episode.messages).ids;
        expect(ids).toEqual(trainingIds);
        const inputIds = new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
        const attentionMask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
        const { logits } = (await model({ input_ids: inputIds, attention_mask: attentionMask })) as { logits: Tensor };
        const vocab = DEMO_MODEL_CONFIG.vocabSize;
        const data = logits.data as Float32Array;
        const viaTransformers = ids.slice(1).map((id, t) => logSoftmax(data.subarray(t * vocab, (t + 1) * vocab))[id]);
        expect(maxDifference([viaTransformers], [reference.sequenceLogProbs(ids)])).toBeLessThan(1e-4);
      }
    } finally {
      await model.dispose();
    }
  });
});
