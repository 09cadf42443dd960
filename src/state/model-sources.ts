/**
 * Where the chosen model pair comes from: the embedded demo pair (served with the app), hub ids or
 * dropped folders, as the scoring worker's sources, the score cache's identities and the names
 * exports give them.
 */
import { scoringClient, type LoadPairRequest, type ModelSource } from '../worker/scoring-client';
import { MODEL_HUB } from './model-hub';
import { folderFilesTag, type ModelSourceIdentity } from './persistence/pair-identity';
import type { PairModels } from './model-pair';

export type ModelChoice = { kind: 'demo' } | { kind: 'hub'; policy: string; reference: string } | { kind: 'folders'; policy: FolderPick | null; reference: FolderPick | null };

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
  return choice.kind !== 'folders' || (choice.policy !== null && choice.reference !== null);
}
