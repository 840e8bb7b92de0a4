// How a store worker (worker.ts on SQLite, pg-worker.ts on PostgreSQL) takes its calls: from its parent (the
// router, or the main thread when there is one worker) and, as a router's shard, from the lane the main
// thread's lab calls take. Each call is answered on the port it came on.
import { type MessagePort, type parentPort, receiveMessageOnPort } from 'node:worker_threads';
import type { CallMessage } from './protocol.ts';

export type Port = MessagePort | NonNullable<typeof parentPort>;

/** Runs one call and answers it on `from` (now, or when it settles). */
export type Answer = (from: Port, message: CallMessage) => void;

/**
 * Serves `port` and `lane`. The close comes from the router on the parent port, and two ports keep no
 * order between them: a call posted on the lane before the close could otherwise be refused as closed, or
 * run after it. So a close first takes the calls already waiting on the lane, as the router's own are taken.
 */
export function serveCalls(port: Port, lane: MessagePort | undefined, answer: Answer): void {
  const drainLane = (): void => {
    if (!lane) return;
    for (let next = receiveMessageOnPort(lane); next; next = receiveMessageOnPort(lane)) {
      answer(lane, next.message as CallMessage);
    }
  };
  port.on('message', (message: CallMessage) => {
    if (message.lab === undefined && message.method === 'close') drainLane();
    answer(port, message);
  });
  lane?.on('message', (message: CallMessage) => answer(lane, message));
}
