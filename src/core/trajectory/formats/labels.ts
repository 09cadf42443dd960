/**
 * Reading a record's labels (reward, success, the decisive mistake) the same way in every format.
 * A label the file holds but that cannot be read — a reward written as a string ("1"), one that is
 * not finite (1e400), a mistake step that is negative, fractional or past the last message — is
 * never guessed at and never dropped silently: it is reported through `DropLabel` (the ingestion
 * turns it into a notice naming the file, the record and the JSON path) and the trajectory loads
 * without it. Missing and null labels are simply absent.
 */
import type { ParseContext } from '../adapter';
import type { Labels } from '../types';
import { booleanFlag, successFromReward } from './messages';
import { FormatError, pathJoin, type JsonObject } from './shape';

/** Reports a label that could not be read; the record is loaded without it. */
export type DropLabel = (error: FormatError) => void;

/** The `DropLabel` of one record: `index` is its position in a multi-record value (undefined for the file's only record). */
export function labelDropper(ctx: ParseContext, index?: number): DropLabel {
  return (error) => ctx.dropLabel(error, index);
}

/** A reward: a finite number. A string is not read as a number (it may be a grade, a label, a typo). */
export function readReward(value: unknown, path: string, drop: DropLabel): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  drop(FormatError.at(path, 'a reward (a finite number) or null', value));
  return undefined;
}

/** The highest message index as words, for the messages a trajectory has. */
function indexRange(messageCount: number): string {
  return messageCount === 0 ? 'a message index (the trajectory has no messages)' : `a message index (an integer from 0 to ${messageCount - 1})`;
}

/**
 * The decisive mistake's message index: a whole number from 0 to `messageCount − 1`, also written
 * as a string of digits (Who&When writes it so). Negative, fractional or past the last message: dropped.
 */
export function readMistakeStep(value: unknown, path: string, messageCount: number, drop: DropLabel): number | undefined {
  if (value === undefined || value === null) return undefined;
  const step = typeof value === 'string' && /^\s*\d{1,15}\s*$/.test(value) ? Number(value) : value;
  if (typeof step === 'number' && Number.isSafeInteger(step) && step >= 0 && step < messageCount) return step;
  drop(FormatError.at(path, indexRange(messageCount), value));
  return undefined;
}

/** A boolean outcome, or the integers 0 / 1 some datasets store booleans as. */
export function readFlag(value: unknown, path: string, drop: DropLabel): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  const flag = booleanFlag(value);
  if (flag === undefined) drop(FormatError.at(path, 'true, false, 0, 1 or null', value));
  return flag;
}

/** The agent that made the decisive mistake: a name (an empty one means none). */
export function readAgent(value: unknown, path: string, drop: DropLabel): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  drop(FormatError.at(path, 'an agent name (a string) or null', value));
  return undefined;
}

/**
 * Labels a record may carry in generic formats (OpenAI chat records, ShareGPT, OpenHands): a
 * numeric `reward`, a boolean `success`, or `resolved` as a boolean or 0/1; the decisive mistake
 * as `mistake_step` / `mistakeStep` (a message index, also as a numeric string, as Who&When writes
 * it) and `mistake_agent` / `mistakeAgent`. `path` is the record's JSON path.
 */
export function recordLabels(record: JsonObject, path: string, messageCount: number, drop: DropLabel): Labels {
  const labels: Labels = {};
  const stepKey = record.mistake_step !== undefined ? 'mistake_step' : 'mistakeStep';
  const mistakeStep = readMistakeStep(record[stepKey], pathJoin(path, stepKey), messageCount, drop);
  if (mistakeStep !== undefined) labels.mistakeStep = mistakeStep;
  const agentKey = record.mistake_agent !== undefined ? 'mistake_agent' : 'mistakeAgent';
  const mistakeAgent = readAgent(record[agentKey], pathJoin(path, agentKey), drop);
  if (mistakeAgent !== undefined) labels.mistakeAgent = mistakeAgent;
  const reward = readReward(record.reward, pathJoin(path, 'reward'), drop);
  if (reward !== undefined) {
    labels.reward = reward;
    labels.success = successFromReward(reward);
  }
  const resolved = readFlag(record.resolved, pathJoin(path, 'resolved'), drop);
  if (resolved !== undefined) labels.success = resolved;
  const success = readFlag(record.success, pathJoin(path, 'success'), drop);
  if (success !== undefined) labels.success = success;
  return labels;
}
