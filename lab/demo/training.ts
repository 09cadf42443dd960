/**
 * Trains the embedded demo pair (docs/demo.md):
 *
 * 1. reference: imitation of the noisy scripted agent, next-token cross-entropy on the agent's
 *    messages only (the `assistant:` header, the action tokens and the end-of-step token), on fresh
 *    episodes every step;
 * 2. policy: KL-regularised RL from the reference in the environment. Each iteration samples episodes
 *    of every task from the network itself, and follows the REINFORCE gradient of the per-episode
 *    objective  r − β·Σ_t log(π_θ(a_t|s_t)/π_ref(a_t|s_t))  (action strings, terminal reward), with
 *    reward-to-go and a baseline: a running mean of the return-to-go after the same history (a tabular
 *    critic). Half of the episodes are exploring starts: the noisy agent plays the first 1…3 steps, the
 *    policy the rest, and only the policy's own steps are trained (plus cross-entropy on the forced
 *    `assistant:` headers, which RL would otherwise let drift). The KL-optimal policy is the same in
 *    every state whatever the state distribution, so this changes where the policy learns, not what;
 *    without it, states the policy itself rarely reaches keep whatever the shared weights give them.
 * 3. exact evaluation with the solver (success rates, KL to the optimum) along the way and at the end;
 *    the solver is never used for training.
 */
import { performance } from 'node:perf_hooks';
import { DEMO_TASKS, HORIZON, runEpisode, type DemoEpisode, type DemoMessage } from '../../src/demo/environment';
import { Gpt2Model } from '../../src/demo/gpt2-inference';
import { buildAllTaskTrees, type DemoDecisionNode } from '../../src/demo/history-tree';
import { modelActionLogProbs, sampleModelEpisode, type SampledStep } from '../../src/demo/model-agent';
import { noisyAgent } from '../../src/demo/noisy-agent';
import { deriveSeed, seededUniform } from '../../src/demo/random';
import { evaluatePolicy, optimalLogProbs, scoreNodes, solveSoftOptimal, type PolicyEvaluation, type SoftSolution } from '../../src/demo/solver';
import { AGENT_HEADER_IDS, encodeAgentPrompt, tokenizeConversation } from '../../src/demo/tokenizer';
import { SPECIAL_TOKEN_IDS } from '../../src/demo/word-level-tokenizer';
import type { Gpt2Config, Gpt2Weights } from '../../src/demo/gpt2-weights';
import { createJaxGpt2, type JaxGpt2, type TokenBatch } from './jax-gpt2';
import { Adam, cloneWeights, initialWeights, tensorsOf } from './weights';

export interface TrainingSchedule {
  imitationSteps: number;
  imitationLearningRate: number;
  rlIterations: number;
  /** Episodes per task per RL iteration (the batch is tasks × this). */
  episodesPerTask: number;
  rlLearningRate: number;
  /** Fraction of RL episodes that open with a few noisy-agent steps (exploring starts). */
  exploringStartFraction: number;
  /** The exported policy is the mean of the iterates from this fraction of the RL iterations on (Polyak averaging). */
  averageFrom: number;
  /** Exact evaluation every this many RL iterations. */
  evaluateEvery: number;
}

export const FULL_SCHEDULE: TrainingSchedule = {
  imitationSteps: 500,
  imitationLearningRate: 3e-3,
  rlIterations: 600,
  episodesPerTask: 8,
  // 1e-3 converged faster in some runs and collapsed to invalid strings in another: 5e-4 is the safe side.
  rlLearningRate: 5e-4,
  exploringStartFraction: 0.5,
  averageFrom: 0.5,
  evaluateEvery: 25,
};

/** Seconds, not minutes: the same code on a tiny budget, so the command cannot rot unnoticed. */
export const QUICK_SCHEDULE: TrainingSchedule = {
  imitationSteps: 40,
  imitationLearningRate: 3e-3,
  rlIterations: 6,
  episodesPerTask: 2,
  rlLearningRate: 5e-4,
  exploringStartFraction: 0.5,
  averageFrom: 0.5,
  evaluateEvery: 3,
};

/** The exact figures of one policy against the optimum of its reference. */
export interface ExactEvaluation {
  successRate: number;
  klToOptimalPerState: number;
  klToOptimalPerEpisode: number;
  klToReferencePerEpisode: number;
  regularisedObjective: number;
}

