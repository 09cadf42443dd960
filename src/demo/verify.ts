/**
 * The proof on the demo pair: on held-out episodes, the step-level progress advantage
 * β·(log π_θ(step) − log π_ref(step)) (a step's string log-likelihoods: the token `sum`) against the
 * exact soft advantage A* of the environment under the reference network; plus the exact success
 * rates of the optimal, trained and reference policies and KL(π_θ‖π*), so the remaining gap shows.
 *
 * Backend-free: the caller supplies the log-probs (onnxruntime-node in lab/demo, the app's engine
 * in the CLI) and a model to sample the held-out policy episodes with.
 */
import { spearman } from '../core/metrics/uncertainty';
import { DEMO_TASKS, VALID_ACTIONS, type DemoEpisode, type DemoMessage } from './environment';
import { sampleMixedEpisodes, type EpisodesPerTask } from './episodes';
import type { Gpt2Model } from './gpt2-inference';
import { buildAllTaskTrees, historyKey } from './history-tree';
import { evaluatePolicy, optimalLogProbs, scoreNodes, solveSoftOptimal, type SoftSolution } from './solver';

/** Log-probs of action strings after a history, in the order given. */
export type ActionScorer = (messages: readonly DemoMessage[], actions: readonly string[]) => readonly number[] | Promise<readonly number[]>;

/** Per agent step of an episode (in step order): the step's summed token log-prob under each model. */
export type EpisodeStepScorer = (episode: DemoEpisode) => Promise<{ policy: readonly number[]; reference: readonly number[] }>;

export interface StepComparison {
  episode: number;
  agent: string;
  taskId: string;
  messageIndex: number;
  /** The valid action, or null for an invalid string. */
  action: string | null;
  /** β·(log π_θ(step) − log π_ref(step)). */
  modelAdvantage: number;
  /** A*(s, step) from the exact solver. */
  exactAdvantage: number;
}

export interface AdvantageAgreement {
  steps: number;
  pearson: number;
  spearman: number | null;
  meanAbsError: number;
}

export interface DemoVerification extends AdvantageAgreement {
  beta: number;
  episodes: number;
  /** The same figures per agent that produced the episodes (`policy`, `noisy-agent`). */
  byAgent: Record<string, AdvantageAgreement & { episodes: number }>;
  /** Exact expected success over the tasks (each task equally likely). */
  successRate: { optimal: number; policy: number; reference: number };
  /** Σ_s d_θ(s)·KL(π_θ(·|s) ‖ π*(·|s)) / Σ_s d_θ(s): the mean over the states the policy visits. */
  klPolicyToOptimalPerState: number;
  /** The same sum per episode: KL between the two policies' step-string distributions over whole episodes. */
  klPolicyToOptimalPerEpisode: number;
  /** KL(π_θ‖π_ref) and KL(π*‖π_ref) per episode: how far RL moved, and how far it should have. */
  klToReferencePerEpisode: { policy: number; optimal: number };
  comparisons: StepComparison[];
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length || x.length < 2) throw new Error(`pearson: needs two equally long series of at least 2 values (got ${x.length} and ${y.length})`);
  const meanX = x.reduce((a, b) => a + b, 0) / x.length;
  const meanY = y.reduce((a, b) => a + b, 0) / y.length;
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let i = 0; i < x.length; i++) {
    covariance += (x[i] - meanX) * (y[i] - meanY);
    varianceX += (x[i] - meanX) ** 2;
    varianceY += (y[i] - meanY) ** 2;
  }
  if (varianceX === 0 || varianceY === 0) throw new Error('pearson: a series is constant');
  return covariance / Math.sqrt(varianceX * varianceY);
}

export function agreementOf(comparisons: readonly StepComparison[]): AdvantageAgreement {
  const model = comparisons.map((comparison) => comparison.modelAdvantage);
  const exact = comparisons.map((comparison) => comparison.exactAdvantage);
  const rank = spearman(model, exact);
  return {
    steps: comparisons.length,
    pearson: pearson(model, exact),
    spearman: rank.value,
    meanAbsError: comparisons.reduce((sum, comparison) => sum + Math.abs(comparison.modelAdvantage - comparison.exactAdvantage), 0) / comparisons.length,
  };
}

