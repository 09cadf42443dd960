/**
 * The reference code's context policy (issue 15, item 7): keep the last N tokens (left truncation),
 * score them as a sequence of their own, a cut step unscored and counted 0 by `unscored: zero`.
 * Checked on the real-format Qwen3 pair against an independent computation: the engine run directly
 * on the last N token ids, the step scores computed here by hand. The product's default (`fit`)
 * stays as it was.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runScoreCommand } from '../../../../src/cli/commands/score';
import { scoreTrajectory as stepScoresOf } from '../../../../src/core/advantage';
import { maxOf } from '../../../../src/core/arrays';
import type { RenderedTrajectory } from '../../../../src/core/render';
import {
  FIT_CONTEXT,
  REFERENCE_CONTEXT,
  contextPolicyOf,
  disposeScoringPair,
  leftTruncate,
  loadScoringPair,
  parseContextPolicyOptions,
  renderPrimary,
  scoreTrajectory,
  transformersEngineFactory,
  type ScoringPair,
} from '../../../../src/core/scoring';
import { parseScoreJsonl } from '../../../../src/core/scores/format';
import { DEFAULT_ANALYSIS_SETTINGS, analysisSettingsSchema } from '../../../../src/core/settings';
import { folderLocation, nodeModelFiles } from '../../../../src/node/model-files';
import { scoreCacheKey } from '../../../../src/state/persistence/pair-identity';
import { REALFORMAT_ROOT, SHARED_ROOT, truthTrajectory } from '../render/realformat';

const WHO_AND_WHEN = 'fixtures/trajectories/who_and_when/Algorithm-Generated/1.json';
/** Kept tokens: the trajectory has 1155 (plain, Qwen3), every one of its 6 messages an action step. */
const KEPT = 500;
const trajectory = truthTrajectory({ fixture: WHO_AND_WHEN, index: 0 });
const modelFolder = (side: string) => path.join(REALFORMAT_ROOT, `qwen3-${side}`);

describe('the context policy as a setting and as options', () => {
  it('defaults to fit; the reference policy keeps the reference code’s 16,384 tokens unless told otherwise', () => {
    expect(contextPolicyOf(DEFAULT_ANALYSIS_SETTINGS)).toEqual(FIT_CONTEXT);
    expect(REFERENCE_CONTEXT).toEqual({ policy: 'reference', tokens: 16384 });
    expect(contextPolicyOf(analysisSettingsSchema.parse({ contextPolicy: 'reference', contextTokens: 4096 }))).toEqual({ policy: 'reference', tokens: 4096 });
    expect(() => analysisSettingsSchema.parse({ contextTokens: 1 })).toThrow();
    expect(parseContextPolicyOptions(undefined, undefined)).toEqual(FIT_CONTEXT);
    expect(parseContextPolicyOptions('reference', undefined)).toEqual(REFERENCE_CONTEXT);
    expect(parseContextPolicyOptions('reference', '600')).toEqual({ policy: 'reference', tokens: 600 });
    expect(() => parseContextPolicyOptions('left', undefined)).toThrow("--context-policy: unknown value 'left' (expected fit | reference)");
    expect(() => parseContextPolicyOptions('fit', '600')).toThrow("--context-tokens is the reference context policy's N: give --context-policy reference with it");
    expect(() => parseContextPolicyOptions('reference', '1')).toThrow("--context-tokens: expected a whole number from 2 to 10000000, got '1'");
  });

  it('reference-policy scores have a score-cache key of their own (other figures)', () => {
    const fit = scoreCacheKey('pair:0123456789abcdef', 'fp32', 'chat', 'feed');
    expect(fit).toBe('pair:0123456789abcdef|fp32|chat|feed');
    expect(scoreCacheKey('pair:0123456789abcdef', 'fp32', 'chat', 'feed', FIT_CONTEXT)).toBe(fit);
    expect(scoreCacheKey('pair:0123456789abcdef', 'fp32', 'chat', 'feed', { policy: 'reference', tokens: 600 })).toBe(`${fit}|last600`);
  });

  it('left truncation keeps the last N tokens and shifts the spans; a span cut whole is empty at 0', () => {
    const rendered: RenderedTrajectory = {
      mode: 'plain',
      tokenIds: [1, 10, 11, 12, 20, 21, 30, 31, 32],
      messageSpans: [
        { message: 0, start: 1, end: 4 },
        { message: 1, start: 4, end: 6 },
        { message: 2, start: 6, end: 9 },
      ],
      actionSpans: [
        { message: 0, start: 1, end: 4 },
        { message: 2, start: 6, end: 9 },
      ],
    };
    expect(leftTruncate(rendered, 9)).toBeNull();
    const { rendered: kept, cut } = leftTruncate(rendered, 4)!;
    expect(cut).toBe(5);
    expect(kept.tokenIds).toEqual([21, 30, 31, 32]);
    expect(kept.messageSpans).toEqual([
      { message: 0, start: 0, end: 0 },
      { message: 1, start: 0, end: 1 },
      { message: 2, start: 1, end: 4 },
    ]);
    expect(kept.actionSpans).toEqual([kept.messageSpans[0], kept.messageSpans[2]]);
  });
});

