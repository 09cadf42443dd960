/**
 * Reads the GPT-2 weights back out of an fp32 ONNX file written by the model builder, so the shipped
 * files themselves can drive the TypeScript forward pass (sampling, exact solving).
 */
import type { Gpt2Config, Gpt2LayerWeights, Gpt2Weights } from './gpt2-weights';
import { validateGpt2Weights } from './gpt2-weights';
import { decodeOnnxModel, OnnxDataType } from '../core/onnx';

/** The initializer name of each layer field in the builder's fp32 graph. */
const LAYER_INITIALIZERS: Record<keyof Gpt2LayerWeights, string> = {
  ln1Scale: 'ln_1.weight',
  ln1Bias: 'ln_1.bias',
  attnQkvWeight: 'attn/c_attn.weight',
  attnQkvBias: 'attn/c_attn.bias',
  attnOutWeight: 'attn/c_proj.weight',
  attnOutBias: 'attn/c_proj.bias',
  ln2Scale: 'ln_2.weight',
  ln2Bias: 'ln_2.bias',
  mlpInWeight: 'mlp/c_fc.weight',
  mlpInBias: 'mlp/c_fc.bias',
  mlpOutWeight: 'mlp/c_proj.weight',
  mlpOutBias: 'mlp/c_proj.bias',
};

/** The weights stored in an fp32 model file (`onnx/model.onnx`); throws if one is missing or not float32. */
export function gpt2WeightsFromOnnx(bytes: Uint8Array, config: Gpt2Config): Gpt2Weights {
  const model = decodeOnnxModel(bytes);
  const byName = new Map(model.graph.initializer.map((tensor) => [tensor.name, tensor]));
  const read = (name: string): Float32Array => {
    const tensor = byName.get(name);
    if (!tensor) throw new Error(`ONNX file has no initializer ${name} (is it the fp32 model.onnx?)`);
    if (tensor.data_type !== OnnxDataType.FLOAT) throw new Error(`ONNX initializer ${name} is not float32`);
    const raw = tensor.raw_data;
    // Copy: raw_data may be an unaligned view into the file's buffer.
    const values = new Float32Array(raw.byteLength / 4);
    new Uint8Array(values.buffer).set(raw);
    return values;
  };
  const weights: Gpt2Weights = {
    tokenEmbedding: read('wte.weight'),
    positionEmbedding: read('wpe.weight'),
    layers: Array.from({ length: config.layerCount }, (_, layer) => {
      const fields = {} as Gpt2LayerWeights;
      for (const [field, suffix] of Object.entries(LAYER_INITIALIZERS) as [keyof Gpt2LayerWeights, string][]) fields[field] = read(`h.${layer}/${suffix}`);
      return fields;
    }),
    finalNormScale: read('ln_f.weight'),
    finalNormBias: read('ln_f.bias'),
  };
  validateGpt2Weights(config, weights);
  return weights;
}
