import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';

/** What a relay registers so its channels' writes in one turn leave as one. */
export interface RelayTurns {
  /**
   * The channel's writes during a turn become one write when the turn ends (one SSH data
   * packet, split only at the peer's packet size, instead of one per chunk relayed).
   */
  coalesce(channel: Writable): void;
}

/**
 * One write per relay turn: while the proxy handles a chunk that arrived on either socket of
 * a session (the user's or the device's), both sockets are corked, and uncorked once that
 * turn's synchronous work is done. ssh2 writes every SSH packet on its own (a keystroke
 * relayed makes a data packet on one side, often a window adjustment on the other, plus the
 * recording's bookkeeping): corked, the packets a turn produces leave in one writev per
 * socket instead of one syscall each. Nothing waits longer than the current turn.
 *
 * Channels given to `coalesce` are corked for the turn as well, and uncorked first, while the
 * sockets still are: bulk output arrives as one SSH packet per pty read (about 4 KiB), and a
 * socket read carries a dozen of them; relayed one by one, each costs the proxy an encryption,
 * a padding fill and a packet header, and the user's client a decryption. Coalesced, a turn's
 * output leaves as packets of the client's maximum size.
 */
export function oneWritePerRelayTurn(sockets: readonly Socket[]): RelayTurns {
  const channels: Writable[] = [];
  let corked = false;
  const uncork = () => {
    corked = false;
    for (const channel of channels) if (!channel.destroyed && channel.writableCorked > 0) channel.uncork();
    for (const socket of sockets) if (!socket.destroyed) socket.uncork();
  };
  const turn = () => {
    if (corked) return;
    corked = true;
    for (const socket of sockets) socket.cork();
    for (const channel of channels) if (!channel.destroyed && !channel.writableEnded) channel.cork();
    process.nextTick(uncork);
  };
  for (const socket of sockets) socket.prependListener('data', turn);
  return {
    coalesce(channel) {
      writeCorkedChunksAsOne(channel);
      channels.push(channel);
      // Registered mid-turn (a channel opened while handling a chunk): held from the next turn on.
    },
  };
}

type ChunkWriter = (chunk: Buffer, encoding: BufferEncoding | 'buffer', callback: (error?: Error | null) => void) => void;
interface WritableInternals {
  _write: ChunkWriter;
  _writev?: (chunks: { chunk: Buffer | string; encoding: BufferEncoding }[], callback: (error?: Error | null) => void) => void;
}

/**
 * A corked Writable hands its buffered chunks to `_writev` when it has one, else to `_write`
 * one by one. ssh2's channels have only `_write` (which splits at the window and packet size
 * itself), so the chunks are joined and given to it as one.
 */
function writeCorkedChunksAsOne(channel: Writable): void {
  const internals = channel as unknown as WritableInternals;
  if (typeof internals._writev === 'function') return;
  internals._writev = (chunks, callback) => {
    const buffers = chunks.map(({ chunk, encoding }) => (typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk));
    internals._write.call(channel, buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers), 'buffer', callback);
  };
}

/** The TCP socket under an ssh2 connection (ssh2 keeps it as `_sock`; not in its types). */
export function socketOf(connection: object): Socket | undefined {
  const socket = (connection as { _sock?: unknown })._sock;
  return socket && typeof (socket as Socket).cork === 'function' ? (socket as Socket) : undefined;
}
