import { describe, expect, it } from 'vitest';
import { Gpt2Model, logSoftmax } from '../../../src/demo/gpt2-inference';
import { randomGpt2Weights, type Gpt2Config } from '../../../lab/model-builder';

const config: Gpt2Config = { vocabSize: 24, contextLength: 16, embeddingDim: 16, layerCount: 2, headCount: 4 };
const model = new Gpt2Model(config, randomGpt2Weights(config, 9));

describe('Gpt2Model (TypeScript forward pass with a KV cache)', () => {
  it('scoring with a reused prefix equals scoring from scratch', () => {
    const first = [1, 5, 7, 9, 11, 2];
    const second = [1, 5, 7, 3, 4, 6, 8];
    const sequence = model.newSequence();
    sequence.scoreTokens(first, 1);
    const reused = sequence.scoreTokens(second, 2);
    const fresh = model.sequenceLogProbs(second).slice(1);
    expect(reused).toHaveLength(fresh.length);
    reused.forEach((value, index) => expect(value).toBeCloseTo(fresh[index], 12));
    expect(sequence.tokens).toEqual(second);
  });

  it('returns normalised next-token distributions that depend on the context', () => {
    const sequence = model.newSequence();
    sequence.push(1);
    const afterOne = sequence.push(5);
    expect(Array.from(afterOne, Math.exp).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const other = model.newSequence();
    other.push(2);
    expect(Math.abs(other.push(5)[0] - afterOne[0])).toBeGreaterThan(1e-6);
  });

  it('refuses positions past the context and unknown token ids', () => {
    const sequence = model.newSequence();
    expect(() => sequence.push(config.vocabSize)).toThrow(/outside the vocabulary/);
    for (let position = 0; position < config.contextLength; position++) sequence.push(1);
    expect(() => sequence.push(1)).toThrow(/context/);
    expect(() => sequence.truncate(config.contextLength + 1)).toThrow(/outside/);
  });

  it('logSoftmax is stable for large logits', () => {
    const values = logSoftmax([1000, 1000, 1000 - Math.log(2)]);
    expect(Math.exp(values[0])).toBeCloseTo(0.4, 12);
    expect(Math.exp(values[2])).toBeCloseTo(0.2, 12);
  });
});