describe('the reference context policy on the real-format Qwen3 pair', () => {
  let pair: ScoringPair;
  let work: string;
  beforeAll(async () => {
    const spec = (side: string) => ({ location: folderLocation(modelFolder(side)), label: `folder ${modelFolder(side)}`, remote: false });
    pair = await loadScoringPair({ policy: spec('policy'), reference: spec('reference'), dtype: 'fp32' }, { device: 'cpu', engineFactory: transformersEngineFactory(nodeModelFiles) });
    work = await mkdtemp(path.join(tmpdir(), 'context-policy-'));
  });
  afterAll(async () => {
    if (pair) await disposeScoringPair(pair);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('scores the last N tokens as a sequence of their own; a cut step is unscored and counts 0 under unscored = zero', async () => {
    const whole = renderPrimary(pair, trajectory, 'plain');
    expect(whole.tokenIds.length).toBe(1155);
    const cut = whole.tokenIds.length - KEPT;
    const result = await scoreTrajectory(pair, trajectory, { render: 'plain', context: { policy: 'reference', tokens: KEPT } });

    // Independently: the engines on the last KEPT ids alone, each step's kept tokens but the sequence's first.
    const ids = whole.tokenIds.slice(cut);
    const ranges = whole.actionSpans.map((span) => ({ start: Math.min(Math.max(span.start - cut, 1), Math.max(span.end - cut, 0)), end: Math.max(span.end - cut, 0) }));
    const policy = await pair.policyEngine!.score(ids, ranges);
    const reference = await pair.referenceEngine.score(ids, ranges);
    const cutWhole = whole.actionSpans.filter((span) => span.end <= cut).map((span) => span.message);
    const cutInPart = whole.actionSpans.filter((span) => span.start < cut && span.end > cut).map((span) => span.message);
    expect(cutWhole.length).toBeGreaterThan(0);
    expect(cutInPart.length).toBe(1);
    result.record.steps.forEach((step, i) => {
      expect(step.message).toBe(whole.actionSpans[i].message);
      expect(step.policy.length).toBe(ranges[i].end - ranges[i].start);
      step.policy.forEach((value, t) => expect(value).toBeCloseTo(policy[i].logprob[t], 5));
      step.reference.forEach((value, t) => expect(value).toBeCloseTo(reference[i].logprob[t], 5));
      expect(step.tokenIds).toEqual(ids.slice(ranges[i].start, ranges[i].end));
    });
    expect(result.notScored.map((n) => [n.message, n.reason])).toEqual([...cutWhole, ...cutInPart].map((message) => [message, 'left-truncated']));
    expect(result.notScored[0].detail).toBe(`message 0 lies in the first ${cut} tokens, which the reference context policy keeps the last ${KEPT} of the ${whole.tokenIds.length} rendered tokens; the reference code counts the step 0`);
    expect(result.tokens).toBe(whole.tokenIds.length);

    // The step aggregation: a cut step is 0 under `zero` (the reference code's count), absent under `skip`.
    const options = { method: 'progress', tokenAggregation: 'mean', stepAggregation: 'mean', mode: 'difference', beta: 0.5 } as const;
    const zero = stepScoresOf(result.record.steps, { ...options, unscored: 'zero' });
    const byHand = result.record.steps.map((step) =>
      step.policy.length === 0 ? 0 : (0.5 * step.policy.reduce((sum, p, t) => sum + p - step.reference[t], 0)) / step.policy.length,
    );
    zero.stepScores.forEach((value, i) => expect(value).toBeCloseTo(byHand[i], 10));
    cutWhole.forEach((message) => expect(zero.stepScores[trajectory.actionSteps.indexOf(message)]).toBe(0));
    expect(stepScoresOf(result.record.steps, { ...options, unscored: 'skip' }).stepScores.filter((value) => value === null).length).toBe(cutWhole.length);

    // The product's default scores every step with all of its context (Qwen3 has no BOS: message 0's first token has none).
    const fit = await scoreTrajectory(pair, trajectory, { render: 'plain' });
    expect(fit.notScored.map((n) => [n.message, n.reason])).toEqual([[0, 'first-token']]);
    const last = result.record.steps.length - 1;
    expect(fit.record.steps[last].tokenIds).toEqual(result.record.steps[last].tokenIds);
    const drift = fit.record.steps[last].policy.map((value, t) => Math.abs(value - result.record.steps[last].policy[t]));
    expect(maxOf(drift)).toBeGreaterThan(1e-3);
  });

  it('score --context-policy reference --context-tokens N writes those figures and says which policy ran', async () => {
    const out = path.join(work, 'scores.jsonl');
    const args = ['--policy', modelFolder('policy'), '--reference', modelFolder('reference'), '--context-policy', 'reference', '--context-tokens', String(KEPT), '--quiet', '--out', out, path.join(SHARED_ROOT, WHO_AND_WHEN)];
    expect(await runScoreCommand(args)).toBe(0);
    const [line] = parseScoreJsonl(await readFile(out, 'utf8'), out).records;
    const expected = await scoreTrajectory(pair, trajectory, { render: 'plain', context: { policy: 'reference', tokens: KEPT } });
    expect(line.record.contextPolicy).toEqual({ policy: 'reference', tokens: KEPT });
    expect(line.record.notScored).toEqual(expected.notScored);
    expect(line.record.steps.map((step) => step.policy)).toEqual(expected.record.steps.map((step) => step.policy));
    expect(await runScoreCommand(['--policy', modelFolder('policy'), '--reference', modelFolder('reference'), '--context-tokens', '9', path.join(SHARED_ROOT, WHO_AND_WHEN)])).toBe(2);
  });
});
