// The typed client of the ioasid-lab API (REST + stream) for the UI, tests and scripts.
// Browser-safe: fetch and WebSocket only, nothing from Node.
export { errorFromResponse, LabApiError } from './errors.ts';
export { LabClient, type LabClientOptions } from './http.ts';
export {
  CLOSE_LAB_DELETED,
  LabStream,
  STREAM_PROTOCOL,
  type StreamHandlers,
  type StreamOptions,
  type StreamStatus,
  type WebSocketConstructor,
} from './stream.ts';
export type * from './types.ts';

import { LabClient, type LabClientOptions } from './http.ts';
import { LabStream, type StreamOptions } from './stream.ts';

/** One object for both halves: REST calls plus `stream(lab, handlers)`. */
export function createLabClient(options: LabClientOptions & Pick<StreamOptions, 'WebSocket'> = {}) {
  const client = new LabClient(options);
  return Object.assign(client, {
    stream: (lab: string, handlers: Omit<StreamOptions, 'baseUrl' | 'token'> = {}) =>
      new LabStream(lab, {
        WebSocket: options.WebSocket,
        ...handlers,
        baseUrl: options.baseUrl,
        token: options.token,
      }),
  });
}
