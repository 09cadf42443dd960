/**
 * Deep links: the URL hash names the view (trajectory, step, token range, tab, analysis settings)
 * so that a link plus the same file (or an analysis bundle) reopens it. Format, version 1:
 *
 *   #v=1&file=<file name>&traj=<trajectory id>&step=<message index>&tokens=<start>-<end>
 *       &tab=trajectory|group|dataset&method=<method>&tagg=<token→step>&sagg=<step→trajectory>
 *       &mode=<mode>&beta=<β>&k=<k>&pred=<predictor>&range=<colour range>
 *
 * URL-encoded as a query string; every key but `v` is optional. The settings are those of
 * src/core/settings that a link carries (all but the reader's preferences), with their bounds; a
 * setting's key is its name unless LINK_KEYS shortens it. `tokens` are indices into the
 * step's scored tokens, start inclusive, end exclusive. The trajectory is found by file name and
 * id, so the link works whatever order files were opened in; when no open file matches, the link
 * waits until one is opened. A hash that is not valid (unknown version, unknown key, bad value)
 * is ignored with a notice. `#snippet=…` belongs to the snippet links (src/ui/share) and is left alone.
 */
import { z } from 'zod';
import { create } from 'zustand';
import { LINKED_SETTING_KEYS, linkedSettingsOf, linkedSettingsSchema, nestSettingsPatch, type LinkedSettingKey, type LinkedSettings } from '../core/settings';
import { VIEW_TABS, useAppStore, type LoadedTrajectory, type ViewTab } from './store';
import { selectStep, selectTokenRange, setAnalysisSettings, setEvaluationOptions, useAnalysisStore, useLinkedViewStore, type AnalysisSettings } from './analysis';

export const VIEW_LINK_VERSION = 1;
/** The hash prefix of snippet links (another feature's): never read or overwritten here. */
export const SNIPPET_HASH_PREFIX = 'snippet=';

/** The settings a link names (those it leaves out stay as they are). */
export type ViewLinkSettings = Partial<LinkedSettings>;

/** Short keys of some settings in the URL; the others are written under their own name. */
const LINK_KEYS: Partial<Record<LinkedSettingKey, string>> = { tokenAggregation: 'tagg', stepAggregation: 'sagg', predictor: 'pred', colourRangeMode: 'rangemode', colourRange: 'range' };
const linkKeyOf = (key: LinkedSettingKey): string => LINK_KEYS[key] ?? key;

export interface ViewLink {
  file?: string;
  trajectory?: string;
  /** Message index of the step. */
  step?: number;
  tokens?: { start: number; end: number };
  tab?: ViewTab;
  settings: ViewLinkSettings;
}

export type DecodedHash = { kind: 'none' } | { kind: 'snippet' } | { kind: 'view'; link: ViewLink } | { kind: 'invalid'; reason: string };

const MAX_NAME_LENGTH = 1024;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const decimal = z.string().regex(DECIMAL, 'expected a number').transform(Number);
const count = z.string().regex(/^\d{1,9}$/, 'expected a whole number ≥ 0').transform(Number);
const flag = z.enum(['true', 'false'], 'expected true or false').transform((text) => text === 'true');

/** A setting's schema (bounds, choices) fed from the URL's text: numbers and flags are parsed first. */
function linkParamOf(schema: z.ZodType): z.ZodType {
  const inner = schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : schema;
  if (inner instanceof z.ZodEnum) return inner;
  if (inner instanceof z.ZodNumber) return (inner.isInt ? count : decimal).pipe(inner);
  if (inner instanceof z.ZodBoolean) return flag.pipe(inner);
  throw new Error(`view links cannot carry a setting of type ${inner.def.type}: add its text form in permalink.ts`);
}

const settingParams = Object.fromEntries(LINKED_SETTING_KEYS.map((key) => [linkKeyOf(key), linkParamOf(linkedSettingsSchema.shape[key]).optional()]));

const linkParamsSchema = z
  .strictObject({
    v: z.literal(String(VIEW_LINK_VERSION)),
    file: z.string().min(1).max(MAX_NAME_LENGTH).optional(),
    traj: z.string().min(1).max(MAX_NAME_LENGTH).optional(),
    step: count.optional(),
    tokens: z
      .string()
      .regex(/^\d{1,9}-\d{1,9}$/, 'expected start-end')
      .transform((s) => {
        const [start, end] = s.split('-').map(Number);
        return { start, end };
      })
      .refine((r) => r.start < r.end, 'the start must be below the end')
      .optional(),
    tab: z.enum(VIEW_TABS).optional(),
    ...settingParams,
  })
  .refine((p) => p.step === undefined || p.traj !== undefined, { message: 'a step needs a trajectory (traj)', path: ['step'] })
  .refine((p) => p.tokens === undefined || p.step !== undefined, { message: 'a token range needs a step', path: ['tokens'] })
  .refine((p) => p.file === undefined || p.traj !== undefined, { message: 'a file needs a trajectory (traj)', path: ['file'] });