export interface TrainingRecord {
  seed: number;
  beta: number;
  config: Gpt2Config;
  schedule: TrainingSchedule;
  sequenceLength: number;
  imitation: { steps: number; batchEpisodes: number; loss: { step: number; loss: number }[]; seconds: number };
  rl: {
    iterations: number;
    batchEpisodes: number;
    /** Per iteration, over the episodes the policy played from the start: mean reward and mean Σ log(π/π_ref). */
    history: { iteration: number; meanReward: number; meanLogRatio: number }[];
    exact: ({ iteration: number } & ExactEvaluation)[];
    seconds: number;
  };
  final: {
    reference: ExactEvaluation;
    policy: ExactEvaluation;
    optimal: ExactEvaluation & { softValue: number };
  };
  totalSeconds: number;
}

export interface TrainedPair {
  config: Gpt2Config;
  reference: Gpt2Weights;
  policy: Gpt2Weights;
  record: TrainingRecord;
}

const mean = (values: readonly number[]) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

function cosineLearningRate(step: number, total: number, peak: number, warmup: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return peak * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** The critic averages the last ~this many returns seen after a history (an exponential average once past it). */
const HISTORY_VALUE_HORIZON = 50;

/** One training sequence: its ids and, per position, the weight of predicting the next token. */
interface WeightedSequence {
  ids: number[];
  /** weights[t] weighs the prediction of ids[t + 1]. */
  weights: number[];
}

function packBatch(sequences: readonly WeightedSequence[], batchSize: number, sequenceLength: number): TokenBatch {
  if (sequences.length > batchSize) throw new Error(`packBatch: ${sequences.length} sequences for a batch of ${batchSize}`);
  const inputs = new Int32Array(batchSize * sequenceLength).fill(SPECIAL_TOKEN_IDS.pad);
  const targets = new Int32Array(batchSize * sequenceLength).fill(SPECIAL_TOKEN_IDS.pad);
  const weights = new Float32Array(batchSize * sequenceLength);
  sequences.forEach((sequence, row) => {
    if (sequence.ids.length > sequenceLength + 1) throw new Error(`packBatch: a sequence of ${sequence.ids.length} tokens exceeds ${sequenceLength + 1}`);
    for (let t = 0; t + 1 < sequence.ids.length; t++) {
      inputs[row * sequenceLength + t] = sequence.ids[t];
      targets[row * sequenceLength + t] = sequence.ids[t + 1];
      weights[row * sequenceLength + t] = sequence.weights[t] ?? 0;
    }
  });
  return { batchSize, sequenceLength, inputs, targets, weights };
}

/** An imitation sequence: the episode up to its last agent step, learning every agent message's tokens. */
function imitationSequence(episode: DemoEpisode): WeightedSequence {
  const lastStep = episode.steps[episode.steps.length - 1].messageIndex;
  const { ids, agentSpans } = tokenizeConversation(episode.messages.slice(0, lastStep + 1));
  const weights = new Array<number>(ids.length).fill(0);
  for (const span of agentSpans) for (let position = span.headerStart; position < span.end; position++) weights[position - 1] = 1;
  return { ids, weights };
}

/** Exact success rate and KL figures of a model against the optimum, over every task's tree. */
export async function exactEvaluation(
  roots: readonly DemoDecisionNode[],
  solution: SoftSolution<readonly DemoMessage[]>,
  model: Gpt2Model,
): Promise<ExactEvaluation> {
  const logProbs = await scoreNodes(roots, modelActionLogProbs(model));
  return summariseEvaluation(evaluatePolicy(solution, logProbs));
}

function summariseEvaluation(evaluation: PolicyEvaluation): ExactEvaluation {
  return {
    successRate: evaluation.meanExpectedReward,
    klToOptimalPerState: evaluation.klToOptimalPerState,
    klToOptimalPerEpisode: evaluation.klToOptimalPerEpisode,
    klToReferencePerEpisode: evaluation.klToReferencePerEpisode,
    regularisedObjective: evaluation.regularisedObjective,
  };
}


export interface TrainingOptions {
  seed: number;
  beta: number;
  config: Gpt2Config;
  schedule: TrainingSchedule;
  sequenceLength: number;
  log?: (line: string) => void;
}

function jaxModelFor(options: TrainingOptions): JaxGpt2 {
  return createJaxGpt2(options.config, options.sequenceLength, DEMO_TASKS.length * options.schedule.episodesPerTask);
}

/** Stage 1: the reference, by imitation of the noisy agent on fresh episodes every step. */
export function trainReference(options: TrainingOptions, jax: JaxGpt2 = jaxModelFor(options)): { reference: Gpt2Weights; imitation: TrainingRecord['imitation'] } {
  const { seed, config, schedule, sequenceLength } = options;
  const log = options.log ?? (() => {});
  const taskCount = DEMO_TASKS.length;
  const batchSize = taskCount * schedule.episodesPerTask;
  const reference = initialWeights(config, deriveSeed(seed, 'reference-init'));
  const agent = noisyAgent(seededUniform(deriveSeed(seed, 'imitation-agent')));
  const environmentUniform = seededUniform(deriveSeed(seed, 'imitation-environment'));
  const optimizer = new Adam(reference, { beta1: 0.9, beta2: 0.99, epsilon: 1e-8, clipNorm: 1 });
  const lossHistory: TrainingRecord['imitation']['loss'] = [];
  const started = performance.now();
  for (let step = 0; step < schedule.imitationSteps; step++) {
    const sequences: WeightedSequence[] = [];
    for (let row = 0; row < batchSize; row++) sequences.push(imitationSequence(runEpisode(row % taskCount, agent, 'noisy-agent', environmentUniform)));
    const tokenCount = sequences.reduce((sum, sequence) => sum + sequence.weights.reduce((a, b) => a + b, 0), 0);
    for (const sequence of sequences) sequence.weights = sequence.weights.map((weight) => weight / tokenCount);
    const { loss, gradient } = jax.lossAndGradient(reference, packBatch(sequences, batchSize, sequenceLength));
    optimizer.step(gradient, cosineLearningRate(step, schedule.imitationSteps, schedule.imitationLearningRate, 20));
    if (step % 25 === 0 || step === schedule.imitationSteps - 1) {
      lossHistory.push({ step, loss });
      log(`imitation ${step + 1}/${schedule.imitationSteps}: loss ${loss.toFixed(4)} per agent token`);
    }
  }
  return {
    reference,
    imitation: { steps: schedule.imitationSteps, batchEpisodes: batchSize, loss: lossHistory, seconds: (performance.now() - started) / 1000 },
  };
}

/** The exact optimum of a reference over every task's tree: what RL should approach. */
export async function solveForReference(config: Gpt2Config, reference: Gpt2Weights, beta: number) {
  const roots = buildAllTaskTrees();
  const referenceLogProbs = await scoreNodes(roots, modelActionLogProbs(new Gpt2Model(config, reference)));
  const solution = solveSoftOptimal(roots, referenceLogProbs, beta);
  const optimal = evaluatePolicy(solution, optimalLogProbs(solution));
  return {
    roots,
    solution,
    reference: summariseEvaluation(evaluatePolicy(solution, referenceLogProbs)),
    optimal: { ...summariseEvaluation(optimal), softValue: mean(roots.map((root) => solution.nodes.get(root.key)!.value)) },
  };
}

/**
 * Reference log-probs of action token strings, memoised by prompt and tokens: they never change
 * during RL, and episodes revisit the same few hundred histories.
 */
function memoisedReferenceScorer(model: Gpt2Model): (prompt: readonly number[], actionIds: readonly number[]) => number {
  const sequence = model.newSequence();
  const memo = new Map<string, number>();
  return (prompt, actionIds) => {
    const key = `${prompt.join(',')}|${actionIds.join(',')}`;
    let logProb = memo.get(key);
    if (logProb === undefined) {
      logProb = sequence.scoreTokens([...prompt, ...actionIds], prompt.length).reduce((sum, value) => sum + value, 0);
      memo.set(key, logProb);
    }
    return logProb;
  };
}

/** Stage 2: the policy, by KL-regularised REINFORCE from the reference. */
export async function trainPolicy(
  options: TrainingOptions,
  reference: Gpt2Weights,
  solved: Awaited<ReturnType<typeof solveForReference>>,
  jax: JaxGpt2 = jaxModelFor(options),
): Promise<{ policy: Gpt2Weights; rl: TrainingRecord['rl'] }> {
  const { seed, beta, config, schedule, sequenceLength } = options;
  const log = options.log ?? (() => {});
  const taskCount = DEMO_TASKS.length;
  const batchSize = taskCount * schedule.episodesPerTask;
  const policy = cloneWeights(reference);
  const policyModel = new Gpt2Model(config, policy);
  const policySequence = policyModel.newSequence();
  const referenceLogProb = memoisedReferenceScorer(new Gpt2Model(config, reference));
  const optimizer = new Adam(policy, { beta1: 0.9, beta2: 0.99, epsilon: 1e-8, clipNorm: 1 });
  const agentUniform = seededUniform(deriveSeed(seed, 'rl-agent'));
  const environmentUniform = seededUniform(deriveSeed(seed, 'rl-environment'));
  const explorationUniform = seededUniform(deriveSeed(seed, 'rl-exploring-starts'));
  const openingAgent = noisyAgent(seededUniform(deriveSeed(seed, 'rl-opening-agent')));
  const history: TrainingRecord['rl']['history'] = [];
  const exact: TrainingRecord['rl']['exact'] = [];
  // The baseline: a tabular critic, the running mean of the return-to-go observed after each history
  // (histories recur in this small environment), forgetting old values as the policy moves.
  const historyValues = new Map<string, { value: number; count: number }>();
  // Polyak averaging: the late iterates scatter around the optimum; their mean sits closer to it.
  const averagingStart = Math.floor(schedule.averageFrom * schedule.rlIterations);
  const averaged = cloneWeights(policy);
  let averagedCount = 0;
  const averagedModel = new Gpt2Model(config, averaged);
  const started = performance.now();
  for (let iteration = 0; iteration < schedule.rlIterations; iteration++) {
    const samples: { episode: DemoEpisode; sampled: (SampledStep | null)[] }[] = [];
    for (let taskIndex = 0; taskIndex < taskCount; taskIndex++) {
      for (let copy = 0; copy < schedule.episodesPerTask; copy++) {
        // Exploring starts: some episodes open with 1 … HORIZON − 1 steps of the noisy agent, so the policy
        // also learns in the states it rarely reaches itself; only its own steps are trained.
        const opening =
          explorationUniform() < schedule.exploringStartFraction
            ? { agent: openingAgent, steps: 1 + Math.floor(explorationUniform() * (HORIZON - 1)) }
            : undefined;
        samples.push(sampleModelEpisode(policySequence, taskIndex, 'policy', agentUniform, environmentUniform, opening));
      }
    }
    // Each episode as one sequence up to its last step: that step's tokens are the ones the policy sampled
    // (an invalid string may render differently); earlier steps are valid actions, whose tokens are their text.
    const sequences = samples.map(({ episode, sampled }) => {
      const lastIndex = episode.steps.length - 1;
      const lastSampled = sampled[lastIndex];
      const before = episode.messages.slice(0, episode.steps[lastIndex].messageIndex);
      const ids = lastSampled
        ? [...encodeAgentPrompt(before), ...lastSampled.tokenIds]
        : tokenizeConversation(episode.messages.slice(0, episode.steps[lastIndex].messageIndex + 1)).ids;
      const earlier = tokenizeConversation(before).agentSpans;
      const promptLength = encodeAgentPrompt(before).length;
      const actionSpans = [...earlier.map((span) => ({ start: span.actionStart, end: span.end })), { start: promptLength, end: ids.length }];
      const headerSpans = [
        ...earlier.map((span) => ({ start: span.headerStart, end: span.actionStart })),
        { start: promptLength - AGENT_HEADER_IDS.length, end: promptLength },
      ];
      return { ids, weights: [] as number[], actionSpans, headerSpans };
    });
    // log π(a_t|s_t) − log π_ref(a_t|s_t) of the policy's steps (null for opening steps): π from sampling, π_ref memoised.
    const logRatios = samples.map(({ sampled }, row) =>
      sequences[row].actionSpans.map((span, stepIndex) => {
        const step = sampled[stepIndex];
        if (!step) return null;
        const ids = sequences[row].ids;
        return step.logProb - referenceLogProb(ids.slice(0, span.start), ids.slice(span.start, span.end));
      }),
    );
    // Reward-to-go of the regularised objective: G_t = r − β·Σ_{t' ≥ t} log-ratio_t' over the policy's steps.
    const returnsToGo = samples.map(({ episode }, row) => {
      const ratios = logRatios[row];
      const returns: (number | null)[] = [];
      let tail = 0;
      for (let stepIndex = ratios.length - 1; stepIndex >= 0; stepIndex--) {
        const ratio = ratios[stepIndex];
        if (ratio === null) {
          returns[stepIndex] = null;
          continue;
        }
        tail += ratio;
        returns[stepIndex] = episode.reward - beta * tail;
      }
      return returns;
    });
    const batch = packBatch(sequences, batchSize, sequenceLength);
    const visited: { key: string; returnToGo: number }[] = [];
    samples.forEach(({ episode }, row) => {
      returnsToGo[row].forEach((returnToGo, stepIndex) => {
        if (returnToGo === null) return;
        const span = sequences[row].actionSpans[stepIndex];
        const key = sequences[row].ids.slice(0, span.start).join(',');
        visited.push({ key, returnToGo });
        let baseline = historyValues.get(key)?.value;
        if (baseline === undefined) {
          // A history not seen before: the other episodes of the same task at the same step (leave-one-out).
          const others: number[] = [];
          samples.forEach((other, otherRow) => {
            const otherReturn = returnsToGo[otherRow][stepIndex];
            if (otherRow !== row && other.episode.taskIndex === episode.taskIndex && otherReturn !== null && otherReturn !== undefined) {
              others.push(otherReturn);
            }
          });
          baseline = mean(others);
        }
        const advantage = returnToGo - baseline;
        // The loss Σ w·(−log p) with w = advantage/N: its descent ascends (1/N)·Σ advantage·log π(a_t|s_t).
        for (let position = span.start; position < span.end; position++) batch.weights[row * sequenceLength + position - 1] = advantage / samples.length;
      });
    });
    // The `assistant:` headers are written by the template, not chosen: keep predicting them (cross-entropy),
    // or RL's updates of the shared weights let their probability drift, and the app's step spans include them.
    sequences.forEach((sequence, row) => {
      for (const span of sequence.headerSpans) {
        for (let position = span.start; position < span.end; position++) batch.weights[row * sequenceLength + position - 1] = 1 / samples.length;
      }
    });
    // Update the critic after use, so no sample's baseline depends on its own action.
    for (const { key, returnToGo } of visited) {
      const entry = historyValues.get(key) ?? { value: 0, count: 0 };
      entry.count++;
      entry.value += (returnToGo - entry.value) / Math.min(entry.count, HISTORY_VALUE_HORIZON);
      historyValues.set(key, entry);
    }
    const { gradient } = jax.lossAndGradient(policy, batch);
    optimizer.step(gradient, cosineLearningRate(iteration, schedule.rlIterations, schedule.rlLearningRate, 10));
    if (iteration >= averagingStart) {
      averagedCount++;
      const current = tensorsOf(policy);
      tensorsOf(averaged).forEach((tensor, index) => {
        for (let i = 0; i < tensor.length; i++) tensor[i] += (current[index][i] - tensor[i]) / averagedCount;
      });
    }
    // Figures of the episodes the policy played from the start.
    const ownEpisodes = samples.flatMap((sample, row) => (sample.sampled.every((step) => step !== null) ? [row] : []));
    history.push({
      iteration,
      meanReward: mean(ownEpisodes.map((row) => samples[row].episode.reward)),
      meanLogRatio: mean(ownEpisodes.map((row) => logRatios[row].reduce<number>((sum, ratio) => sum + (ratio ?? 0), 0))),
    });
    if ((iteration + 1) % schedule.evaluateEvery === 0 || iteration === schedule.rlIterations - 1) {
      // Once averaging has begun, the average is the policy being trained towards export.
      const evaluation = await exactEvaluation(solved.roots, solved.solution, averagedCount > 0 ? averagedModel : policyModel);
      exact.push({ iteration, ...evaluation });
      const recent = history.slice(-schedule.evaluateEvery);
      log(
        `rl ${iteration + 1}/${schedule.rlIterations}: batch reward ${mean(recent.map((entry) => entry.meanReward)).toFixed(3)}, ` +
          `exact success ${evaluation.successRate.toFixed(3)}, KL(π‖π*) per state ${evaluation.klToOptimalPerState.toFixed(4)}, ` +
          `KL(π‖π_ref) per episode ${evaluation.klToReferencePerEpisode.toFixed(3)}, ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
    }
  }
  return {
    policy: averagedCount > 0 ? averaged : policy,
    rl: { iterations: schedule.rlIterations, batchEpisodes: batchSize, history, exact, seconds: (performance.now() - started) / 1000 },
  };
}

export async function trainDemoPair(options: TrainingOptions): Promise<TrainedPair> {
  const { seed, beta, config, schedule, sequenceLength } = options;
  const log = options.log ?? (() => {});
  const started = performance.now();
  const jax = jaxModelFor(options);
  const { reference, imitation } = trainReference(options, jax);
  const solved = await solveForReference(config, reference, beta);
  log(
    `reference: success ${solved.reference.successRate.toFixed(3)}; optimum (β=${beta}): success ${solved.optimal.successRate.toFixed(3)}, ` +
      `V* ${solved.optimal.softValue.toFixed(3)}`,
  );
  const { policy, rl } = await trainPolicy(options, reference, solved, jax);
  const { iteration: _lastIteration, ...finalPolicy } = rl.exact[rl.exact.length - 1];
  const record: TrainingRecord = {
    seed,
    beta,
    config,
    schedule,
    sequenceLength,
    imitation,
    rl,
    final: { reference: solved.reference, policy: finalPolicy, optimal: solved.optimal },
    totalSeconds: (performance.now() - started) / 1000,
  };
  return { config, reference, policy, record };
}
