/**
 * Verifies the shipped demo pair with onnxruntime-node on the exported files:
 *
 *   npx tsx lab/demo/verify-onnx.ts [--json] [--models DIR] [--format fp32|fp16|q8|q4]
 *
 * Held-out episodes (seed DEMO_HELD_OUT_SEED, not used in training) from the trained policy and the
 * noisy agent; each step's β·(log π_θ − log π_ref) from the ONNX files against the exact A* of the
 * environment under the reference ONNX file; exact success rates and KL(π_θ‖π*). Also the two
 * application checks on public/examples/demo-episodes.jsonl: failure attribution against a random
 * action step, and best-of-N against Mean@N.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { aggregateSteps, type StepAggregation } from '../../src/core/advantage/aggregate';
import {
  DEMO_BETA,
  DEMO_EPISODES_FILE,
  DEMO_HELD_OUT_SEED,
  DEMO_MODEL_CONFIG,
  DEMO_POLICY_FOLDER,
  DEMO_REFERENCE_FOLDER,
} from '../../src/demo/config';
import { parseAction, stateOfHistory, type DemoEpisode, type DemoEpisodeRecord } from '../../src/demo/environment';
import { Gpt2Model } from '../../src/demo/gpt2-inference';
import { gpt2WeightsFromOnnx } from '../../src/demo/onnx-weights';
import { verifyDemoPair, type DemoVerification } from '../../src/demo/verify';
import { bestOfN } from '../../src/core/metrics/best-of-n';
import { FAILURE_PREDICTORS, failureAttributionMetrics, type FailurePredictor } from '../../src/core/metrics/failure';
import type { Gpt2WeightFormat } from '../model-builder/gpt2-onnx';
import { OnnxDemoModel } from './onnx-scorer';

export interface ExampleChecks {
  episodes: number;
  failureAttribution: {
    failedEpisodes: number;
    /** Expected exact-step accuracy of picking one of a failed episode's action steps uniformly at random. */
    randomAccuracy: number;
    accuracy: Record<FailurePredictor, number>;
  };
  bestOfN: { groups: number; meanAtN: number; passAtN: number; successRate: Record<string, number> };
}

export interface ShippedVerification extends Omit<DemoVerification, 'comparisons'> {
  policyFile: string;
  referenceFile: string;
  /** Largest |β·(log π_θ − log π_ref)| over the `assistant:` header tokens of any step: what an app span that includes them adds. */
  maxHeaderAdvantage: number;
  examples: ExampleChecks | null;
}

/** Held-out episodes per task: 8 from the policy, 8 from the noisy agent (128 in all). */
const HELD_OUT_PER_TASK = { policy: 8, noisyAgent: 8 };

function episodeFromRecord(record: DemoEpisodeRecord): DemoEpisode {
  const steps = record.messages.flatMap((message, messageIndex) =>
    message.role === 'assistant'
      ? [{ messageIndex, action: parseAction(message.content), stateBefore: stateOfHistory(record.messages.slice(0, messageIndex)) }]
      : [],
  );
  return {
    taskIndex: steps[0].stateBefore.taskIndex,
    agent: record.agent,
    messages: record.messages,
    steps,
    reward: record.reward,
    mistakeStep: record.mistake_step ?? null,
  };
}

async function exampleChecks(file: string, policy: OnnxDemoModel, reference: OnnxDemoModel, beta: number): Promise<ExampleChecks> {
  const records = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as DemoEpisodeRecord);
  const scored = [];
  for (const record of records) {
    const episode = episodeFromRecord(record);
    const [policySteps, referenceSteps] = [await policy.stepLogProbs(episode), await reference.stepLogProbs(episode)];
    const stepScores = policySteps.map((step, index) => beta * (step.action + step.header - referenceSteps[index].action - referenceSteps[index].header));
    scored.push({ record, episode, stepScores });
  }
  const failed = scored.filter(({ record }) => record.reward < 1 && record.mistake_step !== undefined);
  const cases = failed.map(({ episode, stepScores, record }) => ({
    stepMessages: episode.steps.map((step) => step.messageIndex),
    stepScores,
    mistakeStep: record.mistake_step!,
  }));
  const accuracy = {} as Record<FailurePredictor, number>;
  for (const predictor of FAILURE_PREDICTORS) accuracy[predictor] = failureAttributionMetrics(cases, predictor)?.accuracy ?? 0;
  const aggregations: StepAggregation[] = ['sum', 'mean', 'min', 'last'];
  const successRate: Record<string, number> = {};
  let groups = 0;
  let meanAtN = 0;
  let passAtN = 0;
  for (const aggregation of aggregations) {
    const result = bestOfN(
      scored.map(({ record, stepScores }) => ({ id: record.id, taskId: record.task_id, score: aggregateSteps(stepScores, aggregation), reward: record.reward })),
    )!;
    successRate[aggregation] = result.successRate;
    ({ groups, meanAtN, passAtN } = result);
  }
  return {
    episodes: records.length,
    failureAttribution: {
      failedEpisodes: failed.length,
      randomAccuracy: cases.reduce((sum, c) => sum + 1 / c.stepMessages.length, 0) / Math.max(1, cases.length),
      accuracy,
    },
    bestOfN: { groups, meanAtN, passAtN, successRate },
  };
}

