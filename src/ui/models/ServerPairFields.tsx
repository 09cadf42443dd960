import { useState } from 'react';
import { setModelOptions, type FolderPick } from '../../state/scoring';
import type { ServerChoice, ServerModelChoice } from '../../state/model-sources';
import { checkServerChoice, type ServerCheck } from '../../state/server-connection';
import { allowServerOriginsAndReload, allowedServerOrigins, forgetServerOriginsAndReload, originsToAllow } from '../../state/server-origins';
import { plural } from '../plural';

const SIDES = ['policy', 'reference'] as const;

/** Folder picks from an `<input webkitdirectory>`: paths relative to the picked folder. */
export function folderFromInput(files: FileList | null): FolderPick | null {
  const list = Array.from(files ?? []);
  if (list.length === 0) return null;
  const name = list[0].webkitRelativePath.split('/')[0] || 'folder';
  return { name, files: new Map(list.map((f) => [f.webkitRelativePath.split('/').slice(1).join('/') || f.name, f])) };
}

/**
 * A pair served by vLLM or SGLang: the engine, each model's server URL, served name and tokenizer
 * (a hub id or a dropped folder; left empty, the server's own /tokenize), the check of what the servers serve,
 * and the page's connect policy (a server not allowed yet is added by a reload that keeps the session).
 */
