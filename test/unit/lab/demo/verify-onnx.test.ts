/**
 * The identity on the shipped pair: on held-out episodes, β·(log π_θ(step) − log π_ref(step)) from the
 * exported files equals the exact optimal advantage A* closely (Pearson ≥ 0.95), and the record of the
 * training run agrees with what the files do.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_BETA, DEMO_TRAINING_RECORD } from '../../../../src/demo/config';
import { verifyShippedModels, type ShippedVerification } from '../../../../lab/demo/verify-onnx';
import type { TrainingRecord } from '../../../../lab/demo/training';

const PUBLIC = resolve('public');
let verification: ShippedVerification;

beforeAll(async () => {
  verification = await verifyShippedModels({ publicDir: PUBLIC });
}, 120_000);

describe('verification on the shipped demo pair', () => {
  it('the step progress advantage matches the exact A* (Pearson ≥ 0.95)', () => {
    expect(verification.beta).toBe(DEMO_BETA);
    expect(verification.episodes).toBe(128);
    expect(verification.steps).toBeGreaterThan(250);
    expect(verification.pearson).toBeGreaterThanOrEqual(0.95);
    expect(verification.spearman).toBeGreaterThanOrEqual(0.9);
    expect(verification.meanAbsError).toBeLessThan(0.05);
    for (const agent of ['policy', 'noisy-agent']) expect(verification.byAgent[agent].steps).toBeGreaterThan(100);
    // The `assistant:` header is forced by the template: both models give it probability ≈ 1.
    expect(verification.maxHeaderAdvantage).toBeLessThan(0.01);
  });

  it('RL moved the policy most of the way to the optimum: success rates and KL', () => {
    const { successRate } = verification;
    expect(successRate.optimal).toBeGreaterThan(successRate.reference + 0.2);
    expect(successRate.policy).toBeGreaterThan(successRate.reference + 0.2);
    expect(successRate.policy).toBeLessThanOrEqual(successRate.optimal + 0.01);
    expect(verification.klPolicyToOptimalPerState).toBeLessThan(0.02);
    expect(verification.klToReferencePerEpisode.policy).toBeGreaterThan(0.1);
  });

  it('the training record states the same exact figures as the shipped files give', async () => {
    const record = JSON.parse(await readFile(join(PUBLIC, DEMO_TRAINING_RECORD), 'utf8')) as TrainingRecord & { quick: boolean };
    expect(record.quick).toBe(false);
    expect(record.beta).toBe(DEMO_BETA);
    // Recorded with the TypeScript forward pass in float64; recomputed here from the ONNX files.
    expect(record.final.policy.successRate).toBeCloseTo(verification.successRate.policy, 3);
    expect(record.final.reference.successRate).toBeCloseTo(verification.successRate.reference, 3);
    expect(record.final.optimal.successRate).toBeCloseTo(verification.successRate.optimal, 3);
  });

  it('on the demo examples, failure attribution beats a random step and best-of-N beats Mean@N', () => {
    const examples = verification.examples!;
    expect(examples.episodes).toBe(64);
    const { failureAttribution, bestOfN } = examples;
    expect(failureAttribution.failedEpisodes).toBeGreaterThan(5);
    expect(Math.max(...Object.values(failureAttribution.accuracy))).toBeGreaterThan(failureAttribution.randomAccuracy);
    expect(bestOfN.successRate.sum).toBeGreaterThan(bestOfN.meanAtN);
  });
});
