/**
 * How domain objects become MongoDB documents and back, so both stores hold the same shapes.
 * The SQLite store keeps JSON, where an `undefined` field simply vanishes; the MongoDB driver
 * would store it as `null` instead, and the object read back would differ. `toStored` drops
 * them the way JSON does (and keeps dates as BSON dates).
 */
export function toStored<T>(value: T): T {
  return strip(value) as T;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : strip(item)));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = strip(item);
    }
    return out;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A document as read with `.lean()`, less the bookkeeping fields the domain does not know: the
 * `_id`, the listing copy's revision (`_rev`, revisionedCollection.ts), and the commits it
 * carries until they are relayed (mongoCommits.ts).
 */
export function fromStored<T extends object>(doc: T & { _id?: unknown }): T {
  const { _id, _rev, pendingCommits, pendingCommitCount, removedAt, ...rest } = doc as T & {
    _id?: unknown;
    _rev?: unknown;
    pendingCommits?: unknown;
    pendingCommitCount?: unknown;
    removedAt?: unknown;
  };
  return rest as T;
}

/** E11000: a unique index refused the write. */
export function isDuplicateKey(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 11000 || code === 11001;
}

/**
 * An equality condition on a string. Filters are built from typed values only, and a value
 * that is not a string at run time (an object smuggled in as `{ $ne: null }`) is refused
 * rather than interpreted as an operator.
 */
export function eq<T extends string>(value: T): { $eq: T } {
  return { $eq: requireString(value) };
}

export function requireString<T extends string>(value: T): T {
  if (typeof value !== 'string') throw new TypeError(`expected a string in a store query, got ${typeof value}`);
  return value;
}

export function requireNumber(value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`expected a number in a store query, got ${typeof value}`);
  return value;
}

export function requireDate(value: Date): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError('expected a valid Date in a store query');
  return value;
}

/**
 * LIMIT/OFFSET as the SQLite store applies them: no limit (or a negative one) means all
 * rows, a limit of 0 means none (MongoDB's `limit(0)` would mean all), and a negative
 * offset counts as 0.
 */
export function page(limit: number | undefined, offset: number | undefined): { skip: number; limit: number } | 'none' {
  const skip = offset === undefined || !(offset > 0) ? 0 : Math.floor(offset);
  if (limit === undefined || Number.isNaN(limit) || limit < 0) return { skip, limit: 0 };
  const rows = Math.floor(limit);
  return rows === 0 ? 'none' : { skip, limit: rows };
}

/**
 * The document a patch makes of `current`: fields the patch sets to `undefined` are removed
 * (as the SQLite store's `{ ...stored, ...patch }` followed by JSON does), protected fields
 * keep their stored value, and field names are checked so a patch can never address a nested
 * path or carry an operator.
 */
export function applyPatch<T extends object>(current: T, patch: object, protectedFields: readonly string[]): T {
  const next: Record<string, unknown> = { ...(current as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    if (key === '_id' || protectedFields.includes(key)) continue;
    if (key.startsWith('$') || key.includes('.')) throw new TypeError(`invalid field name in a store patch: ${key}`);
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  return strip(next) as T;
}

let lastPosition = 0;

/**
 * An insertion order without a shared counter: this process's clock in microseconds, forced
 * past the last value it handed out. Strictly increasing within a process (what a session, or
 * a burst of notifications raised together, needs), time-ordered across processes.
 */
export function nextPosition(): number {
  lastPosition = Math.max(Date.now() * 1000, lastPosition + 1);
  return lastPosition;
}
