import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTokenizersMatch, scorePair, scorePairFromPrecomputed, scoreStepLevel, type PairProgress } from '../../../../src/core/engine/pair';
import { precomputedFromScoreRecord, precomputedFromTrajectory } from '../../../../src/core/engine/precomputed';
import { createTransformersEngine, type TransformersEngine } from '../../../../src/core/engine/transformers';
import { nodeModelFiles } from '../../../../src/node/model-files';
import type { MessageSpan, RenderedTrajectory } from '../../../../src/core/render/types';
import { serializeScoreRecord, validateScoreRecord, type ScoreRecord } from '../../../../src/core/scores/format';
import type { Message, Trajectory } from '../../../../src/core/trajectory/types';
import { fullLogits, independentFigures, maxAbsDifference, randomTokenIds, writeModelFolders, type IndependentFigures, type ModelRoot, type TestModel } from './helpers';

const vocabSize = 240;
// Different seeds (and widths): two genuinely different models over one vocabulary.
const policyModel: TestModel = { id: 'policy', config: { vocabSize, contextLength: 256, embeddingDim: 48, layerCount: 2, headCount: 4 }, seed: 11 };
const referenceModel: TestModel = { id: 'reference', config: { vocabSize, contextLength: 128, embeddingDim: 32, layerCount: 2, headCount: 4 }, seed: 22 };

const messages: Message[] = [
  { role: 'system', sourceRole: 'system', content: 'be brief' },
  { role: 'assistant', sourceRole: 'assistant', name: 'planner', content: 'step one' },
  { role: 'user', sourceRole: 'user', content: 'go on' },
  { role: 'assistant', sourceRole: 'assistant', name: 'coder', content: '' },
  { role: 'tool', sourceRole: 'tool', content: 'ok' },
  { role: 'assistant', sourceRole: 'assistant', name: 'coder', content: 'done' },
];
const trajectory: Trajectory = {
  id: 'run-1',
  format: 'openai-chat',
  taskId: 'task-7',
  messages,
  actionSteps: [1, 3, 5],
  labels: { reward: 0, mistakeStep: 5, mistakeAgent: 'coder' },
  metadata: {},
};

/** A hand-made rendering: message i covers [bounds[i], bounds[i + 1]); message 3 renders to nothing. */
function renderByHand(tokenIds: number[], bounds: number[]): RenderedTrajectory {
  const messageSpans: MessageSpan[] = messages.map((_, index) => ({ message: index, start: bounds[index], end: bounds[index + 1] }));
  return {
    mode: 'plain',
    tokenIds,
    messageSpans,
    actionSpans: trajectory.actionSteps.map((message) => messageSpans[message]),
  };
}

const shortTokens = randomTokenIds(120, vocabSize, 3);
const shortRendering = renderByHand(shortTokens, [0, 10, 30, 50, 50, 70, 120]);

let modelRoot: ModelRoot;
let policy: TransformersEngine;
let reference: TransformersEngine;
let expectedPolicy: IndependentFigures;
let expectedReference: IndependentFigures;

beforeAll(async () => {
  modelRoot = await writeModelFolders([policyModel, referenceModel]);
  policy = await createTransformersEngine({ files: nodeModelFiles, modelId: policyModel.id, localModelPath: modelRoot.root, dtype: 'fp32', device: 'cpu', chunkSize: 32 });
  reference = await createTransformersEngine({ files: nodeModelFiles, modelId: referenceModel.id, localModelPath: modelRoot.root, dtype: 'fp32', device: 'cpu', chunkSize: 32 });
  const onnx = (model: TestModel) => join(modelRoot.root, model.id, 'onnx/model.onnx');
  expectedPolicy = independentFigures(await fullLogits(onnx(policyModel), shortTokens, policyModel.config), shortTokens);
  expectedReference = independentFigures(await fullLogits(onnx(referenceModel), shortTokens, referenceModel.config), shortTokens);
});

afterAll(async () => {
  await policy?.dispose();
  await reference?.dispose();
  await modelRoot?.remove();
});

const decodeTokens = (ids: readonly number[]) => ids.map((id) => `<${id}>`);
/** Independent figures of the tokens [start, end): token t ↔ position t − 1. */
const slice = (values: Float64Array, start: number, end: number) => Array.from(values.subarray(start - 1, end - 1));

