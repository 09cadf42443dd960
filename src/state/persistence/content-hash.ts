/**
 * Stable content hashes of trajectories: the score cache is keyed by what is scored, not by where
 * it was loaded from, so re-opening a file (or the same trajectory in another file) finds its
 * scores again. 64-bit FNV-1a over a canonical JSON text: not cryptographic, just stable across
 * runs, browsers and load order.
 */
import { Fnv1a64 } from '../../core/tokenizer/fingerprint';
import type { Trajectory } from '../../core/trajectory/types';

/**
 * JSON with object keys sorted and `undefined` members left out, so two equal values always give
 * the same text whatever order their keys were written in. Numbers, strings, arrays and null are
 * written as JSON.stringify writes them (non-finite numbers become null).
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  writeCanonical(value, parts);
  return parts.join('');
}

function writeCanonical(value: unknown, out: string[]): void {
  if (value === null || typeof value !== 'object') {
    // undefined, functions and symbols only reach here inside arrays, where JSON writes null.
    out.push(value === undefined || typeof value === 'function' || typeof value === 'symbol' ? 'null' : JSON.stringify(value));
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      writeCanonical(item, out);
    });
    out.push(']');
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined && typeof record[k] !== 'function' && typeof record[k] !== 'symbol')
    .sort();
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(key), ':');
    writeCanonical(record[key], out);
  });
  out.push('}');
}

/**
 * The parts of a trajectory that decide its scores: what is rendered (messages, action steps,
 * format, which picks the plain renderer's conventions) and what the score record carries (id,
 * task, labels). `metadata` is left out: it holds where the trajectory came from (file positions,
 * source-specific extras), which must not make equal trajectories look different.
 */
export function scoredContentOf(trajectory: Trajectory): unknown {
  const { id, format, taskId, messages, actionSteps, labels } = trajectory;
  return { id, format, taskId, messages, actionSteps, labels };
}

/** `fnv1a64:<16 hex digits>` of the trajectory's scored content. */
export function trajectoryContentHash(trajectory: Trajectory): string {
  return `fnv1a64:${new Fnv1a64().update(canonicalJson(scoredContentOf(trajectory))).hex()}`;
}

const memo = new WeakMap<Trajectory, string>();

/** Trajectories are immutable once loaded: each one is hashed at most once. */
export function memoisedContentHash(trajectory: Trajectory): string {
  let hash = memo.get(trajectory);
  if (hash === undefined) {
    hash = trajectoryContentHash(trajectory);
    memo.set(trajectory, hash);
  }
  return hash;
}

/** Hashes many trajectories without blocking the page: yields to the event loop every `sliceMs`. */
export async function contentHashesOf(trajectories: readonly Trajectory[], sliceMs = 8): Promise<string[]> {
  const hashes: string[] = [];
  let sliceStart = performance.now();
  for (const t of trajectories) {
    hashes.push(memoisedContentHash(t));
    if (performance.now() - sliceStart > sliceMs) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      sliceStart = performance.now();
    }
  }
  return hashes;
}
