import * as ws from 'ws';
import type { WebSocket } from 'ws';

/** The parts of ws's Sender this relies on (@types/ws does not declare them). */
export interface SenderInternals {
  _state: number;
  _queue: unknown[];
  _extensions: Record<string, unknown>;
  sendFrame(list: Buffer[], cb?: (err?: Error) => void): void;
}

// ws's ESM entry exports Sender (its CommonJS entry also hangs it on WebSocket).
const Sender = (
  ws as unknown as {
    Sender: {
      frame(
        data: Buffer,
        options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
      ): [Buffer, Buffer?];
    };
  }
).Sender;

/**
 * A server-to-client WebSocket text frame (header and payload in one Buffer), built once and
 * written as it is to every socket that should get it: a room of 10,000 sockets costs one
 * header, one copy and one `write` per socket, where `socket.send` would parse its options,
 * allocate a header and cork two writes into a writev for each of them. Socket.IO does the
 * same (engine.io's `wsPreEncodedFrame`, see websockets/ws#617).
 *
 * This reaches into `ws` internals, checked against ws 8.23.1 (lib/sender.js, websocket.js):
 * - `WebSocket.Sender.frame(data, { fin, opcode, mask: false, readOnly, rsv1: false })` returns
 *   `[header, payload]`; the header is what `socket.send` would put on the wire for a server
 *   socket without permessage-deflate (servers never mask).
 * - `socket._sender.sendFrame([frame], cb)` is `_socket.write(frame, cb)`: what `dispatch` does
 *   for an uncompressed message when nothing is queued.
 * - A send is queued (not written) while `_sender._state` is not DEFAULT (0), i.e. while ws
 *   deflates a message or reads a Blob, and until `_sender._queue` drains; writing past such a
 *   queue would reorder messages, so then `socket.send` is used and waits its turn.
 * - `bufferedAmount` is the socket's writable-state length plus `_sender._bufferedBytes` (the
 *   queued sends): written frames count exactly as sent ones do, so MAX_BUFFERED_BYTES holds.
 * test/live-frames.test.ts fails if any of these stop holding in a new ws version.
 */
export function textFrame(payload: Buffer): Buffer {
  const [header, body] = Sender.frame(payload, {
    fin: true,
    opcode: 1,
    mask: false,
    readOnly: true,
    rsv1: false,
  });
  return body === undefined ? header : Buffer.concat([header, body]);
}

/** The payload of a frame made by `textFrame` (its header holds the length form used). */
export function framePayload(frame: Buffer): Buffer {
  const lengthByte = frame[1]! & 0x7f;
  return frame.subarray(lengthByte === 127 ? 10 : lengthByte === 126 ? 4 : 2);
}

/**
 * Writes a frame made by `textFrame` to an OPEN socket, in order with everything else sent on
 * it. Without a queue in ws's sender (the rule, as the api runs ws without permessage-deflate),
 * the bytes go straight to the TCP socket; otherwise `socket.send` queues the payload behind
 * what is waiting. Write errors take the path they take for `socket.send` without a callback:
 * the TCP socket's 'error', which ws turns into closing the WebSocket.
 */
export function writeFrame(socket: WebSocket, frame: Buffer): void {
  const sender = (socket as unknown as { _sender: SenderInternals | null })._sender;
  if (
    sender !== null &&
    sender._state === 0 &&
    sender._queue.length === 0 &&
    sender._extensions['permessage-deflate'] === undefined
  ) {
    sender.sendFrame([frame]);
  } else {
    socket.send(framePayload(frame), { binary: false });
  }
}
