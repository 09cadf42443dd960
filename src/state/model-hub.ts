/**
 * Where the page reads hub models from: huggingface.co, unless the build names another server
 * laid out like the hub (`VITE_MODEL_HUB`, a URL or a path of the app's own origin). The browser
 * tests build with `VITE_MODEL_HUB=/test-hub/`, which their preview server forwards to a local
 * server (test/e2e/global-setup.ts); a production build leaves it unset. Read here only.
 */
import { HUGGING_FACE_HUB, hubFileUrl, type HubLocation } from '../core/engine/model-location';

function hubOfBuild(): HubLocation {
  const configured: unknown = import.meta.env.VITE_MODEL_HUB;
  if (typeof configured !== 'string' || configured === '') return HUGGING_FACE_HUB;
  const host = new URL(configured, globalThis.location?.origin ?? 'http://localhost/').href;
  return { host: host.endsWith('/') ? host : `${host}/`, pathTemplate: HUGGING_FACE_HUB.pathTemplate };
}

export const MODEL_HUB: HubLocation = hubOfBuild();

/** The URL of a file of a hub model on the page's hub. */
export function modelHubFileUrl(modelId: string, path: string): string {
  return hubFileUrl(MODEL_HUB, modelId, path);
}
