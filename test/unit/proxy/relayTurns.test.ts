import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { oneWritePerRelayTurn } from '../../../src/proxy/relayTurns.js';

/** A connected pair of real TCP sockets on 127.0.0.1: [our end, the peer's end]. */
async function socketPair(servers: Server[]): Promise<[Socket, Socket]> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const ours = connect((server.address() as { port: number }).port, '127.0.0.1');
  await new Promise((resolve) => ours.once('connect', resolve));
  return [ours, await accepted];
}

describe('one write per relay turn', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const server of servers.splice(0)) server.close();
  });

  it('holds both sockets corked while a chunk is handled, and sends what the turn wrote once it ends', async () => {
    const [user, userPeer] = await socketPair(servers);
    const [device, devicePeer] = await socketPair(servers);
    sockets.push(user, userPeer, device, devicePeer);
    oneWritePerRelayTurn([user, device]);

    const seenDuringTurn: number[][] = [];
    user.on('data', (chunk: Buffer) => {
      // A relay turn: several packets to the other side and an acknowledgement back.
      device.write(chunk);
      device.write('-packet-2');
      user.write('ack');
      seenDuringTurn.push([user.writableCorked, device.writableCorked, device.writableLength]);
    });
    const received = new Promise<string>((resolve) => {
      let text = '';
      devicePeer.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.endsWith('-packet-2')) resolve(text);
      });
    });
    const acked = new Promise<string>((resolve) => userPeer.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    userPeer.write('key');

    expect(await received).toBe('key-packet-2');
    expect(await acked).toBe('ack');
    // Corked during the turn: the two writes waited in the buffer instead of leaving one by one.
    expect(seenDuringTurn[0]).toEqual([1, 1, 'key-packet-2'.length]);
    expect([user.writableCorked, device.writableCorked]).toEqual([0, 0]);
  });
});
