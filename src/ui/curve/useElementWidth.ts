import { useCallback, useEffect, useState } from 'react';

/**
 * The content width of an element, kept current with a ResizeObserver so that charts redraw at the
 * width they are given. Returns a callback ref for the element and its width (`fallback` until measured).
 */
export function useElementWidth<T extends HTMLElement>(fallback: number): [(element: T | null) => void, number] {
  const [element, setElement] = useState<T | null>(null);
  const [width, setWidth] = useState(fallback);
  const ref = useCallback((node: T | null) => setElement(node), []);
  useEffect(() => {
    if (!element) return;
    setWidth(Math.floor(element.getBoundingClientRect().width) || fallback);
    const observer = new ResizeObserver((entries) => {
      const measured = Math.floor(entries[entries.length - 1].contentRect.width);
      // A hidden element (an inactive tab) measures 0: keep the last width instead of collapsing.
      if (measured > 0) setWidth(measured);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [element, fallback]);
  return [ref, width];
}
