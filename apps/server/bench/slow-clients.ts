// Memory bound under hostile stream clients, on loopback, bounded in time: the real server (main.ts) with
// CLIENTS stream clients on one lab, SLOW of which stop reading and keep asking for full replays, while
// WRITERS write map/unmap for DURATION_S seconds. Samples the server's RSS every 500 ms and prints the peak,
// the writes acknowledged, and how the slow clients were handled (resynced, closed 1008/1013).
//   npx tsx apps/server/bench/slow-clients.ts     (env: CLIENTS, SLOW, WRITERS, DURATION_S)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@ioasid-lab/core';
import { WebSocket } from 'ws';

const CLIENTS = Number(process.env.CLIENTS ?? 500);
const SLOW = Number(process.env.SLOW ?? 50);
const WRITERS = Number(process.env.WRITERS ?? 20);
const DURATION_S = Number(process.env.DURATION_S ?? 60);
/** The run stops early (and says so) if the server grows past this: the machine is shared. */
const RSS_LIMIT_MB = Number(process.env.RSS_LIMIT_MB ?? 1500);

const agent = new Agent({ keepAlive: true, maxSockets: WRITERS + 4 });

function post(base: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const url = new URL(`${base}/api/v1${path}`);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-slow-'));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'main.ts')],
    {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: '0',
        LAB_DB: join(dir, 'lab.db'),
        LAB_NO_WEB: '1',
        LAB_TOKEN: '',
        LAB_RATE_LIMIT: 'off',
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const pid = child.pid as number;
  try {
    await post(base, '/labs', { name: 'load', policy: 'iommufd', template: 'seed' });
    const vm = JSON.parse((await post(base, '/labs/load/vms', { name: 'VMX', memory: '0x100000' })).text);
    // History to replay: the slow clients ask for all of it again and again.
    for (let b = 0; b < 5; b += 1) {
      const ops = Array.from({ length: 2000 }, (_, i) => ({
        op: 'ioas.map',
        ioas: vm.ioas,
        iova: toHex(0x200000000 + (b * 2000 + i) * 0x1000),
        length: '0x1000',
      }));
      await post(base, '/labs/load/batch', { ops });
    }
    const idle = rssMb(pid);

    const url = `${base.replace(/^http/, 'ws')}/api/v1/labs/load/stream`;
    const closes = new Map<number, number>();
    let resyncs = 0;
    let received = 0;
    const sockets: WebSocket[] = [];
    const timers: NodeJS.Timeout[] = [];
    for (let i = 0; i < CLIENTS; i += 1) {
      const slow = i < SLOW;
      const socket = new WebSocket(url);
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.on('close', (code) => closes.set(code, (closes.get(code) ?? 0) + 1));
      socket.on('message', (data) => {
        received += 1;
        if (!slow && data.toString().startsWith('{"type":"resync"')) resyncs += 1;
      });
      await new Promise((resolve) => socket.once('open', resolve));
      if (slow) {
        socket.pause();
        // Within the control-message budget: a full replay every 300 ms.
        timers.push(
          setInterval(() => {
            if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'since', seq: 0 }));
          }, 300),
        );
      }
    }

    let peak = rssMb(pid);
    let until = Date.now() + DURATION_S * 1000;
    let stoppedEarlyAfterS: number | null = null;
    const began = Date.now();
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(pid));
      if (peak > RSS_LIMIT_MB && stoppedEarlyAfterS === null) {
        stoppedEarlyAfterS = Math.round((Date.now() - began) / 1000);
        until = 0;
      }
    }, 500);
    let acked = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let n = 0; Date.now() < until; n += 1) {
          const iova = toHex(0x1000000000 + (w * 1_000_000 + n) * 0x1000);
          const path = `/labs/load/ioas/${vm.ioas}/${n % 2 === 0 ? 'map' : 'unmap'}`;
          const reply = await post(base, path, {
            iova: n % 2 === 0 ? iova : toHex(0x1000000000 + (w * 1_000_000 + n - 1) * 0x1000),
            length: '0x1000',
          });
          if (reply.status === 200) acked += 1;
          else failed += 1;
        }
      }),
    );
    clearInterval(sampler);
    for (const timer of timers) clearInterval(timer);
    peak = Math.max(peak, rssMb(pid));
    console.log(
      JSON.stringify({
        clients: CLIENTS,
        slow: SLOW,
        writers: WRITERS,
        seconds: DURATION_S,
        rssIdleMb: Math.round(idle),
        rssPeakMb: Math.round(peak),
        stoppedEarlyAfterS,
        writesAcked: acked,
        writesFailed: failed,
        messagesReceived: received,
        resyncsOfReaders: resyncs,
        closeCodes: Object.fromEntries(closes),
      }),
    );
    for (const socket of sockets) socket.terminate();
  } finally {
    child.kill('SIGKILL');
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
