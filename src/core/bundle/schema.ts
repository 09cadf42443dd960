/**
 * The analysis bundle, `progress-advantage-bundle/1`: trajectories (normalised), their score
 * records and scoring facts, the analysis settings and the model pairs that scored them — no model
 * weights. A bundle is untrusted input, so every field is checked here, including what ties the
 * parts together (a score's steps must be action steps of its trajectory …): whatever passes can
 * be put in the app's stores as it is.
 */
import { z } from 'zod';
import { describeValue, scoreRecordSchema } from '../scores/format';
import { RENDER_MODES, strictAnalysisSettingsSchema } from '../settings';
import type { FormatId, Trajectory } from '../trajectory/types';
import { trajectoryProblems } from '../trajectory/validate';
import { noteBodySchema, notePlacementProblem } from '../notes';

/** Version 2 added notes on spans to each entry; version-1 bundles (no notes) are read too. */
export const BUNDLE_FORMAT = 'progress-advantage-bundle/2';
/** Every version this app reads, oldest first. */
export const BUNDLE_FORMATS_READ = ['progress-advantage-bundle/1', BUNDLE_FORMAT] as const;
/** Where a model pair's models came from (the model panel's choices). */
export const MODEL_SOURCE_KINDS = ['demo', 'hub', 'folders', 'server'] as const;
/** What every version's format key starts with: tells "another version" from "not a bundle". */
export const BUNDLE_FORMAT_PREFIX = 'progress-advantage-bundle/';

const FORMAT_IDS = [
  'openai-chat',
  'tau-bench',
  'tau2-bench',
  'who-and-when',
  'swe-agent',
  'sharegpt',
  'openhands',
  'inspect-ai',
  'score-jsonl',
  'claude-code',
  'codex',
  'mini-swe-agent',
  'atif',
  'otel',
  'bundle',
] as const satisfies readonly FormatId[];
// Fails to compile when FormatId gains a member this list lacks.
const everyFormatListed: Exclude<FormatId, (typeof FORMAT_IDS)[number]> extends never ? true : never = true;
void everyFormatListed;

const jsonObject = z.record(z.string(), z.unknown());

const toolCallSchema = z.strictObject({
  id: z.string().optional(),
  name: z.string(),
  arguments: jsonObject,
  rawArguments: z.string().optional(),
  requestor: z.string().optional(),
});

/**
 * A token's log-probability: finite, or -Infinity for a probability of 0 (Inspect AI logs hold it).
 * JSON has no -Infinity: a written bundle holds null there, and reading turns it back.
 */
const logprobSchema = z
  .custom<number | null>((value) => value === null || (typeof value === 'number' && (Number.isFinite(value) || value === Number.NEGATIVE_INFINITY)), {
    error: (issue) => `expected a log-probability (a finite number, or null for -Infinity), got ${describeValue(issue.input)}`,
  })
  .transform((value) => value ?? Number.NEGATIVE_INFINITY);

const tokenLogprobSchema = z.strictObject({
  token: z.string().optional(),
  tokenId: z.int().nonnegative().optional(),
  logprob: logprobSchema,
  topLogprobs: z.array(z.strictObject({ token: z.string(), logprob: logprobSchema })).optional(),
});

const messageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  sourceRole: z.string(),
  name: z.string().optional(),
  content: z.string(),
  toolCalls: z.array(toolCallSchema).optional(),
  toolCallId: z.string().optional(),
  toolName: z.string().optional(),
  logprobs: z.array(tokenLogprobSchema).optional(),
});

export const trajectorySchema = z.strictObject({
  id: z.string().min(1),
  format: z.enum(FORMAT_IDS),
  taskId: z.string().optional(),
  messages: z.array(messageSchema),
  actionSteps: z.array(z.int().nonnegative()),
  labels: z.strictObject({
    reward: z.number().optional(),
    success: z.boolean().optional(),
    mistakeStep: z.int().nonnegative().optional(),
    mistakeAgent: z.string().optional(),
  }),
  metadata: jsonObject,
});

const notScoredSchema = z.strictObject({
  message: z.int().nonnegative(),
  reason: z.enum(['context-limit', 'empty-span', 'first-token', 'left-truncated', 'no-precomputed-logprobs', 'token-mismatch']),
  side: z.enum(['policy', 'reference', 'both']),
  detail: z.string(),
});

/** The scoring outcome of one trajectory: the score record and how it was obtained. */
export const bundleScoreSchema = z.strictObject({
  record: scoreRecordSchema,
  notScored: z.array(notScoredSchema),
  /** The models' tokenizers differ: steps hold one summed log-likelihood each. */
  stepLevelOnly: z.boolean(),
  /** Tokens in the rendered sequence. */
  tokens: z.int().nonnegative(),
  messageTokenCounts: z.array(z.int().nonnegative()),
  forwardedTokens: z.int().nonnegative(),
  /** Where the figures came from when exported: a device, or a file read as it is. Imported, they count as precomputed. */
  device: z.enum(['webgpu', 'wasm', 'cpu', 'server', 'precomputed']),
});

