/**
 * Before a download: the memory the chosen pair needs (both models' weights at the dtype and their
 * KV caches at the longest loaded trajectory) and a warning when the device will not hold it
 * (state/pair-memory.ts, core/models/memory-estimate.ts).
 */
import { useEffect, useState } from 'react';
import type { DevicePreference } from '../../core/settings';
import { estimateChoiceMemory, type PairMemoryReport } from '../../state/pair-memory';
import type { ModelChoice } from '../../state/scoring';
import { useAppStore } from '../../state/store';

/** Estimating reads the loaded trajectories' texts: wait for a pause in a big file's batches. */
const SETTLE_MS = 300;

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`;

export function PairMemoryEstimate({ choice, dtype, devicePreference }: { choice: ModelChoice; dtype: string; devicePreference: DevicePreference }) {
  const trajectoryCount = useAppStore((s) => s.trajectoryOrder.length);
  const [report, setReport] = useState<PairMemoryReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      const trajectories = Object.values(useAppStore.getState().trajectories).map((t) => t.trajectory);
      estimateChoiceMemory(choice, dtype, devicePreference, trajectories).then(
        (result) => {
          if (!current) return;
          setReport(result);
          setError(null);
        },
        (reason: unknown) => {
          if (!current) return;
          setReport(null);
          setError(reason instanceof Error ? reason.message : String(reason));
        },
      );
    }, SETTLE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [choice, dtype, devicePreference, trajectoryCount]);

  if (error) {
    return (
      <p className="muted" data-testid="memory-estimate" data-state="unknown">
        Memory needed: cannot be estimated ({error}).
      </p>
    );
  }
  if (!report) return null;
  const { estimate, warnings, sizeNotes } = report;
  const weights = (side: 'policy' | 'reference') => (estimate[side].weightsBytes === null ? 'size unknown' : megabytes(estimate[side].weightsBytes!));
  return (
    <div data-testid="memory-estimate" data-state={warnings.length > 0 ? 'warning' : 'fits'} data-total-bytes={estimate.totalBytes} data-tokens={estimate.tokens} data-complete={String(estimate.complete)}>
      <p className="muted">
        Memory needed ({estimate.dtype}): {estimate.complete ? '≈' : 'at least'} {megabytes(estimate.totalBytes)} — weights {weights('policy')} + {weights('reference')}, KV
        caches {megabytes(estimate.policy.kvCacheBytes)} + {megabytes(estimate.reference.kvCacheBytes)} at {estimate.tokens.toLocaleString('en')} tokens (the longest
        loaded trajectory, estimated at 3 characters per token){sizeNotes.length > 0 ? `; sizes from ${sizeNotes.join(', ')}` : ''}.
      </p>
      {warnings.map((warning) => (
        <p key={warning} className="notice" role="status" data-testid="memory-warning">
          This device may not hold the pair: {warning}.
        </p>
      ))}
    </div>
  );
}
