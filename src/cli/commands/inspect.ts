/**
 * `progress-advantage inspect [--json] FILE|FOLDER…`: reads trajectory files (archives and folders
 * too: cli/input.ts) with the same adapters as the app and lists what they hold (format, ids, message and action-step counts, labels). Exit status 1
 * when any file, or any record of one, could not be read; the other files are still reported.
 */
import { stat } from 'node:fs/promises';
import type { FileError, ParseResult } from '../../core/trajectory/ingest';
import type { Trajectory } from '../../core/trajectory/types';
import { appendAll, maxOf } from '../../core/arrays';
import { readTrajectoryFile } from '../input';
import { printErr, printOut, terminalSafe } from '../terminal';

const USAGE = `usage: progress-advantage inspect [--json] FILE|FOLDER…

Reads trajectory files (OpenAI chat, τ-bench, τ²-bench, Who&When, SWE-agent .traj,
ShareGPT / AgentInstruct, OpenHands / SWE-Gym, Inspect AI .json and .eval logs; JSON or
JSON Lines), .zip / .tar / .tar.gz archives of them and folders (read recursively; a
trajectory from an archive or a folder has the file's path in its id: run1/a.json:7),
and lists their trajectories.

options:
  --json      one JSON object per line and trajectory:
              {"file","index","format","id","taskId","messages","actionSteps",
               "reward","success","mistakeStep","mistakeAgent","toolCalls"} (absent
              values are null; toolCalls: the tool calls in all messages);
              a file or record that cannot be read gives {"file","error"}; a label
              that cannot be read (the trajectory is listed without it) gives
              {"file","notice"}
  -h, --help  show this help

Labels that cannot be read (a reward written as a string, a mistake step past the last
message, …) are left out of the trajectory's row and reported on stderr as "notice:" lines;
they do not change the exit status.

Exit status: 0 when everything was read, 1 when any file or record could not be, 2 for bad usage.`;

/** One trajectory as `inspect --json` prints it. */
export interface InspectRow {
  file: string;
  index: number;
  format: string;
  id: string;
  taskId: string | null;
  messages: number;
  actionSteps: number[];
  reward: number | null;
  success: boolean | null;
  mistakeStep: number | null;
  mistakeAgent: string | null;
  /** Tool calls over all messages. */
  toolCalls: number;
}

export function inspectRow(file: string, index: number, t: Trajectory): InspectRow {
  return {
    file,
    index,
    format: t.format,
    id: t.id,
    taskId: t.taskId ?? null,
    messages: t.messages.length,
    actionSteps: t.actionSteps,
    reward: t.labels.reward ?? null,
    success: t.labels.success ?? null,
    mistakeStep: t.labels.mistakeStep ?? null,
    mistakeAgent: t.labels.mistakeAgent ?? null,
    toolCalls: t.messages.reduce((count, m) => count + (m.toolCalls?.length ?? 0), 0),
  };
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function formatReward(reward: number | null): string {
  if (reward === null) return '-';
  return Number.isInteger(reward) ? String(reward) : reward.toFixed(3);
}

/** Aligned table of rows; numeric columns right-aligned. */
function renderTable(rows: InspectRow[]): string {
  const header = ['FILE', '#', 'FORMAT', 'ID', 'TASK', 'MSGS', 'STEPS', 'REWARD', 'SUCCESS', 'MISTAKE@', 'MISTAKE AGENT'];
  const rightAligned = new Set([1, 5, 6, 7, 9]);
  // Escaped before widths are measured: a control character in an id keeps the columns aligned.
  const cells = rows.map((r) => [
    terminalSafe(r.file),
    String(r.index),
    r.format,
    clip(terminalSafe(r.id), 38),
    clip(terminalSafe(r.taskId ?? '-'), 24),
    String(r.messages),
    String(r.actionSteps.length),
    formatReward(r.reward),
    r.success === null ? '-' : r.success ? 'yes' : 'no',
    r.mistakeStep === null ? '-' : String(r.mistakeStep),
    terminalSafe(r.mistakeAgent ?? '-'),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, maxOf(cells.map((row) => row[c].length))));
  const line = (row: string[]): string =>
    row
      .map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  let json = false;
  const files: string[] = [];
  let optionsDone = false;
  for (const arg of argv) {
    if (!optionsDone && arg === '--') optionsDone = true;
    else if (!optionsDone && (arg === '-h' || arg === '--help')) {
      printOut(`${USAGE}\n`);
      return 0;
    } else if (!optionsDone && arg === '--json') json = true;
    else if (!optionsDone && arg.startsWith('-') && arg !== '-') {
      printErr(`inspect: unknown option '${arg}'\n\n${USAGE}\n`);
      return 2;
    } else files.push(arg);
  }
  if (files.length === 0) {
    printErr(`inspect: no files given\n\n${USAGE}\n`);
    return 2;
  }

  let failed = false;
  const tableRows: InspectRow[] = [];
  const tableErrors: string[] = [];
  const tableNotices: string[] = [];
  for (const file of files) {
    // Trajectories become rows as they are read (JSON Lines in parts): a big file is never held whole.
    let index = 0;
    const problems: FileError[] = [];
    const take = (part: ParseResult) => {
      const rows = part.trajectories.map((t) => inspectRow(file, index++, t));
      appendAll(problems, part.errors);
      if (!json) appendAll(tableRows, rows);
      else if (rows.length > 0) printOut(`${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    };
    take(await readTrajectoryFile(file, take));
    // A notice: the record loaded without a label (core/trajectory/formats/labels.ts); it does not fail the run.
    const notices = problems.filter((e) => e.severity === 'notice');
    const errors = problems.filter((e) => e.severity !== 'notice');
    if (errors.length > 0) failed = true;
    if (json) {
      const lines = [...errors.map((e) => JSON.stringify({ file, error: e.message })), ...notices.map((e) => JSON.stringify({ file, notice: e.message }))];
      if (lines.length > 0) printOut(`${lines.join('\n')}\n`);
    } else {
      appendAll(tableErrors, errors.map((e) => e.message));
      appendAll(tableNotices, notices.map((e) => e.message));
    }
  }
  if (!json) {
    if (tableRows.length > 0) printOut(`${renderTable(tableRows)}\n`);
    const fileCount = await describeInputs(files);
    const dropped = tableNotices.length > 0 ? `, ${tableNotices.length} label${tableNotices.length === 1 ? '' : 's'} dropped` : '';
    printOut(`${tableRows.length} trajector${tableRows.length === 1 ? 'y' : 'ies'} in ${fileCount}${tableErrors.length > 0 ? `, ${tableErrors.length} error${tableErrors.length === 1 ? '' : 's'}` : ''}${dropped}\n`);
    for (const message of tableErrors) printErr(`error: ${message}\n`);
    for (const message of tableNotices) printErr(`notice: ${message}\n`);
  }
  return failed ? 1 : 0;
}

/** "2 files", "1 folder", "2 files and 1 folder": what the arguments were (a folder is read recursively). */
async function describeInputs(args: readonly string[]): Promise<string> {
  let folders = 0;
  for (const arg of args) {
    if (await stat(arg).then((info) => info.isDirectory(), () => false)) folders += 1;
  }
  const plainFiles = args.length - folders;
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  if (folders === 0) return count(plainFiles, 'file');
  return plainFiles === 0 ? count(folders, 'folder') : `${count(plainFiles, 'file')} and ${count(folders, 'folder')}`;
}
