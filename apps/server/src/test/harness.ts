// Test harness: a real server (real core, real SQLite file in a temp dir) on an ephemeral loopback port,
// plus the project's own client pointed at it. Every integration test starts from here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabClient, type WebSocketConstructor } from '@ioasid-lab/api/client';
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import { type AppOptions, buildApp } from '../app.ts';

export interface TestServer {
  app: FastifyInstance;
  base: string;
  dir: string;
  dbPath: string;
  client: ReturnType<typeof createLabClient>;
  /** Stops the server; the temp dir stays until `cleanup`. */
  stop(): Promise<void>;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

/** When set, each server without a dbPath gets the database this makes (pg-suites.test.ts). */
let testDatabase: (() => Promise<string>) | undefined;
export function useTestDatabase(make: (() => Promise<string>) | undefined): void {
  testDatabase = make;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ioasid-server-'));
}

export async function startServer(options: AppOptions & { dir?: string } = {}): Promise<TestServer> {
  const dir = options.dir ?? tempDir();
  // pg-suites.test.ts runs these suites again with a fresh PostgreSQL database per server.
  const dbPath = options.dbPath ?? (await testDatabase?.()) ?? join(dir, 'lab.db');
  const app = await buildApp({ token: undefined, ...options, dbPath });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
  };
  return {
    app,
    base,
    dir,
    dbPath,
    client: createLabClient({
      baseUrl: base,
      token: options.token,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    }),
    stop,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A parsed JSON reply; tests assert on its fields one by one, so it is deliberately untyped. */
// biome-ignore lint/suspicious/noExplicitAny: wire bodies are checked field by field by the assertions.
export type Json = any;

/** Compiles a response schema with the same validator family the server uses, for shape checks. */
const ajv = new Ajv({ strict: false, discriminator: true });
export function matchesSchema(schema: object, value: unknown): boolean {
  const validate = ajv.compile(schema);
  const ok = validate(value);
  if (!ok) console.error(JSON.stringify(validate.errors));
  return ok;
}

/** A raw JSON request, for asserting the wire format exactly as docs/api.md writes it. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // keep text: the assertion will show it
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
