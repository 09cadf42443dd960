/**
 * Exact KL-regularised optimum of a finite stochastic decision tree (docs/architecture.md §1), and exact
 * evaluation of any policy on it.
 *
 * Each decision node lists its valid actions; the reference model's probability of each is
 * `exp(logProb)`, and all the remaining mass is ONE lumped "invalid" action (every other string the
 * model could write) whose outcome is terminal with a fixed reward. Then, by backward induction,
 *
 *   Q*(s,a) = Σ_o p(o|s,a)·(r_o + V*(s_o))        (V* of a terminal outcome is 0)
 *   V*(s)   = β·log Σ_a π_ref(a|s)·exp(Q*(s,a)/β)  (the invalid lump included)
 *   A*(s,a) = Q*(s,a) − V*(s),   π*(a|s) = π_ref(a|s)·exp(A*(s,a)/β).
 *
 * Every invalid string has the same A* (its outcome does not depend on which string it was), so
 * π*(string|s) = π_ref(string|s)·exp(A*_invalid/β) for each of them as well.
 */
import { appendAll } from '../core/arrays';

export interface DecisionOutcome<C> {
  probability: number;
  /** Reward received on this transition. */
  reward: number;
  /** The next decision node, or null when the episode ends here. */
  next: DecisionNode<C> | null;
}

export interface DecisionBranch<C> {
  action: string;
  outcomes: readonly DecisionOutcome<C>[];
}

export interface DecisionNode<C> {
  /** Unique among the nodes of one tree (the demo uses the message history). */
  key: string;
  /** What a model needs to score the actions here (the demo: the message history). */
  context: C;
  branches: readonly DecisionBranch<C>[];
  /** Terminal reward of the lumped invalid action. */
  invalidReward: number;
}

/** Log-probabilities of a node's valid actions (in branch order) under some model. */
export type ActionLogProbs = ReadonlyMap<string, readonly number[]>;

/**
 * Every decision node under the roots, each once, parents before children (depth-first). `N` is the
 * roots' node type, which their children share (the demo's nodes also carry the environment state).
 */
export function collectNodes<N extends DecisionNode<unknown>>(roots: readonly N[]): N[] {
  const seen = new Set<string>();
  const ordered: N[] = [];
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node.key)) continue;
    seen.add(node.key);
    ordered.push(node);
    const children: N[] = [];
    for (const branch of node.branches) for (const outcome of branch.outcomes) if (outcome.next) children.push(outcome.next as N);
    appendAll(stack, children.reverse());
  }
  return ordered;
}

/** Runs `score` on every node (sequentially, in depth-first order so prefix caches stay warm). */
export async function scoreNodes<C>(
  roots: readonly DecisionNode<C>[],
  score: (context: C, actions: readonly string[]) => readonly number[] | Promise<readonly number[]>,
): Promise<Map<string, readonly number[]>> {
  const scores = new Map<string, readonly number[]>();
  for (const node of collectNodes(roots)) {
    const actions = node.branches.map((branch) => branch.action);
    const logProbs = await score(node.context, actions);
    if (logProbs.length !== actions.length) throw new Error(`scoreNodes: ${logProbs.length} log-probs for ${actions.length} actions at ${node.key}`);
    scores.set(node.key, logProbs);
  }
  return scores;
}

/** A policy's distribution at one node: valid actions in branch order, then the invalid lump. */
export interface ActionDistribution {
  valid: number[];
  invalid: number;
}

/** Below this, the invalid lump's "rest" is rounding error of a distribution that has none. */
const ROUNDING_MASS = 1e-12;

/** Probabilities from log-probabilities; the invalid lump takes the rest (0 when only rounding is left). */
export function distributionFromLogProbs(logProbs: readonly number[]): ActionDistribution {
  const valid = logProbs.map((logProb) => Math.exp(logProb));
  const total = valid.reduce((sum, probability) => sum + probability, 0);
  if (total > 1 + 1e-6) throw new Error(`distributionFromLogProbs: the valid actions' probabilities sum to ${total} > 1`);
  const rest = 1 - total;
  return { valid, invalid: rest > ROUNDING_MASS ? rest : 0 };
}

export interface NodeSolution {
  reference: ActionDistribution;
  /** Q* of each valid action, in branch order. */
  q: number[];
  qInvalid: number;
  value: number;
  /** A* = Q* − V*. */
  advantage: number[];
  advantageInvalid: number;
  /** π* = π_ref·exp(A* / β). */
  optimal: ActionDistribution;
}

export interface SoftSolution<C> {
  beta: number;
  roots: readonly DecisionNode<C>[];
  nodes: Map<string, NodeSolution>;
}

/** β·log Σ_i p_i·exp(q_i/β), stable for any β > 0. */
export function softValue(probabilities: readonly number[], qValues: readonly number[], beta: number): number {
  let max = -Infinity;
  probabilities.forEach((probability, index) => {
    if (probability > 0) max = Math.max(max, qValues[index] / beta);
  });
  if (max === -Infinity) throw new Error('softValue: no action has positive probability');
  let sum = 0;
  probabilities.forEach((probability, index) => {
    if (probability > 0) sum += probability * Math.exp(qValues[index] / beta - max);
  });
  return beta * (max + Math.log(sum));
}

