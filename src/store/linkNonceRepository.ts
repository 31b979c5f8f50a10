/** One approval link that has been used: its nonce, for whom it was made, and until when it mattered. */
export interface UsedLinkNonce {
  readonly nonce: string;
  readonly code: string;
  readonly approver: string;
  readonly usedAt: Date;
  /** The link's own expiry: after it, the link is refused anyway and the row can go. */
  readonly expiresAt: Date;
}

/** Makes approval links single-use across every process sharing the store. */
export interface LinkNonceRepository {
  /** Records the nonce unless it is recorded already: true for exactly one caller per nonce. */
  claim(used: UsedLinkNonce): Promise<boolean>;
  isUsed(nonce: string): Promise<boolean>;
  /** Forgets nonces of links that expired before `before`; returns how many. */
  purgeExpired(before: Date): Promise<number>;
}
