/**
 * Where the chosen model pair comes from: the embedded demo pair (served with the app), hub ids,
 * dropped folders or vLLM / SGLang servers, as the scoring worker's sources, the score cache's
 * identities and the names exports give them.
 */
import { normaliseBaseUrl, SERVER_NAMES, type ServerKind } from '../core/engine/server';
import type { SavedModelChoice } from '../core/settings';
import { scoringClient, type LoadPairRequest, type ModelFilesSource, type ModelSource } from '../worker/scoring-client';
import { MODEL_HUB } from './model-hub';
import { folderFilesTag, serverModelIdentity, type ModelSourceIdentity } from './persistence/pair-identity';
import type { PairModels } from './model-pair';

/** One model of a served pair as the panel holds it. */
export interface ServerModelChoice {
  /** The server's base URL (`http://host:8000`; a trailing `/v1` is dropped). */
  url: string;
  /** The served model name (vLLM's --served-model-name; SGLang's model path). */
  model: string;
  /** The tokenizer's hub id; '' for the server's own /tokenize. A dropped folder overrides it. */
  tokenizer: string;
  /** A dropped folder holding the tokenizer (not kept across reloads, like other dropped folders). */
  tokenizerFolder: FolderPick | null;
}

export interface ServerChoice {
  kind: 'server';
  engine: ServerKind;
  policy: ServerModelChoice;
  reference: ServerModelChoice;
}

export type ModelChoice =
  | { kind: 'demo' }
  | { kind: 'hub'; policy: string; reference: string }
  | { kind: 'folders'; policy: FolderPick | null; reference: FolderPick | null }
  | ServerChoice;

export const EMPTY_SERVER_CHOICE: ServerChoice = {
  kind: 'server',
  engine: 'vllm',
  policy: { url: '', model: '', tokenizer: '', tokenizerFolder: null },
  reference: { url: '', model: '', tokenizer: '', tokenizerFolder: null },
};

/** A server choice as the session keeps it (dropped tokenizer folders are not kept). */
export function savedServerChoice(choice: ServerChoice): Extract<SavedModelChoice, { kind: 'server' }> {
  const side = ({ url, model, tokenizer }: ServerModelChoice) => ({ url, model, tokenizer });
  return { kind: 'server', engine: choice.engine, policy: side(choice.policy), reference: side(choice.reference) };
}

export function serverChoiceOf(saved: Extract<SavedModelChoice, { kind: 'server' }>): ServerChoice {
  return { kind: 'server', engine: saved.engine, policy: { ...saved.policy, tokenizerFolder: null }, reference: { ...saved.reference, tokenizerFolder: null } };
}

export interface FolderPick {
  name: string;
  /** Relative path inside the folder → file. */
  files: Map<string, File>;
}

/** The embedded demo pair, served from public/models/. */
export const DEMO_PAIR = { baseUrl: `${import.meta.env.BASE_URL}models/`, policy: 'demo-policy', reference: 'demo-reference' } as const;

/** Set by vite.config.ts at build time: the demo pair's weights ship with the build, so its cached scores last one build. */
const APP_BUILD_ID: string = typeof import.meta.env.VITE_APP_BUILD_ID === 'string' ? import.meta.env.VITE_APP_BUILD_ID : 'dev';

export interface PairSources {
  policy: ModelSource;
  reference: ModelSource;
  identity: { policy: ModelSourceIdentity; reference: ModelSourceIdentity };
  label: string;
  models: PairModels;
}

