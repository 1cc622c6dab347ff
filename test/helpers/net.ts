/**
 * Loopback servers for tests, without the two ways they make a run flaky:
 * a `listen` failure emitted as an 'error' event nobody listens to (an
 * uncaught exception that vitest reports against whichever test runs then),
 * and a `close` that waits for a client's keep-alive connection (undici's
 * fetch keeps them open) until the test's timeout.
 */
import type { AddressInfo, Server } from "node:net";

/** Listen on 127.0.0.1 and an ephemeral port; reject (not throw later) when the bind fails. */
export function listenLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once("error", onError);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stop accepting, drop open connections (HTTP servers: closeAllConnections,
 * Node ≥ 18.2) and resolve once the port is released. Closing a server that
 * is not listening resolves too: a test's afterAll may run after a failed start.
 */
export function closeServer(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((e?: Error & { code?: string }) => (e && e.code !== "ERR_SERVER_NOT_RUNNING" ? reject(e) : resolve()));
    server.closeAllConnections?.();
  });
}
