/**
 * Writing and reading analysis bundles: JSON, gzip-compressed, `*.pa-bundle.json.gz`. Reading is
 * all or nothing and bounded: the compressed size, the decompressed size (checked while
 * decompressing, so a zip bomb stops at the limit), UTF-8, JSON syntax, the format key and then
 * every field; the first problem is reported with the place it was found.
 */
import { gzipSync, strToU8 } from 'fflate';
import type { z } from 'zod';
import { describeValue, fieldPath } from '../scores/format';
import { BUNDLE_FORMAT, BUNDLE_FORMATS_READ, BUNDLE_FORMAT_PREFIX, bundleSchema, type AnalysisBundle } from './schema';
import { CorruptDataError, SizeLimitError, gunzipBounded, isGzip, type ByteChunks, type DecompressLimits } from './compression';
import { findTooDeep, MAX_JSON_DEPTH, MAX_TRAJECTORY_DEPTH, shownPath } from '../trajectory/json-depth';

export const BUNDLE_FILE_SUFFIX = '.pa-bundle.json.gz';

const MB = 1024 * 1024;

/** A bundle bigger than this, compressed or not, is refused before anything is built from it. */
export const BUNDLE_LIMITS: DecompressLimits = { maxCompressedBytes: 128 * MB, maxDecompressedBytes: 256 * MB };

/** A bundle that cannot be read; `message` names the file, the place (a JSON path) and the reason. */
export class BundleError extends Error {
  constructor(
    readonly fileName: string,
    /** JSON path of the offending field (`entries[2].trajectory.messages[0].role`), or null. */
    readonly place: string | null,
    readonly reason: string,
  ) {
    super(`${fileName}: ${place === null ? '' : `${place}: `}${reason}`);
    this.name = 'BundleError';
  }
}

/** The bundle as gzip-compressed JSON. Validates first: writing an invalid bundle is a bug. */
export function encodeBundle(bundle: AnalysisBundle): Uint8Array<ArrayBuffer> {
  const checked = bundleSchema.safeParse(bundle, { reportInput: true });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new Error(`cannot write the bundle: ${fieldPath(issue.path) || '(top level)'}: ${describeIssue(issue)}`);
  }
  const tooDeep = tooDeepEntry(checked.data);
  if (tooDeep) throw new Error(`cannot write the bundle: ${tooDeep.place}: ${tooDeep.reason}`);
  return gzipSync(strToU8(JSON.stringify(checked.data)), { level: 6 });
}

/** Whether the first bytes of a file say "analysis bundle": gzip, or JSON naming the bundle format. */
export function looksLikeBundle(head: Uint8Array): boolean {
  if (isGzip(head)) return true;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 512));
  return /^\uFEFF?\s*\{\s*"format"\s*:\s*"progress-advantage-bundle\//.test(text);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const article: Record<string, string> = { int: 'an integer', number: 'a finite number', array: 'an array', object: 'an object', string: 'a string', boolean: 'true or false' };
      return `expected ${article[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`}, got ${describeValue(issue.input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return issue.message;
  }
}

async function* chunksOf(blob: Blob): AsyncGenerator<Uint8Array> {
  const reader = blob.stream().getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

async function headOf(source: Blob | Uint8Array, bytes: number): Promise<Uint8Array> {
  return source instanceof Uint8Array ? source.subarray(0, bytes) : new Uint8Array(await source.slice(0, bytes).arrayBuffer());
}

/** Reads a plain (uncompressed) source, refusing more than `limit` bytes. */
async function readAll(source: ByteChunks, limit: number): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > limit) throw new SizeLimitError('decompressed', limit);
    chunks.push(chunk);
  }
  return chunks;
}

function decodeUtf8(chunks: readonly Uint8Array[], fileName: string): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parts: string[] = [];
  try {
    for (const chunk of chunks) parts.push(decoder.decode(chunk, { stream: true }));
    parts.push(decoder.decode());
  } catch {
    throw new BundleError(fileName, null, 'is not UTF-8 text once decompressed');
  }
  return parts.join('');
}

/**
 * Reads and validates a bundle (gzip-compressed or plain JSON). Throws `BundleError` naming the
 * file, the place and the reason; returns nothing partial.
 */
