/**
 * How a model ran, in words: one wording for the CLI's report and the model panel (docs/score.md,
 * "What ran"). The facts themselves are `ModelExecution` (records.ts), filled by the engine.
 */
import type { EngineFallback, ModelExecution } from './records';

const DEVICE_WORDS: Record<ModelExecution['device'], string> = { cpu: 'CPU (onnxruntime-node)', wasm: 'WASM', webgpu: 'WebGPU', server: 'an inference server' };

/** Where the logits were reduced to per-token figures. */
export function describeReduction(info: Pick<ModelExecution, 'logitsPlacement' | 'reductionPlacement'>): string {
  if (info.logitsPlacement === 'device') return info.reductionPlacement === 'model-graph' ? 'logits reduced on the GPU inside the model graph' : 'logits reduced on the GPU';
  return info.reductionPlacement === 'model-graph' ? 'logits reduced inside the model graph' : 'logits reduced in a separate session, chunk by chunk';
}

/** Which rows of the LM head ran. */
export function describeHeadRows(logitRows: ModelExecution['logitRows']): string {
  return logitRows === 'scored-only' ? 'LM head run on the scored rows only' : 'LM head run at every forwarded position';
}

export function describeKvCache(mode: ModelExecution['kvCacheMode']): string {
  return mode === 'append-only' ? 'KV cache appended in place' : 'KV cache handed back whole per chunk';
}

/** `head-cut: the head search stops at …`. */
export function describeFallback(fallback: EngineFallback): string {
  return `${fallback.kind}: ${fallback.reason}`;
}

/**
 * One line: `CPU (onnxruntime-node), fp32; logits reduced inside the model graph; LM head run on
 * the scored rows only; KV cache appended in place; 512 tokens per chunk; no fallback`.
 */
export function describeExecution(info: ModelExecution): string {
  const fallbacks = info.fallbacks.length === 0 ? 'no fallback' : `${info.fallbacks.length} fallback${info.fallbacks.length === 1 ? '' : 's'}`;
  // A vLLM / SGLang server (src/core/engine/server): how it runs is the server's; one request per sequence.
  if (info.device === 'server') return `${DEVICE_WORDS.server} (${info.description}); prompt log-probs, one request per sequence of up to ${info.chunkSize} tokens; ${fallbacks}`;
  return [
    `${DEVICE_WORDS[info.device]}, ${info.dtype}`,
    describeReduction(info),
    describeHeadRows(info.logitRows),
    describeKvCache(info.kvCacheMode),
    `${info.chunkSize} tokens per chunk`,
    fallbacks,
  ].join('; ');
}
