// Shared steps of the end-to-end specs: the server's address, labs made through the real API, form helpers.
// Specs select by role and accessible name only; these helpers keep that uniform.
import { join } from 'node:path';
import { type APIRequestContext, expect, type Locator, type Page } from '@playwright/test';

export const BASE = (): string => {
  const url = process.env.BASE_URL;
  if (!url) throw new Error('BASE_URL is not set: run through e2e/playwright.config.ts');
  return url;
};

export const SCREENSHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots');

let counter = 0;
/** A lab name unique within this run. */
export function labName(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** Creates a lab through the REST API (for specs whose subject is not the labs page). */
export async function createLab(
  request: APIRequestContext,
  name: string,
  policy: string,
  template: 'empty' | 'seed' | 'seed-story',
): Promise<void> {
  const response = await request.post(`${BASE()}/api/v1/labs`, { data: { name, policy, template } });
  expect(response.status(), await response.text()).toBe(201);
}

/** The form of one action in the lab's details panel, after choosing it in the Action picker. */
export async function actionForm(page: Page, title: string): Promise<Locator> {
  await page.getByLabel('Action', { exact: true }).selectOption(title);
  return page.getByRole('form', { name: title, exact: true });
}

/** A VM node on the topology canvas; its accessible name carries its wbinvd and hazard state. */
export function vmNode(page: Page, vm: string): Locator {
  return page.getByRole('button', { name: new RegExp(`^VM ${vm} wbinvd`) });
}
