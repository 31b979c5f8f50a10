import type { AccountLock, AccountRepository, RegisteredKey } from '../accountRepository.js';
import type { Commit } from '../commit.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { relaySoon, storedCommit, type MongoCommitRelay } from './mongoCommits.js';
import { eq, fromStored, requireDate, requireString, toStored } from './mongoDocument.js';
import type { AccountLockDoc, SshKeyDoc } from './mongoModels.js';
import type { MongoRevisioned } from './mongoRevisioned.js';
import { DELETED_FIELD } from './revisionedCollection.js';

const LISTED = { [DELETED_FIELD]: { $ne: true } };

/**
 * Locks (keyed by user), keys (by fingerprint) and web sign-outs (by user) are revisioned
 * entities (revisionedCollection.ts): each write is the insert of the entity's next revision,
 * carrying the use case's commit when it has one (mongoCommits.ts). A removal with a commit
 * leaves a tombstone until relayed. A lock also ends the user's web sessions: the lock's own
 * time counts at once (`webSessionsEndedAt` reads it), and the relay records it with the
 * sign-outs, which outlive an unlock.
 */
export class MongoAccountRepository implements AccountRepository {
  constructor(
    private readonly revisioned: Pick<MongoRevisioned, 'accountLocks' | 'sshKeys' | 'webSignouts'>,
    private readonly relay?: MongoCommitRelay,
  ) {}

  private get locks(): MongoRevisioned['accountLocks'] {
    return this.revisioned.accountLocks;
  }

  private get keys(): MongoRevisioned['sshKeys'] {
    return this.revisioned.sshKeys;
  }

  async lock(lock: AccountLock, commit?: Commit): Promise<boolean> {
    const user = requireString(lock.user);
    const effects = [{ kind: 'endWebSessions' as const, user, at: lock.at }];
    const outcome = await this.locks.write(user, (current) => (current === null ? (toStored({ ...lock }) as AccountLockDoc & Record<string, unknown>) : undefined), storedCommit(commit, effects));
    if (outcome.written && commit) await relaySoon(this.relay, this.locks.kind, user);
    return outcome.written;
  }

  async unlock(user: string, commit?: Commit): Promise<boolean> {
    const outcome = await this.locks.write(requireString(user), (current) => (current === null ? undefined : null), storedCommit(commit));
    if (outcome.written && commit) await relaySoon(this.relay, this.locks.kind, user);
    return outcome.written;
  }

  async findLock(user: string): Promise<AccountLock | null> {
    const { doc } = await this.locks.current(requireString(user));
    return doc ? fromStored<AccountLock>(doc) : null;
  }

  async listLocks(): Promise<AccountLock[]> {
    const docs = await this.locks.listingModel.find(LISTED).sort({ user: 1 }).lean<AccountLockDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async addKey(key: RegisteredKey, commit?: Commit): Promise<void> {
    const fingerprint = requireString(key.fingerprint);
    if (!(await this.keys.insert(fingerprint, toStored({ ...key }) as SshKeyDoc & Record<string, unknown>, storedCommit(commit)))) {
      throw new DuplicateKeyError('ssh key', key.fingerprint);
    }
    if (commit) await relaySoon(this.relay, this.keys.kind, fingerprint);
  }

  async listKeys(user: string): Promise<RegisteredKey[]> {
    // _id breaks ties in insertion order, as SQLite's rowid does.
    const docs = await this.keys.listingModel.find({ user: eq(user), ...LISTED }).sort({ addedAt: 1, _id: 1 }).lean<SshKeyDoc[]>();
    return docs.map((doc) => fromStored(doc));
  }

  async removeKey(user: string, fingerprint: string, commit?: Commit): Promise<boolean> {
    requireString(user);
    const outcome = await this.keys.write(requireString(fingerprint), (current) => (current !== null && current.user === user ? null : undefined), storedCommit(commit));
    if (outcome.written && commit) await relaySoon(this.relay, this.keys.kind, fingerprint);
    return outcome.written;
  }

  async findKeyByFingerprint(fingerprint: string): Promise<RegisteredKey | null> {
    const { doc } = await this.keys.current(requireString(fingerprint));
    return doc ? fromStored<RegisteredKey>(doc) : null;
  }

  async endWebSessions(user: string, at: Date, commit?: Commit): Promise<void> {
    requireString(user);
    requireDate(at);
    // Only forward: a later sign-out is never undone by an earlier one arriving late. (Not
    // `$max`: on FerretDB that is a read and a write, and two sign-outs could cross.)
    const outcome = await this.revisioned.webSignouts.write(
      user,
      (current) => (current === null || at.getTime() > current.at.getTime() ? { user, at } : undefined),
      storedCommit(commit),
    );
    if (outcome.written && commit) await relaySoon(this.relay, this.revisioned.webSignouts.kind, user);
  }

  async webSessionsEndedAt(user: string): Promise<Date | null> {
    const [signout, lock] = await Promise.all([
      this.revisioned.webSignouts.current(requireString(user)),
      // A lock ends them from its time on, also before its commit is relayed.
      this.locks.current(user),
    ]);
    const times = [signout.doc?.at, lock.doc?.at].filter((at): at is Date => at instanceof Date);
    return times.length === 0 ? null : new Date(Math.max(...times.map((at) => at.getTime())));
  }
}
