/** What the sharing tests (notes, share) do on a page: open the share menu, catch a download. */
import type { Download, Page } from 'playwright-core';

/** The download that `click` starts. */
export async function downloadOf(page: Page, click: () => Promise<void>): Promise<Download> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), click()]);
  return download;
}

/** Opens the share menu unless it is open, and waits for it. */
export async function openShareMenu(page: Page): Promise<void> {
  if ((await page.getByTestId('share-menu').count()) === 0) await page.getByTestId('share-menu-button').click();
  await page.getByTestId('share-menu').waitFor();
}
