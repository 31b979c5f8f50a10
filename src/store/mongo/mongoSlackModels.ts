import { Schema, type Connection, type Model } from 'mongoose';
import type { OutboxMessage } from '../outboxRepository.js';
import type { SlackMessageCopy } from '../slackMessageRepository.js';

/**
 * The outbox and the posted Slack copies. Like mongoModels.ts, schemas list only what is
 * filtered, sorted or indexed on. The payload is kept as JSON text, exactly as the SQLite
 * store keeps it: notification data may carry any key, and is read back untouched.
 */
/** `dedupe`: see mongoOutboxRepository.ts (the dedupe key, or the id when there is none). */
export type OutboxDoc = Omit<OutboxMessage, 'payload'> & { readonly payload: string; readonly dedupe: string; readonly pos: number };
export type SlackMessageDoc = SlackMessageCopy;

export type SlackModels = {
  readonly outbox: Model<OutboxDoc>;
  readonly slackMessages: Model<SlackMessageDoc>;
};

const OPTIONS = { strict: false, strictQuery: false, versionKey: false, minimize: false, id: false, autoIndex: false } as const;

function outboxSchema() {
  const schema = new Schema<OutboxDoc>(
    {
      id: { type: String, required: true },
      dedupe: { type: String, required: true },
      audience: { type: String, required: true },
      status: { type: String, required: true },
      nextAttemptAt: { type: Date, required: true },
      claimedUntil: { type: Date },
      createdAt: { type: Date, required: true },
      pos: { type: Number },
    },
    OPTIONS,
  );
  schema.index({ id: 1 }, { unique: true });
  // Always set (the key, or the id of a message without one): a plain unique index, where a
  // partial one on dedupeKey is refused by FerretDB ("partialFilterExpression is not implemented").
  schema.index({ dedupe: 1 }, { unique: true });
  schema.index({ status: 1, nextAttemptAt: 1, pos: 1 });
  schema.index({ status: 1, claimedUntil: 1 });
  schema.index({ createdAt: -1, pos: -1 });
  schema.index({ audience: 1, createdAt: -1, pos: -1 });
  return schema;
}

function slackMessageSchema() {
  const schema = new Schema<SlackMessageDoc>(
    {
      channel: { type: String, required: true },
      ts: { type: String, required: true },
      changeCode: { type: String, required: true },
      postedAt: { type: Date, required: true },
    },
    OPTIONS,
  );
  schema.index({ channel: 1, ts: 1 }, { unique: true });
  schema.index({ changeCode: 1, postedAt: 1 });
  return schema;
}

export function defineSlackModels(connection: Connection): SlackModels {
  return {
    outbox: connection.model<OutboxDoc>('OutboxMessage', outboxSchema(), 'outbox'),
    slackMessages: connection.model<SlackMessageDoc>('SlackMessage', slackMessageSchema(), 'slack_messages'),
  };
}
