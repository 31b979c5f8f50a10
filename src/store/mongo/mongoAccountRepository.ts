import type { AccountLock, AccountRepository, RegisteredKey } from '../accountRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, fromStored, isDuplicateKey, requireDate, requireString, toStored } from './mongoDocument.js';
import type { AccountLockDoc, MongoModels, SshKeyDoc, WebSignoutDoc } from './mongoModels.js';
import type { MongoRevisioned } from './mongoRevisioned.js';

export class MongoAccountRepository implements AccountRepository {
  constructor(
    private readonly models: Pick<MongoModels, 'accountLocks' | 'sshKeys'>,
    private readonly signouts: MongoRevisioned['webSignouts'],
  ) {}

  async lock(lock: AccountLock): Promise<boolean> {
    try {
      // Inserts only when no lock exists; an existing lock (its time, reason, author) is kept.
      // The inserted document takes `user` from the (plain, string-checked) equality filter.
      const { user, ...rest } = lock;
      const result = await this.models.accountLocks.collection.updateOne(
        { user: requireString(user) },
        { $setOnInsert: toStored(rest) },
        { upsert: true },
      );
      return result.upsertedCount === 1;
    } catch (error) {
      // Two concurrent first locks of one user: the unique index lets one insert.
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async unlock(user: string): Promise<boolean> {
    const result = await this.models.accountLocks.deleteOne({ user: eq(user) });
    return result.deletedCount === 1;
  }

  async findLock(user: string): Promise<AccountLock | null> {
    const doc = await this.models.accountLocks.findOne({ user: eq(user) }).lean<AccountLockDoc>();
    return doc ? fromStored(doc) : null;
  }

  async listLocks(): Promise<AccountLock[]> {
    const docs = await this.models.accountLocks.find({}).sort({ user: 1 }).lean<AccountLockDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async addKey(key: RegisteredKey): Promise<void> {
    try {
      await this.models.sshKeys.collection.insertOne(toStored({ ...key }));
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError('ssh key', key.fingerprint);
      throw error;
    }
  }

  async listKeys(user: string): Promise<RegisteredKey[]> {
    // _id breaks ties in insertion order, as SQLite's rowid does.
    const docs = await this.models.sshKeys.find({ user: eq(user) }).sort({ addedAt: 1, _id: 1 }).lean<SshKeyDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async removeKey(user: string, fingerprint: string): Promise<boolean> {
    const result = await this.models.sshKeys.deleteOne({ user: eq(user), fingerprint: eq(fingerprint) });
    return result.deletedCount === 1;
  }

  async findKeyByFingerprint(fingerprint: string): Promise<RegisteredKey | null> {
    const doc = await this.models.sshKeys.findOne({ fingerprint: eq(fingerprint) }).lean<SshKeyDoc>();
    return doc ? fromStored(doc) : null;
  }

  async endWebSessions(user: string, at: Date): Promise<void> {
    requireString(user);
    requireDate(at);
    // Only forward: a later sign-out is never undone by an earlier one arriving late. (Not
    // `$max`: on FerretDB that is a read and a write, and two sign-outs could cross.)
    await this.signouts.write(user, (current) => (current === null || at.getTime() > current.at.getTime() ? { user, at } : undefined));
  }

  async webSessionsEndedAt(user: string): Promise<Date | null> {
    const { doc } = await this.signouts.current(requireString(user));
    return doc ? doc.at : null;
  }
}
