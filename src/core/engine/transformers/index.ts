/**
 * The transformers.js engine (LogprobEngine on onnxruntime-node, onnxruntime-web WASM or WebGPU),
 * split by concern: options, loading, session setup and graph fusion, graph inputs, prefix cache,
 * device buffers, and the engine itself. Imported from here only when a caller needs transformers.js.
 */
export {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MAX_ATTENTION_BYTES_PER_CHUNK,
  type ReductionMode,
  type TransformersEngine,
  type TransformersEngineOptions,
} from './options';
export { createTransformersEngine } from './load';
export { engineFromModel, ortRuntimeOf, withFusedReduction, type EngineFromModelOptions } from './session-setup';
export { engineFromParts, type EngineParts } from './engine';
export { NATIVE_IN_GRAPH_LOGITS_BYTES, READ_BACK_LOGITS_BYTES, WASM_IN_GRAPH_LOGITS_BYTES, chunkPlan, logitsByteBudget, logitsRowBudget } from './chunk-plan';
