/** What the format tests (formats-archives, formats-sessions, formats-specs) read from a page. */
import type { Page } from 'playwright-core';
import { scrollThroughTranscript } from '../../tools/browser';

/** One message of the open transcript: its index, whether it is an action step, and its tool calls. */
export interface ShownMessage {
  index: number;
  action: boolean;
  toolCalls: number;
}

/** Every message of the open transcript (it is virtualized: scrolled through), in index order. */
export async function shownMessages(page: Page): Promise<ShownMessage[]> {
  const byIndex = new Map<number, ShownMessage>();
  await scrollThroughTranscript(page, async () => {
    const seen = await page.$$eval('[data-testid="transcript"] [data-testid="message"]', (els) =>
      els.map((m) => ({ index: Number(m.getAttribute('data-message-index')), action: m.classList.contains('action-step'), toolCalls: m.querySelectorAll('[data-testid="tool-call"]').length })),
    );
    for (const m of seen) byIndex.set(m.index, m);
  });
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}
