// Accessible names: on every view, every control Chromium's accessibility tree exposes has a name,
// so tests (and screen readers) can address each one by role and name.
import { expect, type Locator, test } from '@playwright/test';
import { BASE, createLab, labName } from './helpers';

const CONTROLS = ['button', 'textbox', 'searchbox', 'combobox', 'checkbox', 'slider', 'link', 'spinbutton'];

test('every control on every view has an accessible name', async ({ page, request }) => {
  const lab = labName('a11y');
  await createLab(request, lab, 'shared', 'seed-story');
  const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
    hwpts: { id: number }[];
  };
  const hwpt = state.hwpts[0]?.id;
  const cdp = await page.context().newCDPSession(page);
  const views: [string, () => Locator][] = [
    ['/', () => page.getByRole('heading', { name: 'Labs' })],
    [`/labs/${lab}?sel=vm:VM1`, () => page.getByRole('heading', { name: /^VM VM1/ })],
    [`/labs/${lab}?seq=3`, () => page.getByRole('status', { name: 'Viewing the past' })],
    [`/labs/${lab}/explain?a=VM1&b=VM2`, () => page.getByRole('heading', { name: 'First divergence' })],
    [`/labs/${lab}/compare`, () => page.getByRole('region', { name: 'Policy shared' })],
    [
      `/labs/${lab}/events`,
      () => page.getByRole('table', { name: 'Events' }).getByRole('cell', { name: /^vm\.create name=VM1/ }),
    ],
    [
      `/labs/${lab}/hwpts/${hwpt}`,
      () => page.getByRole('heading', { name: `Page table: HWPT ${hwpt}`, exact: false }),
    ],
  ];
  for (const [path, visible] of views) {
    await page.goto(`${BASE()}${path}`);
    await expect(visible()).toBeVisible();
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[];
    };
    const controls = nodes.filter((n) => !n.ignored && CONTROLS.includes(n.role?.value ?? ''));
    const unnamed = controls.filter((n) => !(n.name?.value ?? '').trim()).map((n) => n.role?.value);
    expect(controls.length, path).toBeGreaterThan(5);
    expect(unnamed, path).toEqual([]);
  }
});
