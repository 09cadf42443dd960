/** The pair memory estimate (issue 15, item 6) on the real-format configs, against hand-written arithmetic. */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WASM_MEMORY_LIMIT_BYTES, estimatePairMemory, estimateTokens, kvCacheBytes, memoryWarnings, modelShapeOf } from '../../../../src/core/models/memory-estimate';

const REALFORMAT = resolve(__dirname, '../../../../../shared/models/realformat');
const configOf = (name: string): unknown => JSON.parse(readFileSync(join(REALFORMAT, name, 'config.json'), 'utf8'));

describe('memory estimate', () => {
  it('reads the shape from Qwen3 and Llama 3 configs (GQA: 2 KV heads of 8 for 4 query heads)', () => {
    expect(modelShapeOf(configOf('qwen3-policy'), 'qwen3-policy')).toEqual({
      layers: 2,
      kvHeads: 2,
      headDim: 8,
      hiddenSize: 16,
      vocabSize: 151936,
      kvCacheDtypes: { q4f16: 'float16', fp16: 'float16' },
    });
    expect(modelShapeOf(configOf('llama3-reference'), 'llama3-reference')).toMatchObject({ layers: 2, kvHeads: 2, headDim: 8, vocabSize: 128256 });
  });

  it('reads a multimodal config’s text_config (Gemma 3) and derives head_dim and KV heads where absent', () => {
    const gemma = { model_type: 'gemma3', text_config: { num_hidden_layers: 26, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 256, hidden_size: 1152, vocab_size: 262144 } };
    expect(modelShapeOf(gemma, 'gemma')).toMatchObject({ layers: 26, kvHeads: 1, headDim: 256, vocabSize: 262144 });
    const gpt2 = { n_layer: 2, n_head: 4, n_embd: 64, vocab_size: 64 };
    expect(modelShapeOf(gpt2, 'gpt2')).toMatchObject({ layers: 2, kvHeads: 4, headDim: 16 });
  });

  it('says which key is missing', () => {
    expect(() => modelShapeOf({ num_attention_heads: 4, hidden_size: 16, vocab_size: 10 }, 'owner/model')).toThrow('owner/model: config.json has no num_hidden_layers (a positive integer)');
    expect(() => modelShapeOf([], 'x')).toThrow('x: config.json is not a JSON object');
  });

  it('KV cache = layers × 2 × kv_heads × head_dim × tokens × bytes (float16 where the export says so)', () => {
    const shape = modelShapeOf(configOf('qwen3-policy'), 'q');
    expect(kvCacheBytes(shape, 1000, 'fp32')).toBe(2 * 2 * 2 * 8 * 1000 * 4);
    expect(kvCacheBytes(shape, 1000, 'q4')).toBe(256_000);
    expect(kvCacheBytes(shape, 1000, 'fp16')).toBe(128_000);
    expect(estimateTokens(3001)).toBe(1001);
  });

  it('adds both models’ weights and caches; an unknown size leaves the total incomplete', () => {
    const policy = { shape: modelShapeOf(configOf('qwen3-policy'), 'p'), weightsBytes: statSync(join(REALFORMAT, 'qwen3-policy/onnx/model_q4.onnx')).size };
    const reference = { shape: modelShapeOf(configOf('qwen3-reference'), 'r'), weightsBytes: statSync(join(REALFORMAT, 'qwen3-reference/onnx/model_q4.onnx')).size };
    const estimate = estimatePairMemory(policy, reference, 2678, 'q4');
    expect(estimate.totalBytes).toBe(policy.weightsBytes + reference.weightsBytes + 2 * (2 * 2 * 2 * 8 * 2678 * 4));
    expect(estimate.complete).toBe(true);
    expect(estimate.policy.kvTensorBytes).toBe(2 * 8 * 2678 * 4);
    const unknown = estimatePairMemory({ ...policy, weightsBytes: null }, reference, 2678, 'q4');
    expect(unknown.complete).toBe(false);
    expect(unknown.totalBytes).toBe(reference.weightsBytes + 2 * 685_568);
  });

  it('warns for the device’s reported memory, WASM’s 4 GiB per session and WebGPU’s largest buffer; not when it fits', () => {
    const shape = modelShapeOf(configOf('qwen3-policy'), 'p');
    const small = estimatePairMemory({ shape, weightsBytes: 10e6 }, { shape, weightsBytes: 10e6 }, 1000, 'fp32');
    expect(memoryWarnings(small, { device: 'wasm', deviceMemoryGiB: 8 })).toEqual([]);
    expect(memoryWarnings(small, { device: 'wasm', deviceMemoryGiB: 0.015 })).toEqual(['the pair needs more than the 0.015 GiB of memory this device reports']);
    const big = estimatePairMemory({ shape, weightsBytes: WASM_MEMORY_LIMIT_BYTES }, { shape, weightsBytes: 1e9 }, 1000, 'fp32');
    expect(memoryWarnings(big, { device: 'wasm' })).toEqual(['the policy model needs more than the 4 GiB one WASM session can address']);
    expect(memoryWarnings(big, { device: 'webgpu', maxBufferSize: 2 * 8 * 1000 * 4 - 1 })).toEqual(["one layer's KV cache needs a buffer larger than this GPU's largest (maxBufferSize)"]);
    expect(memoryWarnings(big, { device: 'webgpu', maxBufferSize: 2 * 8 * 1000 * 4 })).toEqual([]);
  });
});
