/**
 * SQL conditions on the agenda_jobs table for the filters Agenda passes around: job data
 * (`{ data: { code: 'CHG-1' } }`) and uniqueness keys (`{ 'data.code': 'CHG-1' }`), read the way
 * MongoDB reads them (nested objects are paths, other values compare whole). Paths and
 * values are always bound parameters; a filter this store cannot express is refused loudly
 * rather than silently matching too much.
 */
export class JobFilter {
  private readonly clauses: string[] = [];
  private readonly values: unknown[] = [];

  get isEmpty(): boolean {
    return this.clauses.length === 0;
  }

  add(clause: string, ...values: unknown[]): this {
    this.clauses.push(clause);
    this.values.push(...values);
    return this;
  }

  /** Every row of `data` matches: `{ code: 'CHG-1', nested: { a: 1 } }`. */
  matchData(data: unknown): this {
    if (isPlainObject(data)) {
      for (const [path, value] of flatten(data, [])) this.matchDataPath(path, value);
      return this;
    }
    // A filter that is not an object compares the whole of `data`, as MongoDB does.
    return this.add('json(data) = json(?)', JSON.stringify(toJsonValue(data)));
  }

  /** A uniqueness key: field paths (`data.code`) to expected values; `name` is fixed by the caller. */
  matchUnique(unique: Readonly<Record<string, unknown>>): this {
    for (const [key, value] of Object.entries(unique)) {
      if (key === 'name') continue;
      if (!key.startsWith('data.')) {
        throw new Error(`unique key "${key}" is not supported by the SQLite job store: use data.<field> paths`);
      }
      if (isPlainObject(value)) {
        throw new Error(`unique key "${key}" must be compared with a plain value, not an object or operator`);
      }
      this.matchDataPath(key.slice('data.'.length).split('.'), value);
    }
    return this;
  }

  where(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }

  params(): unknown[] {
    return [...this.values];
  }

  private matchDataPath(segments: readonly string[], value: unknown): void {
    const path = jsonPath(segments);
    // The JSON type is checked too: SQLite would otherwise equate true with 1, and an
    // array's JSON text with a string spelling it.
    if (value === null || value === undefined) this.add('json_extract(data, ?) IS NULL', path);
    else if (typeof value === 'boolean') this.add('json_type(data, ?) = ?', path, value ? 'true' : 'false');
    else if (typeof value === 'string' || value instanceof Date) {
      this.add("json_type(data, ?) = 'text' AND json_extract(data, ?) = ?", path, path, value instanceof Date ? value.toISOString() : value);
    } else if (typeof value === 'number') this.add("json_type(data, ?) IN ('integer', 'real') AND json_extract(data, ?) = ?", path, path, value);
    else this.add("json_type(data, ?) IN ('array', 'object') AND json_extract(data, ?) = json(?)", path, path, JSON.stringify(toJsonValue(value)));
  }
}

function flatten(object: Readonly<Record<string, unknown>>, prefix: readonly string[]): [string[], unknown][] {
  return Object.entries(object).flatMap(([key, value]): [string[], unknown][] =>
    isPlainObject(value) ? flatten(value, [...prefix, key]) : [[[...prefix, key], value]],
  );
}

/** `$."a"."b"`: every label quoted, so no key is read as JSON-path syntax. */
function jsonPath(segments: readonly string[]): string {
  for (const segment of segments) {
    if (segment === '' || segment.includes('"') || segment.startsWith('$')) {
      throw new Error(`job data field "${segments.join('.')}" cannot be queried: use plain field names`);
    }
  }
  return `$${segments.map((s) => `."${s}"`).join('')}`;
}

function toJsonValue(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null)) as unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
