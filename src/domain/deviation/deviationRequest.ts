import type { Change } from '../change/change.js';

/**
 * A command a `review` rule matched, typed during a change window but not in its approved
 * script: it waits at the prompt until an approver other than the user allows it once or
 * denies it. `pending` is the only state a decision, a timeout or a cancel moves from, once.
 */
export const DEVIATION_STATUSES = ['pending', 'allowed', 'denied', 'timed_out', 'cancelled'] as const;
export type DeviationStatus = (typeof DEVIATION_STATUSES)[number];

export interface DeviationRequest {
  readonly id: string;
  readonly changeCode: string;
  readonly sessionId: string;
  /** The user who typed the command (the session's user): never the one who decides. */
  readonly requester: string;
  readonly device: string;
  /** The exact line that runs if allowed. */
  readonly line: string;
  /** The `review` rules that matched it. */
  readonly ruleIds: readonly string[];
  /** The command record's id: the record stored once it is decided carries it, so the change audit can find it. */
  readonly commandId: string;
  readonly requestedAt: Date;
  /** No decision by then: it counts as denied (timed out). */
  readonly expiresAt: Date;
  readonly status: DeviationStatus;
  /** Who decided: an approver, or the requester (cancel), or `system` (timeout). */
  readonly decidedBy?: string | undefined;
  readonly decidedAt?: Date | undefined;
}

export type DeviationDecision = 'allow' | 'deny';

export type DeviationRefusal = 'not_pending' | 'expired' | 'self_decision';

export type DecisionCheck =
  | { readonly ok: true; readonly status: 'allowed' | 'denied' }
  | { readonly ok: false; readonly refusal: DeviationRefusal; readonly message: string };

const STATUS_WORDS: Record<DeviationStatus, string> = {
  pending: 'waiting for a decision',
  allowed: 'allowed',
  denied: 'denied',
  timed_out: 'timed out',
  cancelled: 'cancelled',
};

export function deviationStatusWords(status: DeviationStatus): string {
  return STATUS_WORDS[status];
}

/**
 * Whether `decider` may settle the request now. Who is an approver of the change is the
 * authorisation table's question (the approvers of a change, never its requester or executors),
 * asked by the service first; this adds what is particular to a deviation: the user who typed
 * the command never decides it, and a request decides once, before it expires.
 */
export function checkDeviationDecision(request: DeviationRequest, decider: string, decision: DeviationDecision, now: Date): DecisionCheck {
  if (request.status !== 'pending') {
    return { ok: false, refusal: 'not_pending', message: `the request to run "${request.line}" was ${deviationStatusWords(request.status)} already` };
  }
  if (now.getTime() >= request.expiresAt.getTime()) {
    return { ok: false, refusal: 'expired', message: `the request to run "${request.line}" timed out at ${request.expiresAt.toISOString()}` };
  }
  if (decider === request.requester) {
    return { ok: false, refusal: 'self_decision', message: `${decider} typed "${request.line}" and cannot approve their own deviation (four-eyes rule)` };
  }
  return { ok: true, status: decision === 'allow' ? 'allowed' : 'denied' };
}

/**
 * What a line a `review` rule matched does in a session of `change`:
 * - `run`: it is in the approved script (every command it runs is a planned one), so the
 *   approvers saw it already;
 * - `ask`: the change is in its window (approved or in progress) and it is not planned: it
 *   waits for an approver (a deviation);
 * - `refuse`: no window is open for the change (sessions only exist inside one; this covers a
 *   window that closed while the user typed): nobody is there to approve it.
 */
export function reviewPath(change: Pick<Change, 'status' | 'windowStart' | 'windowEnd'>, now: Date, lineCommands: readonly string[], plannedCommands: ReadonlySet<string>): 'run' | 'ask' | 'refuse' {
  if (lineCommands.length > 0 && lineCommands.every((command) => plannedCommands.has(command))) return 'run';
  const open = (change.status === 'approved' || change.status === 'in_progress') && now >= change.windowStart && now < change.windowEnd;
  return open ? 'ask' : 'refuse';
}
