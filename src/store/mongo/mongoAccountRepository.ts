import type { AccountLock, AccountRepository, RegisteredKey } from '../accountRepository.js';
import type { Commit } from '../commit.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { LIVE, NO_COMMITS_LEFT, mergeUpdates, pushCommit, relaySoon, withCommit, type MongoCommitRelay } from './mongoCommits.js';
import { eq, fromStored, isDuplicateKey, requireString, toStored } from './mongoDocument.js';
import type { AccountLockDoc, MongoModels, SshKeyDoc, WebSignoutDoc } from './mongoModels.js';

/**
 * Locks and keys are documents that a removal turns into tombstones carrying the removal's
 * commit (mongoCommits.ts): readers skip them, the relay deletes them once relayed. A lock
 * also ends the user's web sessions: the lock's own time counts at once (`webSessionsEndedAt`
 * reads it), and the relay records it with the sign-outs, which outlive an unlock.
 */
export class MongoAccountRepository implements AccountRepository {
  constructor(
    private readonly models: Pick<MongoModels, 'accountLocks' | 'sshKeys' | 'webSignouts'>,
    private readonly relay?: MongoCommitRelay,
  ) {}

  async lock(lock: AccountLock, commit?: Commit): Promise<boolean> {
    const { user, ...rest } = lock;
    const effects = [{ kind: 'endWebSessions' as const, user: requireString(user), at: lock.at }];
    const locks = this.models.accountLocks.collection;
    // A tombstone (an unlock not yet relayed) becomes the new lock...
    const revived = await locks.findOneAndUpdate(
      { user: requireString(user), removedAt: { $exists: true } },
      mergeUpdates({ $set: toStored(rest) }, { $unset: { removedAt: '' } }, pushCommit(commit, effects)),
      { returnDocument: 'after' },
    );
    if (revived) {
      if (commit) await relaySoon(this.relay, 'accountLocks', revived._id);
      return true;
    }
    // ...else a lock is inserted unless one exists: the unique index on `user` decides.
    try {
      const inserted = await locks.insertOne(withCommit(toStored({ ...lock }), commit, effects));
      if (commit) await relaySoon(this.relay, 'accountLocks', inserted.insertedId);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async unlock(user: string, commit?: Commit): Promise<boolean> {
    const doc = await this.models.accountLocks.collection.findOneAndUpdate(
      { user: requireString(user), ...LIVE },
      mergeUpdates({ $set: { removedAt: new Date() } }, pushCommit(commit)),
      { returnDocument: 'after' },
    );
    if (!doc) return false;
    await relaySoon(this.relay, 'accountLocks', doc._id);
    if (!commit) await this.models.accountLocks.collection.deleteOne({ _id: doc._id, ...NO_COMMITS_LEFT });
    return true;
  }

  async findLock(user: string): Promise<AccountLock | null> {
    const doc = await this.models.accountLocks.findOne({ user: eq(user), ...LIVE }).lean<AccountLockDoc>();
    return doc ? fromStored(doc) : null;
  }

  async listLocks(): Promise<AccountLock[]> {
    const docs = await this.models.accountLocks.find({ ...LIVE }).sort({ user: 1 }).lean<AccountLockDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async addKey(key: RegisteredKey, commit?: Commit): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const inserted = await this.models.sshKeys.collection.insertOne(withCommit(toStored({ ...key }), commit));
        if (commit) await relaySoon(this.relay, 'sshKeys', inserted.insertedId);
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // A removed key whose tombstone is still relaying frees its fingerprint once relayed.
        const tombstone = await this.models.sshKeys.collection.findOne({ fingerprint: requireString(key.fingerprint), removedAt: { $exists: true } });
        if (!tombstone || attempt > 0) throw new DuplicateKeyError('ssh key', key.fingerprint);
        await relaySoon(this.relay, 'sshKeys', tombstone._id);
      }
    }
  }

  async listKeys(user: string): Promise<RegisteredKey[]> {
    // _id breaks ties in insertion order, as SQLite's rowid does.
    const docs = await this.models.sshKeys.find({ user: eq(user), ...LIVE }).sort({ addedAt: 1, _id: 1 }).lean<SshKeyDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async removeKey(user: string, fingerprint: string, commit?: Commit): Promise<boolean> {
    const doc = await this.models.sshKeys.collection.findOneAndUpdate(
      { user: requireString(user), fingerprint: requireString(fingerprint), ...LIVE },
      mergeUpdates({ $set: { removedAt: new Date() } }, pushCommit(commit)),
      { returnDocument: 'after' },
    );
    if (!doc) return false;
    await relaySoon(this.relay, 'sshKeys', doc._id);
    if (!commit) await this.models.sshKeys.collection.deleteOne({ _id: doc._id, ...NO_COMMITS_LEFT });
    return true;
  }

  async findKeyByFingerprint(fingerprint: string): Promise<RegisteredKey | null> {
    const doc = await this.models.sshKeys.findOne({ fingerprint: eq(fingerprint), ...LIVE }).lean<SshKeyDoc>();
    return doc ? fromStored(doc) : null;
  }

  async endWebSessions(user: string, at: Date, commit?: Commit): Promise<void> {
    const signouts = this.models.webSignouts.collection;
    // $max: a later sign-out is never undone by an earlier one arriving late.
    const update = mergeUpdates({ $max: { at } }, pushCommit(commit));
    let id: unknown;
    try {
      id = (await signouts.findOneAndUpdate({ user: requireString(user) }, update, { upsert: true, returnDocument: 'after' }))?._id;
    } catch (error) {
      // Two first sign-outs at once: the unique index lets one insert; the other applies its $max.
      if (!isDuplicateKey(error)) throw error;
      id = (await signouts.findOneAndUpdate({ user: requireString(user) }, update, { returnDocument: 'after' }))?._id;
    }
    if (commit) await relaySoon(this.relay, 'webSignouts', id);
  }

  async webSessionsEndedAt(user: string): Promise<Date | null> {
    const [signout, lock] = await Promise.all([
      this.models.webSignouts.findOne({ user: eq(user) }).lean<WebSignoutDoc>(),
      // A lock ends them from its time on, also before its commit is relayed.
      this.models.accountLocks.findOne({ user: eq(user), ...LIVE }).lean<AccountLockDoc>(),
    ]);
    const times = [signout?.at, lock?.at].filter((at): at is Date => at instanceof Date);
    return times.length === 0 ? null : new Date(Math.max(...times.map((at) => at.getTime())));
  }
}
