import type { Socket } from 'node:net';

/**
 * One write per relay turn: while the proxy handles a chunk that arrived on either socket of
 * a session (the user's or the device's), both sockets are corked, and uncorked once that
 * turn's synchronous work is done. ssh2 writes every SSH packet on its own (a keystroke
 * relayed makes a data packet on one side, often a window adjustment on the other, plus the
 * recording's bookkeeping): corked, the packets a turn produces leave in one writev per
 * socket instead of one syscall each. Nothing waits longer than the current turn.
 */
export function oneWritePerRelayTurn(sockets: readonly Socket[]): void {
  let corked = false;
  const uncork = () => {
    corked = false;
    for (const socket of sockets) if (!socket.destroyed) socket.uncork();
  };
  const turn = () => {
    if (corked) return;
    corked = true;
    for (const socket of sockets) socket.cork();
    process.nextTick(uncork);
  };
  for (const socket of sockets) socket.prependListener('data', turn);
}

/** The TCP socket under an ssh2 connection (ssh2 keeps it as `_sock`; not in its types). */
export function socketOf(connection: object): Socket | undefined {
  const socket = (connection as { _sock?: unknown })._sock;
  return socket && typeof (socket as Socket).cork === 'function' ? (socket as Socket) : undefined;
}
