/**
 * The analysis settings are declared once (src/core/settings); every copy — the session record,
 * analysis bundles, snippet links, view links — derives from that declaration. These tests
 * enumerate the declared settings, so a setting added to the schema that one of the copies drops
 * fails here.
 */
import { describe, expect, it } from 'vitest';
import { deflateSync, strToU8 } from 'fflate';
import {
  DEFAULT_ANALYSIS_SETTINGS,
  LINKED_SETTING_KEYS,
  MODEL_DTYPES,
  DEVICE_PREFERENCES,
  READER_PREFERENCES,
  SETTING_BOUNDS,
  SETTING_KEYS,
  analysisSettingsSchema,
  flatAnalysisSettingsSchema,
  flattenSettings,
  nestSettings,
  settingSchema,
  type AnalysisSettings,
  type FlatAnalysisSettings,
  type SettingKey,
  DEFAULT_MODEL_SETTINGS,
} from '../../../../src/core/settings';
import { DEFAULT_EVALUATION_OPTIONS } from '../../../../src/core/scores/evaluate';
import { PRESET_DTYPES, findPreset } from '../../../../src/core/models';
import { validateBundle, BundleError } from '../../../../src/core/bundle';
import { SNIPPET_HASH_PREFIX, decodeSnippet, encodeSnippet, toBase64Url, type SnippetInput } from '../../../../src/core/snippet';
import { decodeViewLink, encodeViewLink, viewLinkOf } from '../../../../src/state/permalink';
import { sessionRecordOf, sessionRecordSchema } from '../../../../src/state/persistence/records';
import type { DevicePreference as WorkerDevicePreference, ModelDtype as WorkerModelDtype } from '../../../../src/worker/device';
import type { ModelDtype, DevicePreference } from '../../../../src/core/settings';
import { sessionSnapshot } from '../../state/persistence/fixtures';
import { payloadBundle } from '../bundle/fixtures';

/** True when A and B are assignable both ways. */
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// The worker's device module names the same vocabularies (it is edited elsewhere; these keep it in step).
const dtypesAgree: SameShape<WorkerModelDtype, ModelDtype> = true;
const devicesAgree: SameShape<WorkerDevicePreference, DevicePreference> = true;

/** A value of every setting that is not its default (and within its bounds). */
function otherValue(key: SettingKey): unknown {
  const schema = settingSchema(key).unwrap() as unknown as { type: string; options?: string[]; isInt?: boolean; def: { type: string } };
  const fallback = flattenSettings(DEFAULT_ANALYSIS_SETTINGS)[key];
  switch (schema.def.type) {
    case 'enum':
      return schema.options!.find((option) => option !== fallback);
    case 'number':
      return schema.isInt ? (fallback as number) + 2 : (fallback as number) * 1.75;
    case 'boolean':
      return !fallback;
    default:
      throw new Error(`no test value for a setting of type ${schema.def.type} (${key}): add one here`);
  }
}

const changed: FlatAnalysisSettings = Object.fromEntries(SETTING_KEYS.map((key) => [key, otherValue(key)])) as FlatAnalysisSettings;
const changedNested: AnalysisSettings = nestSettings(changed);

const snippetHashOf = (value: unknown) => SNIPPET_HASH_PREFIX + toBase64Url(deflateSync(strToU8(JSON.stringify(value))));

const pick = (settings: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, settings[k]]));

function snippetInput(settings: SnippetInput['settings']): SnippetInput {
  return {
    trajectoryId: 't',
    message: 1,
    stepNumber: 1,
    tokens: ['a', 'b'],
    policy: [-1, -2],
    reference: [-1.5, -2.5],
    stepScore: 0.5,
    decisive: false,
    labelledMistake: false,
    settings,
    modelPair: null,
    createdAt: '2026-03-01T12:00:00.000Z',
  };
}

