/**
 * Honest device choice (docs/architecture.md §6): WebGPU on a hardware adapter; WASM when there is no
 * adapter, when the only adapter is a software fallback (SwiftShader in headless browsers), or
 * when the model's dtype needs `shader-f16` and the adapter lacks it. The reason is always said,
 * and the user may override.
 */
import { F16_MODEL_DTYPES, type Device, type DevicePreference, type ModelDtype } from '../core/settings/vocabularies';

export type { Device, DevicePreference, ModelDtype };

export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  isFallback: boolean;
  shaderF16: boolean;
  maxBufferSize: number;
}

export interface DeviceChoice {
  /** `server`: a pair served by vLLM / SGLang (server-engines.ts) computes on the servers' devices. */
  device: Device | 'server';
  /** One sentence a user can read: why this device. */
  reason: string;
  adapter: GpuAdapterSummary | null;
}

const DTYPES_NEEDING_F16: readonly ModelDtype[] = F16_MODEL_DTYPES;

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; isFallbackAdapter?: boolean };
  /** Older spelling (before the flag moved to `info`). */
  isFallbackAdapter?: boolean;
  features: { has(name: string): boolean };
  limits: { maxBufferSize: number };
}

interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

export async function probeWebGpu(gpu: GpuLike | undefined = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu): Promise<GpuAdapterSummary | null | 'unavailable'> {
  if (!gpu) return 'unavailable';
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) return null;
  return {
    vendor: adapter.info?.vendor ?? '',
    architecture: adapter.info?.architecture ?? '',
    isFallback: Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter),
    shaderF16: adapter.features.has('shader-f16'),
    maxBufferSize: adapter.limits.maxBufferSize,
  };
}

/** Pure decision, separated from the probe so every branch is unit-tested. */
export function decideDevice(probe: GpuAdapterSummary | null | 'unavailable', dtype: ModelDtype, preference: DevicePreference): DeviceChoice {
  const adapter = probe === 'unavailable' || probe === null ? null : probe;
  const needsF16 = DTYPES_NEEDING_F16.includes(dtype);
  if (preference === 'wasm') return { device: 'wasm', reason: 'WASM chosen by you.', adapter };
  if (!adapter) {
    const why = probe === 'unavailable' ? 'this browser has no WebGPU (navigator.gpu is missing)' : 'WebGPU gave no adapter';
    return preference === 'webgpu'
      ? { device: 'wasm', reason: `WebGPU was asked for, but ${why}: running on WASM.`, adapter }
      : { device: 'wasm', reason: `WASM: ${why}.`, adapter };
  }
  const name = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  if (needsF16 && !adapter.shaderF16) {
    return { device: 'wasm', reason: `WASM: the ${dtype} model needs the shader-f16 feature, which the WebGPU adapter (${name}) lacks.`, adapter };
  }
  if (preference === 'webgpu') {
    return { device: 'webgpu', reason: adapter.isFallback ? `WebGPU chosen by you, on a software adapter (${name}): correct but slow.` : `WebGPU chosen by you (${name}).`, adapter };
  }
  if (adapter.isFallback) {
    return { device: 'wasm', reason: `WASM: the only WebGPU adapter is a software fallback (${name}), slower than WASM. You can still choose WebGPU.`, adapter };
  }
  return { device: 'webgpu', reason: `WebGPU on ${name}.`, adapter };
}

export async function chooseDevice(dtype: ModelDtype, preference: DevicePreference = 'auto'): Promise<DeviceChoice> {
  return decideDevice(await probeWebGpu(), dtype, preference);
}
