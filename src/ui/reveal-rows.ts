import { useEffect, useRef, type RefObject } from 'react';
import type { Virtualizer } from '@tanstack/react-virtual';

/** Rows `first` … `last` (inclusive) of a virtual list: where a chosen trajectory, step or token lives. */
export interface RowSpan {
  first: number;
  last: number;
}

/**
 * Scrolls rows chosen elsewhere (a link, n/p, the curve, a note, a search hit) into view in a
 * virtual list, and keeps them there while the layout settles. Panes beside the list appear and go
 * after the rows do (a legend, a notice, the filter bar's message) and resize its scroller, and the
 * rows move when the list is filtered or re-sorted; a reveal made a moment before can then leave the
 * rows outside the new edges. So the reveal is made again whenever the scroller's height or the
 * rows' place changes, until the user scrolls, types or clicks in the list. Rows already on screen
 * stay put (a click on a token does not scroll); with `align: 'auto'` a row shows whole.
 *
 * `target` is the chosen thing (null: nothing): a new object per choice means choosing the same
 * thing again brings it back after the user scrolled away; `span` is the rows it occupies now, or
 * null while it has none (hidden by a filter, not built yet: it is revealed afresh when it returns).
 */
export function useRevealRows(
  virtualizer: Virtualizer<HTMLDivElement, Element>,
  scroller: RefObject<HTMLDivElement | null>,
  target: unknown,
  span: RowSpan | null,
  align: 'start' | 'center' | 'auto',
): void {
  const height = virtualizer.scrollRect?.height ?? 0;
  const revealed = useRef<unknown>(null);
  const userMoved = useRef(false);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const moved = () => {
      userMoved.current = true;
    };
    const events = ['wheel', 'touchmove', 'keydown', 'pointerdown'] as const;
    for (const name of events) element.addEventListener(name, moved, { passive: true });
    return () => {
      for (const name of events) element.removeEventListener(name, moved);
    };
  }, [scroller]);

  const first = span?.first ?? -1;
  const last = span?.last ?? -1;
  useEffect(() => {
    if (target === null || target === undefined || first < 0) {
      revealed.current = null;
      return;
    }
    if (revealed.current !== target) {
      revealed.current = target;
      userMoved.current = false;
    } else if (userMoved.current) {
      return;
    }
    // 'auto' scrolls only as far as the row needs to show whole, and not at all when it does.
    if (align === 'auto') return virtualizer.scrollToIndex(first, { align });
    const top = virtualizer.scrollOffset ?? 0;
    const bottom = top + height;
    const onScreen = virtualizer.getVirtualItems().some((item) => item.index >= first && item.index <= last && item.end > top && item.start < bottom);
    if (!onScreen) virtualizer.scrollToIndex(first, { align });
  }, [target, first, last, height, align, virtualizer]);
}
