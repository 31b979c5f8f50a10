/**
 * Every copy of a change request posted to Slack (an approver's DM, the requester's DM, the
 * group channel), so each copy can be edited in place and threaded as the change moves on.
 */
export interface SlackMessageCopy {
  readonly changeCode: string;
  readonly channel: string;
  readonly ts: string;
  /** The outbox audience it was posted for: `user:bob`, `channel:C01ABC`, `role:approvals`. */
  readonly audience: string;
  readonly postedAt: Date;
}

export interface SlackMessageRepository {
  /** Idempotent: the same {channel, ts} recorded twice is kept once. */
  record(copy: SlackMessageCopy): Promise<void>;
  /** In posting order. */
  listByChange(changeCode: string): Promise<SlackMessageCopy[]>;
}
