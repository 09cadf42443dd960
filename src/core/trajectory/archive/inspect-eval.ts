/**
 * Inspect AI's binary `.eval` logs: a ZIP archive holding `header.json` (`{version, status, eval,
 * plan, results, stats}`, written when the run finishes), `_journal/start.json` (`{version, eval,
 * plan}`, written first), `samples/<id>_epoch_<n>.json` (one EvalSample each), `summaries.json`,
 * `reductions.json` and `_journal/summaries/<n>.json`. Inspect's own reader
 * (inspect_ai/log/_recorders/eval.py, `read_log`) takes the header from header.json, or from
 * _journal/start.json while a log is still being written; logs from before header.json existed hold
 * `start.json` and `results.json` (`{status, …}`) instead. All three are read here.
 *
 * Samples are read as they come out of the archive, one at a time (the entry's text, parsed, then
 * dropped), by the `.json` adapter's own sample reader (formats/inspect-ai.ts): one trajectory per
 * sample and epoch. The header comes last in the archive, so the log's task, model and status are
 * set on the trajectories at the end, and samples are put in Inspect's own order (the `.json`
 * form's), whatever order they were written in.
 */
import type { FileError, ParseResult } from '../ingest';
import { readInspectSample } from '../formats/inspect-ai';
import { FormatError, isObject, type JsonObject } from '../formats/shape';
import { DepthCheck } from '../json-depth';
import { InvalidJsonText, parseJsonText } from '../json-nonfinite';
import { findJsonSyntaxError } from '../json-syntax';
import { MAX_TEXT_CHARS, readTextStream, tooLargeError } from '../text-input';
import type { Trajectory } from '../types';
import { checkLoadedTrajectory } from '../validate';
import { ArchiveError } from './archive-limits';
import type { EntryReader } from './zip-entries';

const ADAPTER_NAME = 'Inspect AI eval log';
const SAMPLE_ENTRY = /^samples\/[^/]+_epoch_\d+\.json$/;
const HEADER_ENTRIES = ['header.json', '_journal/start.json', 'start.json', 'results.json'] as const;
const OTHER_ENTRIES = /^(summaries\.json|summary\.json|reductions\.json|_journal\/.*)$/;

/** Whether a ZIP entry is one Inspect's `.eval` layout has: an archive holding one is read as an Inspect log. */
export function isInspectLogEntry(path: string): boolean {
  return SAMPLE_ENTRY.test(path) || (HEADER_ENTRIES as readonly string[]).includes(path) || OTHER_ENTRIES.test(path);
}

/** An error about one entry of the archive: `<archive>: <entry>[:line[:column]]: <text>`. */
export function entryError(archive: string, entry: string, text: string, where: { line?: number; column?: number } = {}): FileError {
  const place = where.line === undefined ? entry : where.column === undefined ? `${entry}:${where.line}` : `${entry}:${where.line}:${where.column}`;
  const error: FileError = { file: archive, entry, message: `${archive}: ${place}: ${text}` };
  if (where.line !== undefined) error.line = where.line;
  if (where.column !== undefined) error.column = where.column;
  return error;
}

/** The entry's whole text, or the error that stopped it (binary, not UTF-8, too long for a string). */
async function entryText(archive: string, entry: string, stream: ReadableStream<Uint8Array>): Promise<string | FileError> {
  const parts: string[] = [];
  let chars = 0;
  const read = await readTextStream(entry, stream, (text) => {
    parts.push(text);
    chars += text.length;
    return chars <= MAX_TEXT_CHARS;
  });
  const problem = read.error ?? (read.stopped ? tooLargeError(entry) : null);
  if (problem) return { file: archive, entry, message: `${archive}: ${problem.message}` };
  return parts.join('');
}

