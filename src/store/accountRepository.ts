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

/** State about users that the policy file does not own: locks, self-registered SSH keys, web sign-outs. */
export interface AccountRepository {
  /** Returns false if the user was already locked. */
  lock(lock: AccountLock): Promise<boolean>;
  /** Returns false if the user was not locked. */
  unlock(user: string): Promise<boolean>;
  findLock(user: string): Promise<AccountLock | null>;
  listLocks(): Promise<AccountLock[]>;
  /** @throws DuplicateKeyError when the key is registered already (to anyone). */
  addKey(key: RegisteredKey): Promise<void>;
  listKeys(user: string): Promise<RegisteredKey[]>;
  removeKey(user: string, fingerprint: string): Promise<boolean>;
  findKeyByFingerprint(fingerprint: string): Promise<RegisteredKey | null>;
  /** Web sessions of `user` issued at or before `at` are over; the time only moves forward. */
  endWebSessions(user: string, at: Date): Promise<void>;
  /** When the user's web sessions were last ended (null: never). */
  webSessionsEndedAt(user: string): Promise<Date | null>;
}