export async function verifyShippedModels(options: { publicDir: string; format?: Gpt2WeightFormat; withExamples?: boolean }): Promise<ShippedVerification> {
  const format = options.format ?? 'fp32';
  const policyFolder = join(options.publicDir, DEMO_POLICY_FOLDER);
  const referenceFolder = join(options.publicDir, DEMO_REFERENCE_FOLDER);
  const policy = await OnnxDemoModel.load(policyFolder, format);
  const reference = await OnnxDemoModel.load(referenceFolder, format);
  try {
    // Sampling uses the TypeScript forward pass on the weights read back from the shipped fp32 file.
    const policyWeights = gpt2WeightsFromOnnx(await readFile(join(policyFolder, 'onnx/model.onnx')), DEMO_MODEL_CONFIG);
    let maxHeaderAdvantage = 0;
    const verification = await verifyDemoPair({
      beta: DEMO_BETA,
      seed: DEMO_HELD_OUT_SEED,
      episodesPerTask: HELD_OUT_PER_TASK,
      policySampler: new Gpt2Model(DEMO_MODEL_CONFIG, policyWeights),
      referenceActions: (messages, actions) => reference.actionLogProbs(messages, actions),
      policyActions: (messages, actions) => policy.actionLogProbs(messages, actions),
      scoreSteps: async (episode) => {
        const policySteps = await policy.stepLogProbs(episode);
        const referenceSteps = await reference.stepLogProbs(episode);
        policySteps.forEach((step, index) => {
          maxHeaderAdvantage = Math.max(maxHeaderAdvantage, Math.abs(DEMO_BETA * (step.header - referenceSteps[index].header)));
        });
        return { policy: policySteps.map((step) => step.action), reference: referenceSteps.map((step) => step.action) };
      },
    });
    const { comparisons: _comparisons, ...summary } = verification;
    const examples = options.withExamples === false ? null : await exampleChecks(join(options.publicDir, DEMO_EPISODES_FILE), policy, reference, DEMO_BETA);
    return { ...summary, policyFile: policy.file, referenceFile: reference.file, maxHeaderAdvantage, examples };
  } finally {
    await policy.dispose();
    await reference.dispose();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (invokedDirectly) {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, models: { type: 'string', default: 'public' }, format: { type: 'string', default: 'fp32' } },
  });
  const result = await verifyShippedModels({ publicDir: values.models ?? 'public', format: (values.format ?? 'fp32') as Gpt2WeightFormat });
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const percent = (value: number) => `${(100 * value).toFixed(1)} %`;
    console.log(`β = ${result.beta}; ${result.episodes} held-out episodes, ${result.steps} steps (${result.policyFile} vs ${result.referenceFile})`);
    console.log(`β·log(π_θ/π_ref) vs exact A*: Pearson ${result.pearson.toFixed(4)}, Spearman ${result.spearman?.toFixed(4)}, MAE ${result.meanAbsError.toFixed(4)}`);
    for (const [agent, figures] of Object.entries(result.byAgent)) {
      console.log(`  ${agent}: ${figures.steps} steps, Pearson ${figures.pearson.toFixed(4)}, Spearman ${figures.spearman?.toFixed(4)}, MAE ${figures.meanAbsError.toFixed(4)}`);
    }
    console.log(
      `exact success: optimal ${percent(result.successRate.optimal)}, trained policy ${percent(result.successRate.policy)}, reference ${percent(result.successRate.reference)}`,
    );
    console.log(`KL(π_θ‖π*): ${result.klPolicyToOptimalPerState.toFixed(4)} per visited state, ${result.klPolicyToOptimalPerEpisode.toFixed(4)} per episode`);
    console.log(`KL to the reference per episode: policy ${result.klToReferencePerEpisode.policy.toFixed(4)}, optimal ${result.klToReferencePerEpisode.optimal.toFixed(4)}`);
    console.log(`largest header-token advantage: ${result.maxHeaderAdvantage.toExponential(2)}`);
    if (result.examples) {
      const { failureAttribution: attribution, bestOfN: best } = result.examples;
      console.log(
        `examples: failure attribution on ${attribution.failedEpisodes} failed episodes: random ${percent(attribution.randomAccuracy)}, ` +
          Object.entries(attribution.accuracy).map(([predictor, accuracy]) => `${predictor} ${percent(accuracy)}`).join(', '),
      );
      console.log(
        `examples: best-of-N over ${best.groups} tasks: Mean@N ${percent(best.meanAtN)}, Pass@N ${percent(best.passAtN)}, ` +
          Object.entries(best.successRate).map(([aggregation, rate]) => `${aggregation} ${percent(rate)}`).join(', '),
      );
    }
  }
}