/** The entry's JSON value, or the error naming the archive, the entry and the line:column. */
function entryJson(archive: string, entry: string, text: string): { value: unknown } | { error: FileError } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { error: entryError(archive, entry, 'empty entry') };
  try {
    return { value: parseJsonText(body) };
  } catch (error) {
    const syntax = error instanceof InvalidJsonText ? error.syntax : findJsonSyntaxError(body, { onNonFinite: () => undefined });
    if (!syntax) return { error: entryError(archive, entry, `could not be parsed as JSON (${error instanceof Error ? error.message : String(error)})`) };
    return { error: entryError(archive, entry, `invalid JSON: ${syntax.message}`, { line: syntax.line, column: syntax.column }) };
  }
}

interface SampleSlot {
  entry: string;
  trajectories: Trajectory[];
  errors: FileError[];
  /** Where Inspect sorts the sample; null when its entry could not be parsed. */
  order: [number, string] | null;
}

/**
 * Inspect's sample order (inspect_ai/log/_log.py, `sort_samples`): by epoch, then by id, a number
 * compared as its decimal text zero-filled to 20 places, so that 2 comes before 10.
 */
function sampleOrder(value: unknown): [number, string] {
  const sample = isObject(value) ? value : {};
  const epoch = typeof sample.epoch === 'number' ? sample.epoch : 0;
  const id = typeof sample.id === 'string' ? sample.id : String(sample.id).padStart(20, '0');
  return [epoch, id];
}

function compareOrder(a: [number, string], b: [number, string]): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** An entry's reader that stops quietly when the archive breaks off inside the entry (the archive's own error says so). */
function untilArchiveBreaks(read: EntryReader): EntryReader {
  return async (stream) => {
    try {
      await read(stream);
    } catch (error) {
      if (!(error instanceof ArchiveError)) throw error;
    }
  };
}

/** Collects an Inspect `.eval` archive's entries into trajectories and errors. */
export class InspectEvalLog {
  private readonly headers = new Map<string, JsonObject>();
  private readonly samples: SampleSlot[] = [];
  private readonly errors: FileError[] = [];
  private sampleEntries = 0;
  private entriesSeen = 0;

  constructor(readonly archive: string) {}

  /** Whether the archive held any entry of Inspect's layout. */
  get seen(): boolean {
    return this.entriesSeen > 0;
  }

  /** The reader for one of Inspect's entries (summaries and reductions repeat the samples' scores: skipped). */
  reader(entry: string): EntryReader | null {
    this.entriesSeen += 1;
    if (SAMPLE_ENTRY.test(entry)) {
      this.sampleEntries += 1;
      const slot: SampleSlot = { entry, trajectories: [], errors: [], order: null };
      this.samples.push(slot);
      return untilArchiveBreaks((stream) => this.readSample(slot, stream));
    }
    if ((HEADER_ENTRIES as readonly string[]).includes(entry)) return untilArchiveBreaks((stream) => this.readHeader(entry, stream));
    return null;
  }

  private async readHeader(entry: string, stream: ReadableStream<Uint8Array>): Promise<void> {
    const text = await entryText(this.archive, entry, stream);
    if (typeof text !== 'string') {
      this.errors.push(text);
      return;
    }
    const parsed = entryJson(this.archive, entry, text);
    if ('error' in parsed) this.errors.push(parsed.error);
    else if (!isObject(parsed.value)) this.errors.push(entryError(this.archive, entry, `${ADAPTER_NAME}: ${FormatError.at('', 'an object {version, status, eval, …}', parsed.value).message}`));
    else this.headers.set(entry, parsed.value);
  }

