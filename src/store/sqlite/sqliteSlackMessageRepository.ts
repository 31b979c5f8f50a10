import type { Database } from 'better-sqlite3';
import type { SlackMessageCopy, SlackMessageRepository } from '../slackMessageRepository.js';

interface CopyRow {
  channel: string;
  ts: string;
  change_code: string;
  audience: string;
  posted_at: number;
}

export class SqliteSlackMessageRepository implements SlackMessageRepository {
  constructor(private readonly db: Database) {}

  async record(copy: SlackMessageCopy): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO slack_messages (channel, ts, change_code, audience, posted_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(channel, ts) DO NOTHING`,
      )
      .run(copy.channel, copy.ts, copy.changeCode, copy.audience, copy.postedAt.getTime());
  }

  async listByChange(changeCode: string): Promise<SlackMessageCopy[]> {
    const rows = this.db
      .prepare('SELECT * FROM slack_messages WHERE change_code = ? ORDER BY posted_at, rowid')
      .all(changeCode) as CopyRow[];
    return rows.map((row) => ({ changeCode: row.change_code, channel: row.channel, ts: row.ts, audience: row.audience, postedAt: new Date(row.posted_at) }));
  }
}
