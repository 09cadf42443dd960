import { useCallback, useEffect, useState } from 'react';

/**
 * The content width of an element, kept current with a ResizeObserver so that charts redraw at the
 * width they are given. Returns a callback ref for the element and its width (`fallback` until measured).
 * The first width comes from the observer's first callback, which runs after the browser's own
 * layout: reading the element's box when it mounts would force a synchronous layout of the whole
 * page (150–200 ms on a loaded 2-core machine when the first score arrives and the curve appears).
 */
export function useElementWidth<T extends HTMLElement>(fallback: number): [(element: T | null) => void, number] {
  const [element, setElement] = useState<T | null>(null);
  const [width, setWidth] = useState(fallback);
  const ref = useCallback((node: T | null) => setElement(node), []);
  useEffect(() => {
    if (!element) return;
    const observer = new ResizeObserver((entries) => {
      const measured = Math.floor(entries[entries.length - 1].contentRect.width);
      // A hidden element (an inactive tab) measures 0: keep the last width instead of collapsing.
      if (measured > 0) setWidth(measured);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return [ref, width];
}
