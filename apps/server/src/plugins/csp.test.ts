// Content-Security-Policy through the real server with the built UI: pages get a fresh script nonce per
// request from the UI's proxy and exactly one CSP header; what the server sends itself (API, /docs, the
// login page) keeps the server's policy. Needs the UI built: npx turbo run build --filter=@ioasid-lab/web.
import { existsSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../test/harness.ts';
import { webDir } from './web.ts';

interface Page {
  status: number;
  /** Every content-security-policy header of the reply, as sent (Node would join repeats). */
  policies: string[];
  body: string;
}

/** A GET through node:http, whose rawHeaders show a repeated header as two entries. */
function fetchPage(base: string, path: string, headers: Record<string, string> = {}): Promise<Page> {
  return new Promise((resolve, reject) => {
    httpGet(`${base}${path}`, { headers: { accept: 'text/html', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        const policies: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          if (res.rawHeaders[i]?.toLowerCase() === 'content-security-policy')
            policies.push(res.rawHeaders[i + 1] as string);
        resolve({ status: res.statusCode ?? 0, policies, body });
      });
    }).on('error', reject);
  });
}

/** The sources of one directive of a policy, or null when the policy has no such directive. */
function directive(policy: string, name: string): string[] | null {
  for (const part of policy.split(';')) {
    const [first, ...sources] = part.trim().split(/\s+/);
    if (first === name) return sources;
  }
  return null;
}

/** The page's one policy and its script nonce, after checking that the policy needs that nonce. */
function pageNonce(page: Page): string {
  expect(page.policies).toHaveLength(1);
  const scriptSrc = directive(page.policies[0] as string, 'script-src') ?? [];
  expect(scriptSrc).not.toContain("'unsafe-inline'");
  expect(scriptSrc).toContain("'self'");
  const nonces = scriptSrc.filter((source) => source.startsWith("'nonce-"));
  expect(nonces).toHaveLength(1);
  return (nonces[0] as string).slice("'nonce-".length, -1);
}

/** The opening tag of every <script> element in the HTML. */
function scriptTags(html: string): string[] {
  return html.match(/<script\b[^>]*>/gi) ?? [];
}

describe('CSP of the UI pages and of the server replies', () => {
  let server: TestServer;
  beforeAll(async () => {
    if (!existsSync(join(webDir(), '.next', 'BUILD_ID')))
      throw new Error('the UI is not built: run npx turbo run build --filter=@ioasid-lab/web first');
    server = await startServer({ web: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('gives each request to a page its own nonce, on every script tag, with no unsafe-inline', async () => {
    for (const path of ['/', '/labs/seed']) {
      const first = await fetchPage(server.base, path);
      const second = await fetchPage(server.base, path);
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      const nonces = [pageNonce(first), pageNonce(second)];
      expect(nonces[0]).not.toBe(nonces[1]);
      // At least 128 bits in base64.
      for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{22,}={0,2}$/);
      for (const [index, page] of [first, second].entries()) {
        const tags = scriptTags(page.body);
        // Next's bootstrap and flight scripts and the layout's theme script: inline ones among them.
        expect(tags.some((tag) => !/\bsrc=/.test(tag))).toBe(true);
        for (const tag of tags) expect(tag).toContain(`nonce="${nonces[index]}"`);
      }
    }
  });

  it('replaces a nonce or policy the client sends with its own', async () => {
    const page = await fetchPage(server.base, '/', {
      'x-nonce': 'chosenByTheClient',
      'content-security-policy': "script-src 'nonce-chosenByTheClient'",
    });
    expect(page.status).toBe(200);
    const nonce = pageNonce(page);
    expect(nonce).not.toBe('chosenByTheClient');
    expect(page.body).not.toContain('chosenByTheClient');
    for (const tag of scriptTags(page.body)) expect(tag).toContain(`nonce="${nonce}"`);
  });

  it('keeps one strict policy, no nonce and no inline script, on the API and /docs', async () => {
    for (const path of ['/api/v1/health', '/api/v1/no-such-route', '/docs']) {
      const reply = await fetchPage(server.base, path);
      expect(reply.policies, path).toHaveLength(1);
      const policy = reply.policies[0] as string;
      expect(directive(policy, 'script-src'), path).toEqual(["'self'"]);
      expect(directive(policy, 'frame-ancestors'), path).toEqual(["'none'"]);
    }
    // swagger-ui loads its scripts from files only, so 'self' is enough for it.
    const docs = await fetchPage(server.base, '/docs');
    expect(docs.status).toBe(200);
    const tags = scriptTags(docs.body);
    expect(tags.length).toBeGreaterThan(0);
    for (const tag of tags) expect(tag).toMatch(/\bsrc="/);
  });
});

describe('CSP of the login page', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ token: 'test-token-0123456789abcdef' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('is the server policy: the server sends that page itself, Next never sees the request', async () => {
    const login = await fetchPage(server.base, '/');
    expect(login.status).toBe(401);
    expect(login.body).toContain('action="/api/v1/session"');
    expect(login.policies).toHaveLength(1);
    expect(directive(login.policies[0] as string, 'script-src')).toEqual(["'self'"]);
    expect(scriptTags(login.body)).toEqual([]);
  });
});
