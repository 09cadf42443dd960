import { describe, expect, it } from 'vitest';
import {
  collectNodes,
  distributionFromLogProbs,
  evaluatePolicy,
  optimalLogProbs,
  referenceLogProbsOf,
  scoreNodes,
  softValue,
  solveSoftOptimal,
  type DecisionNode,
} from '../../../src/demo/solver';

/**
 * A two-step toy, solved by hand below:
 *   s0: a (π_ref 0.5) → s1;  b (π_ref 0.25) → reward 1 or 0 with probability ½ each;  invalid lump 0.25 → 0.
 *   s1: c (π_ref 0.5) → reward 1;  d (π_ref 0.5) → reward 0;  nothing left for the invalid lump.
 */
function toyTree(): DecisionNode<string> {
  const s1: DecisionNode<string> = {
    key: 's1',
    context: 'after a',
    invalidReward: 0,
    branches: [
      { action: 'c', outcomes: [{ probability: 1, reward: 1, next: null }] },
      { action: 'd', outcomes: [{ probability: 1, reward: 0, next: null }] },
    ],
  };
  return {
    key: 's0',
    context: 'start',
    invalidReward: 0,
    branches: [
      { action: 'a', outcomes: [{ probability: 1, reward: 0, next: s1 }] },
      {
        action: 'b',
        outcomes: [
          { probability: 0.5, reward: 1, next: null },
          { probability: 0.5, reward: 0, next: null },
        ],
      },
    ],
  };
}

const referenceLogProbs = new Map<string, number[]>([
  ['s0', [Math.log(0.5), Math.log(0.25)]],
  ['s1', [Math.log(0.5), Math.log(0.5)]],
]);