export async function decodeBundle(source: Blob | Uint8Array, fileName: string, limits: DecompressLimits = BUNDLE_LIMITS): Promise<AnalysisBundle> {
  const size = source instanceof Uint8Array ? source.length : source.size;
  if (size === 0) throw new BundleError(fileName, null, 'is empty');
  const compressed = isGzip(await headOf(source, 2));
  const sizeLimit = compressed ? limits.maxCompressedBytes : limits.maxDecompressedBytes;
  if (size > sizeLimit) throw new BundleError(fileName, null, new SizeLimitError(compressed ? 'compressed' : 'decompressed', sizeLimit).message);
  const chunks: ByteChunks = source instanceof Uint8Array ? [source] : chunksOf(source);

  let bytes: Uint8Array[];
  try {
    bytes = compressed ? await gunzipBounded(chunks, limits) : await readAll(chunks, limits.maxDecompressedBytes);
  } catch (error) {
    if (error instanceof SizeLimitError || error instanceof CorruptDataError) throw new BundleError(fileName, null, error.message);
    throw error;
  }
  const text = decodeUtf8(bytes, fileName);

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BundleError(fileName, null, `is not valid JSON${compressed ? ' once decompressed' : ''} (${error instanceof Error ? error.message : String(error)})`);
  }
  return validateBundle(value, fileName);
}

/**
 * The first trajectory nesting deeper than one read from a file can (json-depth.ts): the page could
 * not be sent it, nor save it. Fields the schema knows are shallow; arguments and metadata are not.
 */
function tooDeepEntry(bundle: AnalysisBundle): { place: string; reason: string } | null {
  for (let i = 0; i < bundle.entries.length; i++) {
    const tooDeep = findTooDeep(bundle.entries[i].trajectory, MAX_TRAJECTORY_DEPTH);
    if (tooDeep) {
      return {
        place: shownPath(`entries[${i}].trajectory`, tooDeep.path),
        reason: `expected a trajectory nested at most ${MAX_TRAJECTORY_DEPTH} levels deep (JSON read from files nests at most ${MAX_JSON_DEPTH}), found ${tooDeep.levels.toLocaleString('en-US')} levels`,
      };
    }
  }
  return null;
}

/** Checks a parsed value as a bundle; the first problem becomes a `BundleError` at its place. */
export function validateBundle(value: unknown, fileName: string): AnalysisBundle {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BundleError(fileName, null, `is not an analysis bundle: expected a JSON object with "format": "${BUNDLE_FORMAT}", got ${describeValue(value)}`);
  }
  const format = (value as { format?: unknown }).format;
  if (typeof format !== 'string' || !format.startsWith(BUNDLE_FORMAT_PREFIX)) {
    throw new BundleError(fileName, 'format', `is not an analysis bundle: expected "${BUNDLE_FORMAT}", got ${describeValue(format)}`);
  }
  if (!(BUNDLE_FORMATS_READ as readonly string[]).includes(format)) {
    throw new BundleError(fileName, 'format', `bundle version ${JSON.stringify(format)} is not supported; this app reads ${BUNDLE_FORMATS_READ.map((f) => JSON.stringify(f)).join(' and ')}`);
  }
  const result = bundleSchema.safeParse(value, { reportInput: true });
  if (result.success) {
    const tooDeep = tooDeepEntry(result.data);
    if (tooDeep) throw new BundleError(fileName, tooDeep.place, tooDeep.reason);
    return result.data;
  }
  const issue = result.error.issues[0];
  const place = fieldPath(issue.path);
  const more = result.error.issues.length - 1;
  const entryIndex = issue.path[0] === 'entries' && typeof issue.path[1] === 'number' ? issue.path[1] : null;
  const id = entryIndex === null ? undefined : (value as { entries: { trajectory?: { id?: unknown } }[] }).entries[entryIndex]?.trajectory?.id;
  const context = typeof id === 'string' ? ` (trajectory ${JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id)})` : '';
  throw new BundleError(fileName, place === '' ? null : place, `${describeIssue(issue)}${context}${more > 0 ? `; and ${more} more problem${more > 1 ? 's' : ''}` : ''}`);
}