  private async readSample(slot: SampleSlot, stream: ReadableStream<Uint8Array>): Promise<void> {
    const { entry } = slot;
    const text = await entryText(this.archive, entry, stream);
    if (typeof text !== 'string') {
      slot.errors.push(text);
      return;
    }
    const parsed = entryJson(this.archive, entry, text);
    if ('error' in parsed) {
      slot.errors.push(parsed.error);
      return;
    }
    slot.order = sampleOrder(parsed.value);
    const tooDeep = DepthCheck.of(parsed.value)?.remainingProblem();
    if (tooDeep) {
      slot.errors.push(entryError(this.archive, entry, `${ADAPTER_NAME}: ${tooDeep.message}`));
      return;
    }
    const dropped: FormatError[] = [];
    let trajectory: Trajectory;
    try {
      trajectory = readInspectSample(parsed.value, '', {}, (error) => dropped.push(error));
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      slot.errors.push(entryError(this.archive, entry, `${ADAPTER_NAME}: ${error.message}`));
      return;
    }
    const { refusal, dropped: invalid } = checkLoadedTrajectory(trajectory);
    const about = `${ADAPTER_NAME}: trajectory ${JSON.stringify(trajectory.id)}`;
    if (refusal) {
      slot.errors.push(entryError(this.archive, entry, `${about}: ${refusal.message}`));
      return;
    }
    const notice = (text: string): FileError => ({ ...entryError(this.archive, entry, `${text}; the trajectory is loaded without this label`), severity: 'notice' });
    for (const error of dropped) slot.errors.push(notice(`${ADAPTER_NAME}: ${error.message}`));
    for (const problem of invalid) slot.errors.push(notice(`${about}: ${problem.path.join('.')}: ${problem.message}`));
    trajectory.metadata.archiveEntry = entry;
    slot.trajectories.push(trajectory);
  }

  /**
   * The log's trajectories with its task, model and status, and every problem, samples in archive
   * order. `brokenOff`: the archive ended early (its own error says so), so a missing header or
   * missing samples are no news; the samples read before the break are kept.
   */
  finish(brokenOff = false): ParseResult {
    const out: ParseResult = { trajectories: [], errors: [...this.errors] };
    const header = this.headers.get('header.json');
    const start = this.headers.get('_journal/start.json') ?? this.headers.get('start.json');
    const results = this.headers.get('results.json');
    const spec = header ?? start ?? (brokenOff ? {} : undefined);
    if (!spec) {
      const samples = this.sampleEntries === 0 ? ' and no samples/<id>_epoch_<n>.json entries' : '';
      out.errors.push({
        file: this.archive,
        message: `${this.archive}: ${ADAPTER_NAME}: the archive has no header.json (nor _journal/start.json, which names the task and model)${samples}: not a complete .eval log`,
      });
      return out;
    }
    if (this.sampleEntries === 0 && !brokenOff) {
      const status = typeof (header ?? results)?.status === 'string' ? `status "${(header ?? results)!.status as string}"` : 'no status';
      out.errors.push({
        file: this.archive,
        message: `${this.archive}: ${ADAPTER_NAME}: the archive has no samples/<id>_epoch_<n>.json entries (${status}: header-only, or written without samples)`,
      });
      return out;
    }
    const evalSpec = isObject(spec.eval) ? spec.eval : {};
    // A log without header.json is still being written (or was cut off): Inspect calls it "started".
    const status = header?.status ?? results?.status ?? 'started';
    const seen = new Set<string>();
    // Samples in Inspect's own order (the .json form's), whatever order they were written in.
    const ordered = this.samples.filter((slot) => slot.order !== null).sort((a, b) => compareOrder(a.order!, b.order!));
    for (const slot of [...ordered, ...this.samples.filter((slot) => slot.order === null)]) {
      for (const trajectory of slot.trajectories) {
        trajectory.metadata.task = evalSpec.task;
        trajectory.metadata.model = evalSpec.model;
        trajectory.metadata.status = status;
        let id = trajectory.id;
        for (let n = 2; seen.has(id); n++) id = `${trajectory.id}~${n}`;
        seen.add(id);
        trajectory.id = id;
        out.trajectories.push(trajectory);
      }
      for (const error of slot.errors) out.errors.push(error);
    }
    return out;
  }
}
