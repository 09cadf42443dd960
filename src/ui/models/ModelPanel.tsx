import { useScoringStore, setModelOptions, loadModelPair, type ModelChoice } from '../../state/scoring';
import { EMPTY_SERVER_CHOICE } from '../../state/model-sources';
import { applyPairDefaults } from '../../state/analysis';
import type { DevicePreference, ModelDtype } from '../../core/settings';
import type { LoadedModelInfo } from '../../core/scoring';
import type { RenderMode } from '../../core/render/types';
import { formatBytes } from '../format';
import { MODEL_DTYPES } from '../../core/settings/vocabularies';
import { MODEL_PRESETS, presetSizes } from '../../core/models/presets';
import { plural } from '../plural';
import type { PairModels } from '../../state/model-pair';
import { ModelRuns } from './ModelRuns';
import { PairMemoryEstimate } from './PairMemoryEstimate';
import { ServerPairFields, folderFromInput } from './ServerPairFields';
import { ReferenceMergeControl } from './ReferenceMergeControl';

const HUB_PRESETS = MODEL_PRESETS.filter((p) => p.source === 'hub');
const DEMO_PRESET = MODEL_PRESETS.find((p) => p.id === 'demo');

const DTYPES: readonly ModelDtype[] = MODEL_DTYPES;

