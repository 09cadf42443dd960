/**
 * The score format: JSON Lines, one trajectory per line, holding the per-token log-probs of its
 * action steps. The scoring engine writes it, the CLI's `eval` and the UI read it. docs/eval.md
 * documents it with an example.
 */

import { z } from 'zod';
import { InvalidJsonText, parseJsonText } from '../trajectory/json-nonfinite';

/** Written as the `format` key by `serializeScoreRecord`; readers accept any provenance string there. */
export const SCORE_FORMAT = 'progress-advantage-scores/1';

/** One action step (an agent-authored message) and the figures of its action tokens. */
export const scoreStepSchema = z
  .strictObject({
    /** Index of the step's message in the trajectory's messages. */
    message: z.int().nonnegative(),
    /** Agent name, where the source names agents. */
    agent: z.string().nullish(),
    /** log π_θ of each action token. */
    policy: z.array(z.number()),
    /** log π_ref of each action token (same tokens as `policy` unless two tokenizers are used). */
    reference: z.array(z.number()),
    /** Per policy token: mean of the policy's top-20 log-probs (self-certainty proxy). */
    topkMean: z.array(z.number()).nullish(),
    /** Per policy token: entropy of the policy's next-token distribution (nats). */
    entropy: z.array(z.number()).nullish(),
    /** Per policy token: the token id in the policy's vocabulary. */
    tokenIds: z.array(z.int().nonnegative()).nullish(),
    /** Per policy token: the token's text. */
    tokens: z.array(z.string()).nullish(),
  })
  .superRefine((step, ctx) => {
    for (const field of ['topkMean', 'entropy', 'tokenIds', 'tokens'] as const) {
      const values = step[field];
      if (values != null && values.length !== step.policy.length) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `has ${values.length} entries but policy has ${step.policy.length}; it needs one per policy token`,
        });
      }
    }
  });

/**
 * How one model ran (core/scoring's ModelExecution, docs/score.md "What ran"). Words are read as
 * strings, not closed lists, so a file from a later version (a new device, a new fallback) still
 * reads; keys this version does not know are dropped.
 */
export const modelExecutionSchema = z.object({
  description: z.string(),
  device: z.string(),
  dtype: z.string(),
  logitsPlacement: z.string(),
  reductionPlacement: z.string(),
  kvCacheMode: z.string(),
  logitRows: z.string(),
  chunkSize: z.int().positive(),
  fallbacks: z.array(z.object({ kind: z.string(), reason: z.string() })),
});

export const scoreRecordSchema = z
  .looseObject({
    /** Provenance, e.g. `progress-advantage-scores/1`. Other extra keys (`file`, `source`, …) are kept as they are. */
    format: z.string().nullish(),
    /** Unique within the file. */
    id: z.string().min(1),
    /** Trajectories of one task share it (best-of-N groups). */
    taskId: z.string().nullish(),
    /** Success is reward ≥ 1. */
    reward: z.number().nullish(),
    /** Message index of the decisive mistake. */
    mistakeStep: z.int().nonnegative().nullish(),
    /** Agent that made the decisive mistake. */
    mistakeAgent: z.string().nullish(),
    /** How each model ran; `policy` null when its log-probs came from the file. Absent in files written before it existed. */
    execution: z.object({ policy: modelExecutionSchema.nullable(), reference: modelExecutionSchema }).nullish(),
    /** Chat rendering only: what was changed so that the model's chat template could take the log, and why (src/core/render/strict-roles.ts). */
    chatMapping: z.object({ reason: z.string(), changes: z.array(z.string()) }).nullish(),
    /** The action steps, in message order. */
    steps: z.array(scoreStepSchema),
  })
  .superRefine((record, ctx) => {
    for (let i = 1; i < record.steps.length; i++) {
      const previous = record.steps[i - 1].message;
      if (record.steps[i].message <= previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'message'],
          message: `${record.steps[i].message} does not come after steps[${i - 1}].message ${previous}; steps must be in message order`,
        });
      }
    }
  });

export type ScoreStep = z.infer<typeof scoreStepSchema>;
export type ScoreRecord = z.infer<typeof scoreRecordSchema>;

export interface ParsedScoreRecord {
  /** 1-based line number in the file. */
  line: number;
  record: ScoreRecord;
  /**
   * The source file the trajectory was read from, for best-of-N groups (the page sets it); absent,
   * the record's own `file` provenance key (what `score` writes) when it has one.
   */
  source?: string;
}

/** A line that is not a valid score record. */
export interface ScoreLineError {
  fileName: string;
  /** 1-based line number. */
  line: number;
  /** The record's id when the line got far enough to have one. */
  id: string | null;
  /** The offending field (`steps[2].policy[5]`), null when the whole line is at fault. */
  field: string | null;
  reason: string;
}

export interface ScoreJsonlParse {
  records: ParsedScoreRecord[];
  errors: ScoreLineError[];
  /** Lines holding something (blank lines are not counted). */
  lineCount: number;
}

export function formatScoreLineError(error: ScoreLineError): string {
  const where = `${error.fileName}:${error.line}${error.id === null ? '' : ` (id ${JSON.stringify(error.id)})`}`;
  return `${where}: ${error.field === null ? '' : `${error.field}: `}${error.reason}`;
}

