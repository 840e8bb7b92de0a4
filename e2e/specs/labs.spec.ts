// The labs list: create (opens the new lab), fork under another policy (opens the fork), delete (asks
// first); keyboard help and the theme toggle. Everything through the browser.
import { expect, test } from '@playwright/test';
import { BASE, labName, vmNode } from './helpers';

test('labs can be created, forked under another policy and deleted', async ({ page }) => {
  const lab = labName('list');
  await page.goto(`${BASE()}/`);
  await expect(page.getByText(/server ok · version \S+ · core ABI \d+/)).toBeVisible();
  // A fresh install starts with the seed lab.
  await expect(page.getByRole('link', { name: 'seed', exact: true })).toBeVisible();

  const create = page.getByRole('form', { name: 'Create lab' });
  await create.getByLabel('name', { exact: true }).fill(lab);
  await create.getByLabel('policy').selectOption('shared');
  await create.getByLabel('template').selectOption('seed-story');
  await create.getByRole('button', { name: 'Create lab' }).click();
  // Creating opens the new lab.
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}$`));
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/wbinvd ON/);
  await page.getByRole('link', { name: 'All labs', exact: true }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: lab, exact: true }) });
  await expect(row).toContainText('shared');

  const fork = row.getByRole('form', { name: `Fork ${lab}` });
  await fork.getByLabel('fork as').fill(`${lab}-t1`);
  await fork.getByLabel('policy').selectOption('type1');
  await fork.getByRole('button', { name: `Fork ${lab}` }).click();
  // Forking opens the fork: under type1 VM1 converges with VM2 once B is gone.
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}-t1$`));
  await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/wbinvd off/);
  await page.getByRole('link', { name: 'All labs', exact: true }).click();
  const forkRow = page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: `${lab}-t1`, exact: true }) });
  await expect(forkRow).toContainText('type1');

  // Delete asks first; Cancel keeps the lab, Delete in the dialog removes it.
  await forkRow.getByRole('button', { name: `Delete ${lab}-t1` }).click();
  const ask = page.getByRole('alertdialog', { name: `Delete ${lab}-t1?` });
  await expect(ask).toContainText('cannot be undone');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  await expect(forkRow).toBeVisible();
  await forkRow.getByRole('button', { name: `Delete ${lab}-t1` }).click();
  await page
    .getByRole('alertdialog', { name: `Delete ${lab}-t1?` })
    .getByRole('button', { name: 'Delete' })
    .click();
  await expect(page.getByRole('link', { name: `${lab}-t1`, exact: true })).toHaveCount(0);
  await expect(page.getByRole('link', { name: lab, exact: true })).toBeVisible();
});

test('? opens the keyboard help and the theme toggle switches to dark', async ({ page }) => {
  await page.goto(`${BASE()}/labs/seed`);
  await expect(vmNode(page, 'VM1')).toBeVisible();
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toContainText('go live');
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);

  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByRole('button', { name: 'Switch to light theme' })).toBeVisible();
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('a lab that does not exist says so with its errno', async ({ page }) => {
  await page.goto(`${BASE()}/labs/no-such-lab`);
  await expect(page.getByRole('alert').filter({ hasText: 'ENOENT' })).toBeVisible();
});
