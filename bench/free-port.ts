import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1 for a child process to listen on (bound and released at once, so
 * another process could take it in between: good enough for benches and tests on one machine).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
