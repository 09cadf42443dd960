/**
 * The one-command training (`npx tsx lab/demo/train.ts --quick`) end to end on a tiny budget, so
 * that it cannot rot: imitation, exact solving, RL, export, examples and the record of the run.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEMO_BETA,
  DEMO_EPISODES_FILE,
  DEMO_MODEL_CONFIG,
  DEMO_POLICY_FOLDER,
  DEMO_REFERENCE_FOLDER,
  DEMO_TRAINING_RECORD,
} from '../../../../src/demo/config';
import { DEMO_TASKS } from '../../../../src/demo/environment';
import { Gpt2Model } from '../../../../src/demo/gpt2-inference';
import { gpt2WeightsFromOnnx } from '../../../../src/demo/onnx-weights';
import { tokenizeConversation } from '../../../../src/demo/tokenizer';
import { parseTrajectoryText } from '../../../../src/core/trajectory';
import { runTrainCommand } from '../../../../lab/demo/train';
import { QUICK_SCHEDULE, type TrainingRecord } from '../../../../lab/demo/training';
import { OnnxDemoModel } from '../../../../lab/demo/onnx-scorer';

let outDir: string | undefined;
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('lab/demo/train.ts --quick', () => {
  it('trains, exports loadable model folders, examples and the record', { timeout: 180_000 }, async () => {
    outDir = await mkdtemp(join(tmpdir(), 'demo-train-'));
    const lines: string[] = [];
    const record = await runTrainCommand({ quick: true, outDir, seed: 123, log: (line) => lines.push(line) });
    expect(lines.some((line) => line.startsWith('imitation'))).toBe(true);
    expect(lines.some((line) => line.startsWith('rl '))).toBe(true);

    const written = JSON.parse(await readFile(join(outDir, DEMO_TRAINING_RECORD), 'utf8')) as TrainingRecord & { quick: boolean };
    expect(written.quick).toBe(true);
    expect(written.seed).toBe(123);
    expect(written.beta).toBe(DEMO_BETA);
    expect(written.imitation.loss.length).toBeGreaterThan(1);
    // Imitation learns: the loss falls from its start near log(vocabulary).
    expect(written.imitation.loss.at(-1)!.loss).toBeLessThan(written.imitation.loss[0].loss / 2);
    expect(written.rl.history).toHaveLength(QUICK_SCHEDULE.rlIterations);
    expect(written.final.optimal.successRate).toBeGreaterThanOrEqual(written.final.reference.successRate);
    expect(record.totalSeconds).toBeGreaterThan(0);

    for (const folder of [DEMO_POLICY_FOLDER, DEMO_REFERENCE_FOLDER]) {
      for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx']) {
        expect((await stat(join(outDir, folder, file))).size).toBeGreaterThan(0);
      }
    }
    // The exported policy is the RL-updated network, not a copy of the reference, and runs in onnxruntime.
    const policyWeights = gpt2WeightsFromOnnx(await readFile(join(outDir, DEMO_POLICY_FOLDER, 'onnx/model.onnx')), DEMO_MODEL_CONFIG);
    const referenceWeights = gpt2WeightsFromOnnx(await readFile(join(outDir, DEMO_REFERENCE_FOLDER, 'onnx/model.onnx')), DEMO_MODEL_CONFIG);
    expect(policyWeights.tokenEmbedding).not.toEqual(referenceWeights.tokenEmbedding);

    const { trajectories, errors } = parseTrajectoryText('demo-episodes.jsonl', await readFile(join(outDir, DEMO_EPISODES_FILE), 'utf8'));
    expect(errors).toEqual([]);
    expect(new Set(trajectories.map((trajectory) => trajectory.taskId))).toEqual(new Set(DEMO_TASKS.map((task) => task.id)));

    const onnx = await OnnxDemoModel.load(join(outDir, DEMO_POLICY_FOLDER));
    const ids = tokenizeConversation(trajectories[0].messages.map((message) => ({ role: message.role, content: message.content }))).ids;
    const [exported] = await onnx.sequenceLogProbs([ids]);
    await onnx.dispose();
    const typescript = new Gpt2Model(DEMO_MODEL_CONFIG, policyWeights).sequenceLogProbs(ids);
    expect(Math.max(...exported.map((value, index) => Math.abs(value - typescript[index])))).toBeLessThan(1e-4);
  });
});
