/**
 * The demo's GPT-2 as a differentiable jax-js function, for training. It computes exactly the
 * function of the model builder's ONNX graph (lab/model-builder; and of src/demo/gpt2-inference.ts): learned
 * token + position embeddings, pre-LN blocks with causal multi-head attention and a GELU-tanh MLP,
 * final LayerNorm, LM head tied to the token embedding; LayerNorm epsilon from the config.
 *
 * Weights live in JavaScript as `Gpt2Weights` (Float32Array, the model-builder's layout); each call
 * copies them into fresh jax arrays, which the call consumes (jax-js' ownership rules).
 */
import './navigator-shim';
import { jit, numpy as np, nn, valueAndGrad, type Array as JaxArray } from '@jax-js/jax';
import {
  gpt2WeightShapes,
  headDimOf,
  layerNormEpsilonOf,
  type Gpt2Config,
  type Gpt2LayerWeights,
  type Gpt2Weights,
} from '../../src/demo/gpt2-weights';

type LayerParams = { [K in keyof Gpt2LayerWeights]: JaxArray };
type ModelParams = {
  tokenEmbedding: JaxArray;
  /** Only the first `sequenceLength` rows: later positions never occur in training. */
  positionEmbedding: JaxArray;
  layers: LayerParams[];
  finalNormScale: JaxArray;
  finalNormBias: JaxArray;
};

const LAYER_FIELDS = Object.keys(gpt2WeightShapes({ vocabSize: 1, contextLength: 1, embeddingDim: 1, layerCount: 1, headCount: 1 }).layer) as (keyof Gpt2LayerWeights)[];

