// The landing page says what the lab is for in one screen: the seed story in three lines, a live thumbnail
// of `seed`, Explain VM1 vs VM2 one click away, the API docs and a new lab from a template.
import { expect, test } from '@playwright/test';
import { BASE } from './helpers';

test('the landing page tells the seed story and leads to explain, docs and a new lab', async ({
  page,
  request,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${BASE()}/`);
  const hero = page.getByRole('region', { name: 'What this lab shows' });
  await expect(hero.getByRole('heading', { level: 1 })).toContainText('wbinvd');
  await expect(hero.getByRole('listitem')).toHaveCount(3);
  await expect(hero.getByRole('img', { name: /^Live topology of the seed lab at seq \d+/ })).toBeVisible();
  // All of it in the first screen.
  const box = await hero.boundingBox();
  expect((box?.y ?? 0) + (box?.height ?? 0)).toBeLessThanOrEqual(900);

  const docs = hero.getByRole('link', { name: 'API docs' });
  await expect(docs).toHaveAttribute('href', '/docs');
  expect((await request.get(`${BASE()}/docs`)).ok()).toBe(true);
  await expect(hero.getByRole('link', { name: 'New lab from a template' })).toHaveAttribute(
    'href',
    '#new-lab',
  );

  // Bringing one's own machine in is one click from the top bar.
  await page.getByRole('banner').getByRole('link', { name: 'Import my host' }).click();
  await expect(page).toHaveURL(/\/import$/);
  await page.goto(`${BASE()}/`);
  await hero.getByRole('link', { name: 'Explain VM1 vs VM2' }).click();
  await expect(page).toHaveURL(/\/labs\/seed\/explain\?a=VM1&b=VM2/);
  await expect(page.getByRole('region', { name: 'Verdict' })).toContainText('VM1 emulates wbinvd');
});
