import type { Database } from 'better-sqlite3';
import { DEFAULT_SETTINGS, type Policy, type PolicyChannels, type PolicySettings } from '../../domain/policy/policy.js';
import type { Commit } from '../commit.js';
import type { PolicyCollection, PolicyCollections, PolicyRepository, PolicyWrite } from '../policyRepository.js';
import { fromDocument, toDocument } from './jsonDocument.js';
import type { SqliteCommitWriter } from './sqliteCommitWriter.js';

const COLLECTIONS: readonly PolicyCollection[] = ['users', 'groups', 'devices', 'rules', 'freezes'];

export class SqlitePolicyRepository implements PolicyRepository {
  constructor(
    private readonly db: Database,
    private readonly commits: SqliteCommitWriter,
  ) {}

  async load(): Promise<Policy> {
    const list = <K extends PolicyCollection>(kind: K): PolicyCollections[K][] =>
      (this.db.prepare('SELECT doc FROM policy_items WHERE kind = ? ORDER BY position').all(kind) as { doc: string }[]).map(
        (r) => fromDocument<PolicyCollections[K]>(r.doc),
      );
    const single = <T>(name: string): T | undefined => {
      const row = this.db.prepare('SELECT doc FROM policy_singletons WHERE name = ?').get(name) as { doc: string } | undefined;
      return row ? fromDocument<T>(row.doc) : undefined;
    };
    return {
      users: list('users'),
      groups: list('groups'),
      devices: list('devices'),
      rules: list('rules'),
      freezes: list('freezes'),
      channels: single<PolicyChannels>('channels') ?? {},
      settings: single<PolicySettings>('settings') ?? DEFAULT_SETTINGS,
    };
  }

  async apply(write: PolicyWrite, commit?: Commit): Promise<void> {
    const apply = this.db.transaction(() => {
      for (const kind of COLLECTIONS) {
        const items = write.replace[kind];
        if (!items) continue;
        this.db.prepare('DELETE FROM policy_items WHERE kind = ?').run(kind);
        const insert = this.db.prepare('INSERT INTO policy_items (kind, id, position, doc) VALUES (?, ?, ?, ?)');
        items.forEach((item, position) => insert.run(kind, item.id, position, toDocument(item)));
      }
      const single = this.db.prepare(
        'INSERT INTO policy_singletons (name, doc) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc',
      );
      if (write.channels) single.run('channels', toDocument(write.channels));
      if (write.settings) single.run('settings', toDocument(write.settings));
      this.commits.write(commit);
    });
    apply.immediate();
  }
}
