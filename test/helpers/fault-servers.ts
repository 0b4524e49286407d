/**
 * Servers that fail the way networks do, for the fault suite: each is a real socket on 127.0.0.1 that a
 * PostgreSQL client connects to (nothing in pg is mocked). close() ends every socket it accepted.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../src/embedded/postgres.js';

export interface FaultServer {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A port nothing listens on: the connection is refused. */
export async function refusedPort(): Promise<FaultServer> {
  const port = await freePort();
  return { port, connections: () => 0, close: async () => {} };
}

/** Accepts TCP and never says a word. */
export function silentServer(): Promise<FaultServer> {
  return listen(() => {});
}

/** Reads the startup message, then sends half an authentication request and hangs up. */
export function closesMidHandshake(): Promise<FaultServer> {
  return listen((socket) => {
    socket.once('data', () => {
      // 'R', length 8 (a complete AuthenticationOk would need 4 more bytes), then the connection ends.
      socket.end(Buffer.from([0x52, 0, 0, 0, 8]));
    });
  });
}

/** Speaks HTTP, not PostgreSQL: answers whatever arrives with an HTTP error page. */
export async function httpServer(): Promise<FaultServer> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<html><body>an app, not a database</body></html>');
  });
  server.on('connection', (s: Socket) => {
    count++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    connections: () => count,
    close: () => closeAll(server, sockets),
  };
}

async function listen(onSocket: (socket: Socket) => void): Promise<FaultServer> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, connections: () => count, close: () => closeAll(server, sockets) };
}

function closeAll(server: Server | ReturnType<typeof createHttpServer>, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((r) => server.close(() => r()));
}
