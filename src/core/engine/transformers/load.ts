/** Loading a causal LM with transformers.js (hub or local folder, dtype → ONNX file, device) as an engine. */
import { AutoModelForCausalLM, type PreTrainedModel } from '@huggingface/transformers';
import { onnxFileOf, withModelLocation, type ModelLocation } from '../model-location';
import type { TransformersEngine, TransformersEngineOptions } from './options';
import { engineFromModel } from './session-setup';

/** Loads a causal LM with transformers.js and wraps it as an engine; dispose() releases its sessions. */
export async function createTransformersEngine(options: TransformersEngineOptions): Promise<TransformersEngine> {
  const location: ModelLocation = {
    modelId: options.modelId,
    ...(options.localModelPath !== undefined ? { localModelPath: options.localModelPath } : {}),
    ...(options.hub !== undefined ? { hub: options.hub } : {}),
  };
  const model = await loadCausalLm(location, options);
  const { files } = options;
  try {
    return await engineFromModel(model, {
      ...options,
      ownsModel: true,
      // The ONNX file transformers.js loaded, read again (its session cannot be extended) from where the host has it.
      ...(files
        ? {
            readModelBytes: (dtype: string) => {
              const path = onnxFileOf(dtype);
              return path === null ? Promise.resolve(null) : files.readModelFile(location, path).catch(() => null);
            },
          }
        : {}),
    });
  } catch (error) {
    // The model session may already be gone (released for the fused one): the first error is the one to report.
    await model.dispose().catch(() => undefined);
    throw error;
  }
}

function loadCausalLm(location: ModelLocation, options: TransformersEngineOptions): Promise<PreTrainedModel> {
  return withModelLocation(location, (modelId) =>
    AutoModelForCausalLM.from_pretrained(modelId, {
      dtype: options.dtype,
      ...(options.device !== undefined ? { device: options.device } : {}),
      ...(options.onLoadProgress ? { progress_callback: options.onLoadProgress } : {}),
    }),
  );
}
