/**
 * "Share this snippet": one action step's tokens and figures carried inside a URL's hash,
 * `#snippet=<base64url(deflate(JSON))>`, so a finding can be pasted into a chat and opened with no
 * file and no model. What a link holds is bounded by what the encoder writes — at most
 * MAX_SNIPPET_HASH_CHARS characters, MAX_SNIPPET_TOKENS tokens of at most MAX_TOKEN_CHARS
 * characters each: a long step keeps its first tokens and says how many it left out — and the
 * decoder refuses anything beyond those same constants (a 3.6 KB link of 280,000 empty tokens
 * would otherwise freeze the page). Decoding treats the hash as untrusted input: bounded
 * decompression, UTF-8, JSON and a schema check; any failure is an error value, never a throw.
 */
import { deflateSync, strToU8 } from 'fflate';
import { z } from 'zod';
import { fieldPath } from '../scores/format';
import { linkedSettingsSchema } from '../settings';
import { inflateBounded } from '../bundle/compression';
import { MAX_NOTE_TAGS, MAX_NOTE_TAG_CHARS, NOTE_SAYS_SOMETHING, noteBodyShape } from '../notes';


export const SNIPPET_HASH_PREFIX = '#snippet=';
/** The longest hash a snippet link gets (chat apps and browsers take far longer URLs, but pasting stays sane). */
export const MAX_SNIPPET_HASH_CHARS = 32 * 1024;
/** The most tokens a link carries: a longer step keeps its first ones (enough for any step a reader reads token by token). */
export const MAX_SNIPPET_TOKENS = 4096;
/** A longer token text is clipped (tokens are short; this bounds what a link can expand to). */
export const MAX_TOKEN_CHARS = 256;
/** The notes on the step a link carries (the first ones, in reading order), and each one's longest text. */
export const MAX_SNIPPET_NOTES = 16;
export const MAX_SNIPPET_NOTE_CHARS = 1000;
/** Decoding refuses longer payloads: the encoder never writes them. */
const MAX_DECODED_PAYLOAD_CHARS = MAX_SNIPPET_HASH_CHARS - SNIPPET_HASH_PREFIX.length;
/**
 * The most JSON the encoder can write, so the most a link may inflate to (32 KB of deflate could
 * otherwise expand to 33 MB): per token its text (≤ 6 bytes per character once escaped, quotes and a
 * comma) and two numbers (≤ 24 characters and a comma each), plus the fields around them.
 */
export const MAX_INFLATED_BYTES =
  MAX_SNIPPET_TOKENS * (6 * MAX_TOKEN_CHARS + 3 + 2 * 25) + MAX_SNIPPET_NOTES * (6 * (MAX_SNIPPET_NOTE_CHARS + MAX_NOTE_TAGS * (MAX_NOTE_TAG_CHARS + 3)) + 200) + 16 * 1024;
/** Log-probs are kept to this many decimals: the views show 4, and it halves the link. */
const DECIMALS = 6;
const MAX_TEXT_FIELD = 300;

/** A note on the snippet's step (src/core/notes): its token range within the step, or null for the whole step. */
const snippetNoteSchema = z
  .strictObject({ tokens: noteBodyShape.tokens, text: noteBodyShape.text.max(MAX_SNIPPET_NOTE_CHARS), tags: noteBodyShape.tags, created: noteBodyShape.created })
  .refine(...NOTE_SAYS_SOMETHING);
export type SnippetNote = z.infer<typeof snippetNoteSchema>;

/** The analysis settings a link carries, flat (src/core/settings); links made before a setting existed read it as its default. */
const snippetSettingsSchema = z.strictObject(linkedSettingsSchema.shape);