/** Which pair, which dtype and device, the load button, and an honest status line. */
export function ModelPanel() {
  const { choice, dtype, devicePreference, render, modelState, pairStatus, modelError, loadProgress, autoDemo, loadedPair } = useScoringStore();
  const setChoice = (c: ModelChoice) => setModelOptions({ choice: c });
  // A load the page started by itself (the first visit's demo, a reload's pair) leaves the controls
  // usable: the user's own choice or load supersedes it (state/scoring.ts supersedeAutoDemo).
  const loading = modelState === 'loading' && autoDemo !== 'loading';
  const progress = Object.values(loadProgress);
  const loaded = progress.reduce((a, p) => a + p.loaded, 0);
  const total = progress.reduce((a, p) => a + p.total, 0);

  return (
    <section className="model-panel" aria-label="Models">
      <div className="model-row">
        <label>
          Pair{' '}
          <select
            data-testid="model-source"
            value={choice.kind === 'hub' ? (HUB_PRESETS.find((p) => p.policy === choice.policy && p.reference === choice.reference)?.id ?? 'hub') : choice.kind}
            disabled={loading}
            onChange={(e) => {
              const value = e.currentTarget.value;
              const preset = HUB_PRESETS.find((p) => p.id === value);
              if (preset) {
                setChoice({ kind: 'hub', policy: preset.policy, reference: preset.reference });
                // The preset's first dtype (its list puts exact ones first): q8's dynamic int8 figures are approximate.
                if (!preset.dtypes.includes(dtype as (typeof preset.dtypes)[number])) setModelOptions({ dtype: preset.dtypes[0] });
                return;
              }
              setChoice(
                value === 'demo'
                  ? { kind: 'demo' }
                  : value === 'hub'
                    ? { kind: 'hub', policy: '', reference: '' }
                    : value === 'server'
                      ? EMPTY_SERVER_CHOICE
                      : { kind: 'folders', policy: null, reference: null },
              );
              // Each pair is read the way it was trained: the demo pair on its chat template, others as the reference code renders.
              setModelOptions({ render: value === 'demo' ? (DEMO_PRESET?.render ?? 'plain') : 'plain' });
            }}
          >
            <option value="demo">embedded demo pair</option>
            <option value="folders">local folders…</option>
            <option value="server">vLLM / SGLang server…</option>
            <optgroup label="Hugging Face hub (online)">
              {HUB_PRESETS.map((p) => (
                <option key={p.id} value={p.id} title={`${presetSizes(p)} per model. ${p.notes}`}>
                  {p.label} ({p.parameters}; {p.dtypes.join(', ')})
                </option>
              ))}
              <option value="hub">other hub ids…</option>
            </optgroup>
          </select>
        </label>
        <label>
          dtype{' '}
          <select data-testid="model-dtype" value={dtype} disabled={loading || choice.kind === 'server'} onChange={(e) => setModelOptions({ dtype: e.currentTarget.value as ModelDtype })}>
            {DTYPES.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          device{' '}
          <select
            data-testid="model-device"
            value={devicePreference}
            // A served pair runs on the servers' devices.
            disabled={loading || choice.kind === 'server'}
            onChange={(e) => setModelOptions({ devicePreference: e.currentTarget.value as DevicePreference })}
          >
            <option value="auto">auto</option>
            <option value="webgpu">WebGPU</option>
            <option value="wasm">WASM</option>
          </select>
        </label>
        <label>
          render{' '}
          <select data-testid="render-mode" value={render} onChange={(e) => setModelOptions({ render: e.currentTarget.value as RenderMode })}>
            <option value="plain">plain (reference code)</option>
            <option value="chat">chat template</option>
          </select>
        </label>
      </div>
      {choice.kind === 'folders' && (
        <div className="model-row">
          {(['policy', 'reference'] as const).map((which) => (
            <label key={which} className="folder-pick">
              {which}:{' '}
              <input
                type="file"
                data-testid={`model-folder-${which}`}
                // webkitdirectory is not in React's types; it is how browsers pick a whole folder.
                {...{ webkitdirectory: '' }}
                disabled={loading}
                onChange={(e) => setChoice({ ...choice, [which]: folderFromInput(e.currentTarget.files) })}
              />
              {choice[which] && <span className="muted"> {choice[which]!.name} ({plural(choice[which]!.files.size, 'file')})</span>}
            </label>
          ))}
        </div>
      )}
      {choice.kind === 'server' && <ServerPairFields choice={choice} disabled={loading} />}
      <ReferenceMergeControl disabled={loading} />
      {choice.kind === 'hub' && (
        <div className="model-row">
          {(['policy', 'reference'] as const).map((which) => (
            <label key={which}>
              {which}{' '}
              <input
                type="text"
                placeholder="owner/name"
                data-testid={`model-hub-${which}`}
                value={choice[which]}
                disabled={loading}
                onChange={(e) => setChoice({ ...choice, [which]: e.currentTarget.value.trim() })}
              />
            </label>
          ))}
        </div>
      )}
      <div className="model-row">
        <button type="button" data-testid="load-models" disabled={loading} onClick={() => void loadModelPair().then(applyPairDefaults)}>
          {modelState === 'ready' ? 'Reload models' : 'Load models'}
        </button>
        <span className={`model-status model-status-${modelState}`} data-testid="model-status" data-device={pairStatus?.device.device ?? ''} data-auto={autoDemo ?? ''}>
          {modelState === 'idle' && 'not loaded'}
          {modelState === 'loading' && `loading… ${total > 0 ? `${formatBytes(loaded)} / ${formatBytes(total)}` : ''}`}
          {modelState === 'ready' && 'ready'}
          {modelState === 'error' && 'error'}
        </span>
      </div>
      {!choiceIsLoaded(choice, dtype, loadedPair?.models ?? null, loadedPair?.dtype ?? null) && (
        <PairMemoryEstimate choice={choice} dtype={dtype} devicePreference={devicePreference} />
      )}
      {autoDemo && (
        <p className="muted" data-testid="auto-demo-status">
          {autoDemo === 'loading' ? 'Loading the models by itself: choose another pair to stop it.' : 'Scoring the demo episodes by itself.'}
        </p>
      )}
      {modelError && (
        <p className="model-error" role="alert" data-testid="model-error">
          {modelError}
        </p>
      )}
      {pairStatus && (
        <div className="model-facts" data-testid="model-facts">
          <p data-testid="device-reason">{pairStatus.device.reason}</p>
          {pairStatus.fallback && (
            <p className="notice" role="status" data-testid="device-fallback">
              {pairStatus.fallback}
            </p>
          )}
          {pairStatus.tokenizerNotice && (
            <p className="notice" role="status" data-testid="tokenizer-notice">
              Token-level scores, with a caveat: {pairStatus.tokenizerNotice}.
            </p>
          )}
          {pairStatus.tokenizerMismatch && (
            <p className="notice" role="status" data-testid="tokenizer-mismatch">
              Step-level scores only: {pairStatus.tokenizerMismatch}.
            </p>
          )}
          <p className="muted">
            policy: {pairStatus.policy.id} · reference: {pairStatus.reference.id} · context {pairStatus.policy.maxContext} tokens ·{' '}
            {pairStatus.policy.description} ·{' '}
            <span
              data-testid="logits-placement"
              data-placement={pairStatus.policy.logitsPlacement}
              data-reduction={pairStatus.policy.reductionPlacement}
              data-kv-cache={pairStatus.policy.kvCacheMode}
              data-logit-rows={pairStatus.policy.logitRows}
            >
              {describeEnginePlacement(pairStatus.policy)}
            </span>
          </p>
          <ModelRuns policy={pairStatus.policy} reference={pairStatus.reference} />
        </div>
      )}
    </section>
  );
}

/** Whether the chosen pair and dtype are the ones loaded (then nothing is left to download: no estimate). */
function choiceIsLoaded(choice: ModelChoice, dtype: string, loaded: PairModels | null, loadedDtype: string | null): boolean {
  if (!loaded || loadedDtype !== dtype) return false;
  if (choice.kind === 'demo') return loaded.source === 'demo';
  if (choice.kind === 'hub') return loaded.source === 'hub' && loaded.policy === choice.policy && loaded.reference === choice.reference;
  // Nothing of a served pair is downloaded: no estimate either way.
  if (choice.kind === 'server') return true;
  return loaded.source === 'folders' && loaded.policy === choice.policy?.name && loaded.reference === choice.reference?.name;
}

/** Where the logits are reduced and how the KV cache is carried, in words. */
function describeEnginePlacement(model: LoadedModelInfo): string {
  const logits =
    model.logitsPlacement === 'device'
      ? 'logits reduced on the GPU'
      : model.reductionPlacement === 'model-graph'
        ? 'logits reduced inside the model graph'
        : 'logits reduced on the CPU, chunk by chunk';
  const rows = model.logitRows === 'scored-only' ? `${logits} (computed for scored tokens only)` : logits;
  return model.kvCacheMode === 'append-only' ? `${rows}; KV cache appended in place` : rows;
}
