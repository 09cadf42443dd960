/**
 * The worker's path for tests: the scoring service in-process, models from the Node host (model
 * folders named by their path), engines on the CPU through onnxruntime-node; with `serverFetch`, served
 * pairs too, their requests made by it.
 */
import { transformersEngineFactory } from '../../../../src/core/scoring';
import { folderLocation, nodeModelFiles } from '../../../../src/node/model-files';
import type { FetchLike } from '../../../../src/core/engine/server';
import { createScoringService } from '../../../../src/worker/scoring-service';
import type { ModelFilesSource } from '../../../../src/worker/scoring-protocol';

export function inProcessScoringService(serverFetch?: FetchLike): ReturnType<typeof createScoringService> {
  return createScoringService({
    files: nodeModelFiles,
    locate: (source: ModelFilesSource) => ({ location: folderLocation(source.id), label: `folder ${source.id}`, remote: false }),
    chooseDevice: async () => ({ device: 'wasm', reason: 'in-process test', adapter: null }),
    registerFolder: () => {
      throw new Error('not used');
    },
    // onnxruntime-node in place of onnxruntime-web: the device asked for is the browser's.
    engineFactory: (request) => transformersEngineFactory(nodeModelFiles)({ ...request, device: 'cpu' }),
    ...(serverFetch ? { serverFetch: () => serverFetch } : {}),
  });
}
