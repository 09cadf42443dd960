/**
 * The memory a pair needs, estimated before a download (issue 15, item 6): the weights of both
 * models at the chosen dtype (their ONNX files' sizes) plus each model's KV cache at the longest
 * loaded trajectory — layers × 2 (keys, values) × KV heads × head size × tokens × bytes per value,
 * from config.json — and whether the device will hold it (its reported memory, WASM's 4 GiB
 * address space per model, WebGPU's largest buffer). Pure: the page fetches the configs and sizes.
 */

const GIB = 1024 ** 3;

/** onnxruntime-web's WASM build addresses 32 bits: one model's session cannot grow past 4 GiB. */
export const WASM_MEMORY_LIMIT_BYTES = 4 * GIB;

/** Plain rendering of agent logs runs about 3–4 characters per token with real BPE vocabularies; 3 errs towards more tokens. */
export const CHARACTERS_PER_TOKEN_ESTIMATE = 3;

/** What the KV cache and the largest buffer depend on, read from a config.json. */
export interface ModelShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  hiddenSize: number;
  vocabSize: number;
  /** transformers.js_config.kv_cache_dtype per dtype (`float16` for fp16 / q4f16 exports). */
  kvCacheDtypes: Record<string, string>;
}

function positiveInt(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;
}

/** The shape in a config.json (a multimodal config's `text_config` where the top level has none); throws naming the missing key. */
export function modelShapeOf(config: unknown, where: string): ModelShape {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error(`${where}: config.json is not a JSON object`);
  const top = config as Record<string, unknown>;
  const text = typeof top.text_config === 'object' && top.text_config !== null ? (top.text_config as Record<string, unknown>) : {};
  const read = (...keys: string[]): number | null => {
    for (const key of keys) {
      const value = positiveInt(top[key]) ?? positiveInt(text[key]);
      if (value !== null) return value;
    }
    return null;
  };
  const require = (value: number | null, key: string): number => {
    if (value === null) throw new Error(`${where}: config.json has no ${key} (a positive integer)`);
    return value;
  };
  const layers = require(read('num_hidden_layers', 'n_layer'), 'num_hidden_layers');
  const heads = require(read('num_attention_heads', 'n_head'), 'num_attention_heads');
  const hiddenSize = require(read('hidden_size', 'n_embd'), 'hidden_size');
  const tjs = top['transformers.js_config'];
  const kvCacheDtypes = typeof tjs === 'object' && tjs !== null && typeof (tjs as Record<string, unknown>).kv_cache_dtype === 'object' ? ((tjs as { kv_cache_dtype: Record<string, string> }).kv_cache_dtype ?? {}) : {};
  return {
    layers,
    kvHeads: read('num_key_value_heads') ?? heads,
    headDim: read('head_dim') ?? Math.floor(hiddenSize / heads),
    hiddenSize,
    vocabSize: require(read('vocab_size'), 'vocab_size'),
    kvCacheDtypes,
  };
}

/** Bytes per cached key or value at a dtype: float16 where the export says so, else float32. */
export function kvBytesPerValue(shape: ModelShape, dtype: string): number {
  return shape.kvCacheDtypes[dtype] === 'float16' ? 2 : 4;
}

/** layers × 2 × kv_heads × head_dim × tokens × bytes. */
export function kvCacheBytes(shape: ModelShape, tokens: number, dtype: string): number {
  return shape.layers * 2 * shape.kvHeads * shape.headDim * tokens * kvBytesPerValue(shape, dtype);
}

/** Tokens of a rendering of `characters` characters, estimated (no tokenizer before the download). */
export function estimateTokens(characters: number): number {
  return Math.ceil(characters / CHARACTERS_PER_TOKEN_ESTIMATE);
}

export interface ModelMemoryInput {
  shape: ModelShape;
  /** The ONNX file(s) of the chosen dtype, in bytes; null when the size could not be learnt. */
  weightsBytes: number | null;
}

export interface ModelMemory {
  weightsBytes: number | null;
  kvCacheBytes: number;
  /** One layer's key (or value) tensor: the largest cache buffer WebGPU must allocate. */
  kvTensorBytes: number;
}

export interface PairMemoryEstimate {
  policy: ModelMemory;
  reference: ModelMemory;
  tokens: number;
  dtype: string;
  /** Weights (where known) and KV caches of both models. */
  totalBytes: number;
  /** False when a model's weights size is unknown: the total counts only what is known. */
  complete: boolean;
}

function modelMemory(input: ModelMemoryInput, tokens: number, dtype: string): ModelMemory {
  const kv = kvCacheBytes(input.shape, tokens, dtype);
  return { weightsBytes: input.weightsBytes, kvCacheBytes: kv, kvTensorBytes: kv / (2 * input.shape.layers) };
}

export function estimatePairMemory(policy: ModelMemoryInput, reference: ModelMemoryInput, tokens: number, dtype: string): PairMemoryEstimate {
  const sides = { policy: modelMemory(policy, tokens, dtype), reference: modelMemory(reference, tokens, dtype) };
  const totalBytes = sides.policy.kvCacheBytes + sides.reference.kvCacheBytes + (sides.policy.weightsBytes ?? 0) + (sides.reference.weightsBytes ?? 0);
  return { ...sides, tokens, dtype, totalBytes, complete: sides.policy.weightsBytes !== null && sides.reference.weightsBytes !== null };
}

/** What the device says about its memory (each where the browser tells). */
export interface DeviceMemory {
  device: 'wasm' | 'webgpu';
  /** navigator.deviceMemory in GiB (Chrome rounds down and caps it at 8). */
  deviceMemoryGiB?: number;
  /** The WebGPU adapter's maxBufferSize, in bytes. */
  maxBufferSize?: number;
}

/** Each reason the device will not hold the pair, in words; empty when nothing says it will not. */
export function memoryWarnings(estimate: PairMemoryEstimate, device: DeviceMemory): string[] {
  const warnings: string[] = [];
  if (device.deviceMemoryGiB !== undefined && estimate.totalBytes > device.deviceMemoryGiB * GIB) {
    warnings.push(`the pair needs more than the ${device.deviceMemoryGiB} GiB of memory this device reports`);
  }
  if (device.device === 'wasm') {
    for (const side of ['policy', 'reference'] as const) {
      const model = estimate[side];
      if ((model.weightsBytes ?? 0) + model.kvCacheBytes > WASM_MEMORY_LIMIT_BYTES) warnings.push(`the ${side} model needs more than the 4 GiB one WASM session can address`);
    }
  }
  if (device.device === 'webgpu' && device.maxBufferSize !== undefined) {
    const largest = Math.max(estimate.policy.kvTensorBytes, estimate.reference.kvTensorBytes);
    if (largest > device.maxBufferSize) warnings.push(`one layer's KV cache needs a buffer larger than this GPU's largest (maxBufferSize)`);
  }
  return warnings;
}