/** The hash (with or without its `#`) as a view link; never throws. */
export function decodeViewLink(hash: string): DecodedHash {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (text === '') return { kind: 'none' };
  if (text.startsWith(SNIPPET_HASH_PREFIX)) return { kind: 'snippet' };
  const params = new URLSearchParams(text);
  const raw: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in raw) return { kind: 'invalid', reason: `“${key}” appears twice` };
    raw[key] = value;
  }
  if (raw.v === undefined) return { kind: 'invalid', reason: 'no version (v=1)' };
  if (raw.v !== String(VIEW_LINK_VERSION)) return { kind: 'invalid', reason: `version v=${raw.v} is unknown to this app (it reads v=${VIEW_LINK_VERSION})` };
  const parsed = linkParamsSchema.safeParse(raw);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((issue) => (issue.code === 'unrecognized_keys' ? `unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${issue.keys.join(', ')}` : `${issue.path.join('.') || 'link'}: ${issue.message}`))
      .join('; ');
    return { kind: 'invalid', reason };
  }
  const p = parsed.data;
  const values = p as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const key of LINKED_SETTING_KEYS) if (values[linkKeyOf(key)] !== undefined) settings[key] = values[linkKeyOf(key)];
  const link: ViewLink = { settings: settings as ViewLinkSettings };
  if (p.file !== undefined) link.file = p.file;
  if (p.traj !== undefined) link.trajectory = p.traj;
  if (p.step !== undefined) link.step = p.step;
  if (p.tokens !== undefined) link.tokens = p.tokens;
  if (p.tab !== undefined) link.tab = p.tab;
  return { kind: 'view', link };
}

/** The hash text (without `#`) of a view link. */
export function encodeViewLink(link: ViewLink): string {
  const params = new URLSearchParams({ v: String(VIEW_LINK_VERSION) });
  const set = (key: string, value: string | number | undefined) => value !== undefined && params.set(key, String(value));
  set('file', link.file);
  set('traj', link.trajectory);
  set('step', link.step);
  if (link.tokens) set('tokens', `${link.tokens.start}-${link.tokens.end}`);
  set('tab', link.tab);
  for (const key of LINKED_SETTING_KEYS) {
    const value = link.settings[key];
    if (value !== undefined) set(linkKeyOf(key), String(value));
  }
  return params.toString();
}

/** The view the stores show now, as a link. */
export function viewLinkOf(view: {
  selected: LoadedTrajectory | null;
  step: number | null;
  tokens: { start: number; end: number } | null;
  tab: ViewTab;
  analysis: AnalysisSettings;
}): ViewLink {
  const link: ViewLink = { tab: view.tab, settings: linkedSettingsOf(view.analysis) };
  if (view.selected) {
    link.file = view.selected.fileName;
    link.trajectory = view.selected.trajectory.id;
    if (view.step !== null) {
      link.step = view.step;
      if (view.tokens) link.tokens = view.tokens;
    }
  }
  return link;
}

/** Whether one slash-separated path ends with the other, segment by segment (`b/7.json` ends `a/b/7.json`). */
function pathsOverlap(a: string, b: string): boolean {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  return long === short || long.endsWith(`/${short}`);
}

/**
 * The loaded trajectory a link names: the one with that id in a file of that path or name (files
 * opened from a folder are known by their path inside it, so two `7.json` are told apart; the
 * first such file in load order); else the only one with that id in a file whose path ends with
 * the link's (a link made before paths were kept, or a file opened alone that the link knew by its
 * path); else — the file was renamed, or its trajectories came in a bundle — the only loaded
 * trajectory with that id.
 */
export function findLinkedTrajectory(order: readonly string[], trajectories: Readonly<Record<string, LoadedTrajectory>>, file: string | undefined, id: string): string | null {
  const byId: string[] = [];
  const byPathEnd: string[] = [];
  for (const key of order) {
    const entry = trajectories[key];
    if (!entry || entry.trajectory.id !== id) continue;
    if (file === undefined || entry.fileName === file) return key;
    byId.push(key);
    if (pathsOverlap(entry.fileName, file)) byPathEnd.push(key);
  }
  if (byPathEnd.length === 1) return byPathEnd[0];
  return byId.length === 1 ? byId[0] : null;
}

export interface ViewLinkState {
  /** What the page says about the link it was opened with (invalid, waiting for a file, step not found). */
  notice: string | null;
  /** A link whose trajectory is not loaded yet: applied as soon as a matching one is. */
  pending: ViewLink | null;
}

export const useViewLinkStore = create<ViewLinkState>()(() => ({ notice: null, pending: null }));

