/** Actions that read files through the ingestion worker and put the result in the store. */
import { ingestClient } from '../worker/ingestClient';
import { useAppStore } from './store';

export async function loadFiles(files: readonly File[]): Promise<void> {
  // Register every file first so the list shows them in the order they were opened.
  const ids = files.map((file) => useAppStore.getState().beginFile(file.name, file.size));
  await Promise.all(files.map((file, i) => parseInto(ids[i], file.name, file)));
}

export async function loadBlob(name: string, blob: Blob): Promise<void> {
  await parseInto(useAppStore.getState().beginFile(name, blob.size), name, blob);
}

async function parseInto(fileId: number, name: string, blob: Blob): Promise<void> {
  try {
    const result = await ingestClient().parseBlob(name, blob, {
      onProgress: (bytesRead) => useAppStore.getState().fileProgress(fileId, bytesRead),
      onBatch: (batch) => useAppStore.getState().addTrajectories(fileId, batch.trajectories, batch.errors),
    });
    useAppStore.getState().addTrajectories(fileId, result.trajectories, result.errors);
    useAppStore.getState().finishFile(fileId);
  } catch (err) {
    useAppStore.getState().failFile(fileId, { file: name, message: `${name}: ${err instanceof Error ? err.message : String(err)}` });
  }
}

/** The manifest `public/examples/index.json` lists the example files a fresh session opens with. */
let examplesRequested = false;

export async function loadExamples(base = import.meta.env.BASE_URL): Promise<void> {
  // React's StrictMode runs effects twice in development: load the examples once.
  if (examplesRequested || useAppStore.getState().files.length > 0) return;
  examplesRequested = true;
  let names: string[];
  try {
    const res = await fetch(`${base}examples/index.json`);
    if (!res.ok) return;
    const manifest = (await res.json()) as { files?: unknown };
    names = Array.isArray(manifest.files) ? manifest.files.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return;
  }
  for (const name of names) {
    const res = await fetch(`${base}examples/${encodeURIComponent(name)}`);
    if (!res.ok) {
      const id = useAppStore.getState().beginFile(name, 0);
      useAppStore.getState().failFile(id, { file: name, message: `${name}: could not be fetched (HTTP ${res.status})` });
      continue;
    }
    await loadBlob(name, await res.blob());
  }
}
