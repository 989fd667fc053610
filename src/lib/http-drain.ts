// Graceful shutdown of the HTTP server without dropping an answer.
//
// Node's own server.close() (and Apollo's drain plugin after it) ends every idle keep-alive
// connection at once. A client that had just sent its next request on one gets a reset, and
// the request may already have been read and run: a stored write whose answer is lost. Here,
// once the listener is closed, every response says `Connection: close` (the client opens a new
// connection for its next request, which the closed listener refuses), a connection is only
// closed once Node sees it idle (no request being received, none unanswered), and only after
// it has been idle for a grace period, so that a request already on its way is answered.

import type http from 'node:http';
import net from 'node:net';

/** How long a keep-alive connection must have been idle before the drain closes it. */
export const IDLE_GRACE_MS = 500;
/** After this, whatever is still open is destroyed (a client that never finishes its request). */
export const DRAIN_TIMEOUT_MS = 10_000;
const TICK_MS = 20;

interface Connection {
  /** Requests received on it and not answered yet. */
  active: number;
  /** When it last received a request or finished an answer (or was opened). */
  lastActivity: number;
}

export interface HttpDrain {
  /**
   * Stops accepting connections, answers what was received, closes idle connections cleanly,
   * and resolves when none is left (after {@link DRAIN_TIMEOUT_MS} the rest are destroyed).
   */
  close(): Promise<void>;
}

export function createHttpDrain(server: http.Server): HttpDrain {
  const connections = new Map<net.Socket, Connection>();
  const unstarted = new Set<http.ServerResponse>();
  let draining = false;

  server.on('connection', (socket: net.Socket) => {
    connections.set(socket, { active: 0, lastActivity: Date.now() });
    socket.once('close', () => connections.delete(socket));
  });
  // Before the application's listener: a response it sends synchronously must already say close.
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const connection = connections.get(req.socket);
    if (connection) {
      connection.active++;
      connection.lastActivity = Date.now();
    }
    if (draining) res.setHeader('Connection', 'close');
    else unstarted.add(res);
    res.once('close', () => {
      unstarted.delete(res);
      if (connection) {
        connection.active--;
        connection.lastActivity = Date.now();
      }
    });
  });

  /** From now on, every response not yet started closes its connection after it. */
  const beginDrain = (): void => {
    if (draining) return;
    draining = true;
    for (const res of unstarted) if (!res.headersSent) res.setHeader('Connection', 'close');
    unstarted.clear();
  };

  const close = async (): Promise<void> => {
    // Connections the kernel has queued but Node has not accepted yet are reset when the
    // listener closes. Closing right after the poll phase (where Node accepts) leaves the
    // smallest window; telling clients to reconnect only from then on means none is connecting
    // to this process at that moment because of the drain itself.
    await new Promise((resolve) => setImmediate(resolve));
    // net.Server's close only stops listening; http.Server's would also destroy every idle
    // keep-alive connection at once, racing requests already sent on them.
    net.Server.prototype.close.call(server);
    beginDrain();
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (connections.size > 0) {
      const now = Date.now();
      if (now >= deadline) {
        for (const socket of connections.keys()) socket.destroy();
        break;
      }
      const idle = [...connections.values()].filter((c) => c.active === 0);
      // Node's notion of idle (nothing being received, nothing unanswered) decides which go.
      if (idle.every((c) => now - c.lastActivity >= IDLE_GRACE_MS)) server.closeIdleConnections();
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    // Clears http.Server's own timers; the listener is closed already.
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return { close };
}