describe('the settings declaration', () => {
  it('derives the defaults the app, the CLI and the files used before', () => {
    expect(dtypesAgree && devicesAgree).toBe(true);
    expect(DEFAULT_ANALYSIS_SETTINGS).toEqual({
      evaluation: { method: 'progress', tokenAggregation: 'mean', stepAggregation: 'mean', mode: 'difference', beta: 1, k: 1, unscored: 'skip', grouping: 'file-task' },
      predictor: 'min_cumulative',
      colourRangeMode: 'fitted',
      colourRange: 2,
      showWhitespace: false,
      contextPolicy: 'fit',
      contextTokens: 16384,
    });
    expect(DEFAULT_EVALUATION_OPTIONS).toEqual(DEFAULT_ANALYSIS_SETTINGS.evaluation);
    // A partial copy (written before a setting existed) reads the missing ones as defaults.
    expect(analysisSettingsSchema.parse({ colourRange: 3 })).toEqual({ ...DEFAULT_ANALYSIS_SETTINGS, colourRange: 3 });
    expect(analysisSettingsSchema.parse({ evaluation: { k: 4 } }).evaluation).toEqual({ ...DEFAULT_ANALYSIS_SETTINGS.evaluation, k: 4 });
    expect(SETTING_KEYS).toEqual(Object.keys(flatAnalysisSettingsSchema.shape));
    expect(LINKED_SETTING_KEYS).toEqual(SETTING_KEYS.filter((k) => !(READER_PREFERENCES as readonly string[]).includes(k)));
  });

  it('renders a fresh profile’s pair — the demo pair — as it was trained (chat); every other pair defaults to plain (issue 14, item 12)', () => {
    expect(DEFAULT_MODEL_SETTINGS.choice).toEqual({ kind: 'demo' });
    expect(DEFAULT_MODEL_SETTINGS.render).toBe(findPreset('demo')!.render);
    expect(DEFAULT_MODEL_SETTINGS.render).toBe('chat');
    // Presets other than the demo name no rendering of their own: they score in plain mode, the README's default.
    for (const id of ['smollm-135m', 'qwen2.5-0.5b']) {
      expect(findPreset(id), id).toBeDefined();
      expect(findPreset(id)!.render, id).toBeUndefined();
    }
  });

  it('refuses an astronomical colour range or β in a view link, as bundles do (issue 14, item 12)', () => {
    expect(decodeViewLink('#v=1&range=1e308')).toEqual({ kind: 'invalid', reason: `range: ${settingSchema('colourRange').safeParse(1e308).error!.issues[0].message}` });
    expect(decodeViewLink('#v=1&beta=1e308')).toEqual({ kind: 'invalid', reason: `beta: ${settingSchema('beta').safeParse(1e308).error!.issues[0].message}` });
  });

  it('declares the shared vocabularies once', () => {
    expect(MODEL_DTYPES).toEqual(['fp32', 'fp16', 'q8', 'q4', 'q4f16']);
    expect(PRESET_DTYPES).toBe(MODEL_DTYPES);
    expect(DEVICE_PREFERENCES).toEqual(['auto', 'webgpu', 'wasm']);
  });

  it('bounds the numbers', () => {
    const ok = (key: SettingKey, value: unknown) => settingSchema(key).safeParse(value).success;
    expect(ok('beta', SETTING_BOUNDS.beta.atMost)).toBe(true);
    expect(ok('beta', 1e-9)).toBe(true);
    for (const bad of [0, -1, SETTING_BOUNDS.beta.atMost * 2, Infinity, NaN, '1']) expect(ok('beta', bad)).toBe(false);
    expect(ok('k', 1)).toBe(true);
    expect(ok('k', SETTING_BOUNDS.k.atMost)).toBe(true);
    for (const bad of [0, 1.5, SETTING_BOUNDS.k.atMost + 1]) expect(ok('k', bad)).toBe(false);
    expect(ok('colourRange', 0.01)).toBe(true);
    for (const bad of [0, -2, SETTING_BOUNDS.colourRange.atMost * 2, Infinity]) expect(ok('colourRange', bad)).toBe(false);
    expect(ok('predictor', 'median')).toBe(false);
    expect(ok('showWhitespace', 'yes')).toBe(false);
  });

  it('has a non-default test value for every setting', () => {
    for (const key of SETTING_KEYS) {
      expect(settingSchema(key).safeParse(changed[key]).success, key).toBe(true);
      expect(changed[key], key).not.toEqual(flattenSettings(DEFAULT_ANALYSIS_SETTINGS)[key]);
    }
  });
});

