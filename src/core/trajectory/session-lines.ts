/**
 * Reading a session-shaped JSON Lines file (adapter.ts `SessionAdapter`; used by ingest.ts'
 * `JsonlStreamParser` once a session format has claimed the file's first lines).
 */
import type { SessionAdapter, SessionReader, SessionTrajectory } from './adapter';
import { FormatError } from './formats/shape';
import { fileError, labelNotice, type IdRegistry, type ParseResult } from './ingest-result';
import { findTooDeep, tooDeepError } from './json-depth';
import { checkLoadedTrajectory } from './validate';

/**
 * One session-shaped JSON Lines file (adapter.ts `SessionAdapter`) as its lines arrive: each line
 * goes to the adapter's reader; a line it cannot read is reported at `file:line` and left out, the
 * others kept; the trajectories it returns pass the same validation as every record's.
 */
export class SessionLines {
  private readonly reader: SessionReader;
  private readonly notices: { line: number; error: FormatError }[] = [];
  private readonly refusals: { line: number; error: FormatError }[] = [];
  private loaded = 0;
  private refused = 0;

  constructor(
    private readonly fileName: string,
    private readonly adapter: SessionAdapter,
    private readonly ids: IdRegistry,
  ) {
    this.reader = adapter.open({
      fileName,
      dropLabel: (error, line) => this.notices.push({ line, error }),
      refuse: (error, line) => this.refusals.push({ line, error }),
    });
  }

  line(value: unknown, where: { line: number; record: number }, out: ParseResult): void {
    const tooDeep = findTooDeep(value);
    try {
      if (tooDeep) throw tooDeepError('', tooDeep);
      this.emit(this.reader.readLine(value, where.line), out);
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      this.refused += 1;
      out.errors.push(fileError(this.fileName, `${this.adapter.name}: ${error.message}`, where));
    }
  }

  end(out: ParseResult): void {
    try {
      this.emit(this.reader.end(), out);
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      out.errors.push(fileError(this.fileName, `${this.adapter.name}: ${error.message}`));
      return;
    }
    if (this.loaded === 0 && this.refused === 0) out.errors.push(fileError(this.fileName, `${this.adapter.name}: no trajectories in the file`));
  }

  private emit(done: SessionTrajectory[], out: ParseResult): void {
    for (const { line, error } of this.refusals.splice(0)) {
      this.refused += 1;
      out.errors.push(fileError(this.fileName, `${this.adapter.name}: ${error.message}`, { line }));
    }
    for (const { line, error } of this.notices.splice(0)) out.errors.push(labelNotice(this.fileName, `${this.adapter.name}: ${error.message}`, { line }));
    for (const { trajectory, line } of done) {
      const { refusal, dropped } = checkLoadedTrajectory(trajectory);
      const about = `${this.adapter.name}: trajectory ${JSON.stringify(trajectory.id)}`;
      if (refusal) {
        out.errors.push(fileError(this.fileName, `${about}: ${refusal.message}`, { line }));
        continue;
      }
      for (const problem of dropped) out.errors.push(labelNotice(this.fileName, `${about}: ${problem.path.join('.')}: ${problem.message}`, { line }));
      this.ids.claim(trajectory);
      trajectory.metadata.sourceLine = line;
      this.loaded += 1;
      out.trajectories.push(trajectory);
    }
  }
}