export const snippetSchema = z
  .strictObject({
    v: z.literal(1),
    trajectoryId: z.string().max(MAX_TEXT_FIELD),
    fileName: z.string().max(MAX_TEXT_FIELD).optional(),
    taskId: z.string().max(MAX_TEXT_FIELD).optional(),
    /** Message index of the step in its trajectory. */
    message: z.int().nonnegative(),
    /** 1-based position among the action steps. */
    stepNumber: z.int().min(1),
    agent: z.string().max(MAX_TEXT_FIELD).optional(),
    /** The first `tokens.length` of the step's `totalTokens` tokens. */
    tokens: z.array(z.string().max(MAX_TOKEN_CHARS)).max(MAX_SNIPPET_TOKENS),
    policy: z.array(z.number()).max(MAX_SNIPPET_TOKENS),
    reference: z.array(z.number()).max(MAX_SNIPPET_TOKENS),
    totalTokens: z.int().nonnegative(),
    /** The step score under `settings`, over all the step's tokens. */
    stepScore: z.number().nullable(),
    /** Whether the step is the predicted decisive step (by `settings.predictor`) or the labelled mistake. */
    decisive: z.boolean(),
    labelledMistake: z.boolean(),
    settings: snippetSettingsSchema,
    /** Who scored it, in words. */
    modelPair: z.string().max(MAX_TEXT_FIELD).nullable(),
    createdAt: z.iso.datetime({ offset: true }),
    /** The reader's notes on this step (absent in older links and when there are none). */
    notes: z.array(snippetNoteSchema).max(MAX_SNIPPET_NOTES).optional(),
  })
  .superRefine((s, ctx) => {
    for (const field of ['policy', 'reference'] as const) {
      if (s[field].length !== s.tokens.length) {
        ctx.addIssue({ code: 'custom', path: [field], message: `has ${s[field].length} values for ${s.tokens.length} tokens` });
      }
    }
    if (s.totalTokens < s.tokens.length) ctx.addIssue({ code: 'custom', path: ['totalTokens'], message: `${s.totalTokens} is fewer than the ${s.tokens.length} tokens carried` });
    s.notes?.forEach((note, i) => {
      if (note.tokens !== null && note.tokens.end > s.totalTokens) ctx.addIssue({ code: 'custom', path: ['notes', i, 'tokens'], message: `ends past the step's ${s.totalTokens} tokens` });
    });
  });

export type StepSnippet = z.infer<typeof snippetSchema>;
/** What `encodeSnippet` takes: settings left out are the defaults (as when a link is read). */
export type SnippetInput = Omit<StepSnippet, 'v' | 'totalTokens' | 'settings'> & { settings: z.input<typeof snippetSettingsSchema> };

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL_INDEX = new Map([...BASE64URL].map((c, i) => [c, i] as const));

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = i + 2 < bytes.length ? 4 : i + 1 < bytes.length ? 3 : 2;
    for (let k = 0; k < chars; k++) out += BASE64URL[(n >> (18 - 6 * k)) & 63];
  }
  return out;
}

/** Strict: any character outside base64url (or a length no encoder produces) gives null. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let at = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    const group = Math.min(4, text.length - i);
    for (let k = 0; k < 4; k++) {
      const value = k < group ? BASE64URL_INDEX.get(text[i + k]) : 0;
      if (value === undefined) return null;
      n = (n << 6) | value;
    }
    for (let k = 0; k < group - 1; k++) out[at++] = (n >> (16 - 8 * k)) & 255;
  }
  return out;
}

const round = (x: number) => Math.round(x * 10 ** DECIMALS) / 10 ** DECIMALS;

function clip(text: string | undefined, max = MAX_TEXT_FIELD): string | undefined {
  if (text === undefined) return undefined;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function hashOf(snippet: StepSnippet): string {
  return SNIPPET_HASH_PREFIX + toBase64Url(deflateSync(strToU8(JSON.stringify(snippet)), { level: 9 }));
}

export interface EncodedSnippet {
  /** `#snippet=…`, at most `maxHashChars` long. */
  hash: string;
  /** Tokens carried (the first ones of the step). */
  keptTokens: number;
  totalTokens: number;
}

/**
 * The hash for a step: all its tokens when they fit in `maxHashChars` (and number at most
 * MAX_SNIPPET_TOKENS), else as many of the first ones as fit (found by bisection on the encoded
 * length). Log-probs are rounded to 6 decimals, long names and token texts clipped. Throws only if even an empty step does not fit (a bound too small to use), or
 * if a setting is out of its bounds (the app's settings never are).
 */
