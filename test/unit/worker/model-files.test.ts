import { describe, expect, it } from 'vitest';
import { DROPPED_MODELS_PREFIX, fetchWithDroppedFolders, registerDroppedFolder } from '../../../src/worker/model-files';

describe('dropped model folders', () => {
  const id = registerDroppedFolder('my model', new Map([['config.json', new Blob(['{"model_type":"gpt2"}'])], ['onnx/model.onnx', new Blob([new Uint8Array([1, 2, 3])])]]));
  const calls: string[] = [];
  const fetchDropped = fetchWithDroppedFolders(async (input) => {
    calls.push(String(input));
    return new Response('network');
  });

  it('serves the folder files under the prefix, by relative path', async () => {
    expect(id).toBe('my_model-1');
    const config = await fetchDropped(`${DROPPED_MODELS_PREFIX}${id}/config.json`);
    expect(await config.json()).toEqual({ model_type: 'gpt2' });
    const onnx = await fetchDropped(`http://127.0.0.1:5173${DROPPED_MODELS_PREFIX}${id}/onnx/model.onnx`);
    expect(Array.from(new Uint8Array(await onnx.arrayBuffer()))).toEqual([1, 2, 3]);
    expect(onnx.headers.get('Content-Length')).toBe('3');
  });

  it('answers 404 for a file the folder lacks (transformers.js then tries the next dtype or reports it)', async () => {
    expect((await fetchDropped(`${DROPPED_MODELS_PREFIX}${id}/onnx/model_q4.onnx`)).status).toBe(404);
    expect((await fetchDropped(`${DROPPED_MODELS_PREFIX}nope-9/config.json`)).status).toBe(404);
  });

  it('passes every other request to the real fetch', async () => {
    await fetchDropped('/models/demo-policy/config.json');
    expect(calls).toEqual(['/models/demo-policy/config.json']);
  });
});
