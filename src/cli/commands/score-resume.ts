/**
 * `score --resume` for long jobs through servers (docs/servers.md): each trajectory is identified
 * by a hash of its content, written into its output line (`contentHash`); an interrupted job run
 * again with `--resume` reads the output back, skips every trajectory whose line is complete, drops
 * a last line the interruption cut short, and appends the rest. Lines written with other models or
 * settings are not mixed in: the job stops and says which setting differs.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat, truncate } from 'node:fs/promises';
import type { Trajectory } from '../../core/trajectory/types';
import type { LineSink } from './score-io';

/** sha-256 of the trajectory as read (messages, labels, ids, metadata): equal content, equal hash, whichever file or position it comes from. */
export function contentHashOf(trajectory: Trajectory): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(trajectory)).digest('hex')}`;
}

/** The record keys (dotted paths) whose values must match for lines of an earlier run to stand for this one. */
export type ResumeSettings = Record<string, unknown>;

export interface ResumeState {
  /** Content hashes of the trajectories already scored. */
  done: Set<string>;
  /** Said to the user: what was read, what was dropped. */
  notes: string[];
}

export class ResumeError extends Error {}

/**
 * Reads an earlier run's output. A last line without its newline (the job was killed while writing
 * it) is cut off the file; a complete line that is not JSON, or lacks `contentHash`, stops the run.
 */
export async function readResumeState(path: string, settings: ResumeSettings): Promise<ResumeState> {
  const found = await stat(path).catch(() => null);
  if (!found) return { done: new Set(), notes: [`--resume: ${path} does not exist yet; starting from the first trajectory`] };
  const text = await readFile(path, 'utf8');
  const notes: string[] = [];
  const lastNewline = text.lastIndexOf('\n');
  const complete = text.slice(0, lastNewline + 1);
  if (lastNewline + 1 < text.length) {
    await truncate(path, Buffer.byteLength(complete));
    notes.push(`--resume: dropped an incomplete last line of ${path} (${Buffer.byteLength(text) - Buffer.byteLength(complete)} bytes, cut short when the earlier run stopped)`);
  }
  const done = new Set<string>();
  complete.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new ResumeError(`--resume: ${path} line ${index + 1} is not JSON; it is not an output of score, or was edited`);
    }
    if (typeof record.contentHash !== 'string') throw new ResumeError(`--resume: ${path} line ${index + 1} has no contentHash: it was not written by a score run that can be resumed`);
    for (const [key, value] of Object.entries(settings)) {
      const recorded = key.split('.').reduce<unknown>((at, part) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[part] : undefined), record);
      if (JSON.stringify(recorded) !== JSON.stringify(value)) {
        throw new ResumeError(
          `--resume: ${path} line ${index + 1} was scored with ${key} ${JSON.stringify(recorded)}, this run has ${JSON.stringify(value)}; resume with the same settings, or write to another --out`,
        );
      }
    }
    done.add(record.contentHash);
  });
  notes.push(`--resume: ${path} holds ${done.size} scored trajector${done.size === 1 ? 'y' : 'ies'}`);
  return { done, notes };
}

/** Appends (or, without --resume, truncates first): each line goes out in one write, so the file only ever ends mid-line if the process dies inside that write. */
export async function openLineFile(path: string, append: boolean): Promise<LineSink> {
  const handle = await open(path, append ? 'a' : 'w');
  return {
    async write(line) {
      await handle.write(`${line}\n`);
    },
    async close() {
      await handle.close();
    },
  };
}
