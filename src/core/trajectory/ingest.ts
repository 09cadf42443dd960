/**
 * Reading trajectory files: bytes → text → JSON or JSON Lines → format adapters → trajectories,
 * with errors that name the file, the place (line:column, record, JSON path) and what was expected.
 * Pure TypeScript on web-standard APIs (TextDecoder, ReadableStream): it runs in Node, the page
 * and the ingestion worker alike. Session-shaped JSON Lines are read by session-lines.ts; the
 * result types, error constructors and per-file ids are in ingest-result.ts.
 */
import { SESSION_HEAD_LINES, type ParseContext } from './adapter';
import { FormatError } from './formats/shape';
import { fileError, IdRegistry, labelNotice, type FileError, type ParseResult } from './ingest-result';
import { DepthCheck } from './json-depth';
import { InvalidJsonText, parseJsonText } from './json-nonfinite';
import { findJsonSyntaxError } from './json-syntax';
import { detectFormat, detectSession, explainUnknownFormat } from './registry';
import { SessionLines } from './session-lines';
import type { Trajectory } from './types';
import { checkLoadedTrajectory } from './validate';
import { appendAll } from '../arrays';
import { binaryError, binaryReason, findInvalidUtf8, MAX_TEXT_CHARS, readTextStream, tooLargeError, type TextStreamOptions } from './text-input';

export { findInvalidUtf8 } from './text-input';

export type { FileError, ParseResult } from './ingest-result';

const JSON_LINES_EXTENSIONS = ['.jsonl', '.ndjson', '.jsonlines'];

