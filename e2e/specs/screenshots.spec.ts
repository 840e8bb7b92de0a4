// Screenshots of every view in light and dark themes, saved under e2e/artifacts/screenshots/.
// Each view is asserted on something visible before its picture is taken.
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { BASE, createLab, labName, SCREENSHOTS, vmNode } from './helpers';

for (const scheme of ['light', 'dark'] as const) {
  test(`every view in the ${scheme} theme`, async ({ page, request }) => {
    const lab = labName(`shot-${scheme}`);
    await createLab(request, lab, 'shared', 'seed-story');
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.emulateMedia({ colorScheme: scheme });
    const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}-${scheme}.png`) });

    await page.goto(`${BASE()}/`);
    await expect(page.getByRole('link', { name: lab, exact: true })).toBeVisible();
    await shot('labs');

    await page.goto(`${BASE()}/labs/${lab}?sel=vm:VM1`);
    await expect(vmNode(page, 'VM1')).toHaveAccessibleName(/wbinvd ON/);
    await expect(page.getByRole('region', { name: 'Details' })).toContainText('VM VM1');
    await shot('topology');

    await page.goto(`${BASE()}/labs/${lab}?seq=3`);
    await expect(page.getByRole('status', { name: 'Viewing the past' })).toBeVisible();
    await shot('topology-past');

    await page.goto(`${BASE()}/labs/${lab}/explain?a=VM1&b=VM2`);
    await expect(page.getByRole('region', { name: 'Verdict' })).toContainText('VM1 emulates wbinvd');
    await shot('explain');

    await page.goto(`${BASE()}/labs/${lab}/compare`);
    await expect(page.getByRole('region', { name: 'Policy type1' })).toBeVisible();
    await shot('compare');

    await page.goto(`${BASE()}/labs/${lab}/events`);
    await expect(page.getByRole('table', { name: 'Events' })).toContainText('vm.create');
    await shot('events');

    const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
      hwpts: { id: number }[];
    };
    const hwpt = state.hwpts[0]?.id;
    expect(hwpt).toBeDefined();
    await page.goto(`${BASE()}/labs/${lab}/hwpts/${hwpt}`);
    await expect(page.getByRole('table', { name: 'Leaves' })).toContainText('0x');
    await shot('inspector');

    await page.goto(`${BASE()}/labs/${lab}`);
    await expect(vmNode(page, 'VM1')).toBeVisible();
    await page.keyboard.press('?');
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
    await shot('help');
  });
}
