import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { decideAccess } from '../../domain/access/authorisation.js';
import { parseAsciicastLine, withCarriageReturns } from '../../domain/session/asciicastLine.js';
import type { Session, SessionState } from '../../domain/session/session.js';
import type { RecordingPosition } from '../../store/recordingStore.js';
import type { Actor } from '../actor.js';
import { askerOf, authoriseUser } from '../access/authorise.js';
import { loadSessionFor } from '../access/changeAccess.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { RecordingSource } from './recordingSource.js';

/** What a watcher is shown, in order: the terminal's size, what it printed, and the end. */
export type WatchEvent =
  | { readonly type: 'size'; readonly cols: number; readonly rows: number }
  | { readonly type: 'output'; readonly data: string }
  | { readonly type: 'end'; readonly state: SessionState | undefined; readonly reason: string };

export interface WatchTimings {
  /** How often the stored recording and the session's state are read. */
  readonly pollMs: number;
  /**
   * How long the recording is still followed once the session is no longer active: the proxy
   * writes its last lines (the reason it was cut) after the state changed, within a flush.
   */
  readonly endGraceMs: number;
  /** How often the watcher's right to watch is asked again (a policy import may take it away). */
  readonly recheckMs: number;
}

/** The proxy flushes recordings every second: a quarter of that keeps the delay near one flush. */
export const WATCH_TIMINGS: WatchTimings = { pollMs: 250, endGraceMs: 2500, recheckMs: 5000 };

export interface SessionWatch {
  readonly session: Session;
  /** Ends when the session has ended, the watcher may no longer watch, or `signal` aborts. */
  readonly events: AsyncGenerator<WatchEvent, void, undefined>;
}

/**
 * Opens a live watch of a proxy session (auditor, security, admin): read-only, from what the
 * proxy has stored, so the watcher may be served by any process. Opening it is audited
 * (WATCH, class SESSION, status S; a refusal status D) before anything is shown, and so is
 * its end, whatever ends it. The recording is replayed from its start (so the watcher's
 * terminal shows the screen as the user sees it), then followed as it grows; keystrokes are
 * never shown, only what the user's terminal displayed.
 */
export async function watchSession(
  deps: ServiceDeps,
  recordings: RecordingSource | undefined,
  actor: Actor,
  sessionId: string,
  options: { readonly signal: AbortSignal; readonly timings?: Partial<WatchTimings> },
): Promise<SessionWatch> {
  const user = await authoriseUser(deps, actor, 'session.watch', {}, { eventType: 'WATCH', class: 'SESSION', object: sessionId });
  const { session } = await loadSessionFor(deps, user, sessionId);
  if (!recordings) throw new ServiceError('unavailable', 'session recordings are not available on this server');
  if (session.state !== 'active') {
    throw new ServiceError('conflict', `session ${session.id} is no longer live (${session.state.replace('_', ' ')}): replay its recording instead`);
  }
  await deps.audit.record(actor, {
    status: 'S',
    eventType: 'WATCH',
    class: 'SESSION',
    object: session.id,
    change: session.changeCode,
    details: `started watching ${session.user}'s live session on ${session.device}`,
  });
  const timings = { ...WATCH_TIMINGS, ...options.timings };
  return { session, events: follow(deps, recordings, actor, session, options.signal, timings) };
}

async function* follow(
  deps: ServiceDeps,
  recordings: RecordingSource,
  actor: Actor,
  session: Session,
  signal: AbortSignal,
  timings: WatchTimings,
): AsyncGenerator<WatchEvent, void, undefined> {
  const started = deps.clock().getTime();
  const reader = new RecordingReader(session.kind === 'exec');
  let position: RecordingPosition | undefined;
  let ended: { state: SessionState | undefined; reason: string; graceUntil: number } | undefined;
  let lastRecheck = performance.now();
  let why = 'the watcher left';
  try {
    while (!signal.aborted) {
      const piece = await recordings.readAfter(session.id, position);
      // A long recording comes in pieces: read on without waiting until caught up.
      const caughtUp = !piece || piece.text === '';
      if (piece) {
        position = piece.next;
        for (const event of reader.read(piece.text)) yield event;
      }
      if (ended) {
        if (performance.now() >= ended.graceUntil) {
          why = ended.reason;
          yield { type: 'end', state: ended.state, reason: ended.reason };
          return;
        }
      } else {
        const current = await deps.store.sessions.findById(session.id);
        if (current?.state !== 'active') ended = { state: current?.state, reason: endReason(current), graceUntil: performance.now() + timings.endGraceMs };
      }
      if (performance.now() - lastRecheck >= timings.recheckMs) {
        lastRecheck = performance.now();
        const asker = await askerOf(deps, actor);
        const decision = asker ? decideAccess('session.watch', asker) : { allowed: false as const, message: `${actor.userId} is not a user of the policy` };
        if (!decision.allowed) {
          why = `no longer allowed: ${decision.message}`;
          yield { type: 'end', state: undefined, reason: `you may no longer watch: ${decision.message}` };
          return;
        }
      }
      if (!caughtUp) continue;
      try {
        await sleep(timings.pollMs, undefined, { signal });
      } catch {
        // Aborted: the watcher left.
      }
    }
  } finally {
    const seconds = Math.round((deps.clock().getTime() - started) / 1000);
    await deps.audit.record(actor, {
      status: 'S',
      eventType: 'WATCH',
      class: 'SESSION',
      object: session.id,
      change: session.changeCode,
      details: `stopped watching ${session.user}'s live session on ${session.device} after ${seconds} s: ${why}`,
    });
  }
}

function endReason(session: Session | null): string {
  if (!session) return 'the session is gone';
  const state = session.state.replace('_', ' ');
  return session.endReason ? `the session ${state}: ${session.endReason}` : `the session ${state}`;
}

/**
 * Turns stored recording text into watch events: lines joined across reads, keystrokes left
 * out (what the terminal showed is the output), consecutive output joined into one event, and
 * an exec session's bare line feeds shown as a terminal would have.
 */
class RecordingReader {
  private partial = '';
  private previousWasCr = false;

  constructor(private readonly withoutTerminal: boolean) {}

  read(text: string): WatchEvent[] {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    const events: WatchEvent[] = [];
    let output = '';
    const flushOutput = () => {
      if (output !== '') events.push({ type: 'output', data: output });
      output = '';
    };
    for (const line of lines) {
      const parsed = parseAsciicastLine(line);
      if (parsed.kind === 'output') {
        if (this.withoutTerminal) {
          const shown = withCarriageReturns(parsed.data, this.previousWasCr);
          this.previousWasCr = shown.previousWasCr;
          output += shown.data;
        } else {
          output += parsed.data;
        }
      } else if (parsed.kind === 'header' || parsed.kind === 'resize') {
        flushOutput();
        events.push(parsed.kind === 'header' ? { type: 'size', cols: parsed.width, rows: parsed.height } : { type: 'size', cols: parsed.cols, rows: parsed.rows });
      }
    }
    flushOutput();
    return events;
  }
}