export function isJsonLinesName(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return JSON_LINES_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** The error for text that parseJsonText rejected; the place and wording are ours, not the engine's. */
function jsonSyntaxError(file: string, text: string, engineError: unknown, lineOffset = 0, record?: number): FileError {
  const syntax = engineError instanceof InvalidJsonText ? engineError.syntax : findJsonSyntaxError(text, { onNonFinite: () => undefined });
  if (!syntax) {
    // Our scanner accepts what the engine refused: an engine limit (e.g. a string too long to build).
    const reason = engineError instanceof Error ? engineError.message : String(engineError);
    return fileError(file, `could not be parsed as JSON (${reason})`, { record });
  }
  return fileError(file, `invalid JSON: ${syntax.message}`, { line: syntax.line + lineOffset, column: syntax.column, record });
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Runs the adapters over one parsed value; problems become FileErrors at `where`. */
function readValue(
  fileName: string,
  value: unknown,
  where: { line?: number; record?: number },
  out: ParseResult,
  ids: IdRegistry,
): void {
  const adapter = detectFormat(value);
  if (!adapter) {
    out.errors.push(fileError(fileName, explainUnknownFormat(value).message, where));
    return;
  }
  // Dropped labels are reported only for records that loaded (a record refused later says why itself).
  const droppedLabels: { index?: number; error: FormatError }[] = [];
  const skipped = new Set<number>();
  // Nesting past MAX_JSON_DEPTH refuses the records that hold it, or else the value (json-depth.ts).
  const depth = DepthCheck.of(value);
  const ctx: ParseContext = {
    fileName,
    recordIndex: where.record,
    tooDeep: depth ? (record) => depth.recordProblem(record) : undefined,
    skipRecord(index, error) {
      skipped.add(index);
      out.errors.push(fileError(fileName, `${adapter.name}: ${error.message}`, { line: where.line, record: where.record ?? index }));
    },
    dropLabel(error, index) {
      droppedLabels.push({ index, error });
    },
  };
  let trajectories: Trajectory[];
  try {
    trajectories = adapter.parse(value, ctx);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    out.errors.push(fileError(fileName, `${adapter.name}: ${error.message}`, where));
    return;
  }
  const tooDeep = depth?.remainingProblem();
  if (tooDeep) {
    out.errors.push(fileError(fileName, `${adapter.name}: ${tooDeep.message}`, where));
    return;
  }
  for (const { index, error } of droppedLabels) {
    if (index !== undefined && skipped.has(index)) continue;
    out.errors.push(labelNotice(fileName, `${adapter.name}: ${error.message}`, { line: where.line, record: where.record ?? index }));
  }
  for (const trajectory of trajectories) {
    // One validation for loading and bundles (validate.ts): what loads can always be exported.
    const { refusal, dropped } = checkLoadedTrajectory(trajectory);
    const about = `${adapter.name}: trajectory ${JSON.stringify(trajectory.id)}`;
    if (refusal) {
      out.errors.push(fileError(fileName, `${about}: ${refusal.message}`, where));
      continue;
    }
    for (const problem of dropped) out.errors.push(labelNotice(fileName, `${about}: ${problem.path.join('.')}: ${problem.message}`, where));
    ids.claim(trajectory);
    if (where.line !== undefined) trajectory.metadata.sourceLine = where.line;
    out.trajectories.push(trajectory);
  }
}

/** A non-blank line read while the file's layout is still being decided: its value, or its syntax error. */
type HeadLine = { line: number; record: number } & ({ value: unknown } | { error: FileError });

/**
 * Incremental JSON Lines reader: feed decoded text chunks as they arrive, get the trajectories and
 * errors of the lines each chunk completes. It holds only the unfinished last line, so a large file
 * can be read from a stream without keeping its text. Every line is its own record and is
 * recognised on its own, so records of different formats may follow one another; blank lines are
 * skipped. Unless a session format (registry.ts `SESSION_ADAPTERS`) claims the file's first
 * SESSION_HEAD_LINES parsed lines: then every line goes to that format's reader, which groups them
 * into trajectories (held until then, those first lines are read in order once the format is known).
 */
export class JsonlStreamParser {
  private pending: string[] = [];
  private lineNumber = 0;
  private recordCount = 0;
  private readonly ids = new IdRegistry();
  /** The first lines, until the layout is decided; null after. */
  private head: HeadLine[] | null = [];
  private headValues = 0;
  private session: SessionLines | null = null;

  constructor(readonly fileName: string) {}

  /** Feeds the next chunk of text; returns what the lines it completed yielded. */
  push(chunk: string): ParseResult {
    const out: ParseResult = { trajectories: [], errors: [] };
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      if (newline === -1) {
        if (start < chunk.length) this.pending.push(chunk.slice(start));
        break;
      }
      let line = chunk.slice(start, newline);
      if (this.pending.length > 0) {
        line = this.pending.join('') + line;
        this.pending = [];
      }
      this.readLine(line, out);
      start = newline + 1;
    }
    return out;
  }

  /** Reads the last line (one without a final newline) and reports a file with no records. */
  end(): ParseResult {
    const out: ParseResult = { trajectories: [], errors: [] };
    if (this.pending.length > 0) {
      const line = this.pending.join('');
      this.pending = [];
      this.readLine(line, out);
    }
    if (this.head) this.decide(out);
    this.session?.end(out);
    if (this.recordCount === 0) out.errors.push(fileError(this.fileName, this.lineNumber === 0 ? 'empty file' : 'empty file (only white space)'));
    return out;
  }

  /** Non-blank lines seen so far. */
  get records(): number {
    return this.recordCount;
  }

  private readLine(rawLine: string, out: ParseResult): void {
    this.lineNumber += 1;
    let line = this.lineNumber === 1 ? stripBom(rawLine) : rawLine;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') return;
    const record = this.recordCount++;
    let entry: HeadLine;
    try {
      entry = { line: this.lineNumber, record, value: parseJsonText(line) };
    } catch (error) {
      entry = { line: this.lineNumber, record, error: jsonSyntaxError(this.fileName, line, error, this.lineNumber - 1, record) };
    }
    if (!this.head) {
      this.take(entry, out);
      return;
    }
    this.head.push(entry);
    if (!('value' in entry)) return;
    this.headValues += 1;
    // A first line that is a record of a per-line format settles it at once (records stream as they complete).
    if (this.headValues >= SESSION_HEAD_LINES || (this.headValues === 1 && detectFormat(entry.value))) this.decide(out);
  }

  /** Whether a session format claims the file's first lines; then reads the held lines in order. */
  private decide(out: ParseResult): void {
    const head = this.head ?? [];
    this.head = null;
    const adapter = detectSession(head.flatMap((entry) => ('value' in entry ? [entry.value] : [])));
    if (adapter) this.session = new SessionLines(this.fileName, adapter, this.ids);
    for (const entry of head) this.take(entry, out);
  }

  private take(entry: HeadLine, out: ParseResult): void {
    if ('error' in entry) out.errors.push(entry.error);
    else if (this.session) this.session.line(entry.value, { line: entry.line, record: entry.record }, out);
    else readValue(this.fileName, entry.value, { line: entry.line, record: entry.record }, out, this.ids);
  }
}

/** The first `count` non-blank lines of `text` that end in a newline (without a trailing '\r'), without splitting the whole text. */
function leadingLines(text: string, count: number): { lines: string[]; rest: number } {
  const lines: string[] = [];
  let start = 0;
  while (lines.length < count) {
    const newline = text.indexOf('\n', start);
    if (newline === -1) break;
    const line = text.slice(start, newline).replace(/\r$/, '');
    start = newline + 1;
    if (line.trim() !== '') lines.push(line);
  }
  return { lines, rest: start };
}

/**
 * A line that is a JSON Lines record by itself: an object or array that starts in the first column.
 * (A pretty-printed document's inner lines are indented or end in a comma, so they never qualify.)
 */
function isStandaloneRecord(line: string): boolean {
  if (!(line.startsWith('{') || line.startsWith('['))) return false;
  try {
    const value: unknown = parseJsonText(line);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
}

/** A broken JSON Lines record still opens in the first column, and is more than a lone bracket. */
function couldBeBrokenRecord(line: string): boolean {
  return (line.startsWith('{') || line.startsWith('[')) && line.trimEnd().length > 1;
}

/**
 * Whether text that is not one JSON value is JSON Lines: its first line is a record by itself and
 * something follows, or its first line looks like a broken record and the second is a record.
 */
function looksLikeJsonLines(text: string): boolean {
  const { lines, rest } = leadingLines(text, 2);
  const [first, second] = lines;
  if (first === undefined) return false;
  if (isStandaloneRecord(first)) return second !== undefined || text.slice(rest).trim() !== '';
  return second !== undefined && couldBeBrokenRecord(first) && isStandaloneRecord(second);
}

/**
 * For streams: decides from the text seen so far whether to read it as JSON Lines as it arrives
 * ('jsonl'), to hold it and read it whole at the end ('json'), or that more text is needed.
 */
export function decideLayout(fileName: string, head: string): 'jsonl' | 'json' | 'undecided' {
  if (isJsonLinesName(fileName)) return 'jsonl';
  const { lines, rest } = leadingLines(stripBom(head), 1);
  const first = lines[0];
  if (first === undefined) return 'undecided';
  if (!isStandaloneRecord(first)) return 'json';
  // A one-line JSON document followed by nothing is JSON; anything after the first line makes it JSON Lines.
  return stripBom(head).slice(rest).trim() === '' ? 'undecided' : 'jsonl';
}

function readJsonLines(fileName: string, text: string): ParseResult {
  const parser = new JsonlStreamParser(fileName);
  const first = parser.push(text);
  const last = parser.end();
  return { trajectories: [...first.trajectories, ...last.trajectories], errors: [...first.errors, ...last.errors] };
}

/**
 * Reads a whole file's text: one JSON value, or JSON Lines (by extension, or when the text is not
 * one JSON value but its lines are). JSON Lines files load every good line and report broken ones.
 */
export function parseTrajectoryText(fileName: string, text: string): ParseResult {
  const body = stripBom(text);
  if (body.trim() === '') return { trajectories: [], errors: [fileError(fileName, body === '' ? 'empty file' : 'empty file (only white space)')] };
  let value: unknown;
  try {
    value = parseJsonText(body);
  } catch (error) {
    if (isJsonLinesName(fileName) || looksLikeJsonLines(body)) return readJsonLines(fileName, body);
    return { trajectories: [], errors: [jsonSyntaxError(fileName, body, error)] };
  }
  // A session-shaped file of one line (adapter.ts SessionAdapter) is still a session.
  if (!detectFormat(value) && detectSession([value])) return readJsonLines(fileName, body);
  const out: ParseResult = { trajectories: [], errors: [] };
  if (Array.isArray(value) && value.length === 0) {
    out.errors.push(fileError(fileName, 'the file holds an empty JSON array: no trajectories'));
    return out;
  }
  readValue(fileName, value, {}, out, new IdRegistry());
  if (out.trajectories.length === 0 && out.errors.length === 0) {
    out.errors.push(fileError(fileName, `${detectFormat(value)?.name ?? 'the value'}: no trajectories in the file`));
  }
  return out;
}

/** Reads a whole file's bytes: rejects empty and binary content, then reads the text. */
export function parseTrajectoryBytes(fileName: string, bytes: Uint8Array): ParseResult {
  if (bytes.length === 0) return { trajectories: [], errors: [fileError(fileName, 'empty file')] };
  const reason = binaryReason(bytes);
  if (reason) return { trajectories: [], errors: [binaryError(fileName, reason)] };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const invalidAt = findInvalidUtf8(bytes);
    // Valid UTF-8 that still cannot be decoded is longer than a string can be.
    return { trajectories: [], errors: [invalidAt === -1 ? tooLargeError(fileName) : binaryError(fileName, `invalid UTF-8 at byte ${invalidAt}`)] };
  }
  return parseTrajectoryText(fileName, text);
}

export interface StreamOptions extends TextStreamOptions {
  /**
   * Receives JSON Lines results as they are parsed, instead of the final result holding them:
   * a caller that forwards them in batches never holds (or sends) one huge array.
   */
  onPartial?(part: ParseResult): void;
}

/**
 * Reads a file from a byte stream (`File.stream()` in the browser, a file's read stream in the
 * CLI). JSON Lines are parsed as the text arrives and never held whole, so their size is bounded
 * only by memory for the trajectories; a single JSON document is held and parsed at the end, and
 * one longer than a string can be is refused with a pointer to JSON Lines.
 */
export async function parseTrajectoryStream(fileName: string, stream: ReadableStream<Uint8Array>, options: StreamOptions = {}): Promise<ParseResult> {
  const jsonl = new JsonlStreamParser(fileName);
  const out: ParseResult = { trajectories: [], errors: [] };
  const collect = (part: ParseResult): void => {
    if (options.onPartial) {
      if (part.trajectories.length > 0 || part.errors.length > 0) options.onPartial(part);
      return;
    }
    appendAll(out.trajectories, part.trajectories);
    appendAll(out.errors, part.errors);
  };
  let layout = decideLayout(fileName, '');
  const held: string[] = [];
  let heldChars = 0;
  const read = await readTextStream(
    fileName,
    stream,
    (text) => {
      if (layout === 'jsonl') {
        collect(jsonl.push(text));
        return true;
      }
      held.push(text);
      heldChars += text.length;
      if (heldChars > MAX_TEXT_CHARS) return false;
      if (layout === 'undecided' && text.includes('\n')) {
        const head = held.join('');
        held.length = 0;
        held.push(head);
        layout = decideLayout(fileName, head);
        if (layout === 'jsonl') {
          collect(jsonl.push(head));
          held.length = 0;
          heldChars = 0;
        }
      }
      return true;
    },
    options,
  );
  if (read.error) return { trajectories: [], errors: [read.error] };
  if (read.stopped) return { trajectories: [], errors: [tooLargeError(fileName)] };
  if (read.bytesRead === 0) return { trajectories: [], errors: [fileError(fileName, 'empty file')] };
  if (layout === 'jsonl') {
    collect(jsonl.end());
    return out;
  }
  // A JSON document's trajectories go the same way as JSON Lines' (a caller forwards them in batches).
  collect(parseTrajectoryText(fileName, held.join('')));
  return out;
}
