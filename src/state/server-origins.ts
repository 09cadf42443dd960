/**
 * The origins of the vLLM / SGLang servers the user entered, kept in localStorage for the connect
 * policy script (vite.config.ts, connectPolicyScript), which runs before the app and writes the
 * page's connect-src from them. A policy in force cannot be widened, so allowing a new server
 * saves its origin, saves the session, and reloads the page.
 */
import { connectOriginsInForce, serverOriginOf } from '../worker/scoring-client';
import { saveSessionNow } from './persistence/session';

/** The key the connect policy script reads (vite.config.ts SERVER_ORIGINS_STORAGE_KEY; a unit test holds them equal). */
export const SERVER_ORIGINS_STORAGE_KEY = 'progress-advantage.server-origins';

/** What the connect policy script accepts: a bare http(s) origin (its own check, repeated here so nothing else is saved). */
const BARE_ORIGIN = /^https?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/;

export function savedServerOrigins(storage: Pick<Storage, 'getItem'> = localStorage): string[] {
  try {
    const saved: unknown = JSON.parse(storage.getItem(SERVER_ORIGINS_STORAGE_KEY) ?? '[]');
    return Array.isArray(saved) ? saved.filter((origin): origin is string => typeof origin === 'string' && BARE_ORIGIN.test(origin)) : [];
  } catch {
    return [];
  }
}

/** The origins of `urls` that the page's policy does not allow yet (empty: all allowed, or same-origin). */
export function originsToAllow(urls: readonly string[], pageOrigin: string = globalThis.location.origin): string[] {
  const inForce = connectOriginsInForce() ?? [];
  const wanted = urls.map(serverOriginOf).filter((origin): origin is string => origin !== null && origin !== pageOrigin);
  return [...new Set(wanted)].filter((origin) => !inForce.includes(origin));
}

/** Adds the origins to the saved list (those the script would refuse are refused here, with the reason). */
export function saveServerOrigins(origins: readonly string[], storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): string[] {
  for (const origin of origins) if (!BARE_ORIGIN.test(origin)) throw new Error(`'${origin}' is not an http(s) origin (scheme, host and port only)`);
  const next = [...new Set([...savedServerOrigins(storage), ...origins])];
  storage.setItem(SERVER_ORIGINS_STORAGE_KEY, JSON.stringify(next));
  return next;
}

/** The server origins the page's policy allows now (none when the connect policy script did not run). */
export function allowedServerOrigins(): readonly string[] {
  return connectOriginsInForce() ?? [];
}

/** Removes the origins from the saved list. */
export function removeServerOrigins(origins: readonly string[], storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): string[] {
  const next = savedServerOrigins(storage).filter((origin) => !origins.includes(origin));
  storage.setItem(SERVER_ORIGINS_STORAGE_KEY, JSON.stringify(next));
  return next;
}

/** Stops allowing the origins: removes them, saves the session, reloads (the policy in force still names them until then). */
export async function forgetServerOriginsAndReload(origins: readonly string[]): Promise<void> {
  removeServerOrigins(origins);
  await saveSessionNow();
  globalThis.location.reload();
}

/** Allows the origins from the next page load on: saves them and the session, then reloads. */
export async function allowServerOriginsAndReload(origins: readonly string[]): Promise<void> {
  saveServerOrigins(origins);
  await saveSessionNow();
  globalThis.location.reload();
}