describe('scorePair (token level, shared tokenizer)', () => {
  it('writes one valid score record step per action step with policy − reference matching an independent computation', async () => {
    const progress: PairProgress[] = [];
    const { record, notScored } = await scorePair({
      trajectory,
      rendered: shortRendering,
      policy,
      reference,
      decodeTokens,
      onProgress: (step) => progress.push(step),
    });
    expect(validateScoreRecord(record).ok).toBe(true);
    expect(JSON.parse(serializeScoreRecord(record))).toMatchObject({ id: 'run-1', taskId: 'task-7', reward: 0, mistakeStep: 5, mistakeAgent: 'coder' });
    expect(record.policyModel).toBe('transformers.js/onnxruntime-node/cpu/fp32');
    expect(record.steps.map((step) => [step.message, step.agent, step.policy.length])).toEqual([
      [1, 'planner', 20],
      [3, 'coder', 0],
      [5, 'coder', 50],
    ]);
    expect(notScored).toEqual([{ message: 3, reason: 'empty-span', side: 'both', detail: 'message 3 renders to no token' }]);

    let maxError = 0;
    for (const step of record.steps) {
      const span = shortRendering.messageSpans[step.message];
      expect(step.tokenIds).toEqual(shortTokens.slice(span.start, span.end));
      expect(step.tokens).toEqual(decodeTokens(step.tokenIds!));
      const policyExpected = slice(expectedPolicy.logprob, span.start, span.end);
      const referenceExpected = slice(expectedReference.logprob, span.start, span.end);
      const advantage = step.policy.map((value, i) => value - step.reference[i]);
      const expectedAdvantage = policyExpected.map((value, i) => value - referenceExpected[i]);
      maxError = Math.max(
        maxError,
        maxAbsDifference(advantage, expectedAdvantage),
        maxAbsDifference(step.entropy!, slice(expectedPolicy.entropy, span.start, span.end)),
        maxAbsDifference(step.topkMean!, slice(expectedPolicy.topkMean, span.start, span.end)),
      );
    }
    expect(maxError).toBeLessThan(1e-4);
    // The two models really differ.
    expect(maxAbsDifference(record.steps[2].policy, record.steps[2].reference)).toBeGreaterThan(0.1);
    // Each model forwards up to the last scored token (119 tokens), in chunks of 32.
    expect(progress.filter((step) => step.model === 'policy').map((step) => step.tokensDone)).toEqual([32, 64, 96, 119]);
    expect(progress.filter((step) => step.model === 'reference').map((step) => step.tokensDone)).toEqual([32, 64, 96, 119]);
    expect(progress[0].model).toBe('policy');
  });

  it('scores the steps that fit the smaller context and lists the cut ones with the model that cut them', async () => {
    const longTokens = randomTokenIds(300, vocabSize, 4);
    // Step 1 ends at 100 (fits both), step 3 at 200 (beyond the reference's 128), step 5 at 290 (beyond both).
    const { record, notScored } = await scorePair({ trajectory, rendered: renderByHand(longTokens, [0, 40, 100, 150, 160, 250, 290]), policy, reference });
    expect(record.steps.map((step) => step.policy.length)).toEqual([60, 0, 0]);
    expect(record.steps.map((step) => step.reference.length)).toEqual([60, 0, 0]);
    expect(notScored.map(({ message, reason, side }) => ({ message, reason, side }))).toEqual([
      { message: 3, reason: 'context-limit', side: 'reference' },
      { message: 5, reason: 'context-limit', side: 'both' },
    ]);
    expect(notScored[0].detail).toBe('message 3 ends at token 160: scoring it needs 159 tokens of context, but the reference model (transformers.js/onnxruntime-node/cpu/fp32) takes 128');
    expect(validateScoreRecord(record).ok).toBe(true);
  });

  it('leaves out (and reports) the first token of a step that starts the sequence', async () => {
    const rendered = renderByHand(shortTokens, [0, 0, 30, 50, 50, 70, 120]);
    const { record, notScored } = await scorePair({ trajectory, rendered, policy, reference });
    expect(record.steps[0].policy.length).toBe(29);
    expect(record.steps[0].tokenIds).toEqual(shortTokens.slice(1, 30));
    expect(record.steps[0].policy[0]).toBeCloseTo(expectedPolicy.logprob[0], 4);
    expect(notScored.map((entry) => entry.reason)).toEqual(['first-token', 'empty-span']);
  });

  it('refuses a rendering whose action spans are not the trajectory’s action steps', async () => {
    const wrong = { ...shortRendering, actionSpans: shortRendering.actionSpans.slice(0, 2) };
    await expect(scorePair({ trajectory, rendered: wrong, policy, reference })).rejects.toThrow('do not match the trajectory');
  });
});

