import { createServer, connect, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
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

  it('joins a channel\'s writes during a turn into one, made while the sockets are still corked', async () => {
    const [user, userPeer] = await socketPair(servers);
    const [device, devicePeer] = await socketPair(servers);
    sockets.push(user, userPeer, device, devicePeer);
    const turns = oneWritePerRelayTurn([user, device]);
    // Like ssh2's channels: only _write, which here records what it was given and whether the
    // user's socket was corked at the time (its packets then leave with the turn's other writes).
    const writes: { data: string; socketCorked: number }[] = [];
    const channel = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writes.push({ data: chunk.toString(), socketCorked: user.writableCorked });
        callback();
      },
    });
    turns.coalesce(channel);

    const handled = new Promise<void>((resolve) => {
      device.on('data', () => {
        // Output relayed a piece at a time, as ssh2 hands it over (one per SSH packet).
        channel.write('out-1 ');
        channel.write(Buffer.from('out-2 '));
        channel.write('out-3');
        expect(writes).toEqual([]);
        resolve();
      });
    });
    devicePeer.write('output arrives');
    await handled;
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([{ data: 'out-1 out-2 out-3', socketCorked: 1 }]);

    // Outside a turn (a timer's notice), a write goes at once.
    channel.write('notice');
    expect(writes.at(-1)).toEqual({ data: 'notice', socketCorked: 0 });
  });
});
