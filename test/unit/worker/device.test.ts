import { describe, expect, it } from 'vitest';
import { decideDevice, probeWebGpu, type GpuAdapterSummary } from '../../../src/worker/device';

const hardware: GpuAdapterSummary = { vendor: 'nvidia', architecture: 'hopper', isFallback: false, shaderF16: true, maxBufferSize: 2 ** 32 };
const swiftshader: GpuAdapterSummary = { vendor: 'google', architecture: 'swiftshader', isFallback: true, shaderF16: false, maxBufferSize: 2 ** 30 };

describe('decideDevice', () => {
  it('uses WebGPU on a hardware adapter', () => {
    expect(decideDevice(hardware, 'q4f16', 'auto')).toEqual({ device: 'webgpu', reason: 'WebGPU on nvidia hopper.', adapter: hardware });
  });
  it('falls back to WASM on a software adapter, and says the user may override', () => {
    const choice = decideDevice(swiftshader, 'fp32', 'auto');
    expect(choice.device).toBe('wasm');
    expect(choice.reason).toBe('WASM: the only WebGPU adapter is a software fallback (google swiftshader), slower than WASM. You can still choose WebGPU.');
  });
  it('honours an explicit WebGPU choice on a software adapter', () => {
    expect(decideDevice(swiftshader, 'q8', 'webgpu')).toMatchObject({ device: 'webgpu', reason: 'WebGPU chosen by you, on a software adapter (google swiftshader): correct but slow.' });
  });
  it('refuses f16 dtypes on an adapter without shader-f16, even when asked', () => {
    for (const pref of ['auto', 'webgpu'] as const) {
      expect(decideDevice({ ...hardware, shaderF16: false }, 'fp16', pref)).toMatchObject({
        device: 'wasm',
        reason: 'WASM: the fp16 model needs the shader-f16 feature, which the WebGPU adapter (nvidia hopper) lacks.',
      });
    }
    expect(decideDevice({ ...hardware, shaderF16: false }, 'q4', 'auto').device).toBe('webgpu');
  });
  it('uses WASM without WebGPU, and says why', () => {
    expect(decideDevice('unavailable', 'fp32', 'auto').reason).toBe('WASM: this browser has no WebGPU (navigator.gpu is missing).');
    expect(decideDevice(null, 'fp32', 'webgpu').reason).toBe('WebGPU was asked for, but WebGPU gave no adapter: running on WASM.');
  });
  it('uses WASM when chosen', () => {
    expect(decideDevice(hardware, 'fp32', 'wasm')).toMatchObject({ device: 'wasm', reason: 'WASM chosen by you.' });
  });
});

describe('probeWebGpu', () => {
  const adapter = (info: object, features: string[], extra: object = {}) => ({
    info,
    features: new Set(features),
    limits: { maxBufferSize: 1024 },
    ...extra,
  });
  it('reads the fallback flag where current browsers put it (adapter.info) and where older ones did', async () => {
    expect(await probeWebGpu({ requestAdapter: async () => adapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true }, []) })).toEqual({
      vendor: 'google',
      architecture: 'swiftshader',
      isFallback: true,
      shaderF16: false,
      maxBufferSize: 1024,
    });
    expect((await probeWebGpu({ requestAdapter: async () => adapter({}, ['shader-f16'], { isFallbackAdapter: true }) })) as GpuAdapterSummary).toMatchObject({
      isFallback: true,
      shaderF16: true,
    });
  });
  it('reports a missing API and a missing adapter differently', async () => {
    expect(await probeWebGpu(undefined)).toBe('unavailable');
    expect(await probeWebGpu({ requestAdapter: async () => null })).toBe(null);
    expect(
      await probeWebGpu({
        requestAdapter: async () => {
          throw new Error('boom');
        },
      }),
    ).toBe(null);
  });
});