describe('checkTokenizersMatch', () => {
  it('compares vocabulary fingerprints', () => {
    expect(checkTokenizersMatch({ vocabularyFingerprint: 'a1' }, { vocabularyFingerprint: 'a1' })).toEqual({ match: true });
    const mismatch = checkTokenizersMatch({ vocabularyFingerprint: 'a1' }, { vocabularyFingerprint: 'b2' });
    expect(mismatch.match).toBe(false);
    expect(mismatch.match === false && mismatch.reason).toContain('step-level');
  });
});

describe('scoreStepLevel (different tokenizations)', () => {
  it('sums each step’s log-probs in each model’s own rendering and subtracts', async () => {
    // The reference "tokenizer" renders the same messages to other ids and other spans.
    const referenceTokens = randomTokenIds(100, vocabSize, 8);
    const referenceRendering = renderByHand(referenceTokens, [0, 8, 25, 41, 41, 60, 100]);
    const expectedReferenceOwn = independentFigures(
      await fullLogits(join(modelRoot.root, referenceModel.id, 'onnx/model.onnx'), referenceTokens, referenceModel.config),
      referenceTokens,
    );
    const result = await scoreStepLevel({
      trajectory,
      policy: { engine: policy, rendered: shortRendering },
      reference: { engine: reference, rendered: referenceRendering },
    });
    expect(result.stepLevelOnly).toBe(true);
    expect(result).toMatchObject({ id: 'run-1', taskId: 'task-7', mistakeStep: 5 });
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const policySum = (start: number, end: number) => sum(slice(expectedPolicy.logprob, start, end));
    const referenceSum = (start: number, end: number) => sum(slice(expectedReferenceOwn.logprob, start, end));
    expect(result.steps.map((step) => [step.message, step.policyTokenCount, step.referenceTokenCount])).toEqual([
      [1, 20, 17],
      [3, 0, 0],
      [5, 50, 40],
    ]);
    expect(result.steps[0].policy!).toBeCloseTo(policySum(10, 30), 3);
    expect(result.steps[0].reference!).toBeCloseTo(referenceSum(8, 25), 3);
    expect(result.steps[2].difference!).toBeCloseTo(policySum(70, 120) - referenceSum(60, 100), 3);
    expect(result.steps[1]).toMatchObject({ policy: null, reference: null, difference: null });
    expect(result.notScored.map(({ message, reason, side }) => [message, reason, side])).toEqual([
      [3, 'empty-span', 'policy'],
      [3, 'empty-span', 'reference'],
    ]);
  });

  it('takes a precomputed side (Inspect AI log-probs) next to a model', async () => {
    const withLogprobs: Trajectory = {
      ...trajectory,
      format: 'inspect-ai',
      messages: messages.map((message, index) =>
        index === 1 ? { ...message, logprobs: [{ token: 'step', logprob: -0.5 }, { token: ' one', logprob: -1.25 }] } : message,
      ),
    };
    const result = await scoreStepLevel({
      trajectory: withLogprobs,
      policy: { precomputed: precomputedFromTrajectory(withLogprobs) },
      reference: { engine: reference, rendered: shortRendering },
    });
    expect(result.policyModel).toBe('precomputed/inspect-ai');
    expect(result.steps[0]).toMatchObject({ policy: -1.75, policyTokenCount: 2 });
    expect(result.steps[0].difference!).toBeCloseTo(-1.75 - result.steps[0].reference!, 6);
    expect(result.steps[2]).toMatchObject({ policy: null, difference: null });
    expect(result.notScored.filter((entry) => entry.reason === 'no-precomputed-logprobs').map((entry) => entry.message)).toEqual([3, 5]);
  });
});

