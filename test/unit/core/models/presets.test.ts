import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS, PRESET_DTYPES, describePreset, findPreset, isPresetDtype } from '../../../../src/core/models';

const HUB_REPO = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

describe('MODEL_PRESETS', () => {
  it('has unique, non-empty ids and labels', () => {
    const ids = MODEL_PRESETS.map((preset) => preset.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const preset of MODEL_PRESETS) {
      expect(preset.id).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
      expect(preset.label.length).toBeGreaterThan(0);
      expect(preset.notes.length).toBeGreaterThan(0);
    }
  });

  it('pairs two different models, as hub repository ids or bundled folders served by the app', () => {
    for (const preset of MODEL_PRESETS) {
      expect(preset.policy).not.toBe(preset.reference);
      if (preset.source === 'hub') {
        expect(preset.policy).toMatch(HUB_REPO);
        expect(preset.reference).toMatch(HUB_REPO);
        expect(preset.appPaths).toBeUndefined();
      } else {
        for (const side of ['policy', 'reference'] as const) {
          expect(preset[side]).toMatch(/^public\/models\/[\w.-]+$/);
          expect(preset.appPaths?.[side]).toBe(preset[side].slice('public'.length));
        }
      }
    }
  });

  it('lists known dtypes, each once, with sizes only for listed dtypes', () => {
    for (const preset of MODEL_PRESETS) {
      expect(preset.dtypes.length).toBeGreaterThan(0);
      expect(new Set(preset.dtypes).size).toBe(preset.dtypes.length);
      for (const dtype of preset.dtypes) expect(PRESET_DTYPES).toContain(dtype);
      for (const [dtype, size] of Object.entries(preset.approxSizeMb)) {
        expect(isPresetDtype(dtype) && preset.dtypes.includes(dtype)).toBe(true);
        expect(size).toBeGreaterThan(0);
      }
    }
  });

  it('includes the embedded demo pair and at least two hub pairs', () => {
    expect(findPreset('demo')).toMatchObject({ source: 'bundled', policy: 'public/models/demo-policy', reference: 'public/models/demo-reference' });
    expect(MODEL_PRESETS.filter((preset) => preset.source === 'hub').length).toBeGreaterThanOrEqual(2);
    expect(findPreset('no-such-preset')).toBeUndefined();
  });

  it('describes a preset with its id, both models, dtypes and sizes', () => {
    const preset = findPreset('qwen2.5-0.5b')!;
    const text = describePreset(preset);
    expect(text.split('\n')).toHaveLength(2);
    for (const part of [preset.id, preset.policy, preset.reference, 'fp32, fp16, q4, q4f16', 'fp32 ≈ 1.99 GB', 'q4f16 ≈ 483 MB']) expect(text).toContain(part);
  });

  it('puts the paper’s families first, says for each hub pair whether its post-training included RL, and never guesses a size', () => {
    expect(MODEL_PRESETS.filter((p) => p.source === 'hub').map((p) => p.id)).toEqual(['qwen3-0.6b', 'gemma-3-270m', 'qwen2.5-0.5b', 'smollm-135m']);
    for (const preset of MODEL_PRESETS.filter((p) => p.source === 'hub')) expect(preset.notes).toMatch(/\bRL\b/);
    expect(findPreset('gemma-3-270m')!.notes).toMatch(/^The paper's family\. RL-tuned/);
    expect(findPreset('smollm-135m')!.notes).toMatch(/Not RL-tuned/);
    expect(describePreset(findPreset('qwen3-0.6b')!)).toContain('dtypes fp32, fp16, q8 (per model: fp32 size unknown, fp16 size unknown, q8 size unknown)');
  });

  it('is what `score --list-presets` prints', () => {
    const result = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', 'score', '--list-presets'], {
      cwd: resolve(__dirname, '../../../..'),
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${MODEL_PRESETS.map(describePreset).join('\n\n')}\n`);
  });
});