describe('solveSoftOptimal on the two-step toy', () => {
  it('matches the hand-computed V*, Q*, A* and π* at β = 1', () => {
    const solution = solveSoftOptimal([toyTree()], referenceLogProbs, 1);
    const s1 = solution.nodes.get('s1')!;
    const s0 = solution.nodes.get('s0')!;
    // V*(s1) = log(½e + ½) = log((e + 1)/2)
    expect(s1.value).toBeCloseTo(0.6201145069582775, 12);
    expect(s1.advantage[0]).toBeCloseTo(1 - 0.6201145069582775, 12);
    expect(s1.advantage[1]).toBeCloseTo(-0.6201145069582775, 12);
    // π*(c|s1) = ½e / ((e + 1)/2) = e/(e + 1)
    expect(s1.optimal.valid[0]).toBeCloseTo(Math.E / (Math.E + 1), 12);
    expect(s1.optimal.invalid).toBe(0);
    // Q*(s0,a) = V*(s1), Q*(s0,b) = ½, Q*(s0,invalid) = 0; V*(s0) = log(½·e^{V*(s1)} + ¼·e^{½} + ¼)
    expect(s0.q[0]).toBeCloseTo(0.6201145069582775, 12);
    expect(s0.q[1]).toBeCloseTo(0.5, 12);
    expect(s0.qInvalid).toBe(0);
    expect(s0.value).toBeCloseTo(0.46483452666832253, 12);
    expect(s0.advantage[0]).toBeCloseTo(0.155279980289955, 12);
    expect(s0.advantage[1]).toBeCloseTo(0.035165473331677466, 12);
    expect(s0.advantageInvalid).toBeCloseTo(-0.46483452666832253, 12);
    expect(s0.optimal.valid[0]).toBeCloseTo(0.5839924640448316, 12);
    expect(s0.optimal.valid[1]).toBeCloseTo(0.25894777260558555, 12);
    expect(s0.optimal.invalid).toBeCloseTo(0.1570597633495828, 12);
  });

  it('matches the hand-computed values at β = ½', () => {
    const solution = solveSoftOptimal([toyTree()], referenceLogProbs, 0.5);
    // V*(s1) = ½·log(½e² + ½);  V*(s0) = ½·log(½·e^{2V*(s1)} + ¼·e + ¼)
    expect(solution.nodes.get('s1')!.value).toBeCloseTo(0.7168904152415136, 12);
    expect(solution.nodes.get('s0')!.value).toBeCloseTo(0.553758673976174, 12);
  });

  it('π* is a distribution at every node, and the KL-regularised objective of π* equals V*(root)', () => {
    for (const beta of [0.25, 1, 4]) {
      const solution = solveSoftOptimal([toyTree()], referenceLogProbs, beta);
      for (const node of solution.nodes.values()) {
        expect(node.optimal.valid.reduce((a, b) => a + b, 0) + node.optimal.invalid).toBeCloseTo(1, 12);
      }
      const optimal = evaluatePolicy(solution, optimalLogProbs(solution));
      expect(optimal.regularisedObjective).toBeCloseTo(solution.nodes.get('s0')!.value, 12);
      expect(optimal.klToOptimalPerEpisode).toBeCloseTo(0, 12);
      // Any other policy scores strictly less: the reference itself (no KL cost, lower reward) …
      const reference = evaluatePolicy(solution, referenceLogProbsOf(solution));
      expect(reference.regularisedObjective).toBeLessThan(optimal.regularisedObjective);
      expect(reference.klToReferencePerEpisode).toBeCloseTo(0, 12);
      // … and the greedy policy (all reward, large KL cost at small β… and any β here).
      const greedy = new Map([
        ['s0', [Math.log(1 - 1e-9), Math.log(1e-9)]],
        ['s1', [Math.log(1 - 1e-9), Math.log(1e-9)]],
      ]);
      expect(evaluatePolicy(solution, greedy).regularisedObjective).toBeLessThan(optimal.regularisedObjective);
    }
  });

  it('evaluates success rates and KL exactly', () => {
    const solution = solveSoftOptimal([toyTree()], referenceLogProbs, 1);
    const reference = evaluatePolicy(solution, referenceLogProbs);
    // ½·½ (a then c) + ¼·½ (b wins)
    expect(reference.meanExpectedReward).toBeCloseTo(0.375, 12);
    // s0 always, s1 with probability ½
    expect(reference.expectedDecisionsPerEpisode).toBeCloseTo(1.5, 12);
    const optimal = evaluatePolicy(solution, optimalLogProbs(solution));
    // π*(a)·π*(c) + π*(b)·½
    expect(optimal.meanExpectedReward).toBeCloseTo(0.5839924640448316 * (Math.E / (Math.E + 1)) + 0.25894777260558555 * 0.5, 12);
    // KL(π_ref‖π*) at s0 + ½·KL at s1, by hand from the distributions above.
    const klS0 = 0.5 * Math.log(0.5 / 0.5839924640448316) + 0.25 * Math.log(0.25 / 0.25894777260558555) + 0.25 * Math.log(0.25 / 0.1570597633495828);
    const pc = Math.E / (Math.E + 1);
    const klS1 = 0.5 * Math.log(0.5 / pc) + 0.5 * Math.log(0.5 / (1 - pc));
    expect(reference.klToOptimalPerEpisode).toBeCloseTo(klS0 + 0.5 * klS1, 12);
    expect(reference.klToOptimalPerState).toBeCloseTo((klS0 + 0.5 * klS1) / 1.5, 12);
  });

  it('rejects bad inputs: β ≤ 0, a missing node, probabilities over 1', () => {
    expect(() => solveSoftOptimal([toyTree()], referenceLogProbs, 0)).toThrow(/β/);
    expect(() => solveSoftOptimal([toyTree()], new Map([['s0', [Math.log(0.5), Math.log(0.25)]]]), 1)).toThrow(/s1/);
    expect(() => distributionFromLogProbs([Math.log(0.7), Math.log(0.7)])).toThrow(/sum/);
  });
});

describe('tree helpers', () => {
  it('collectNodes lists each node once, parents first; scoreNodes calls the scorer per node with its actions', async () => {
    expect(collectNodes([toyTree()]).map((node) => node.key)).toEqual(['s0', 's1']);
    const seen: string[] = [];
    const scores = await scoreNodes([toyTree()], async (context, actions) => {
      seen.push(`${context}:${actions.join('')}`);
      return actions.map(() => Math.log(0.5));
    });
    expect(seen).toEqual(['start:ab', 'after a:cd']);
    expect(scores.get('s1')).toEqual([Math.log(0.5), Math.log(0.5)]);
  });

  it('softValue is β·log Σ p·exp(q/β) and stays finite for tiny β', () => {
    expect(softValue([0.5, 0.5], [0, 1], 1)).toBeCloseTo(Math.log((1 + Math.E) / 2), 12);
    expect(softValue([0.5, 0.5], [0, 1], 1e-4)).toBeCloseTo(1 + 1e-4 * Math.log(0.5), 8);
  });
});
