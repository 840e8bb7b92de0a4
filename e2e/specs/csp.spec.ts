// The strict CSP in a real browser: the pages' scripts run by nonce (no 'unsafe-inline' for scripts),
// nothing on the dashboard, a lab or /docs is refused, and the pages still work: the labs are listed,
// a lab's stream goes live, the theme boot script runs, swagger-ui renders the API.
import { expect, type Page, test } from '@playwright/test';
import { BASE, vmNode } from './helpers';

/** Everything the browser reports about CSP: console messages and securitypolicyviolation events. */
async function watchCsp(page: Page): Promise<{ violations: () => Promise<string[]>; messages: string[] }> {
  const messages: string[] = [];
  page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => messages.push(`pageerror: ${error.message}`));
  // Init scripts are evaluated by the browser itself, outside the page's CSP.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  return {
    messages,
    violations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
  };
}

const cspMessages = (lines: string[]) => lines.filter((line) => /Content Security Policy|CSP/i.test(line));

test('the dashboard and a lab run under the nonce CSP without a violation', async ({ page }) => {
  const csp = await watchCsp(page);
  // A stored theme: the inline boot script (run by nonce) applies it before the UI hydrates.
  await page.addInitScript(() => localStorage.setItem('ioasid-lab.theme', 'dark'));
  const response = await page.goto(`${BASE()}/`);
  const policy = (await response?.allHeaders())?.['content-security-policy'] ?? '';
  const scriptSrc = policy.split(';').find((part) => part.trim().startsWith('script-src ')) ?? '';
  expect(scriptSrc).toMatch(/'nonce-[A-Za-z0-9+/]+={0,2}'/);
  expect(scriptSrc).not.toContain("'unsafe-inline'");

  // Interactive: the client fetched the API and lists the seed lab, and its links navigate.
  await expect(page.getByText(/server ok · version \S+ · core ABI \d+/)).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.getByRole('link', { name: 'seed', exact: true }).first().click();
  await expect(page).toHaveURL(/\/labs\/seed$/);
  await expect(vmNode(page, 'VM1')).toBeVisible();
  // The stream's WebSocket is allowed by connect-src 'self'.
  await expect(page.getByRole('status', { name: 'Lab sequence' })).toContainText('live');

  // A full load of the lab page too (its own nonce, its own chunks).
  await page.reload();
  await expect(vmNode(page, 'VM1')).toBeVisible();
  expect(await csp.violations()).toEqual([]);
  expect(cspMessages(csp.messages)).toEqual([]);
});

test('/docs renders the API under the server policy without a violation', async ({ page }) => {
  const csp = await watchCsp(page);
  const response = await page.goto(`${BASE()}/docs`);
  expect(response?.ok()).toBe(true);
  await expect(page.getByRole('heading', { name: /ioasid-lab API/ })).toBeVisible();
  await expect(page.getByText('/api/v1/labs', { exact: true }).first()).toBeVisible();
  expect(await csp.violations()).toEqual([]);
  expect(cspMessages(csp.messages)).toEqual([]);
});
