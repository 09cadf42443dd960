import { useState } from 'react';
import { setModelOptions, useScoringStore } from '../../state/scoring';

/**
 * The paper's reference-policy study in the model panel: score with the merged reference
 * π_ref + α·(π_θ − π_ref), the two models' ONNX weights interpolated in weight space
 * (src/core/onnx/merge.ts; docs/eval.md §5). ONNX pairs only; applies at the next load.
 */
export function ReferenceMergeControl({ disabled }: { disabled: boolean }) {
  const { referenceMerge, choice, loadedPair } = useScoringStore();
  const served = choice.kind === 'server';
  // What was typed, kept while it is not a number from 0 to 1 (the last valid α stays in the store).
  const [draft, setDraft] = useState<string | null>(null);
  const shown = draft ?? String(referenceMerge ?? 0.5);
  const invalid = draft !== null && !isAlpha(draft);
  const pending = loadedPair !== null && (loadedPair.referenceMerge ?? null) !== referenceMerge;
  return (
    <div className="model-row" data-testid="reference-merge">
      <label title="Score with a reference merged toward the policy in weight space, π_ref + α·(π_θ − π_ref) (the paper's reference-policy study, its Figure 5). Both models must be ONNX files of one architecture in fp32 or fp16: quantized dtypes cannot be merged exactly and are refused. The tokenizer stays the reference's.">
        <input
          type="checkbox"
          data-testid="reference-merge-on"
          checked={referenceMerge !== null && !served}
          disabled={disabled || served}
          onChange={(e) => setModelOptions({ referenceMerge: e.currentTarget.checked ? (isAlpha(shown) ? Number(shown) : 0.5) : null })}
        />{' '}
        merged reference π_ref + α·(π_θ − π_ref), α{' '}
      </label>
      <input
        type="number"
        aria-label="merge weight α"
        data-testid="reference-merge-alpha"
        min={0}
        max={1}
        step={0.1}
        value={shown}
        aria-invalid={invalid}
        disabled={disabled || served || referenceMerge === null}
        onChange={(e) => {
          const text = e.currentTarget.value;
          setDraft(text);
          if (isAlpha(text)) setModelOptions({ referenceMerge: Number(text) });
        }}
        onBlur={() => setDraft(null)}
      />
      {invalid && (
        <span className="model-error" role="alert">
          α is a number from 0 to 1
        </span>
      )}
      {served && <span className="muted"> (ONNX pairs only: a served pair's weights are not here)</span>}
      {!served && pending && <span className="muted" data-testid="reference-merge-pending"> applies at the next load</span>}
    </div>
  );
}

function isAlpha(text: string): boolean {
  const value = text.trim() === '' ? NaN : Number(text);
  return Number.isFinite(value) && value >= 0 && value <= 1;
}
