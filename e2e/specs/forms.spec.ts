// Forms speak plainly: field problems next to the field in words (no regexes, no "body/length"), the Map
// form says which leaves a range gets, a new VM gets the next free name, Show leaves checks its range.
import { expect, test } from '@playwright/test';
import { actionForm, BASE, createLab, labName } from './helpers';

test('a bad lab name is explained in words before anything is sent', async ({ page }) => {
  await page.goto(`${BASE()}/`);
  const create = page.getByRole('form', { name: 'Create lab' });
  await create.getByLabel('name', { exact: true }).fill('bad name!');
  await create.getByRole('button', { name: 'Create lab' }).click();
  const problem = create.getByRole('alert');
  await expect(problem).toContainText('letters, digits');
  await expect(problem).not.toContainText(/pattern|body\/|\[A-Za-z/);
  await expect(create.getByLabel('name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
});

test('the Map form gives a page-size hint and checks its numbers', async ({ page, request }) => {
  const lab = labName('forms');
  await createLab(request, lab, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${lab}?sel=vm:VM2`);
  const map = await actionForm(page, 'Map');
  await expect(map).toContainText(/Leaves in HWPT \d+ \(iommu0, 4K\/2M\/1G pages\): 2M×1\./);
  await map.getByLabel('length').fill('0x201000');
  await expect(map).toContainText('2M×1 4K×1');
  await map.getByLabel('length').fill('0x1001');
  await expect(map).toContainText('Not aligned to 4K');
  await map.getByLabel('length').fill('lots');
  await map.getByRole('button', { name: 'Map' }).click();
  await expect(map.getByRole('alert')).toContainText('a number: decimal, 0x-hex, or with K/M/G');
  await map.getByLabel('length').fill('0');
  await map.getByRole('button', { name: 'Map' }).click();
  await expect(map.getByRole('alert')).toContainText('must be more than 0');
});

test('a new VM is named VM1 in a lab without VMs, and the next free number otherwise', async ({
  page,
  request,
}) => {
  const bare = labName('names');
  await createLab(request, bare, 'shared', 'seed');
  await page.goto(`${BASE()}/labs/${bare}`);
  const form = await actionForm(page, 'Create VM');
  await expect(form.getByLabel('name', { exact: true })).toHaveValue('VM1');
  const story = labName('names-story');
  await createLab(request, story, 'shared', 'seed-story');
  await page.goto(`${BASE()}/labs/${story}`);
  await expect((await actionForm(page, 'Create VM')).getByLabel('name', { exact: true })).toHaveValue('VM3');
  // Hot-plug says why it cannot run when every device is in a VM.
  await request.post(`${BASE()}/api/v1/labs/${story}/vms/VM1/devices`, { data: { device: 'B' } });
  const plug = await actionForm(page, 'Hot-plug');
  await expect(plug.getByRole('button', { name: 'Hot-plug' })).toBeDisabled();
  await expect(plug).toContainText('Every device is in a VM');
});

test('Show leaves refuses a garbage or zero length in words', async ({ page, request }) => {
  const lab = labName('leaves');
  await createLab(request, lab, 'shared', 'seed-story');
  const state = (await (await request.get(`${BASE()}/api/v1/labs/${lab}/state`)).json()) as {
    hwpts: { id: number }[];
  };
  await page.goto(`${BASE()}/labs/${lab}/hwpts/${state.hwpts[0]?.id}`);
  const range = page.getByRole('form', { name: 'Leaf range' });
  await range.getByLabel('length').fill('zzz');
  await range.getByRole('button', { name: 'Show leaves' }).click();
  await expect(range.getByRole('alert')).toContainText('a number');
  await range.getByLabel('length').fill('0');
  await range.getByRole('button', { name: 'Show leaves' }).click();
  await expect(range.getByRole('alert')).toContainText('must be more than 0');
  await expect(page).not.toHaveURL(/length=0(&|$)/);
});

test('a new lab picks its kernel; a policy the kernel lacks is refused inline', async ({ page }) => {
  const lab = labName('k61');
  await page.goto(`${BASE()}/`);
  const create = page.getByRole('form', { name: 'Create lab' });
  await create.getByLabel('name', { exact: true }).fill(lab);
  await create.getByLabel('policy').selectOption('iommufd');
  await create.getByLabel('kernel').selectOption('6.1');
  await create.getByRole('button', { name: 'Create lab' }).click();
  await expect(create.getByRole('alert')).toContainText('EOPNOTSUPP');
  await create.getByLabel('policy').selectOption('type1');
  await create.getByRole('button', { name: 'Create lab' }).click();
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}$`));
  await expect(page.getByRole('banner')).toContainText('kernel 6.1');
});
