/**
 * `score`'s input and output, shared by the local engines (score.ts) and the servers
 * (score-server.ts): the command line's strict parsing and its --render / --context-policy options,
 * reading trajectory files (a file that fails is reported and the rest go on), progress and notices
 * on standard error, the JSON Lines sink and its score records, and output ids that stay unique
 * across files.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { NotScoredStep } from '../../core/engine';
import type { RenderMode } from '../../core/render';
import { serializeScoreRecord } from '../../core/scores/format';
import { labelsOf, parseContextPolicyOptions, type ContextPolicy, type TrajectoryScore } from '../../core/scoring';
import { RENDER_MODES } from '../../core/settings/vocabularies';
import type { Trajectory } from '../../core/trajectory/types';
import { readTrajectoryFile } from '../input';
import { terminalSafe } from '../terminal';
import { UsageError } from '../usage';

// ---------------------------------------------------------------------------------------------
// Command line

/** `argv` parsed strictly with positionals (the FILEs); a parse error is a UsageError, its message passed through `explain`. */
export function parseScoreArgs<const Options extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: Options, explain: (message: string) => string = (message) => message) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new UsageError(explain((error as Error).message));
  }
}

/** `--render` (already defaulted) and `--context-policy` / `--context-tokens`, checked. */
export function parseRenderAndContext(render: string, contextPolicy: string | undefined, contextTokens: string | undefined): { render: RenderMode; context: ContextPolicy } {
  if (!(RENDER_MODES as readonly string[]).includes(render)) throw new UsageError(`--render: unknown value '${render}' (expected ${RENDER_MODES.join(' | ')})`);
  try {
    return { render: render as RenderMode, context: parseContextPolicyOptions(contextPolicy, contextTokens) };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

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

type ScoreRecordInput = Parameters<typeof serializeScoreRecord>[0];
/** The keys an engine adds to a record: where the line comes from and how it was scored (docs/score.md). */
export type RecordProvenance = Omit<ScoreRecordInput, keyof ReturnType<typeof labelsOf> | 'id' | 'sourceId' | 'notScored' | 'chatMapping' | 'stepTokenCounts' | 'steps'>;

/** One output line: the trajectory's labels, its ids (`sourceId` when the output id differs), the engine's provenance, then the steps. */
export function scoreRecordLine(result: TrajectoryScore, outputId: string, sourceId: string, provenance: RecordProvenance): string {
  return serializeScoreRecord({
    ...labelsOf(result.record),
    id: outputId,
    ...(outputId !== sourceId ? { sourceId } : {}),
    ...provenance,
    notScored: result.notScored,
    ...(result.record.chatMapping ? { chatMapping: result.record.chatMapping } : {}),
    ...(result.stepTokenCounts ? { stepTokenCounts: result.stepTokenCounts } : {}),
    steps: result.record.steps,
  });
}

/** A notice per step left unscored, `where` naming the trajectory. */
export function reportNotScored(reporter: Reporter, where: string, place: { file: string; index: number; id: string }, steps: readonly NotScoredStep[]): void {
  for (const step of steps) reporter.notice(`not scored: ${where}: message ${step.message} (${step.reason}, ${step.side}): ${step.detail}`, { type: 'not-scored', ...place, ...step });
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

