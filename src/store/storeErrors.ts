/** A unique key (change code, ids) is already taken. */
export class DuplicateKeyError extends Error {
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`${entity} "${key}" already exists`);
    this.name = 'DuplicateKeyError';
  }
}

/** The store cannot be reached: callers fail closed. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
