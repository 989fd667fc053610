// The port, bound before anything slow (migrations, the schema) so that a port in use is the
// first thing start-up reports, and handed to the HTTP server once the gateway is built.
//
// Connections that arrive in between are accepted paused (nothing read) and passed on: the
// client just waits for start-up instead of being refused.

import type http from 'node:http';
import net from 'node:net';

export interface EarlyListener {
  /** The bound address (the port when PORT=0). */
  address(): net.AddressInfo;
  /** Makes `server` listen on the bound socket and gives it the connections that waited. */
  handOver(server: http.Server): Promise<void>;
  /** Start-up failed: let the port go. */
  close(): void;
}

export async function bindEarly(port: number, host: string): Promise<EarlyListener> {
  const waiting: net.Socket[] = [];
  const forget = new Map<net.Socket, () => void>();
  const listener = net.createServer({ pauseOnConnect: true }, (socket) => {
    waiting.push(socket);
    const gone = () => waiting.splice(waiting.indexOf(socket), 1);
    forget.set(socket, gone);
    socket.once('close', gone);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  return {
    address: () => listener.address() as net.AddressInfo,
    handOver: async (server) => {
      listener.removeAllListeners('connection');
      // server.listen(handle): the server adopts the listening socket (no second bind).
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listener, () => {
          server.off('error', reject);
          resolve();
        });
      });
      for (const socket of waiting.splice(0)) {
        socket.off('close', forget.get(socket) ?? (() => undefined));
        server.emit('connection', socket);
        socket.resume();
      }
    },
    close: () => listener.close(),
  };
}