/** A padded batch: `inputs[b, t]` predicts `targets[b, t]` (= inputs[b, t + 1]); weight 0 where nothing is learnt. */
export interface TokenBatch {
  batchSize: number;
  sequenceLength: number;
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

export interface JaxGpt2 {
  readonly sequenceLength: number;
  /** Σ weights · (−log p(target)) and its gradient, in the layout of `Gpt2Weights`. */
  lossAndGradient(weights: Gpt2Weights, batch: TokenBatch): { loss: number; gradient: Gpt2Weights };
  /** log p(targets[b, t] | inputs[b, ≤t]) for every position, [batch · sequence]. */
  targetLogProbs(weights: Gpt2Weights, batch: TokenBatch): Float32Array;
}

export function createJaxGpt2(config: Gpt2Config, sequenceLength: number, batchSize: number): JaxGpt2 {
  if (sequenceLength > config.contextLength) throw new Error(`sequenceLength ${sequenceLength} exceeds the context ${config.contextLength}`);
  const d = config.embeddingDim;
  const heads = config.headCount;
  const headDim = headDimOf(config);
  const epsilon = layerNormEpsilonOf(config);
  const shapes = gpt2WeightShapes(config);
  const B = batchSize;
  const T = sequenceLength;

  const layerNorm = (x: JaxArray, scale: JaxArray, bias: JaxArray): JaxArray => {
    const mean = np.mean(x.ref, -1, { keepdims: true });
    const centered = x.sub(mean);
    const variance = np.mean(np.square(centered.ref), -1, { keepdims: true });
    return centered.mul(np.reciprocal(np.sqrt(variance.add(epsilon)))).mul(scale).add(bias);
  };

  /** GPT-2's gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as the ONNX graph writes it. */
  const geluTanh = (x: JaxArray): JaxArray => {
    const cube = x.ref.mul(x.ref).mul(x.ref);
    const inner = x.ref.add(cube.mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(0.5).mul(np.tanh(inner).add(1));
  };

  /** [B, T, vocab] log-probabilities. */
  const forward = (params: ModelParams, inputs: JaxArray, causal: JaxArray): JaxArray => {
    const oneHot = nn.oneHot(inputs, config.vocabSize).astype(np.float32);
    // One-hot × matrix instead of a gather: the same numbers, and a gradient every backend has.
    let hidden = np.matmul(oneHot, params.tokenEmbedding.ref).add(params.positionEmbedding);
    for (const layer of params.layers) {
      const normed = layerNorm(hidden.ref, layer.ln1Scale, layer.ln1Bias);
      const qkv = np.matmul(normed, layer.attnQkvWeight).add(layer.attnQkvBias).reshape([B, T, 3, heads, headDim]);
      const [query, key, value] = np.split(qkv, 3, 2).map((part) => np.transpose(part.reshape([B, T, heads, headDim]), [0, 2, 1, 3]));
      const scores = np.matmul(query.mul(1 / Math.sqrt(headDim)), np.transpose(key, [0, 1, 3, 2]));
      const probabilities = nn.softmax(np.where(causal.ref, scores, -1e30), -1);
      const context = np.transpose(np.matmul(probabilities, value), [0, 2, 1, 3]).reshape([B, T, d]);
      hidden = hidden.add(np.matmul(context, layer.attnOutWeight).add(layer.attnOutBias));
      const normed2 = layerNorm(hidden.ref, layer.ln2Scale, layer.ln2Bias);
      const expanded = geluTanh(np.matmul(normed2, layer.mlpInWeight).add(layer.mlpInBias));
      hidden = hidden.add(np.matmul(expanded, layer.mlpOutWeight).add(layer.mlpOutBias));
    }
    causal.dispose();
    const final = layerNorm(hidden, params.finalNormScale, params.finalNormBias);
    return nn.logSoftmax(np.matmul(final, np.transpose(params.tokenEmbedding)), -1);
  };

  const pickTargets = (logProbs: JaxArray, targets: JaxArray): JaxArray =>
    logProbs.mul(nn.oneHot(targets, config.vocabSize).astype(np.float32)).sum(-1);

  const lossFunction = (params: ModelParams, inputs: JaxArray, targets: JaxArray, weights: JaxArray, causal: JaxArray): JaxArray =>
    pickTargets(forward(params, inputs, causal), targets).mul(weights).sum().mul(-1);
  const lossAndGradientJit = jit(valueAndGrad(lossFunction));
  const targetLogProbsJit = jit((params: ModelParams, inputs: JaxArray, targets: JaxArray, causal: JaxArray) =>
    pickTargets(forward(params, inputs, causal), targets),
  );

  const tensor = (data: Float32Array, shape: readonly number[]): JaxArray => np.array(new Float32Array(data)).reshape([...shape]);
  const toParams = (weights: Gpt2Weights): ModelParams => ({
    tokenEmbedding: tensor(weights.tokenEmbedding, shapes.model.tokenEmbedding),
    positionEmbedding: tensor(weights.positionEmbedding.slice(0, T * d), [T, d]),
    layers: weights.layers.map((layer) => {
      const params = {} as LayerParams;
      for (const field of LAYER_FIELDS) params[field] = tensor(layer[field], shapes.layer[field]);
      return params;
    }),
    finalNormScale: tensor(weights.finalNormScale, shapes.model.finalNormScale),
    finalNormBias: tensor(weights.finalNormBias, shapes.model.finalNormBias),
  });
  /** The array's values; dataSync() consumes the array. */
  const read = (array: JaxArray): Float32Array => Float32Array.from(array.dataSync() as ArrayLike<number>);
  const causalMask = () => np.tril(np.ones([T, T])).astype(np.bool);
  const checkBatch = (batch: TokenBatch) => {
    if (batch.batchSize !== B || batch.sequenceLength !== T) {
      throw new Error(`batch is [${batch.batchSize}, ${batch.sequenceLength}], the model was built for [${B}, ${T}]`);
    }
  };
  const ids = (values: Int32Array) => np.array(new Int32Array(values), { dtype: np.int32 }).reshape([B, T]);

  return {
    sequenceLength: T,
    lossAndGradient(weights, batch) {
      checkBatch(batch);
      const [loss, gradient] = lossAndGradientJit(
        toParams(weights),
        ids(batch.inputs),
        ids(batch.targets),
        np.array(new Float32Array(batch.weights)).reshape([B, T]),
        causalMask(),
      ) as [JaxArray, ModelParams];
      const lossValue = read(loss)[0];
      const positionGradient = new Float32Array(weights.positionEmbedding.length);
      positionGradient.set(read(gradient.positionEmbedding));
      return {
        loss: lossValue,
        gradient: {
          tokenEmbedding: read(gradient.tokenEmbedding),
          positionEmbedding: positionGradient,
          layers: gradient.layers.map((layer) => {
            const out = {} as Gpt2LayerWeights;
            for (const field of LAYER_FIELDS) out[field] = read(layer[field]);
            return out;
          }),
          finalNormScale: read(gradient.finalNormScale),
          finalNormBias: read(gradient.finalNormBias),
        },
      };
    },
    targetLogProbs(weights, batch) {
      checkBatch(batch);
      return read(targetLogProbsJit(toParams(weights), ids(batch.inputs), ids(batch.targets), causalMask()) as JaxArray);
    },
  };
}
