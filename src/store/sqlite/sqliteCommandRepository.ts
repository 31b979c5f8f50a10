import type { Database } from 'better-sqlite3';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import type { CommandRepository } from '../commandRepository.js';
import { fromDocument, toDocument } from './jsonDocument.js';

export class SqliteCommandRepository implements CommandRepository {
  constructor(private readonly db: Database) {}

  async append(record: CommandRecord): Promise<void> {
    const insert = this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO commands (id, session_id, change_code, user, at, doc) VALUES (?, ?, ?, ?, ?, ?)')
        .run(record.id, record.sessionId, record.changeCode, record.user, record.at.getTime(), toDocument(record));
      const rule = this.db.prepare('INSERT INTO command_rules (command_id, user, rule_id) VALUES (?, ?, ?)');
      for (const ruleId of record.ruleIds) rule.run(record.id, record.user, ruleId);
    });
    insert();
  }

  async listBySession(sessionId: string): Promise<CommandRecord[]> {
    const rows = this.db.prepare('SELECT doc FROM commands WHERE session_id = ? ORDER BY pos').all(sessionId) as { doc: string }[];
    return rows.map((r) => fromDocument<CommandRecord>(r.doc));
  }

  async listByChange(changeCode: string): Promise<CommandRecord[]> {
    const rows = this.db.prepare('SELECT doc FROM commands WHERE change_code = ? ORDER BY pos').all(changeCode) as { doc: string }[];
    return rows.map((r) => fromDocument<CommandRecord>(r.doc));
  }

  async countRuleMatches(user: string, ruleId: string): Promise<number> {
    const row = this.db.prepare('SELECT count(*) AS n FROM command_rules WHERE user = ? AND rule_id = ?').get(user, ruleId) as {
      n: number;
    };
    return row.n;
  }

  async setExitStatus(id: string, exitStatus: number): Promise<void> {
    const update = this.db.transaction(() => {
      const row = this.db.prepare('SELECT doc FROM commands WHERE id = ?').get(id) as { doc: string } | undefined;
      if (!row) return;
      const next = { ...fromDocument<CommandRecord>(row.doc), exitStatus };
      this.db.prepare('UPDATE commands SET doc = ? WHERE id = ?').run(toDocument(next), id);
    });
    update.immediate();
  }
}