/** A* of every step of an episode, looked up in the solution by the step's history. */
export function exactStepAdvantages(solution: SoftSolution<unknown>, episode: DemoEpisode): number[] {
  return episode.steps.map((step) => {
    const key = historyKey(episode.messages.slice(0, step.messageIndex));
    const node = solution.nodes.get(key);
    if (!node) throw new Error(`exactStepAdvantages: no solved state for the history before message ${step.messageIndex}`);
    return step.action === null ? node.advantageInvalid : node.advantage[VALID_ACTIONS.indexOf(step.action)];
  });
}

/** Step-by-step comparison of the model's advantage with A*. */
export async function compareEpisodes(
  solution: SoftSolution<unknown>,
  episodes: readonly DemoEpisode[],
  scoreSteps: EpisodeStepScorer,
): Promise<StepComparison[]> {
  const comparisons: StepComparison[] = [];
  for (const [index, episode] of episodes.entries()) {
    const exact = exactStepAdvantages(solution, episode);
    const { policy, reference } = await scoreSteps(episode);
    if (policy.length !== episode.steps.length || reference.length !== episode.steps.length) {
      throw new Error(`compareEpisodes: episode ${index} has ${episode.steps.length} steps but the scorer returned ${policy.length} / ${reference.length}`);
    }
    episode.steps.forEach((step, stepIndex) => {
      comparisons.push({
        episode: index,
        agent: episode.agent,
        taskId: DEMO_TASKS[episode.taskIndex].id,
        messageIndex: step.messageIndex,
        action: step.action,
        modelAdvantage: solution.beta * (policy[stepIndex] - reference[stepIndex]),
        exactAdvantage: exact[stepIndex],
      });
    });
  }
  return comparisons;
}

export interface DemoVerificationInputs {
  beta: number;
  /** Seed of the held-out episodes: never one used in training. */
  seed: number;
  episodesPerTask: EpisodesPerTask;
  /** Samples the held-out policy episodes (the TypeScript forward pass on the shipped weights). */
  policySampler: Gpt2Model;
  referenceActions: ActionScorer;
  policyActions: ActionScorer;
  scoreSteps: EpisodeStepScorer;
}

export async function verifyDemoPair(inputs: DemoVerificationInputs): Promise<DemoVerification> {
  const roots = buildAllTaskTrees();
  const solution = solveSoftOptimal(roots, await scoreNodes(roots, inputs.referenceActions), inputs.beta);
  const policyLogProbs = await scoreNodes(roots, inputs.policyActions);
  const policy = evaluatePolicy(solution, policyLogProbs);
  const optimal = evaluatePolicy(solution, optimalLogProbs(solution));
  const reference = evaluatePolicy(solution, new Map([...solution.nodes].map(([key, node]) => [key, node.reference.valid.map(Math.log)])));

  const episodes = sampleMixedEpisodes(inputs.policySampler, inputs.seed, inputs.episodesPerTask);
  const comparisons = await compareEpisodes(solution, episodes, inputs.scoreSteps);
  const byAgent: DemoVerification['byAgent'] = {};
  for (const agent of new Set(episodes.map((episode) => episode.agent))) {
    const subset = comparisons.filter((comparison) => comparison.agent === agent);
    byAgent[agent] = { ...agreementOf(subset), episodes: episodes.filter((episode) => episode.agent === agent).length };
  }
  return {
    beta: inputs.beta,
    episodes: episodes.length,
    ...agreementOf(comparisons),
    byAgent,
    successRate: { optimal: optimal.meanExpectedReward, policy: policy.meanExpectedReward, reference: reference.meanExpectedReward },
    klPolicyToOptimalPerState: policy.klToOptimalPerState,
    klPolicyToOptimalPerEpisode: policy.klToOptimalPerEpisode,
    klToReferencePerEpisode: { policy: policy.klToReferencePerEpisode, optimal: optimal.klToReferencePerEpisode },
    comparisons,
  };
}
