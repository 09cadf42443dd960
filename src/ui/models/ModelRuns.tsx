/** How each loaded model runs (issue 15, item 5): device, dtype, reduction, head rows, KV cache, chunk size and every fallback with its reason. */
import { describeExecution, describeFallback, type LoadedModelInfo } from '../../core/scoring';

export function ModelRuns({ policy, reference }: { policy: LoadedModelInfo; reference: LoadedModelInfo }) {
  return (
    <ul className="model-runs" data-testid="model-runs">
      {([['policy', policy], ['reference', reference]] as const).map(([side, info]) => (
        <li
          key={side}
          data-testid={`model-run-${side}`}
          data-device={info.device}
          data-dtype={info.dtype}
          data-placement={info.logitsPlacement}
          data-reduction={info.reductionPlacement}
          data-kv-cache={info.kvCacheMode}
          data-logit-rows={info.logitRows}
          data-chunk-size={info.chunkSize}
          data-fallbacks={info.fallbacks.map((f) => f.kind).join(' ')}
        >
          {side} ({info.id}): {describeExecution(info)}
          {info.fallbacks.length > 0 && (
            <ul>
              {info.fallbacks.map((fallback, index) => (
                <li key={index} className="notice" data-testid={`model-fallback-${side}`} data-kind={fallback.kind}>
                  fallback, {describeFallback(fallback)}
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}