export const bundleEntrySchema = z
  .strictObject({
    /** The file the trajectory was read from: its path inside the folder it was opened from (`Hand-Crafted/7.json`), or its name. */
    fileName: z.string().min(1),
    /**
     * Which of the bundle's files (numbered from 0) the trajectory came from: entries of two files
     * with the same name stay apart. Absent (older bundles): entries are grouped by `fileName`.
     */
    file: z.int().nonnegative().optional(),
    trajectory: trajectorySchema,
    score: bundleScoreSchema.nullable(),
    /** Notes on the trajectory's steps and tokens (version 2; absent in older bundles and when there are none). */
    notes: z.array(noteBodySchema).optional(),
  })
  .superRefine((entry, ctx) => {
    // The same validation as at load (src/core/trajectory/validate.ts): what loads can be exported, and only that is imported.
    const { messages, actionSteps } = entry.trajectory;
    for (const problem of trajectoryProblems(entry.trajectory)) ctx.addIssue({ code: 'custom', path: ['trajectory', ...problem.path], message: problem.message });
    const tokenCounts = entry.score && !entry.score.stepLevelOnly ? new Map(entry.score.record.steps.map((step) => [step.message, step.policy.length] as const)) : undefined;
    entry.notes?.forEach((note, i) => {
      const problem = notePlacementProblem(note, { messages: messages.length, actionSteps, tokenCounts });
      if (problem) ctx.addIssue({ code: 'custom', path: ['notes', i], message: problem });
    });
    if (!entry.score) return;
    if (entry.score.record.id !== entry.trajectory.id) {
      ctx.addIssue({
        code: 'custom',
        path: ['score', 'record', 'id'],
        message: `the score belongs to trajectory ${JSON.stringify(entry.score.record.id)}, not to this entry's trajectory ${JSON.stringify(entry.trajectory.id)}`,
      });
    }
    const isActionStep = new Set(actionSteps);
    entry.score.record.steps.forEach((step, i) => {
      if (!isActionStep.has(step.message)) {
        ctx.addIssue({ code: 'custom', path: ['score', 'record', 'steps', i, 'message'], message: `message ${step.message} is not an action step of the trajectory` });
      }
    });
    entry.score.notScored.forEach((n, i) => {
      if (n.message >= messages.length) {
        ctx.addIssue({ code: 'custom', path: ['score', 'notScored', i, 'message'], message: `message ${n.message} does not exist (the trajectory has ${messages.length} messages)` });
      }
    });
  });

/** The analysis settings (the app's AnalysisSettings, src/core/settings); unknown keys are refused, missing ones read as defaults. */
export const bundleSettingsSchema = strictAnalysisSettingsSchema;

/** Which models scored the figures (names only: a bundle never holds weights). */
export const modelPairSchema = z.strictObject({
  /** The models by name: hub ids, folder names, or the demo pair's model names (older bundles: ids or engine descriptions). */
  policy: z.string().min(1),
  reference: z.string().min(1),
  /** Where the models came from: the embedded demo pair, the Hugging Face hub, or dropped folders. Absent in older bundles. */
  source: z.enum(MODEL_SOURCE_KINDS).optional(),
  /** The app build of the embedded demo pair (its weights ship with the build). */
  build: z.string().min(1).optional(),
  dtype: z.string().optional(),
  render: z.enum(RENDER_MODES).optional(),
  /** β of the analysis when the bundle was made (A = β · (log π_θ − log π_ref)). Absent in older bundles. */
  beta: z.number().positive().optional(),
  /** Engine descriptions (runtime, device, dtype). */
  engines: z.strictObject({ policy: z.string(), reference: z.string() }).optional(),
});

export const bundleSchema = z
  .strictObject({
    format: z.enum(BUNDLE_FORMATS_READ),
    /** ISO 8601 time of export. */
    createdAt: z.iso.datetime({ offset: true }),
    app: z.strictObject({ name: z.string(), version: z.string() }),
    /** Every model pair that scored an entry (each scored record also names its pair). */
    modelPairs: z.array(modelPairSchema),
    settings: bundleSettingsSchema,
    /** Index into `entries` of the trajectory that was selected, if any. */
    selected: z.int().nonnegative().nullable(),
    entries: z.array(bundleEntrySchema).min(1, 'a bundle holds at least one trajectory'),
  })
  .superRefine((bundle, ctx) => {
    if (bundle.selected !== null && bundle.selected >= bundle.entries.length) {
      ctx.addIssue({ code: 'custom', path: ['selected'], message: `${bundle.selected} is not an entry index (there are ${bundle.entries.length} entries)` });
    }
  });

export type AnalysisBundle = z.infer<typeof bundleSchema>;
export type BundleEntry = z.infer<typeof bundleEntrySchema>;
export type BundleScore = z.infer<typeof bundleScoreSchema>;
export type BundleSettings = z.infer<typeof bundleSettingsSchema>;
export type ModelPairDescription = z.infer<typeof modelPairSchema>;

/** True when A and B are assignable both ways: the schema and the app's type describe the same data. */
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// This fails to compile when Trajectory changes without the schema (exports would then be refused).
const trajectoryMatches: SameShape<z.infer<typeof trajectorySchema>, Trajectory> = true;
void trajectoryMatches;
