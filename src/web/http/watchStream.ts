import { once } from 'node:events';
import type { Response } from 'express';
import type { SessionWatch, WatchEvent } from '../../services/sessions/watchSession.js';

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;
/** How often the watcher's web session is checked while the stream runs. */
const SIGNED_IN_CHECK_MS = 5_000;

/**
 * Sends a live watch as Server-Sent Events: `start` (the page resets its terminal, so a
 * reconnect does not draw the screen twice), then `size`, `output` and `end` as the use case
 * yields them, each `data` one JSON object. The stream is closed after `end`; the page closes
 * its EventSource then, so it does not reconnect to a session that is over.
 */
export async function streamWatch(
  res: Response,
  watch: SessionWatch,
  options: { readonly stop: AbortController; readonly stillSignedIn: () => Promise<boolean> },
): Promise<void> {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    // nginx (deploy/) would otherwise hold the stream in its buffers.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  const keepAlive = setInterval(() => {
    if (open(res)) res.write(': keep-alive\n\n');
  }, KEEP_ALIVE_MS);
  let signedOut = false;
  const signedInCheck = setInterval(() => {
    void options.stillSignedIn().then(
      (yes) => {
        if (!yes) {
          signedOut = true;
          options.stop.abort();
        }
      },
      () => undefined,
    );
  }, SIGNED_IN_CHECK_MS);
  try {
    await send(res, 'start', { session: watch.session.id });
    for await (const event of watch.events) {
      if (!open(res)) break;
      await send(res, event.type, event);
    }
    if (signedOut) await send(res, 'end', { type: 'end', state: undefined, reason: 'your web session ended' } satisfies WatchEvent);
  } finally {
    clearInterval(keepAlive);
    clearInterval(signedInCheck);
    // Ends the use case's loop (and records the watch's end) if the client is still there.
    options.stop.abort();
    await watch.events.return(undefined);
    if (open(res)) res.end();
  }
}

function open(res: Response): boolean {
  return !res.destroyed && !res.writableEnded;
}

async function send(res: Response, event: string, data: unknown): Promise<void> {
  if (!open(res)) return;
  // JSON.stringify never emits a raw line break, which would end an SSE field.
  if (!res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) && open(res)) {
    await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
}
