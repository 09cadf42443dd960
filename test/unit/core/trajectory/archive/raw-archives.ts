/**
 * Test oracles for archives, independent of the product's readers (fflate's streaming Unzip, our
 * tar reader): a ZIP is read through its central directory with node:zlib's inflateRawSync, and an
 * Inspect sample's counts are computed straight from its JSON. Archives to read are built with
 * fflate's zipSync and with GNU tar (a different writer from the one reading them).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

/** Every entry of a ZIP archive by name, found through the central directory. */
export function rawZipEntries(zip: Uint8Array): Map<string, Buffer> {
  const buf = Buffer.from(zip);
  let end = -1;
  for (let i = buf.length - 22; i >= 0; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('no end-of-central-directory record');
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const out = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory');
    const method = buf.readUInt16LE(at + 10);
    const compressedSize = buf.readUInt32LE(at + 20);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataStart, dataStart + compressedSize);
    out.set(name, method === 0 ? Buffer.from(data) : inflateRawSync(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

/** Where the local header of the entry `name` starts, as the central directory records it. */
export function localHeaderOffset(zip: Uint8Array, name: string): number {
  const buf = Buffer.from(zip);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = buf.readUInt32LE(end + 16);
  for (let n = buf.readUInt16LE(end + 10); n > 0; n--) {
    const nameLength = buf.readUInt16LE(at + 28);
    if (buf.subarray(at + 46, at + 46 + nameLength).toString('utf8') === name) return buf.readUInt32LE(at + 42);
    at += 46 + nameLength + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  throw new Error(`no entry ${name}`);
}

/** JSON as Python writes it: NaN and ±Infinity outside strings read as numbers (the fixtures' own writer). */
export function parsePythonJson(text: string): unknown {
  return JSON.parse(text.replace(/("(?:[^"\\]|\\.)*")|-?Infinity|NaN/g, (m, str: string | undefined) => (str ? str : m === 'NaN' ? 'null' : m.startsWith('-') ? '-1e999' : '1e999')));
}

export interface SampleCounts {
  id: string;
  messages: number;
  actionSteps: number;
  toolCalls: number;
  success: boolean | undefined;
}

type Json = Record<string, unknown>;

/**
 * What one Inspect sample holds: its messages (the output message added when it is not the last
 * assistant message already), the assistant turns, the tool calls, and success from the first score.
 */
export function inspectSampleCounts(sample: Json): SampleCounts {
  const messages = sample.messages as Json[];
  const output = ((sample.output as Json | undefined)?.choices as Json[] | undefined)?.[0]?.message as Json | undefined;
  const assistants = messages.filter((m) => m.role === 'assistant');
  const outputIncluded = !output || assistants.some((m) => (m.id !== undefined && m.id === output.id) || JSON.stringify(m.content) === JSON.stringify(output.content));
  const all = outputIncluded ? messages : [...messages, output];
  const firstScore = Object.values((sample.scores as Json | undefined) ?? {})[0] as Json | undefined;
  const value = firstScore?.value;
  const success =
    typeof value === 'number' ? value >= 1 : typeof value === 'boolean' ? value : value === 'C' ? true : value === 'I' || value === 'P' || value === 'N' ? false : undefined;
  return {
    id: `${String(sample.id)}#${String(sample.epoch)}`,
    messages: all.length,
    actionSteps: all.filter((m) => m.role === 'assistant').length,
    toolCalls: all.reduce((n, m) => n + ((m.tool_calls as unknown[] | undefined)?.length ?? 0), 0),
    success,
  };
}

/** The counts of every sample in an `.eval` archive, in entry-name order. */
export function evalArchiveCounts(zip: Uint8Array): SampleCounts[] {
  return [...rawZipEntries(zip)]
    .filter(([name]) => /^samples\/.+_epoch_\d+\.json$/.test(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, bytes]) => inspectSampleCounts(parsePythonJson(bytes.toString('utf8')) as Json));
}

/** A tar archive of `files` (path → bytes, in this order) written by GNU tar; `gzip` adds -z. */
export function gnuTar(files: Record<string, Uint8Array | string>, options: { gzip: boolean; format?: 'gnu' | 'pax' }): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'pa-tar-'));
  try {
    for (const [name, bytes] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), bytes);
    }
    // Fixed times and owners: the same files give the same bytes on every run.
    const args = [options.gzip ? '-cz' : '-c', `--format=${options.format ?? 'gnu'}`, '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-f', '-', '-C', dir, ...Object.keys(files)];
    return execFileSync('tar', args, { maxBuffer: 1 << 28 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A ZIP of `files` written by Info-ZIP's `zip` to a pipe, as streaming writers do: each entry's sizes in a data descriptor after it. */
export function infoZipStreamed(files: Record<string, Uint8Array | string>, options: { stored: boolean }): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'pa-zip-'));
  try {
    for (const [name, bytes] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), bytes);
    }
    // `zip … -` writes to standard output, here a pipe it cannot seek back in.
    return execFileSync('zip', ['-q', options.stored ? '-0' : '-6', '-', ...Object.keys(files)], { cwd: dir, maxBuffer: 1 << 28 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
