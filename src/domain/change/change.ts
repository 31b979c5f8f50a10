import type { ChangeStatus } from './changeStatus.js';

export interface Approval {
  readonly approver: string;
  readonly at: Date;
  /** The script hash the approver saw: an approval never carries over to an edited script. */
  readonly scriptHash: string;
}

export interface Decision {
  readonly by: string;
  readonly at: Date;
  readonly reason: string;
}

export interface ApprovalRound {
  readonly startedAt: Date;
  readonly reminders: number;
}

export interface Change {
  readonly code: string;
  readonly title: string;
  readonly description: string;
  /** Policy user id of the person who filed the change. */
  readonly requester: string;
  /**
   * Members of the group named to carry the change out besides the requester: they may open
   * sessions on it and, like the requester, never review it (four eyes). Absent: none.
   */
  readonly executors?: readonly string[] | undefined;
  /** Access group id: decides approvers, quorum and the devices in reach. */
  readonly group: string;
  readonly devices: readonly string[];
  readonly script: string;
  readonly scriptHash: string;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  /**
   * Flagged an emergency by the requester: it may be filed or moved into a policy freeze, and
   * there needs one approval more than the group's quorum. Absent: not an emergency.
   */
  readonly emergency?: boolean | undefined;
  readonly status: ChangeStatus;
  readonly approvals: readonly Approval[];
  readonly rejection?: Decision | undefined;
  readonly revocation?: Decision | undefined;
  readonly cancellation?: Decision | undefined;
  /** Script-audit outcome, set when the window closes. */
  readonly outcome?: string | undefined;
  /**
   * The current request for approval: when it started (filing, or the last reschedule) and
   * how many reminders the approvers were sent in it. Absent: started at `createdAt`, none sent.
   */
  readonly approvalRound?: ApprovalRound | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Incremented on every write; writes are conditional on it (optimistic concurrency). */
  readonly version: number;
}
