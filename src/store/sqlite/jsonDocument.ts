/**
 * Entities are stored as JSON; these are the fields that hold dates, revived on read.
 * Keeping the list here (not per repository) means a new date field is added in one place.
 */
const DATE_FIELDS = new Set([
  'at',
  'createdAt',
  'updatedAt',
  'windowStart',
  'windowEnd',
  'startedAt',
  'endedAt',
  'addedAt',
  'requestedAt',
  'expiresAt',
  'decidedAt',
]);

export function toDocument(value: unknown): string {
  return JSON.stringify(value);
}

export function fromDocument<T>(text: string): T {
  return JSON.parse(text, (key, value: unknown) =>
    DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value,
  ) as T;
}
