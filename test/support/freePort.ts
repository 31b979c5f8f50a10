import { createServer } from 'node:net';

// Below Linux's ephemeral range (32768-60999 by default): a port the kernel hands out (listen
// on 0) can be taken a moment later as the local end of some outgoing connection, which made
// tests fail now and then under load. Ports here are only ever taken by a listen.
const LOW = 20_000;
const HIGH = 32_000;
const handedOut = new Set<number>();

/** A loopback port that was free a moment ago, never the same twice in one process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port found between ${LOW} and ${HIGH}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
