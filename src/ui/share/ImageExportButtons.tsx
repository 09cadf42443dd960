import { useState } from 'react';
import type { ImageFormat } from './exports';

/**
 * A compact "SVG · PNG" pair next to a view; data-testids `${testIdPrefix}-svg` and `-png`.
 * A failure (nothing to export, no canvas) is said next to the buttons.
 */
export function ImageExportButtons({ testIdPrefix, label, onExport }: { testIdPrefix: string; label: string; onExport(format: ImageFormat): Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = (format: ImageFormat) => {
    setBusy(true);
    setError(null);
    onExport(format)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(false));
  };
  return (
    <span className="image-export" role="group" aria-label={`Export ${label}`}>
      <span className="muted">export</span>
      {(['svg', 'png'] as const).map((format) => (
        <button key={format} type="button" className="link-button" data-testid={`${testIdPrefix}-${format}`} disabled={busy} title={`Save ${label} as ${format.toUpperCase()}`} onClick={() => run(format)}>
          {format.toUpperCase()}
        </button>
      ))}
      {error && (
        <span className="share-error" role="alert" data-testid={`${testIdPrefix}-error`}>
          {error}
        </span>
      )}
    </span>
  );
}
