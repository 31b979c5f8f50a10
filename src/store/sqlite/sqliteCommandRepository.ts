import type { Database } from 'better-sqlite3';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { wordsOf } from '../../domain/search/searchWords.js';
import type { CommandRepository, CommandScanRange, CommandSearchPage, CommandSearchQuery } from '../commandRepository.js';
import type { Commit } from '../commit.js';
import { DuplicateKeyError } from '../storeErrors.js';
import type { SqliteCommitWriter } from './sqliteCommitWriter.js';
import { fromDocument, toDocument } from './jsonDocument.js';

/** The words of a line as the full-text index keeps them (registered as `changeguard_words`). */
export function indexedWords(line: unknown): string {
  return typeof line === 'string' ? wordsOf(line).join(' ') : '';
}

const DEFAULT_SCAN_BATCH = 1000;
const DAY_MS = 86_400_000;

export class SqliteCommandRepository implements CommandRepository {
  constructor(
    private readonly db: Database,
    private readonly commits: SqliteCommitWriter,
  ) {}

  /**
   * The command, its search index rows (words, day range, rule matches) and its commit (the
   * EXECUTE audit record) in one write transaction: all of them or none. Immediate, so the
   * audit head it links to cannot move under it (another process appending).
   */
  async append(record: CommandRecord, commit?: Commit): Promise<void> {
    const insert = this.db.transaction(() => {
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO commands (id, session_id, change_code, user, device, verdict, at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(record.id, record.sessionId, record.changeCode, record.user, record.device, record.verdict, record.at.getTime(), toDocument(record));
      this.db.prepare('INSERT INTO commands_words (rowid, words) VALUES (?, ?)').run(lastInsertRowid, indexedWords(record.line));
      this.db
        .prepare(
          'INSERT INTO command_days (day, min_pos, max_pos) VALUES (?, ?, ?) ON CONFLICT(day) DO UPDATE SET min_pos = min(min_pos, excluded.min_pos), max_pos = max(max_pos, excluded.max_pos)',
        )
        .run(Math.floor(record.at.getTime() / DAY_MS), lastInsertRowid, lastInsertRowid);
      const rule = this.db.prepare('INSERT INTO command_rules (command_id, user, rule_id) VALUES (?, ?, ?)');
      for (const ruleId of record.ruleIds) rule.run(record.id, record.user, ruleId);
      this.commits.write(commit);
    });
    try {
      insert.immediate();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new DuplicateKeyError('command', record.id);
      throw error;
    }
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

  /**
   * Words alone (or with a verdict or a time range): the full-text index leads, its matches
   * come newest first (by rowid) and the first page stops the scan; a time range is first
   * turned into the range of rowids its days were stored at (command_days), which the index
   * seeks to. Words with a user, server or change: the matches' rowids are collected once and
   * each is probed in that filter's index (measured on 1,000,000 commands: 5 ms instead of 90
   * for a word on one server). Without words, the filter's index, whose entries for one
   * value are already in recorded order, within the same rowid range.
   */
  async search(query: CommandSearchQuery): Promise<CommandSearchPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    let from = 'commands c';
    let order = 'c.pos DESC';
    if (query.words && query.words.length > 0) {
      const match = query.words.map((word) => `"${word.replace(/"/g, '""')}"*`).join(' AND ');
      const narrower = query.user ?? query.device ?? query.changeCode;
      if (narrower !== undefined) {
        where.push('c.pos IN (SELECT rowid FROM commands_words WHERE commands_words MATCH ?)');
      } else {
        from = 'commands_words w JOIN commands c ON c.pos = w.rowid';
        where.push('commands_words MATCH ?');
        order = 'w.rowid DESC';
      }
      params.push(match);
    }
    const equal = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`c.${column} = ?`);
      params.push(value);
    };
    equal('user', query.user);
    equal('device', query.device);
    equal('change_code', query.changeCode);
    if (query.verdicts && query.verdicts.length > 0) {
      where.push(`c.verdict IN (${query.verdicts.map(() => '?').join(', ')})`);
      params.push(...query.verdicts);
    }
    if (query.since || query.until) {
      const span = this.positionsBetween(query.since, query.until);
      const rowid = from.startsWith('commands_words') ? 'w.rowid' : 'c.pos';
      where.push(`${rowid} BETWEEN ? AND ?`);
      params.push(span.from, span.to);
    }
    if (query.since) {
      where.push('c.at >= ?');
      params.push(query.since.getTime());
    }
    if (query.until) {
      where.push('c.at < ?');
      params.push(query.until.getTime());
    }
    const sql = `SELECT c.doc FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ? OFFSET ?`;
    const rows = this.db.prepare(sql).all(...params, query.limit + 1, query.offset) as { doc: string }[];
    return {
      records: rows.slice(0, query.limit).map((r) => fromDocument<CommandRecord>(r.doc)),
      hasMore: rows.length > query.limit,
    };
  }

  /** Rowids that may hold commands judged in [since, until): the stored ranges of the days it touches. */
  private positionsBetween(since: Date | undefined, until: Date | undefined): { from: number; to: number } {
    const first = since ? Math.floor(since.getTime() / DAY_MS) : Number.MIN_SAFE_INTEGER;
    const last = until ? Math.floor((until.getTime() - 1) / DAY_MS) : Number.MAX_SAFE_INTEGER;
    const row = this.db.prepare('SELECT min(min_pos) AS lo, max(max_pos) AS hi FROM command_days WHERE day BETWEEN ? AND ?').get(first, last) as {
      lo: number | null;
      hi: number | null;
    };
    // No day in range: an empty rowid range, so nothing matches.
    return row.lo === null || row.hi === null ? { from: 1, to: 0 } : { from: row.lo, to: row.hi };
  }

  /** Keyset pages on (at, pos), the order of the `commands_at` index: no sort, no offset. */
  async *scan(range: CommandScanRange): AsyncIterable<readonly CommandRecord[]> {
    const size = range.batchSize ?? DEFAULT_SCAN_BATCH;
    const until = range.until?.getTime() ?? Number.MAX_SAFE_INTEGER;
    const first = this.db.prepare('SELECT pos, at, doc FROM commands WHERE at >= ? AND at < ? ORDER BY at, pos LIMIT ?');
    const next = this.db.prepare('SELECT pos, at, doc FROM commands WHERE (at, pos) > (?, ?) AND at < ? ORDER BY at, pos LIMIT ?');
    let rows = first.all(range.since?.getTime() ?? Number.MIN_SAFE_INTEGER, until, size) as { pos: number; at: number; doc: string }[];
    while (rows.length > 0) {
      yield rows.map((r) => fromDocument<CommandRecord>(r.doc));
      if (rows.length < size) return;
      const last = rows[rows.length - 1]!;
      rows = next.all(last.at, last.pos, until, size) as { pos: number; at: number; doc: string }[];
    }
  }
}
