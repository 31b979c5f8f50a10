export const CHANGE_STATUSES = [
  'pending_approval',
  'approved',
  'in_progress',
  'completed',
  'incomplete',
  'rejected',
  'revoked',
  'cancelled',
  'expired',
] as const;

export type ChangeStatus = (typeof CHANGE_STATUSES)[number];

/** Statuses after which nothing about the change can move any more. */
export const FINAL_STATUSES: readonly ChangeStatus[] = [
  'completed',
  'incomplete',
  'rejected',
  'revoked',
  'cancelled',
  'expired',
];

export function isFinal(status: ChangeStatus): boolean {
  return FINAL_STATUSES.includes(status);
}
