import type { Database } from 'better-sqlite3';
import type { LinkNonceRepository, UsedLinkNonce } from '../linkNonceRepository.js';

export class SqliteLinkNonceRepository implements LinkNonceRepository {
  constructor(private readonly db: Database) {}

  async claim(used: UsedLinkNonce): Promise<boolean> {
    const result = this.db
      .prepare(
        'INSERT INTO used_link_nonces (nonce, code, approver, used_at, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(nonce) DO NOTHING',
      )
      .run(used.nonce, used.code, used.approver, used.usedAt.getTime(), used.expiresAt.getTime());
    return result.changes === 1;
  }

  async isUsed(nonce: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM used_link_nonces WHERE nonce = ?').get(nonce) !== undefined;
  }

  async purgeExpired(before: Date): Promise<number> {
    return this.db.prepare('DELETE FROM used_link_nonces WHERE expires_at < ?').run(before.getTime()).changes;
  }
}
