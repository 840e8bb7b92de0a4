import { join } from 'node:path';
import { expect, test } from '@playwright/test';

test('home page shows the server health from the real core', async ({ page }) => {
  await page.goto(`${process.env.BASE_URL}/`);
  await expect(page.getByRole('status')).toHaveText(/server ok · version \S+ · core ABI 1/);
  await page.screenshot({
    path: join(import.meta.dirname, '..', 'artifacts', 'screenshots', 'home.png'),
    fullPage: true,
  });
});
