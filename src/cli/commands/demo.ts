/**
 * `progress-advantage demo verify [--json] [--dtype fp32|q8] [--models DIR]`: the paper's identity
 * checked on the shipped demo pair. Held-out episodes (a seed never used in training) are scored
 * with the app's own engine (transformers.js on onnxruntime-node, chat rendering, one pass per
 * model) and each step's β·(log π_θ − log π_ref) is compared with the exact optimal advantage A* of
 * the environment, solved under the reference network's own step distribution.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_BETA, DEMO_HELD_OUT_SEED, DEMO_MODEL_CONFIG, DEMO_POLICY_FOLDER, DEMO_REFERENCE_FOLDER } from '../../demo/config';
import type { DemoEpisode } from '../../demo/environment';
import { Gpt2Model } from '../../demo/gpt2-inference';
import { modelActionLogProbs } from '../../demo/model-agent';
import { gpt2WeightsFromOnnx } from '../../demo/onnx-weights';
import { verifyDemoPair } from '../../demo/verify';
import { disposeScoringPair, loadScoringPair, scoreTrajectory, transformersEngineFactory, type ModelSpec } from '../../core/scoring';
import { nodeModelFiles } from '../../node/model-files';
import type { Trajectory } from '../../core/trajectory/types';

const USAGE = `usage: progress-advantage demo verify [--json] [--dtype fp32|q8] [--models DIR]

Scores held-out episodes of the demo environment with the app's engine on the shipped models and
compares the step-level progress advantage with the exact A*. DIR (default: public) holds
models/demo-policy and models/demo-reference.`;

/** Held-out episodes per task: 8 from the trained policy, 8 from the noisy agent (128 in all). */
const HELD_OUT_PER_TASK = { policy: 8, noisyAgent: 8 };

function trajectoryOf(episode: DemoEpisode, index: number): Trajectory {
  const messages = episode.messages.map((m) => ({ role: m.role, sourceRole: m.role, content: m.content }));
  return {
    id: `held-out-${index}`,
    format: 'openai-chat',
    messages,
    actionSteps: episode.steps.map((s) => s.messageIndex),
    labels: { reward: episode.reward, success: episode.reward >= 1 },
    metadata: {},
  };
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (sub !== 'verify') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let values: { json?: boolean; dtype?: string; models?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: rest, strict: true, options: { json: { type: 'boolean' }, dtype: { type: 'string' }, models: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const dtype = values.dtype ?? 'fp32';
  if (dtype !== 'fp32' && dtype !== 'q8') {
    process.stderr.write(`--dtype must be fp32 or q8, not ${JSON.stringify(dtype)}\n`);
    return 2;
  }
  const root = resolve(values.models ?? 'public');
  const modelsRoot = join(root, 'models');
  const policyFolder = join(root, DEMO_POLICY_FOLDER);
  const referenceFolder = join(root, DEMO_REFERENCE_FOLDER);

  // The environment's exact solution needs the networks' distribution over whole action strings at
  // every history: the TypeScript forward pass on the shipped weights (tested equal to the ONNX graph).
  const networkOf = async (folder: string) => new Gpt2Model(DEMO_MODEL_CONFIG, gpt2WeightsFromOnnx(await readFile(join(folder, 'onnx/model.onnx')), DEMO_MODEL_CONFIG));
  const [policyNetwork, referenceNetwork] = [await networkOf(policyFolder), await networkOf(referenceFolder)];

  // What is being verified: the app's scoring path on the shipped files (never the hub).
  const shipped = (modelId: string, folder: string): ModelSpec => ({ location: { modelId, localModelPath: modelsRoot }, label: `folder ${folder}`, remote: false });
  const pair = await loadScoringPair(
    { policy: shipped('demo-policy', policyFolder), reference: shipped('demo-reference', referenceFolder), dtype },
    { device: 'cpu', engineFactory: transformersEngineFactory(nodeModelFiles) },
  );
  let scored = 0;
  try {
    const result = await verifyDemoPair({
      beta: DEMO_BETA,
      seed: DEMO_HELD_OUT_SEED,
      episodesPerTask: HELD_OUT_PER_TASK,
      policySampler: policyNetwork,
      referenceActions: modelActionLogProbs(referenceNetwork),
      policyActions: modelActionLogProbs(policyNetwork),
      scoreSteps: async (episode) => {
        const trajectory = trajectoryOf(episode, scored++);
        const { record } = await scoreTrajectory(pair, trajectory, { render: 'chat' });
        const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
        return { policy: record.steps.map((s) => sum(s.policy)), reference: record.steps.map((s) => sum(s.reference)) };
      },
    });
    const { comparisons: _comparisons, ...summary } = result;
    const report = {
      episodes: summary.episodes,
      steps: summary.steps,
      pearson: summary.pearson,
      spearman: summary.spearman,
      meanAbsError: summary.meanAbsError,
      beta: summary.beta,
      policyFile: join(policyFolder, 'onnx', dtype === 'fp32' ? 'model.onnx' : 'model_quantized.onnx'),
      referenceFile: join(referenceFolder, 'onnx', dtype === 'fp32' ? 'model.onnx' : 'model_quantized.onnx'),
      engine: (pair.policyEngine ?? pair.referenceEngine).description,
      byAgent: summary.byAgent,
      successRate: summary.successRate,
      klPolicyToOptimalPerState: summary.klPolicyToOptimalPerState,
      klPolicyToOptimalPerEpisode: summary.klPolicyToOptimalPerEpisode,
      klToReferencePerEpisode: summary.klToReferencePerEpisode,
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
      process.stdout.write(
        [
          `demo verify: ${report.episodes} held-out episodes (seed ${DEMO_HELD_OUT_SEED}), ${report.steps} steps, β = ${report.beta}, engine ${report.engine}`,
          `step-level β·(log π_θ − log π_ref) vs exact A*: Pearson ${report.pearson.toFixed(4)}, Spearman ${report.spearman?.toFixed(4) ?? '—'}, mean |error| ${report.meanAbsError.toFixed(4)}`,
          ...Object.entries(report.byAgent).map(([agent, f]) => `  ${agent}: ${f.steps} steps, Pearson ${f.pearson.toFixed(4)}`),
          `success (exact expectation): optimal π* ${pct(report.successRate.optimal)}, trained policy ${pct(report.successRate.policy)}, reference ${pct(report.successRate.reference)}`,
          `KL(π_θ ‖ π*): ${report.klPolicyToOptimalPerState.toFixed(4)} per visited state, ${report.klPolicyToOptimalPerEpisode.toFixed(4)} per episode`,
          '',
        ].join('\n'),
      );
    }
    return 0;
  } finally {
    await disposeScoringPair(pair);
  }
}