/** `steps[2].policy[5]` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** How a value found in a file is named in error messages (shared by the score and bundle schemas). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const article: Record<string, string> = {
      int: 'an integer',
      number: 'a finite number',
      array: 'an array',
      object: 'an object',
      string: 'a string',
    };
    const expected = article[issue.expected] ?? issue.expected;
    return `expected ${expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  return issue.message;
}

const MAX_ISSUES_REPORTED = 3;

/** Validates one parsed JSON value as a score record; the error names the first offending field. */
export function validateScoreRecord(
  value: unknown,
): { ok: true; record: ScoreRecord } | { ok: false; field: string | null; reason: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, field: null, reason: `expected a JSON object (one trajectory), got ${describeValue(value)}` };
  }
  const result = scoreRecordSchema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, record: result.data };
  const issues = result.error.issues;
  const first = issues[0];
  const more = issues
    .slice(1, MAX_ISSUES_REPORTED)
    .map((issue) => `${fieldPath(issue.path)}: ${describeIssue(issue)}`);
  const remaining = issues.length - MAX_ISSUES_REPORTED;
  const reason = [describeIssue(first), ...more.map((m) => `also ${m}`), ...(remaining > 0 ? [`and ${remaining} more`] : [])].join('; ');
  return { ok: false, field: first.path.length > 0 ? fieldPath(first.path) : null, reason };
}

/**
 * Parses a score file: one JSON object per line, blank lines ignored. Every line that is not a
 * valid record becomes an error with its line number; a repeated id is an error on the later line.
 */
export function parseScoreJsonl(text: string, fileName: string): ScoreJsonlParse {
  const reader = new ScoreJsonlReader(fileName);
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((content, index) => reader.line(content, index + 1));
  return reader.result();
}

/** parseScoreJsonl a line at a time: a score file of any size can be streamed through it. */
export class ScoreJsonlReader {
  private readonly records: ParsedScoreRecord[] = [];
  private readonly errors: ScoreLineError[] = [];
  private readonly firstLineOfId = new Map<string, number>();
  private lineCount = 0;

  constructor(private readonly fileName: string) {}

  /** One line of the file (1-based `line`), without its line break. */
  line(content: string, line: number): void {
    const { fileName } = this;
    if (content.trim() === '') return;
    this.lineCount++;
    let value: unknown;
    try {
      // The trajectory files' reader: NaN / Infinity are read (and then refused by the schema, as on
      // the page), and invalid JSON gets the scanner's place and words, not the engine's.
      value = parseJsonText(content);
    } catch (err) {
      const syntax = err instanceof InvalidJsonText ? err.syntax : null;
      const reason = `not valid JSON: ${syntax ? `column ${syntax.column}: ${syntax.message}` : (err as Error).message}`;
      this.errors.push({ fileName, line, id: null, field: null, reason });
      return;
    }
    const rawId = typeof value === 'object' && value !== null && 'id' in value ? (value as { id: unknown }).id : undefined;
    const id = typeof rawId === 'string' && rawId !== '' ? rawId : null;
    const validation = validateScoreRecord(value);
    if (!validation.ok) {
      this.errors.push({ fileName, line, id, field: validation.field, reason: validation.reason });
      return;
    }
    const firstLine = this.firstLineOfId.get(validation.record.id);
    if (firstLine !== undefined) {
      this.errors.push({ fileName, line, id, field: 'id', reason: `duplicate id (first on line ${firstLine}); ids must be unique within a file` });
      return;
    }
    this.firstLineOfId.set(validation.record.id, line);
    this.records.push({ line, record: validation.record });
  }

  result(): ScoreJsonlParse {
    return { records: this.records, errors: this.errors, lineCount: this.lineCount };
  }
}

const STEP_KEY_ORDER = ['message', 'agent', 'policy', 'reference', 'topkMean', 'entropy', 'tokenIds', 'tokens'] as const;
const RECORD_KEY_ORDER = ['format', 'id', 'taskId', 'reward', 'mistakeStep', 'mistakeAgent'] as const;

/**
 * One line of the score format (no trailing newline), keys in a fixed order with `steps` last and
 * absent keys left out. Validates first, so a NaN or ∞ (which JSON would turn into null) throws.
 * `format` defaults to `SCORE_FORMAT`.
 */
export function serializeScoreRecord(record: z.input<typeof scoreRecordSchema>): string {
  const validation = validateScoreRecord({ format: SCORE_FORMAT, ...record });
  if (!validation.ok) {
    const id = typeof record.id === 'string' ? ` ${JSON.stringify(record.id)}` : '';
    throw new Error(`cannot write score record${id}: ${validation.field === null ? '' : `${validation.field}: `}${validation.reason}`);
  }
  const valid = validation.record;
  const ordered: Record<string, unknown> = {};
  for (const key of RECORD_KEY_ORDER) if (valid[key] !== undefined) ordered[key] = valid[key];
  for (const [key, value] of Object.entries(valid)) {
    if (key !== 'steps' && !(key in ordered) && value !== undefined) ordered[key] = value;
  }
  ordered.steps = valid.steps.map((step) => {
    const orderedStep: Record<string, unknown> = {};
    for (const key of STEP_KEY_ORDER) if (step[key] !== undefined) orderedStep[key] = step[key];
    return orderedStep;
  });
  return JSON.stringify(ordered);
}
