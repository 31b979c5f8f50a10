export const SESSION_STATES = ['active', 'ended', 'terminated', 'interrupted', 'ended_abnormally'] as const;
/**
 * active: open now. ended: either side closed normally. terminated: cut by changeguard
 * (revoke, window end, security button). interrupted: an interrupt rule fired.
 * ended_abnormally: the connection to the device was lost mid-session, or the process died
 * while it was open (found at the next start).
 */
export type SessionState = (typeof SESSION_STATES)[number];

export interface Session {
  readonly id: string;
  readonly changeCode: string;
  readonly user: string;
  readonly device: string;
  readonly kind: 'shell' | 'exec';
  readonly justification: string;
  readonly clientAddress: string;
  readonly startedAt: Date;
  readonly endedAt?: Date | undefined;
  readonly endReason?: string | undefined;
  readonly state: SessionState;
  /** Where the asciicast recording is kept (store-specific reference). */
  readonly recording?: string | undefined;
  /** Which process serves it, so a restarted process can close what it left open. */
  readonly owner?: string | undefined;
}