export function encodeSnippet(step: SnippetInput, maxHashChars = MAX_SNIPPET_HASH_CHARS): EncodedSnippet {
  const totalTokens = step.tokens.length;
  const base: StepSnippet = {
    ...step,
    v: 1,
    settings: snippetSettingsSchema.parse(step.settings),
    trajectoryId: clip(step.trajectoryId)!,
    fileName: clip(step.fileName),
    taskId: clip(step.taskId),
    agent: clip(step.agent),
    modelPair: step.modelPair === null ? null : clip(step.modelPair)!,
    tokens: step.tokens.slice(0, MAX_SNIPPET_TOKENS).map((token) => clip(token, MAX_TOKEN_CHARS)!),
    notes: step.notes?.slice(0, MAX_SNIPPET_NOTES).map((note) => ({ ...note, text: clip(note.text, MAX_SNIPPET_NOTE_CHARS)! })),
    policy: step.policy.slice(0, MAX_SNIPPET_TOKENS).map(round),
    reference: step.reference.slice(0, MAX_SNIPPET_TOKENS).map(round),
    totalTokens,
  };
  for (const key of ['fileName', 'taskId', 'agent'] as const) if (base[key] === undefined) delete base[key];
  if (base.notes === undefined || base.notes.length === 0) delete base.notes;
  const withTokens = (n: number): StepSnippet => ({ ...base, tokens: base.tokens.slice(0, n), policy: base.policy.slice(0, n), reference: base.reference.slice(0, n) });
  const full = hashOf(base);
  if (full.length <= maxHashChars) return { hash: full, keptTokens: base.tokens.length, totalTokens };
  let low = 0;
  let high = base.tokens.length; // invariant: `low` tokens fit, `high` do not
  let best = hashOf(withTokens(0));
  if (best.length > maxHashChars) throw new RangeError(`a snippet link needs more than ${maxHashChars} characters even without tokens`);
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    const hash = hashOf(withTokens(mid));
    if (hash.length <= maxHashChars) {
      low = mid;
      best = hash;
    } else {
      high = mid;
    }
  }
  return { hash: best, keptTokens: low, totalTokens };
}

export type SnippetDecoding = { ok: true; snippet: StepSnippet } | { ok: false; error: string };

/** Reads `#snippet=…` (or the part after `snippet=`); never throws. */
export function decodeSnippet(hash: string): SnippetDecoding {
  const fail = (error: string): SnippetDecoding => ({ ok: false, error });
  const payload = hash.startsWith(SNIPPET_HASH_PREFIX) ? hash.slice(SNIPPET_HASH_PREFIX.length) : hash.startsWith('snippet=') ? hash.slice('snippet='.length) : null;
  if (payload === null) return fail('the link has no #snippet= part');
  if (payload === '') return fail('the snippet link is empty');
  if (payload.length > MAX_DECODED_PAYLOAD_CHARS) return fail(`the snippet link is too long (${payload.length} characters; at most ${MAX_DECODED_PAYLOAD_CHARS})`);
  const bytes = fromBase64Url(payload);
  if (bytes === null) return fail('the snippet link is damaged: it is not base64url text (was it cut off or edited?)');
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(inflateBounded(bytes, MAX_INFLATED_BYTES));
  } catch (error) {
    return fail(`the snippet link is damaged: its data ${error instanceof Error ? error.message : String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return fail('the snippet link is damaged: its data is not JSON');
  }
  // Checked before the schema walks every element: a crafted link may hold hundreds of thousands.
  const tokens = typeof value === 'object' && value !== null ? (value as { tokens?: unknown }).tokens : undefined;
  if (Array.isArray(tokens) && tokens.length > MAX_SNIPPET_TOKENS) {
    return fail(`the snippet link holds ${tokens.length.toLocaleString('en-US')} tokens; a snippet link holds at most ${MAX_SNIPPET_TOKENS.toLocaleString('en-US')} (no link this app writes holds more)`);
  }
  const result = snippetSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const place = fieldPath(issue.path);
    return fail(`the snippet link is not a valid snippet: ${place === '' ? '' : `${place}: `}${issue.message}`);
  }
  return { ok: true, snippet: result.data };
}
