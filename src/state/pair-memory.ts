/**
 * The memory estimate the model panel shows before a download (core/models/memory-estimate.ts):
 * each model's config.json and the size of its ONNX file at the chosen dtype, from the hub (a GET
 * of config.json and a HEAD of the ONNX file: nothing big is downloaded), the embedded demo pair or
 * a dropped folder; the longest loaded trajectory's plain rendering; what the browser says about
 * the device's memory.
 */
import { onnxFileOf } from '../core/engine/model-location';
import { estimatePairMemory, estimateTokens, memoryWarnings, modelShapeOf, type DeviceMemory, type ModelMemoryInput, type PairMemoryEstimate } from '../core/models/memory-estimate';
import { MODEL_PRESETS, type PresetDtype } from '../core/models/presets';
import { renderPlainTexts } from '../core/render';
import type { DevicePreference } from '../core/settings';
import type { Trajectory } from '../core/trajectory/types';
import { DEMO_PAIR, type FolderPick, type ModelChoice } from './model-sources';
import { modelHubFileUrl } from './model-hub';

export interface PairMemoryReport {
  estimate: PairMemoryEstimate;
  /** Where each weights size came from, when not from the file itself (a preset's listed size). */
  sizeNotes: string[];
  warnings: string[];
  device: DeviceMemory;
}

/** A model's two inputs to the estimate, wherever it lives. */
interface ModelFiles {
  config(): Promise<unknown>;
  /** Bytes of a file, null when the server does not say or the file is absent. */
  size(path: string): Promise<number | null>;
  name: string;
}

async function fetchJson(url: string, name: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${name}: config.json: HTTP ${response.status}`);
  return response.json();
}

async function headSize(url: string): Promise<number | null> {
  try {
    const response = await fetch(url, { method: 'HEAD' });
    if (!response.ok) return null;
    // The hub answers an LFS file's HEAD with its size in x-linked-size before the redirect; after it, Content-Length.
    const length = response.headers.get('x-linked-size') ?? response.headers.get('content-length');
    return length !== null && /^\d+$/.test(length) ? Number(length) : null;
  } catch {
    return null;
  }
}

function hubFiles(id: string): ModelFiles {
  return { name: id, config: () => fetchJson(modelHubFileUrl(id, 'config.json'), id), size: (path) => headSize(modelHubFileUrl(id, path)) };
}

function servedFiles(baseUrl: string, id: string): ModelFiles {
  return { name: id, config: () => fetchJson(`${baseUrl}${id}/config.json`, id), size: (path) => headSize(`${baseUrl}${id}/${path}`) };
}

function folderFiles(pick: FolderPick): ModelFiles {
  return {
    name: pick.name,
    async config() {
      const file = pick.files.get('config.json');
      if (!file) throw new Error(`${pick.name}: the folder has no config.json`);
      return JSON.parse(await file.text()) as unknown;
    },
    size: async (path) => pick.files.get(path)?.size ?? null,
  };
}

function filesOf(choice: ModelChoice): { policy: ModelFiles; reference: ModelFiles } | null {
  switch (choice.kind) {
    case 'demo':
      return { policy: servedFiles(DEMO_PAIR.baseUrl, DEMO_PAIR.policy), reference: servedFiles(DEMO_PAIR.baseUrl, DEMO_PAIR.reference) };
    case 'hub':
      return choice.policy && choice.reference ? { policy: hubFiles(choice.policy), reference: hubFiles(choice.reference) } : null;
    case 'folders':
      return choice.policy && choice.reference ? { policy: folderFiles(choice.policy), reference: folderFiles(choice.reference) } : null;
    case 'server':
      // The servers hold the weights: nothing is loaded into this page.
      return null;
  }
}

/** The longest loaded trajectory's plain rendering, in characters. */
export function longestRenderingCharacters(trajectories: Iterable<Trajectory>): number {
  let longest = 0;
  for (const trajectory of trajectories) {
    let characters = 0;
    for (const text of renderPlainTexts(trajectory)) characters += text.length;
    longest = Math.max(longest, characters);
  }
  return longest;
}

async function deviceMemoryOf(preference: DevicePreference): Promise<DeviceMemory> {
  const nav = globalThis.navigator as (Navigator & { deviceMemory?: number; gpu?: { requestAdapter(): Promise<{ limits: { maxBufferSize: number }; info?: { isFallbackAdapter?: boolean } } | null> } }) | undefined;
  const deviceMemoryGiB = typeof nav?.deviceMemory === 'number' ? nav.deviceMemory : undefined;
  let adapter = null;
  if (preference !== 'wasm' && nav?.gpu) adapter = await nav.gpu.requestAdapter().catch(() => null);
  // As worker/device.ts decides: WebGPU when asked for, or on auto with a hardware adapter.
  const webgpu = adapter !== null && (preference === 'webgpu' || adapter.info?.isFallbackAdapter !== true);
  return {
    device: webgpu ? 'webgpu' : 'wasm',
    ...(deviceMemoryGiB !== undefined ? { deviceMemoryGiB } : {}),
    ...(webgpu && adapter ? { maxBufferSize: adapter.limits.maxBufferSize } : {}),
  };
}

async function modelInput(files: ModelFiles, dtype: string, presetSizeMb: number | undefined, notes: string[]): Promise<ModelMemoryInput> {
  const shape = modelShapeOf(await files.config(), files.name);
  const onnx = onnxFileOf(dtype);
  let weightsBytes = onnx ? await files.size(onnx) : null;
  if (weightsBytes !== null && onnx) weightsBytes += (await files.size(`${onnx}_data`)) ?? 0;
  if (weightsBytes === null && presetSizeMb !== undefined) {
    weightsBytes = presetSizeMb * 1e6;
    notes.push(`${files.name}: the preset's listed size (${presetSizeMb} MB)`);
  }
  return { shape, weightsBytes };
}

/** The estimate for a pair choice at a dtype and the longest of `trajectories`; null when the choice names no pair yet. */
export async function estimateChoiceMemory(choice: ModelChoice, dtype: string, preference: DevicePreference, trajectories: Iterable<Trajectory>): Promise<PairMemoryReport | null> {
  const files = filesOf(choice);
  if (!files) return null;
  const preset = choice.kind === 'hub' ? MODEL_PRESETS.find((p) => p.policy === choice.policy && p.reference === choice.reference) : undefined;
  const presetSize = preset?.approxSizeMb[dtype as PresetDtype];
  const sizeNotes: string[] = [];
  const [policy, reference] = [await modelInput(files.policy, dtype, presetSize, sizeNotes), await modelInput(files.reference, dtype, presetSize, sizeNotes)];
  const estimate = estimatePairMemory(policy, reference, estimateTokens(longestRenderingCharacters(trajectories)), dtype);
  const device = await deviceMemoryOf(preference);
  return { estimate, sizeNotes, warnings: memoryWarnings(estimate, device), device };
}
