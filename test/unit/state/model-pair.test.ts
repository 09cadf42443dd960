/** Who scored a result, as exports name it: both models, where they came from, dtype, render mode and β. */
import { describe, expect, it } from 'vitest';
import { describeModelPair, pairDescriptionOf, pairFromRecord, recordWithProvenance } from '../../../src/state/model-pair';
import { modelPairSchema } from '../../../src/core/bundle';

const engines = { policy: 'transformers.js/onnxruntime-web/wasm/fp32', reference: 'transformers.js/onnxruntime-web/wasm/fp32' };

describe('model pair provenance', () => {
  it('names the demo pair with its build, hub ids and folder names', () => {
    const demo = pairDescriptionOf({ source: 'demo', policy: 'demo-policy', reference: 'demo-reference', build: 'b42' }, 'fp32', 'plain', engines);
    expect(describeModelPair(demo, 1)).toBe('policy demo-policy · reference demo-reference (embedded demo pair, build b42) · fp32 · plain rendering · β\u00a0=\u00a01');
    const hub = pairDescriptionOf({ source: 'hub', policy: 'org/policy-rl', reference: 'org/policy-sft' }, 'q8', 'chat');
    expect(describeModelPair(hub, 0.25)).toBe('policy org/policy-rl · reference org/policy-sft (Hugging Face hub) · q8 · chat rendering · β\u00a0=\u00a00.25');
    const folders = pairDescriptionOf({ source: 'folders', policy: 'rl', reference: 'sft' }, 'fp16', 'plain');
    expect(describeModelPair({ ...folders, beta: 2 }, 1)).toBe('policy rl · reference sft (dropped folders) · fp16 · plain rendering · β\u00a0=\u00a02');
  });

  it('writes the names into the record and reads them back, with no pair loaded', () => {
    const pair = pairDescriptionOf({ source: 'demo', policy: 'demo-policy', reference: 'demo-reference', build: 'b42' }, 'fp32', 'plain', engines);
    const record = recordWithProvenance({ id: 't', steps: [], policyModel: engines.policy, referenceModel: engines.reference }, pair);
    expect(record).toMatchObject({ policyModel: 'demo-policy', referenceModel: 'demo-reference', modelSource: 'demo', modelBuild: 'b42', dtype: 'fp32', render: 'plain', engines });
    expect(pairFromRecord(record)).toEqual(pair);
    // Through JSON (session, score cache, bundle) it stays the same.
    expect(pairFromRecord(JSON.parse(JSON.stringify(record)))).toEqual(pair);
  });

  it('reads what older records and the CLI wrote: names without a source, or none', () => {
    expect(pairFromRecord({ id: 't', steps: [], policyModel: 'p', referenceModel: 'r', modelSource: 'elsewhere' })).toEqual({ policy: 'p', reference: 'r' });
    expect(pairFromRecord({ id: 't', steps: [] })).toBeNull();
    expect(describeModelPair(null, 1)).toBe('precomputed scores (the score file names no model pair)');
    expect(describeModelPair({ policy: 'p', reference: 'r' })).toBe('policy p · reference r');
  });

  it('bundles accept pairs with and without the new fields', () => {
    expect(modelPairSchema.safeParse({ policy: 'p', reference: 'r' }).success).toBe(true);
    expect(modelPairSchema.safeParse({ policy: 'p', reference: 'r', source: 'demo', build: 'b42', dtype: 'fp32', render: 'plain', beta: 0.5, engines }).success).toBe(true);
    expect(modelPairSchema.safeParse({ policy: 'p', reference: 'r', source: 'ftp' }).success).toBe(false);
    expect(modelPairSchema.safeParse({ policy: 'p', reference: 'r', beta: 0 }).success).toBe(false);
  });
});
