/**
 * `score`'s input and output: reading trajectory files (a file that fails is reported and the
 * rest go on), progress and notices on standard error, the JSON Lines sink, and output ids that
 * stay unique across files.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Trajectory } from '../../core/trajectory/types';
import { readTrajectoryFile } from '../input';
import { terminalSafe } from '../terminal';

// ---------------------------------------------------------------------------------------------
// Standard error: progress (left out with --quiet) and notices (always); with --json, one JSON
// object per line instead of text (docs/score.md lists the types).

/** A structured report line (`--json`): its `type` and fields; `text` is added from the line's words. */
export type ReportEvent = { type: string } & Record<string, unknown>;

/** The `type` of a notice given as text: `error: …` → error, `not scored: …` → not-scored, else notice. */
function noticeType(line: string): string {
  if (line.startsWith('error:')) return 'error';
  if (line.startsWith('not scored:')) return 'not-scored';
  return 'notice';
}

export class Reporter {
  private statusShown = false;
  private readonly live: boolean;

  constructor(
    private readonly quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly json = false,
  ) {
    this.live = !quiet && !json && stream.isTTY === true;
  }

  /** Progress and summaries. */
  info(line: string, event: ReportEvent = { type: 'info' }): void {
    if (!this.quiet) this.emit(line, event);
  }

  /** What the user must see: fallbacks, steps not scored, errors. */
  notice(line: string, event: ReportEvent = { type: noticeType(line) }): void {
    this.emit(line, event);
  }

  /** A line that the next one overwrites (terminals only). */
  status(line: string): void {
    if (!this.live) return;
    this.stream.write(`\r${terminalSafe(line)}\x1b[K`);
    this.statusShown = true;
  }

  private emit(line: string, event: ReportEvent): void {
    // JSON.stringify escapes every control character: the line is terminal-safe as it is.
    if (this.json) this.stream.write(`${JSON.stringify({ ...event, text: line })}\n`);
    else this.write(`score: ${line}\n`);
  }

  private write(text: string): void {
    if (this.statusShown) {
      this.stream.write('\r\x1b[K');
      this.statusShown = false;
    }
    this.stream.write(terminalSafe(text));
  }
}

export interface TrajectoryEntry {
  file: string;
  /** Position of the trajectory in its file. */
  index: number;
  trajectory: Trajectory;
}

export async function readTrajectories(files: readonly string[], reporter: Reporter): Promise<{ entries: TrajectoryEntry[]; failed: boolean }> {
  const entries: TrajectoryEntry[] = [];
  let failed = false;
  for (const file of files) {
    const { trajectories, errors: problems } = await readTrajectoryFile(file);
    // A dropped label (severity 'notice') is said but does not fail the run: its trajectory is scored.
    const errors = problems.filter((e) => e.severity !== 'notice');
    for (const problem of problems) reporter.notice(`${problem.severity === 'notice' ? 'notice' : 'error'}: ${problem.message}`);
    if (errors.length > 0) failed = true;
    trajectories.forEach((trajectory, index) => entries.push({ file, index, trajectory }));
    reporter.info(`${file}: ${trajectories.length} trajector${trajectories.length === 1 ? 'y' : 'ies'}${errors.length > 0 ? `, ${errors.length} error${errors.length === 1 ? '' : 's'}` : ''}`);
  }
  // Every engine's run ends here when there is nothing to score: one wording for all of them.
  if (entries.length === 0) reporter.notice('error: no trajectory to score');
  return { entries, failed };
}

// ---------------------------------------------------------------------------------------------
// Output

export interface LineSink {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

function sinkOn(stream: Writable, closeStream: boolean, escape: (line: string) => string = (line) => line): LineSink {
  let streamError: Error | null = null;
  stream.on('error', (error) => {
    streamError = error;
  });
  return {
    async write(line) {
      if (streamError) throw streamError;
      if (!stream.write(`${escape(line)}\n`)) await once(stream, 'drain');
    },
    async close() {
      if (streamError) throw streamError;
      if (closeStream) {
        stream.end();
        await once(stream, 'finish');
      }
    },
  };
}

export async function openSink(out: string | null): Promise<LineSink> {
  // Standard output may be a terminal: control characters escaped (the JSON means the same).
  if (out === null) return sinkOn(process.stdout, false, terminalSafe);
  const stream = createWriteStream(out);
  await once(stream, 'open');
  return sinkOn(stream, true);
}

/** Ids unique across all files (the score format requires it within a file): later repeats get `~2`, `~3`, … */
export class OutputIds {
  private readonly used = new Set<string>();

  claim(id: string): string {
    let candidate = id;
    for (let n = 2; this.used.has(candidate); n++) candidate = `${id}~${n}`;
    this.used.add(candidate);
    return candidate;
  }
}