function applySettings(settings: ViewLinkSettings): void {
  const { evaluation, ...view } = nestSettingsPatch(settings);
  if (evaluation) setEvaluationOptions(evaluation);
  if (Object.keys(view).length > 0) setAnalysisSettings(view);
}

/** Opens the link's trajectory, step and tokens if the trajectory is loaded; returns whether it was. */
function applyTrajectory(link: ViewLink): boolean {
  if (link.trajectory === undefined) return true;
  const app = useAppStore.getState();
  const key = findLinkedTrajectory(app.trajectoryOrder, app.trajectories, link.file, link.trajectory);
  if (key === null) return false;
  app.select(key);
  const messages = app.trajectories[key].trajectory.messages.length;
  if (link.step !== undefined && link.step >= messages) {
    selectStep(null);
    selectTokenRange(null);
    useViewLinkStore.setState({ pending: null, notice: `The link's step (message ${link.step}) is not in ${link.trajectory}, which has ${messages} messages: the trajectory is shown from the start.` });
    return true;
  }
  selectStep(link.step === undefined ? null : { key, message: link.step });
  selectTokenRange(link.step !== undefined && link.tokens ? { key, message: link.step, ...link.tokens } : null);
  useViewLinkStore.setState({ pending: null, notice: null });
  return true;
}

/** Applies a hash: settings and tab at once, the trajectory now or when it is loaded. */
export function applyViewLinkHash(hash: string): void {
  const decoded = decodeViewLink(hash);
  if (decoded.kind === 'none' || decoded.kind === 'snippet') return;
  if (decoded.kind === 'invalid') {
    useViewLinkStore.setState({ notice: `The link in the address bar was ignored: ${decoded.reason}.`, pending: null });
    return;
  }
  const { link } = decoded;
  useViewLinkStore.setState({ notice: null, pending: null });
  applySettings(link.settings);
  selectTokenRange(null);
  if (link.tab) useAppStore.getState().setActiveTab(link.tab);
  if (!applyTrajectory(link)) {
    useViewLinkStore.setState({
      pending: link,
      notice: `This link shows ${link.trajectory}${link.file ? ` from ${link.file}` : ''}: open that file (or an analysis bundle that holds it) to see it.`,
    });
  }
}

export function dismissViewLinkNotice(): void {
  useViewLinkStore.setState({ notice: null, pending: null });
}

function currentHashText(): string {
  const view = useLinkedViewStore.getState();
  const app = useAppStore.getState();
  const selected = app.selectedKey ? (app.trajectories[app.selectedKey] ?? null) : null;
  const step = selected && view.selected?.key === selected.key ? view.selected.message : null;
  const range = view.tokenRange;
  const tokens = selected && step !== null && range && range.key === selected.key && range.message === step ? { start: range.start, end: range.end } : null;
  return encodeViewLink(viewLinkOf({ selected, step, tokens, tab: app.activeTab, analysis: useAnalysisStore.getState() }));
}

const HASH_UPDATE_DELAY_MS = 150;
let syncing = false;
let hashTimer: ReturnType<typeof setTimeout> | undefined;

/** Rewrites the hash to the current view (replaceState: no history entry per click). */
function scheduleHashUpdate(): void {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => {
    const hash = location.hash.slice(1);
    // A link still waiting for its file keeps the address; so does a snippet link.
    if (useViewLinkStore.getState().pending || hash.startsWith(SNIPPET_HASH_PREFIX)) return;
    const next = currentHashText();
    if (next !== hash) history.replaceState(history.state, '', `#${next}`);
  }, HASH_UPDATE_DELAY_MS);
}

/** Applies the page's hash now and on every hash change, and keeps the hash in step with the view. */
export function startViewLinkSync(): void {
  if (syncing) return;
  syncing = true;
  applyViewLinkHash(location.hash);
  addEventListener('hashchange', () => applyViewLinkHash(location.hash));
  useAppStore.subscribe((s, prev) => {
    const pending = useViewLinkStore.getState().pending;
    // Files arrived: the waiting link may now find its trajectory.
    if (pending && s.trajectoryOrder !== prev.trajectoryOrder) applyTrajectory(pending);
    if (s.selectedKey !== prev.selectedKey || s.activeTab !== prev.activeTab || s.trajectories !== prev.trajectories) scheduleHashUpdate();
  });
  useLinkedViewStore.subscribe((s, prev) => {
    if (s.selected !== prev.selected || s.tokenRange !== prev.tokenRange) scheduleHashUpdate();
  });
  useAnalysisStore.subscribe(scheduleHashUpdate);
  useViewLinkStore.subscribe(scheduleHashUpdate);
  scheduleHashUpdate();
}

/** Removes the view from the address (clear session). */
export function clearViewLink(): void {
  useViewLinkStore.setState({ notice: null, pending: null });
  if (!location.hash.slice(1).startsWith(SNIPPET_HASH_PREFIX)) history.replaceState(history.state, '', location.pathname + location.search);
}