export async function sourcesFor(choice: ModelChoice): Promise<PairSources> {
  switch (choice.kind) {
    case 'server':
      return serverSourcesFor(choice);
    case 'demo':
      return {
        policy: { kind: 'served', baseUrl: DEMO_PAIR.baseUrl, id: DEMO_PAIR.policy },
        reference: { kind: 'served', baseUrl: DEMO_PAIR.baseUrl, id: DEMO_PAIR.reference },
        identity: { policy: `served:${DEMO_PAIR.baseUrl}${DEMO_PAIR.policy}@${APP_BUILD_ID}`, reference: `served:${DEMO_PAIR.baseUrl}${DEMO_PAIR.reference}@${APP_BUILD_ID}` },
        label: 'embedded demo pair',
        models: { source: 'demo', policy: DEMO_PAIR.policy, reference: DEMO_PAIR.reference, build: APP_BUILD_ID },
      };
    case 'hub':
      return {
        policy: { kind: 'hub', id: choice.policy, hub: MODEL_HUB },
        reference: { kind: 'hub', id: choice.reference, hub: MODEL_HUB },
        identity: { policy: `hub:${choice.policy}`, reference: `hub:${choice.reference}` },
        label: `${choice.policy} / ${choice.reference}`,
        models: { source: 'hub', policy: choice.policy, reference: choice.reference },
      };
    case 'folders': {
      if (!choice.policy || !choice.reference) throw new Error('choose both a policy folder and a reference folder');
      const worker = scoringClient();
      const register = (pick: FolderPick) => worker.registerFolder(pick.name, new Map<string, Blob>(pick.files));
      const identity = (pick: FolderPick) => `folder:${pick.name}#${folderFilesTag(pick.files)}`;
      return {
        policy: { kind: 'dropped', id: await register(choice.policy) },
        reference: { kind: 'dropped', id: await register(choice.reference) },
        identity: { policy: identity(choice.policy), reference: identity(choice.reference) },
        label: `folders ${choice.policy.name} / ${choice.reference.name}`,
        models: { source: 'folders', policy: choice.policy.name, reference: choice.reference.name },
      };
    }
  }
}

/**
 * `?inject-webgpu-failure=load|run` in the page URL makes the next WebGPU load or forward pass fail
 * as a lost device would: how the tests (and a curious user) see the WASM fallback at work.
 */
export function injectedFailureFromUrl(): Pick<LoadPairRequest, 'injectWebGpuFailure'> {
  const value = new URLSearchParams(globalThis.location?.search ?? '').get('inject-webgpu-failure');
  return value === 'load' || value === 'run' ? { injectWebGpuFailure: value } : {};
}


export function canLoadChoice(choice: ModelChoice): boolean {
  if (choice.kind === 'server') return [choice.policy, choice.reference].every((side) => side.url.trim() !== '' && side.model.trim() !== '');
  return choice.kind !== 'folders' || (choice.policy !== null && choice.reference !== null);
}

/** Two served models: their URLs (checked), names and tokenizers; the score cache tells them by engine, URL and served name. */
async function serverSourcesFor(choice: ServerChoice): Promise<PairSources> {
  const name = SERVER_NAMES[choice.engine];
  const side = async (which: 'policy' | 'reference') => {
    const picked = choice[which];
    let url: string;
    try {
      url = normaliseBaseUrl(picked.url);
    } catch (error) {
      throw new Error(`the ${which} server: ${error instanceof Error ? error.message : String(error)}`);
    }
    const model = picked.model.trim();
    if (model === '') throw new Error(`name the ${which} model the ${name} server serves ("Check connection" lists them)`);
    // No folder and no hub id: the server's own /tokenize (null).
    const tokenizer: ModelFilesSource | null = picked.tokenizerFolder
      ? { kind: 'dropped', id: await scoringClient().registerFolder(picked.tokenizerFolder.name, new Map<string, Blob>(picked.tokenizerFolder.files)) }
      : picked.tokenizer.trim()
        ? { kind: 'hub', id: picked.tokenizer.trim(), hub: MODEL_HUB }
        : null;
    const source: ModelSource = { kind: 'server', engine: choice.engine, url, model, tokenizer };
    return { source, identity: serverModelIdentity(choice.engine, url, model), url, model };
  };
  const policy = await side('policy');
  const reference = await side('reference');
  const at = policy.url === reference.url ? ` at ${policy.url}` : ` at ${policy.url} / ${reference.url}`;
  return {
    policy: policy.source,
    reference: reference.source,
    identity: { policy: policy.identity, reference: reference.identity },
    label: `${name} ${policy.model} / ${reference.model}${at}`,
    models: {
      source: 'server',
      policy: policy.model,
      reference: reference.model,
      server: { engine: choice.engine, policy: { urls: [policy.url], model: policy.model }, reference: { urls: [reference.url], model: reference.model } },
    },
  };
}