describe('precomputed sources', () => {
  it('a score record read back as two sources reproduces its steps without a model', async () => {
    const { record } = await scorePair({ trajectory, rendered: shortRendering, policy, reference, decodeTokens });
    const again = scorePairFromPrecomputed({
      trajectory,
      policy: precomputedFromScoreRecord(record, 'policy'),
      reference: precomputedFromScoreRecord(record, 'reference'),
    });
    // Float32 round trip: the record's numbers are float32 values already.
    expect(again.record.steps).toEqual(record.steps);
    expect(again.notScored).toEqual([]);
  });

  it('computes the top-20 mean from Inspect top log-probs only when 20 are given, and never an entropy', () => {
    const top = (count: number) => Array.from({ length: count }, (_, index) => ({ token: `t${index}`, logprob: -index }));
    const withTop = (count: number): Trajectory => ({
      ...trajectory,
      messages: messages.map((message, index) =>
        index === 1 ? { ...message, logprobs: [{ token: 'a', logprob: -0.1, topLogprobs: top(count) }] } : message,
      ),
    });
    const twenty = precomputedFromTrajectory(withTop(25)).stepFigures(1)!;
    expect(Array.from(twenty.topkMean!)).toEqual([-9.5]); // mean of 0 … −19
    expect(twenty.entropy).toBeNull();
    expect(precomputedFromTrajectory(withTop(5)).stepFigures(1)!.topkMean).toBeNull();
    expect(precomputedFromTrajectory(withTop(5)).stepFigures(0)).toBeNull();
  });

  it('does not pair steps whose tokens disagree', () => {
    const policySide = precomputedFromTrajectory({
      ...trajectory,
      messages: messages.map((message, index) => (index === 1 ? { ...message, logprobs: [{ token: 'a', logprob: -1 }, { token: 'b', logprob: -2 }] } : message)),
    });
    const referenceSide = precomputedFromTrajectory({
      ...trajectory,
      messages: messages.map((message, index) => (index === 1 ? { ...message, logprobs: [{ token: 'a', logprob: -1 }, { token: 'c', logprob: -3 }] } : message)),
    });
    const { record, notScored } = scorePairFromPrecomputed({ trajectory, policy: policySide, reference: referenceSide });
    expect(record.steps[0].policy).toEqual([]);
    expect(notScored[0]).toMatchObject({ message: 1, reason: 'token-mismatch', detail: 'message 1: token 1 is "b" in the policy source and "c" in the reference source' });
    expect(notScored.slice(1).map((entry) => [entry.message, entry.reason, entry.side])).toEqual([
      [3, 'no-precomputed-logprobs', 'both'],
      [5, 'no-precomputed-logprobs', 'both'],
    ]);
  });
});

describe('scorePair with reusePrefix (trajectories of one file in order)', () => {
  it('gives the records of fresh scoring and forwards the shared prefix once per model', async () => {
    // Two samples of a task: the same first 50 tokens (system prompt, first action), then their own.
    const second = [...shortTokens.slice(0, 50), ...randomTokenIds(70, vocabSize, 8)];
    const renderings = [shortRendering, renderByHand(second, [0, 10, 30, 50, 50, 70, 120])];
    const fresh: ScoreRecord[] = [];
    for (const rendered of renderings) fresh.push((await scorePair({ trajectory, rendered, policy, reference })).record);
    policy.resetStats();
    reference.resetStats();
    const reused: ScoreRecord[] = [];
    for (const rendered of renderings) reused.push((await scorePair({ trajectory, rendered, policy, reference, reusePrefix: true })).record);
    await policy.releasePrefixCache();
    await reference.releasePrefixCache();
    let maxDifference = 0;
    reused.forEach((record, index) =>
      record.steps.forEach((step, stepIndex) => {
        const expected = fresh[index].steps[stepIndex];
        expect(step.tokenIds).toEqual(expected.tokenIds);
        maxDifference = Math.max(maxDifference, maxAbsDifference(step.policy, expected.policy), maxAbsDifference(step.reference, expected.reference), maxAbsDifference(step.entropy!, expected.entropy!));
      }),
    );
    expect(maxDifference).toBeLessThan(1e-5);
    // Both trajectories score message 1 (tokens 10 … 29) inside the shared prefix: the second takes those figures over.
    for (const engine of [policy, reference]) expect(engine.stats.tokensReused).toBe(50);
    expect(policy.stats.tokensForwarded).toBe(119 + 119 - 50);
  });
});
