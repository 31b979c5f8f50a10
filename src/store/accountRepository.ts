import type { Commit } from './commit.js';

export interface AccountLock {
  readonly user: string;
  readonly at: Date;
  readonly reason: string;
  readonly by: string;
}

export interface RegisteredKey {
  readonly user: string;
  /** SHA256 fingerprint, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  readonly publicKey: string;
  readonly addedAt: Date;
}

/**
 * State about users that the policy file does not own: locks, self-registered SSH keys, web
 * sign-outs. A write given a commit stores it only when the write changes something.
 */
export interface AccountRepository {
  /** Returns false (writing nothing) if the user was already locked. A lock also ends the user's web sessions (as `endWebSessions(user, lock.at)`). */
  lock(lock: AccountLock, commit?: Commit): Promise<boolean>;
  /** Returns false (writing nothing) if the user was not locked. */
  unlock(user: string, commit?: Commit): Promise<boolean>;
  findLock(user: string): Promise<AccountLock | null>;
  listLocks(): Promise<AccountLock[]>;
  /** @throws DuplicateKeyError when the key is registered already (to anyone). */
  addKey(key: RegisteredKey, commit?: Commit): Promise<void>;
  listKeys(user: string): Promise<RegisteredKey[]>;
  removeKey(user: string, fingerprint: string, commit?: Commit): Promise<boolean>;
  findKeyByFingerprint(fingerprint: string): Promise<RegisteredKey | null>;
  /** Web sessions of `user` issued at or before `at` are over; the time only moves forward. */
  endWebSessions(user: string, at: Date, commit?: Commit): Promise<void>;
  /** When the user's web sessions were last ended (null: never). */
  webSessionsEndedAt(user: string): Promise<Date | null>;
}
