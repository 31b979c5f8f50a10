import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signOutOfWeb } from '../../../src/services/access/webSignOut.js';
import { terminateSession } from '../../../src/services/sessions/sessionControl.js';
import { WebClient } from '../../support/webClient.js';
import { seedRanChange, startPortal, type PortalHarness } from '../../support/webHarness.js';

/**
 * The live watch's stream over real HTTP: what the browser's EventSource receives, event by
 * event, from a session whose recording is on disk (test/fixtures/web/sess-demo.cast).
 */

let h: PortalHarness;

beforeAll(async () => {
  h = await startPortal();
}, 60_000);
afterAll(async () => h?.close());

interface SseEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** Reads Server-Sent Events off a fetch response, as EventSource would. */
class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  comments = 0;

  constructor(response: Response) {
    this.reader = response.body!.getReader();
  }

  /** The next event, or null when the stream ended. */
  async next(timeoutMs = 10_000): Promise<SseEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        if (block.startsWith(':')) {
          this.comments += 1;
          continue;
        }
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || data === undefined) throw new Error(`not an SSE event: ${JSON.stringify(block)}`);
        return { event, data: JSON.parse(data) as Record<string, unknown> };
      }
      if (Date.now() > deadline) throw new Error(`no event within ${timeoutMs} ms; buffered: ${JSON.stringify(this.buffer.slice(0, 300))}`);
      const { done, value } = await this.reader.read();
      if (done) return null;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Events until one named `name` (inclusive). */
  async until(name: string): Promise<SseEvent[]> {
    const seen: SseEvent[] = [];
    for (;;) {
      const event = await this.next();
      if (!event) throw new Error(`the stream ended before "${name}": ${JSON.stringify(seen)}`);
      seen.push(event);
      if (event.event === name) return seen;
    }
  }
}

async function watcher(user: string): Promise<WebClient> {
  const client = new WebClient(h.baseUrl);
  await client.signInLocally(user);
  return client;
}

describe('the live watch stream', () => {
  it('sends start, the size and what the terminal showed, then the end when the session ends', { timeout: 60_000 }, async () => {
    const code = await seedRanChange(h, 'sess-demo');
    const sam = await watcher('sam');
    const page = await sam.page('/sessions/sess-demo');
    expect(page.html).toContain('data-stream-url="/sessions/sess-demo/live"');
    // The page's CSP admits style elements by this response's nonce, and the page hands it to its script.
    const nonce = /data-style-nonce="([^"]+)"/.exec(page.html)?.[1];
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(page.response.headers.get('content-security-policy')).toContain(`style-src-elem 'self' 'nonce-${nonce}'`);
    expect(page.response.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval'");

    const response = await sam.get('/sessions/sess-demo/live');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const stream = new SseReader(response);
    const opening = await stream.until('output');
    expect(opening.slice(0, 2)).toEqual([
      { event: 'start', data: { session: 'sess-demo' } },
      { event: 'size', data: { type: 'size', cols: 80, rows: 12 } },
    ]);
    expect(String(opening.at(-1)!.data.data)).toContain('deploy@web01:~$ ');

    await terminateSession(h.deps, 'sess-demo', { userId: 'sam', terminal: 'slack' }, 'seen enough');
    const closing = await stream.until('end');
    expect(closing.at(-1)).toEqual({ event: 'end', data: { type: 'end', state: 'terminated', reason: 'the session terminated: seen enough' } });
    expect(await stream.next()).toBeNull();

    const watches = (await h.store.audit.list({ eventType: 'WATCH', change: code })).records;
    expect(watches.map((r) => [r.actor, r.status, r.details?.replace(/after \d+ s/, 'after N s')])).toEqual([
      ['sam', 'S', "started watching alice's live session on web01"],
      ['sam', 'S', "stopped watching alice's live session on web01 after N s: the session terminated: seen enough"],
    ]);
    // Over: the stream is refused (the page offers the replay instead).
    const again = await sam.get('/sessions/sess-demo/live');
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('session sess-demo is no longer live (terminated): replay its recording instead');
  });

  it('ends the stream when the watcher signs out elsewhere', { timeout: 60_000 }, async () => {
    await seedRanChange(h, 'sess-exec');
    const erin = await watcher('erin');
    const stream = new SseReader(await erin.get('/sessions/sess-exec/live'));
    await stream.until('output');
    // Sign-outs end the sessions issued before them: one clock tick later than the cookie.
    h.clock.advance(1000);
    await signOutOfWeb(h.deps, { userId: 'erin', terminal: 'web 10.0.0.8' });
    const closing = await stream.until('end');
    expect(closing.at(-1)).toEqual({ event: 'end', data: { type: 'end', reason: 'your web session ended' } });
    expect(await stream.next()).toBeNull();
    const watches = (await h.store.audit.list({ eventType: 'WATCH', actor: 'erin' })).records;
    expect(watches.at(-1)!.details).toMatch(/^stopped watching alice's live session on web01 after \d+ s: the watcher left$/);
  });

  it('refuses an approver and an unknown session before any stream starts', async () => {
    await seedRanChange(h, 'sess-refused');
    const bob = await watcher('bob');
    const refused = await bob.get('/sessions/sess-refused/live');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('text/html');
    expect(await refused.text()).toContain('watching a live session needs one of the roles auditor, security, admin');
    const sam = await watcher('sam');
    expect((await sam.get('/sessions/no-such-session/live')).status).toBe(404);
    expect((await sam.get('/sessions/sess-refused/live?from=0')).status).toBe(400);
  });
});