export function ServerPairFields({ choice, disabled }: { choice: ServerChoice; disabled: boolean }) {
  const [check, setCheck] = useState<{ for: string; result: ServerCheck } | null>(null);
  const [checking, setChecking] = useState(false);
  const choiceKey = JSON.stringify([choice.engine, choice.policy.url, choice.policy.model, choice.reference.url, choice.reference.model]);
  const shown = check?.for === choiceKey ? check.result : null;
  const toAllow = originsToAllow([choice.policy.url, choice.reference.url].filter((url) => url.trim() !== ''));

  const setSide = (which: (typeof SIDES)[number], patch: Partial<ServerModelChoice>) => {
    const next: ServerChoice = { ...choice, [which]: { ...choice[which], ...patch } };
    // One server often serves both models: the reference URL follows the policy's until it is set apart.
    if (which === 'policy' && patch.url !== undefined && (choice.reference.url === '' || choice.reference.url === choice.policy.url)) next.reference = { ...next.reference, url: patch.url };
    setModelOptions({ choice: next });
  };

  const runCheck = async () => {
    setChecking(true);
    try {
      const result = await checkServerChoice(choice);
      const filledChoice = { ...choice };
      for (const side of SIDES) if (result.filled[side]) filledChoice[side] = { ...choice[side], model: result.filled[side]! };
      if (filledChoice.policy !== choice.policy || filledChoice.reference !== choice.reference) setModelOptions({ choice: filledChoice });
      setCheck({ for: JSON.stringify([filledChoice.engine, filledChoice.policy.url, filledChoice.policy.model, filledChoice.reference.url, filledChoice.reference.model]), result });
    } finally {
      setChecking(false);
    }
  };

  return (
    <div className="server-pair" data-testid="server-pair">
      <div className="model-row">
        <label>
          engine{' '}
          <select data-testid="server-engine" value={choice.engine} disabled={disabled} onChange={(e) => setModelOptions({ choice: { ...choice, engine: e.currentTarget.value as ServerChoice['engine'] } })}>
            <option value="vllm">vLLM</option>
            <option value="sglang">SGLang</option>
          </select>
        </label>
      </div>
      {SIDES.map((which) => (
        <fieldset className="model-row server-side" key={which}>
          <legend>{which}</legend>
          <label>
            URL{' '}
            <input type="text" inputMode="url" placeholder="http://host:8000" data-testid={`server-url-${which}`} value={choice[which].url} disabled={disabled} onChange={(e) => setSide(which, { url: e.currentTarget.value })} />
          </label>
          <label>
            model{' '}
            <input type="text" placeholder="served name" data-testid={`server-model-${which}`} value={choice[which].model} disabled={disabled} onChange={(e) => setSide(which, { model: e.currentTarget.value })} />
          </label>
          <label title="The model's own tokenizer: trajectories are rendered and tokenized with it and sent as token ids. Empty: the server's own /tokenize.">
            tokenizer{' '}
            <input
              type="text"
              placeholder="the server's own /tokenize, or a hub id"
              data-testid={`server-tokenizer-${which}`}
              value={choice[which].tokenizer}
              disabled={disabled || choice[which].tokenizerFolder !== null}
              onChange={(e) => setSide(which, { tokenizer: e.currentTarget.value })}
            />
          </label>
          <label className="folder-pick">
            or folder{' '}
            <input
              type="file"
              data-testid={`server-tokenizer-folder-${which}`}
              // webkitdirectory is not in React's types; it is how browsers pick a whole folder.
              {...{ webkitdirectory: '' }}
              disabled={disabled}
              onChange={(e) => setSide(which, { tokenizerFolder: folderFromInput(e.currentTarget.files) })}
            />
            {choice[which].tokenizerFolder && <span className="muted"> {choice[which].tokenizerFolder!.name} ({plural(choice[which].tokenizerFolder!.files.size, 'file')})</span>}
          </label>
        </fieldset>
      ))}
      <p className="muted" data-testid="server-tokenizer-hint">
        A tokenizer left empty is the server&apos;s own: its /tokenize and /detokenize for the served name
        {choice.engine === 'sglang' ? '; SGLang’s does not apply chat templates, so for chat rendering enter the tokenizer’s hub id or folder.' : ', the chat template applied by the server.'}
      </p>
      {toAllow.length > 0 && (
        <p className="notice" role="status" data-testid="server-origin-notice">
          This page connects only to servers you entered (its Content-Security-Policy names them); {toAllow.join(', ')} {toAllow.length === 1 ? 'is' : 'are'} new.{' '}
          <button type="button" data-testid="allow-server-origins" disabled={disabled} onClick={() => void allowServerOriginsAndReload(toAllow)}>
            Allow and reload
          </button>{' '}
          <span className="muted">(the session is kept)</span>
        </p>
      )}
      {allowedServerOrigins().length > 0 && (
        <p className="muted" data-testid="allowed-server-origins">
          This page may connect to{' '}
          {allowedServerOrigins().map((origin, index) => (
            <span key={origin}>
              {index > 0 ? ', ' : ''}
              {origin}{' '}
              <button type="button" className="link-button" data-testid="forget-server-origin" data-origin={origin} disabled={disabled} onClick={() => void forgetServerOriginsAndReload([origin])}>
                forget
              </button>
            </span>
          ))}
        </p>
      )}
      <div className="model-row">
        <button type="button" data-testid="check-servers" disabled={disabled || checking} onClick={() => void runCheck()}>
          {checking ? 'Checking…' : 'Check connection'}
        </button>
      </div>
      {shown && (
        <div data-testid="server-check" data-ok={String(shown.problems.policy === null && shown.problems.reference === null)}>
          {shown.listings
            .filter((listing) => listing.served)
            .map((listing) => (
              <p key={listing.url} className="muted" data-testid="server-listing">
                {listing.url} ({listing.sides.join(' and ')}) serves{' '}
                {listing.served!.models.map((model, index) => (
                  <span key={model.name} data-testid="served-model" data-name={model.name} data-context={model.context ?? ''}>
                    {index > 0 ? ', ' : ''}“{model.name}” (max_model_len {model.context ?? 'not said'})
                  </span>
                ))}
                {listing.served!.maxPromptTokens !== null ? `; prompts up to ${listing.served!.maxPromptTokens} tokens` : ''}
              </p>
            ))}
          {SIDES.filter((side) => shown.problems[side] !== null).map((side) => (
            <p key={side} className="model-error" role="alert" data-testid={`server-check-error-${side}`}>
              {side}: {shown.problems[side]}
            </p>
          ))}
        </div>
      )}
    </div>
  );
}
