import type { ClientSession, Connection } from 'mongoose';
import { DEFAULT_SETTINGS, type Policy, type PolicyChannels, type PolicySettings } from '../../domain/policy/policy.js';
import type { PolicyCollection, PolicyCollections, PolicyRepository, PolicyWrite } from '../policyRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { requireString, toStored } from './mongoDocument.js';
import type { MongoModels, PolicyItemDoc, PolicySingletonDoc } from './mongoModels.js';

const COLLECTIONS: readonly PolicyCollection[] = ['users', 'groups', 'devices', 'rules', 'freezes'];

export class MongoPolicyRepository implements PolicyRepository {
  /** Learnt from the first apply: a standalone server refuses transactions. */
  private transactions: 'unknown' | 'supported' | 'unsupported' = 'unknown';

  constructor(
    private readonly connection: Connection,
    private readonly models: Pick<MongoModels, 'policyItems' | 'policySingletons'>,
  ) {}

  async load(): Promise<Policy> {
    const [items, singletons] = await Promise.all([
      this.models.policyItems.find({}).sort({ kind: 1, position: 1 }).lean<PolicyItemDoc[]>(),
      this.models.policySingletons.find({ _id: { $in: ['channels', 'settings'] } }).lean<PolicySingletonDoc[]>(),
    ]);
    const list = <K extends PolicyCollection>(kind: K): PolicyCollections[K][] =>
      items.filter((doc) => doc.kind === kind).map((doc) => doc.item as PolicyCollections[K]);
    const single = (name: string): unknown => singletons.find((doc) => doc._id === name)?.value;
    return {
      users: list('users'),
      groups: list('groups'),
      devices: list('devices'),
      rules: list('rules'),
      freezes: list('freezes'),
      channels: (single('channels') as PolicyChannels | undefined) ?? {},
      settings: (single('settings') as PolicySettings | undefined) ?? DEFAULT_SETTINGS,
    };
  }

  /**
   * All together in a transaction where the server has them (a replica set or mongos, which
   * production uses: see DESIGN.md "Scale-out"). A standalone server answers the first write of
   * a transaction with code 20 (IllegalOperation, "Transaction numbers are only allowed on a
   * replica set member or mongos") before anything is written; the same writes then run in
   * order without one. They are ordered so that a reader in between never sees a section
   * emptied (new items are upserted first, items no longer listed removed after), but it may
   * see old and new items side by side, and a crash midway leaves that mix until the next
   * import. Duplicate ids are refused before any write.
   */
  async apply(write: PolicyWrite): Promise<void> {
    refuseDuplicateIds(write);
    if (this.transactions !== 'unsupported') {
      const session = await this.connection.startSession();
      try {
        await session.withTransaction(() => this.write(write, session));
        this.transactions = 'supported';
        return;
      } catch (error) {
        if (this.transactions === 'supported' || !isTransactionUnsupported(error)) throw error;
        this.transactions = 'unsupported';
      } finally {
        await session.endSession();
      }
    }
    await this.write(write, undefined);
  }

  /** Replaying it is harmless, as `withTransaction` may do after a transient error. */
  private async write(write: PolicyWrite, session: ClientSession | undefined): Promise<void> {
    const items = this.models.policyItems.collection;
    const singletons = this.models.policySingletons;
    for (const kind of COLLECTIONS) {
      const replacement = write.replace[kind];
      if (!replacement) continue;
      const ids = replacement.map((item) => requireString(item.id));
      if (replacement.length > 0) {
        await items.bulkWrite(
          replacement.map((item, position) => {
            const doc: PolicyItemDoc = { kind, id: requireString(item.id), position, item: toStored({ ...item }) };
            return { replaceOne: { filter: { kind, id: doc.id }, replacement: doc, upsert: true } };
          }),
          { session, ordered: true },
        );
      }
      await items.deleteMany({ kind: { $eq: kind }, id: { $nin: ids } }, { session });
    }
    if (write.channels) {
      await singletons.updateOne({ _id: 'channels' }, { $set: { value: toStored({ ...write.channels }) } }, { upsert: true, session });
    }
    if (write.settings) {
      await singletons.updateOne({ _id: 'settings' }, { $set: { value: toStored({ ...write.settings }) } }, { upsert: true, session });
    }
  }
}

function refuseDuplicateIds(write: PolicyWrite): void {
  for (const kind of COLLECTIONS) {
    const seen = new Set<string>();
    for (const item of write.replace[kind] ?? []) {
      if (seen.has(item.id)) throw new DuplicateKeyError(`policy ${kind.slice(0, -1)}`, item.id);
      seen.add(item.id);
    }
  }
}

/**
 * Code 20, IllegalOperation. The driver (7.x) rewraps code 20 on a write into an error about
 * retryable writes that keeps the server's answer only as `originalError`, so that is looked
 * at too.
 */
function isTransactionUnsupported(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, codeName, originalError } = current as { code?: unknown; codeName?: unknown; originalError?: unknown };
    if (code === 20 || codeName === 'IllegalOperation') return true;
    current = originalError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}