describe('every declared setting survives each copy', () => {
  it('the session record (IndexedDB)', () => {
    const record = sessionRecordOf(sessionSnapshot([], { analysis: changedNested }), 1);
    const read = sessionRecordSchema.parse(structuredClone(record));
    for (const key of SETTING_KEYS) expect(flattenSettings(read.analysis)[key], key).toEqual(changed[key]);
  });

  it('an analysis bundle', () => {
    const bundle = JSON.parse(JSON.stringify({ ...payloadBundle(), settings: changedNested }));
    const read = validateBundle(bundle, 'a.pa-bundle.json.gz');
    for (const key of SETTING_KEYS) expect(flattenSettings(read.settings)[key], key).toEqual(changed[key]);
  });

  it('a snippet link (every setting but the reader’s preferences)', () => {
    const decoded = decodeSnippet(encodeSnippet(snippetInput(pick(changed, LINKED_SETTING_KEYS) as SnippetInput['settings'])).hash);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(Object.keys(decoded.snippet.settings).sort()).toEqual([...LINKED_SETTING_KEYS].sort());
    for (const key of LINKED_SETTING_KEYS) expect((decoded.snippet.settings as Record<string, unknown>)[key], key).toEqual(changed[key]);
  });

  it('a view link (every setting but the reader’s preferences)', () => {
    const link = viewLinkOf({ selected: null, step: null, tokens: null, tab: 'dataset', analysis: changedNested });
    expect(Object.keys(link.settings).sort()).toEqual([...LINKED_SETTING_KEYS].sort());
    const decoded = decodeViewLink(`#${encodeViewLink(link)}`);
    if (decoded.kind !== 'view') throw new Error(`not a view link: ${JSON.stringify(decoded)}`);
    for (const key of LINKED_SETTING_KEYS) expect((decoded.link.settings as Record<string, unknown>)[key], key).toEqual(changed[key]);
  });

  it('old copies without the newer settings still load, with the defaults', () => {
    const { showWhitespace: _dropped, ...oldSettings } = DEFAULT_ANALYSIS_SETTINGS;
    const bundle = JSON.parse(JSON.stringify({ ...payloadBundle(), settings: oldSettings }));
    expect(validateBundle(bundle, 'old.pa-bundle.json.gz').settings).toEqual(DEFAULT_ANALYSIS_SETTINGS);
    const record = sessionRecordOf(sessionSnapshot([]), 1) as Record<string, unknown>;
    expect(sessionRecordSchema.parse({ ...record, analysis: { colourRange: 2, predictor: 'min_cumulative', evaluation: { beta: 1 } } }).analysis).toEqual(DEFAULT_ANALYSIS_SETTINGS);
  });
});

describe('an out-of-bounds colour range', () => {
  const tooBig = SETTING_BOUNDS.colourRange.atMost * 10;
  const message = settingSchema('colourRange').safeParse(tooBig).error!.issues[0].message;

  it('is refused by every copy with the same message', () => {
    expect(message).toMatch(/Too big/);
    // The session record: the saved settings are dropped with this reason.
    const record = sessionRecordOf(sessionSnapshot([]), 1);
    const session = sessionRecordSchema.safeParse({ ...record, analysis: { ...record.analysis, colourRange: tooBig } });
    expect(session.success).toBe(false);
    expect(session.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([`analysis.colourRange: ${message}`]);
    // An analysis bundle.
    let error: unknown;
    try {
      validateBundle(JSON.parse(JSON.stringify({ ...payloadBundle(), settings: { ...DEFAULT_ANALYSIS_SETTINGS, colourRange: tooBig } })), 'b.pa-bundle.json.gz');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BundleError);
    expect((error as BundleError).place).toBe('settings.colourRange');
    expect((error as BundleError).reason).toContain(message);
    // A snippet link, encoded by hand (the encoder refuses it too).
    expect(() => encodeSnippet(snippetInput({ colourRange: tooBig }))).toThrow(message);
    const good = encodeSnippet(snippetInput({ colourRange: 2 })).hash;
    const decodedGood = decodeSnippet(good);
    if (!decodedGood.ok) throw new Error(decodedGood.error);
    const bad = { ...decodedGood.snippet, settings: { ...decodedGood.snippet.settings, colourRange: tooBig } };
    const snippet = decodeSnippet(snippetHashOf(bad));
    expect(snippet).toEqual({ ok: false, error: `the snippet link is not a valid snippet: settings.colourRange: ${message}` });
    // A view link.
    expect(decodeViewLink(`#v=1&range=${tooBig}`)).toEqual({ kind: 'invalid', reason: `range: ${message}` });
  });
});