/** Soft value iteration (one backward pass: the tree is finite and acyclic). */
export function solveSoftOptimal<C>(roots: readonly DecisionNode<C>[], referenceLogProbs: ActionLogProbs, beta: number): SoftSolution<C> {
  if (!(beta > 0) || !Number.isFinite(beta)) throw new Error(`solveSoftOptimal: β must be a positive number, got ${beta}`);
  const nodes = new Map<string, NodeSolution>();
  const solve = (node: DecisionNode<C>): number => {
    const known = nodes.get(node.key);
    if (known) return known.value;
    const logProbs = referenceLogProbs.get(node.key);
    if (!logProbs) throw new Error(`solveSoftOptimal: no reference log-probs for node ${node.key}`);
    const reference = distributionFromLogProbs(logProbs);
    const q = node.branches.map((branch) =>
      branch.outcomes.reduce((sum, outcome) => sum + outcome.probability * (outcome.reward + (outcome.next ? solve(outcome.next) : 0)), 0),
    );
    const qInvalid = node.invalidReward;
    const value = softValue([...reference.valid, reference.invalid], [...q, qInvalid], beta);
    const advantage = q.map((qValue) => qValue - value);
    const advantageInvalid = qInvalid - value;
    const optimal: ActionDistribution = {
      valid: reference.valid.map((probability, index) => probability * Math.exp(advantage[index] / beta)),
      invalid: reference.invalid * Math.exp(advantageInvalid / beta),
    };
    nodes.set(node.key, { reference, q, qInvalid, value, advantage, advantageInvalid, optimal });
    return value;
  };
  for (const root of roots) solve(root);
  return { beta, roots, nodes };
}

export interface PolicyEvaluation {
  /** Expected total reward from each root (for 0/1 terminal rewards: the success probability). */
  expectedReward: number[];
  /** Mean over the roots (each root equally likely). */
  meanExpectedReward: number;
  /**
   * Σ_s d(s)·KL(π(·|s) ‖ π*(·|s)) per episode (d = the policy's visiting probability), over the
   * valid actions and the invalid lump, averaged over the roots.
   */
  klToOptimalPerEpisode: number;
  /** The same, divided by the expected number of decisions per episode: the mean over visited states. */
  klToOptimalPerState: number;
  /** E[Σ_t KL(π(·|s_t) ‖ π_ref(·|s_t))] per episode, averaged over the roots. */
  klToReferencePerEpisode: number;
  /** The KL-regularised objective E[r] − β·KL(π‖π_ref) (≤ V*(root), with equality iff π = π*), averaged over the roots. */
  regularisedObjective: number;
  expectedDecisionsPerEpisode: number;
}

function klDivergence(p: ActionDistribution, q: ActionDistribution): number {
  let kl = 0;
  const term = (pi: number, qi: number) => {
    if (pi <= 0) return;
    kl += qi > 0 ? pi * Math.log(pi / qi) : Infinity;
  };
  p.valid.forEach((probability, index) => term(probability, q.valid[index]));
  term(p.invalid, q.invalid);
  return kl;
}

/**
 * Exact evaluation of a policy given its valid-action log-probs at every node (a missing node is an
 * error), by forward propagation of the visiting probability through the tree.
 */
export function evaluatePolicy<C>(solution: SoftSolution<C>, policyLogProbs: ActionLogProbs): PolicyEvaluation {
  const expectedReward: number[] = [];
  let klOptimal = 0;
  let klReference = 0;
  let decisions = 0;
  for (const root of solution.roots) {
    let reward = 0;
    const visit = (node: DecisionNode<C>, probability: number) => {
      const logProbs = policyLogProbs.get(node.key);
      if (!logProbs) throw new Error(`evaluatePolicy: no policy log-probs for node ${node.key}`);
      const policy = distributionFromLogProbs(logProbs);
      const solved = solution.nodes.get(node.key)!;
      klOptimal += probability * klDivergence(policy, solved.optimal);
      klReference += probability * klDivergence(policy, solved.reference);
      decisions += probability;
      reward += probability * policy.invalid * node.invalidReward;
      node.branches.forEach((branch, index) => {
        const actionProbability = probability * policy.valid[index];
        if (actionProbability === 0) return;
        for (const outcome of branch.outcomes) {
          const reach = actionProbability * outcome.probability;
          reward += reach * outcome.reward;
          if (outcome.next && reach > 0) visit(outcome.next, reach);
        }
      });
    };
    visit(root, 1);
    expectedReward.push(reward);
  }
  const rootCount = solution.roots.length;
  const meanExpectedReward = expectedReward.reduce((sum, value) => sum + value, 0) / rootCount;
  return {
    expectedReward,
    meanExpectedReward,
    klToOptimalPerEpisode: klOptimal / rootCount,
    klToOptimalPerState: decisions > 0 ? klOptimal / decisions : 0,
    klToReferencePerEpisode: klReference / rootCount,
    regularisedObjective: meanExpectedReward - (solution.beta * klReference) / rootCount,
    expectedDecisionsPerEpisode: decisions / rootCount,
  };
}

/** The optimal policy's own log-probs at every node (for evaluating π* with {@link evaluatePolicy}). */
export function optimalLogProbs<C>(solution: SoftSolution<C>): Map<string, number[]> {
  const logProbs = new Map<string, number[]>();
  for (const [key, node] of solution.nodes) logProbs.set(key, node.optimal.valid.map((probability) => Math.log(probability)));
  return logProbs;
}

/** The reference's log-probs at every node, as the solver saw them. */
export function referenceLogProbsOf<C>(solution: SoftSolution<C>): Map<string, number[]> {
  const logProbs = new Map<string, number[]>();
  for (const [key, node] of solution.nodes) logProbs.set(key, node.reference.valid.map((probability) => Math.log(probability)));
  return logProbs;
}
