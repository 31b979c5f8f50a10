import type { Database } from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import {
  computeJobState,
  toJobId,
  type JobId,
  type JobParameters,
  type JobRepository,
  type JobRepositoryOptions,
  type JobsOverview,
  type JobsQueryOptions,
  type JobsResult,
  type JobsSort,
  type JobWithState,
  type RemoveJobsOptions,
} from 'agenda';
import { JobFilter } from './jobFilter.js';

/** One agenda_jobs row (migration 004-jobs); dates are epoch milliseconds. */
interface JobRow {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly priority: number;
  readonly next_run_at: number | null;
  readonly locked_at: number | null;
  readonly disabled: number;
  readonly last_run_at: number | null;
  readonly last_finished_at: number | null;
  readonly failed_at: number | null;
  readonly fail_count: number | null;
  readonly fail_reason: string | null;
  readonly progress: number | null;
  readonly repeat_interval: string | null;
  readonly repeat_timezone: string | null;
  readonly repeat_at: string | null;
  readonly start_date: number | null;
  readonly end_date: number | null;
  readonly skip_days: string | null;
  readonly debounce_started_at: number | null;
  readonly fork: number | null;
  readonly last_modified_by: string | null;
  readonly data: string;
}

type Columns = Partial<Omit<JobRow, 'id'>>;

/** Agenda's default pick order: soonest first, then highest priority. */
const NEXT_JOB_ORDER = 'ORDER BY next_run_at ASC, priority DESC, rowid ASC';

/**
 * Agenda's JobRepository on the store's SQLite file, with the semantics of
 * @agendajs/mongo-backend's MongoJobRepository (the reference): `getNextJobToRun` finds and
 * locks the next due job (or one whose lock outlived its lifetime) in one IMMEDIATE
 * transaction, so two processes on one file (two connections) never take the same job;
 * `saveJob` upserts "single" jobs by name and unique jobs by their key. Job data is kept as
 * JSON (a Date in it comes back as an ISO string). Every method is synchronous underneath.
 */
export class SqliteJobRepository implements JobRepository {
  constructor(private readonly db: Database) {}

  async connect(): Promise<void> {
    const table = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'agenda_jobs'").get();
    if (!table) throw new Error('the SQLite store has no agenda_jobs table: open it with SqliteStore.open, which applies migration 004-jobs');
  }

  async getJobById(id: string): Promise<JobParameters | null> {
    const row = this.db.prepare('SELECT * FROM agenda_jobs WHERE id = ?').get(String(id)) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  async queryJobs(options: JobsQueryOptions = {}): Promise<JobsResult> {
    const { name, names, state, id, ids, search, data, includeDisabled = true, sort, skip = 0, limit = 0 } = options;
    const now = new Date();
    const filter = new JobFilter();
    if (search && typeof search === 'string') filter.add(`name LIKE ? ESCAPE '\\'`, `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    else if (name && typeof name === 'string') filter.add('name = ?', name);
    else if (Array.isArray(names) && names.some((n) => typeof n === 'string')) inList(filter, 'name', names.filter((n) => typeof n === 'string'));
    if (id && typeof id === 'string') filter.add('id = ?', id);
    else if (Array.isArray(ids) && ids.length > 0) inList(filter, 'id', ids.map(String));
    if (data !== undefined) filter.matchData(data);
    if (!includeDisabled) filter.add('disabled = 0');
    const order = orderBy(sort);
    const withState = (row: JobRow): JobWithState => {
      const job = toJob(row) as JobParameters & { _id: JobId };
      return { ...job, state: computeJobState(job, now) };
    };
    if (!state) {
      // The state is computed from the row, so without a state filter paging is the database's.
      const page = `LIMIT ? OFFSET ?`;
      const rows = this.db.prepare(`SELECT * FROM agenda_jobs ${filter.where()} ${order} ${page}`).all(...filter.params(), limit > 0 ? limit : -1, Math.max(0, skip)) as JobRow[];
      const { total } = this.db.prepare(`SELECT COUNT(*) AS total FROM agenda_jobs ${filter.where()}`).get(...filter.params()) as { total: number };
      return { jobs: rows.map(withState), total };
    }
    const all = (this.db.prepare(`SELECT * FROM agenda_jobs ${filter.where()} ${order}`).all(...filter.params()) as JobRow[])
      .map(withState)
      .filter((job) => (state === 'paused' ? job.disabled === true : job.state === state));
    const from = Math.max(0, skip);
    return { jobs: limit > 0 ? all.slice(from, from + limit) : all.slice(from), total: all.length };
  }

  async getJobsOverview(): Promise<JobsOverview[]> {
    const now = new Date();
    const overviews = new Map<string, JobsOverview>();
    for (const row of this.db.prepare('SELECT * FROM agenda_jobs ORDER BY name').all() as JobRow[]) {
      const job = toJob(row);
      const overview = overviews.get(row.name) ?? { name: row.name, total: 0, running: 0, scheduled: 0, queued: 0, completed: 0, failed: 0, repeating: 0, paused: 0 };
      overview.total++;
      overview[computeJobState(job, now)]++;
      if (job.disabled === true) overview.paused++;
      overviews.set(row.name, overview);
    }
    return [...overviews.values()];
  }

  async getDistinctJobNames(): Promise<string[]> {
    return (this.db.prepare('SELECT DISTINCT name FROM agenda_jobs ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  async getQueueSize(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM agenda_jobs WHERE next_run_at < ?').get(Date.now()) as { n: number }).n;
  }

  async removeJobs(options: RemoveJobsOptions): Promise<number> {
    const filter = selection(options);
    if (filter.isEmpty) return 0;
    return this.db.prepare(`DELETE FROM agenda_jobs ${filter.where()}`).run(...filter.params()).changes;
  }

  async disableJobs(options: RemoveJobsOptions): Promise<number> {
    const filter = selection(options);
    if (filter.isEmpty) return 0;
    filter.add('disabled = 0');
    return this.db.prepare(`UPDATE agenda_jobs SET disabled = 1 ${filter.where()}`).run(...filter.params()).changes;
  }

  async enableJobs(options: RemoveJobsOptions): Promise<number> {
    const filter = selection(options);
    if (filter.isEmpty) return 0;
    filter.add('disabled = 1');
    return this.db.prepare(`UPDATE agenda_jobs SET disabled = 0 ${filter.where()}`).run(...filter.params()).changes;
  }

  async purgeAllJobs(): Promise<number> {
    return this.db.prepare('DELETE FROM agenda_jobs').run().changes;
  }

  async saveJobState(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<void> {
    if (!job._id) throw new Error('Cannot save job state without job ID');
    const result = this.db
      .prepare(
        `UPDATE agenda_jobs SET locked_at = ?, next_run_at = ?, last_run_at = ?, progress = ?, fail_reason = ?, fail_count = ?,
           failed_at = ?, last_finished_at = ?, last_modified_by = ?
         WHERE id = ? AND name = ?`,
      )
      .run(
        millis(job.lockedAt),
        millis(job.nextRunAt),
        millis(job.lastRunAt),
        job.progress ?? null,
        job.failReason ?? null,
        job.failCount ?? null,
        millis(job.failedAt),
        millis(job.lastFinishedAt),
        options?.lastModifiedBy ?? null,
        String(job._id),
        job.name,
      );
    if (result.changes !== 1) {
      throw new Error(`job ${job._id} (name: ${job.name}) cannot be updated in the database, maybe it does not exist anymore?`);
    }
  }

  async lockJob(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<JobParameters | undefined> {
    if (!job._id) return undefined;
    const nextRunAt = millis(job.nextRunAt);
    const row = this.db
      .prepare(
        `UPDATE agenda_jobs SET locked_at = ?, last_modified_by = ?
         WHERE id = ? AND name = ? AND locked_at IS NULL AND disabled = 0 AND ${nextRunAt === null ? 'next_run_at IS NULL' : 'next_run_at = ?'}
         RETURNING *`,
      )
      .get(Date.now(), options?.lastModifiedBy ?? null, String(job._id), job.name, ...(nextRunAt === null ? [] : [nextRunAt])) as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  async unlockJob(job: JobParameters): Promise<void> {
    if (!job._id) return;
    // A one-time job that is running has no next run: it keeps its lock until it finishes.
    this.db.prepare('UPDATE agenda_jobs SET locked_at = NULL WHERE id = ? AND next_run_at IS NOT NULL').run(String(job._id));
  }

  async unlockJobs(jobIds: (JobId | string)[]): Promise<void> {
    if (jobIds.length === 0) return;
    const filter = inList(new JobFilter(), 'id', jobIds.map(String));
    this.db.prepare(`UPDATE agenda_jobs SET locked_at = NULL ${filter.where()}`).run(...filter.params());
  }

  async getNextJobToRun(
    jobName: string,
    nextScanAt: Date,
    lockDeadline: Date,
    now: Date | undefined,
    options: JobRepositoryOptions | undefined,
  ): Promise<JobParameters | undefined> {
    const due = `name = ? AND disabled = 0 AND ((locked_at IS NULL AND next_run_at <= ?) OR locked_at <= ?)`;
    const dueParams = [jobName, nextScanAt.getTime(), lockDeadline.getTime()];
    // IMMEDIATE takes the write lock before reading: another connection's pick waits for this
    // one to commit and then no longer sees the job as free.
    const pick = this.db.transaction((): JobRow | undefined => {
      const candidate = this.db.prepare(`SELECT id FROM agenda_jobs WHERE ${due} ${NEXT_JOB_ORDER} LIMIT 1`).get(...dueParams) as { id: string } | undefined;
      if (!candidate) return undefined;
      return this.db
        .prepare(`UPDATE agenda_jobs SET locked_at = ?, last_modified_by = ? WHERE id = ? AND ${due} RETURNING *`)
        .get((now ?? new Date()).getTime(), options?.lastModifiedBy ?? null, candidate.id, ...dueParams) as JobRow | undefined;
    });
    const row = pick.immediate();
    return row ? toJob(row) : undefined;
  }

  async saveJob<DATA = unknown>(job: JobParameters<DATA>, options: JobRepositoryOptions | undefined): Promise<JobParameters<DATA>> {
    const save = this.db.transaction((): JobParameters<DATA> => {
      const { _id, unique, uniqueOpts, ...props } = job;
      const columns = toColumns(props as JobParameters, options?.lastModifiedBy);
      const now = Date.now();

      if (_id) {
        // Removed meanwhile: the caller's data comes back unchanged, as with MongoDB.
        const row = this.update(String(_id), columns, 'AND name = ?', [props.name]);
        return row ? (toJob(row) as JobParameters<DATA>) : job;
      }

      if (props.type === 'single') {
        const existing = this.db.prepare("SELECT id FROM agenda_jobs WHERE name = ? AND type = 'single'").get(props.name) as { id: string } | undefined;
        if (!existing) return toJob(this.insert(columns)) as JobParameters<DATA>;
        // A due run already set is kept: re-defining `every()` at start must not skip it.
        const { next_run_at: nextRunAt, ...rest } = columns;
        const keepNextRun = nextRunAt !== null && nextRunAt !== undefined && nextRunAt <= now;
        return toJob(this.update(existing.id, keepNextRun ? rest : columns)!) as JobParameters<DATA>;
      }

      if (unique) {
        const filter = new JobFilter().add('name = ?', props.name).matchUnique(unique);
        const existing = this.db.prepare(`SELECT * FROM agenda_jobs ${filter.where()} ORDER BY rowid LIMIT 1`).get(...filter.params()) as JobRow | undefined;
        const debounce = uniqueOpts?.debounce;
        if (debounce) return toJob(this.saveDebounced(existing, columns, debounce, now)) as JobParameters<DATA>;
        if (!existing) return toJob(this.insert(columns)) as JobParameters<DATA>;
        if (uniqueOpts?.insertOnly) return toJob(existing) as JobParameters<DATA>;
        return toJob(this.update(existing.id, columns)!) as JobParameters<DATA>;
      }

      return toJob(this.insert(columns)) as JobParameters<DATA>;
    });
    return save.immediate();
  }

  /** MongoJobRepository's debounce: trailing pushes the run back (up to maxWait), leading keeps it. */
  private saveDebounced(
    existing: JobRow | undefined,
    columns: Columns,
    debounce: { delay: number; maxWait?: number | undefined; strategy?: 'trailing' | 'leading' | undefined },
    now: number,
  ): JobRow {
    if (existing) {
      const startedAt = existing.debounce_started_at ?? now;
      if (debounce.strategy === 'leading') {
        return this.update(existing.id, { ...columns, next_run_at: existing.next_run_at, debounce_started_at: startedAt })!;
      }
      const forced = debounce.maxWait !== undefined && debounce.maxWait > 0 && now - startedAt >= debounce.maxWait;
      return this.update(existing.id, {
        ...columns,
        next_run_at: forced ? now : now + debounce.delay,
        debounce_started_at: forced ? null : startedAt,
      })!;
    }
    if (debounce.strategy === 'leading') return this.insert({ ...columns, debounce_started_at: now });
    return this.insert({ ...columns, next_run_at: now + debounce.delay, debounce_started_at: now });
  }

  private insert(columns: Columns): JobRow {
    const entries = Object.entries({ ...columns, id: randomBytes(12).toString('hex') });
    return this.db
      .prepare(`INSERT INTO agenda_jobs (${entries.map(([c]) => c).join(', ')}) VALUES (${entries.map(() => '?').join(', ')}) RETURNING *`)
      .get(...entries.map(([, v]) => v)) as JobRow;
  }

  private update(id: string, columns: Columns, extra = '', extraParams: unknown[] = []): JobRow | undefined {
    const entries = Object.entries(columns);
    return this.db
      .prepare(`UPDATE agenda_jobs SET ${entries.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ? ${extra} RETURNING *`)
      .get(...entries.map(([, v]) => v), id, ...extraParams) as JobRow | undefined;
  }
}

/** Every persisted field, absent ones as NULL (as MongoJobRepository sets them to null). */
function toColumns(job: Partial<JobParameters>, lastModifiedBy: string | undefined): Columns {
  if (typeof job.name !== 'string' || job.name === '') throw new Error('a job needs a name');
  return {
    name: job.name,
    type: job.type ?? 'normal',
    priority: job.priority ?? 0,
    next_run_at: millis(job.nextRunAt),
    locked_at: millis(job.lockedAt),
    disabled: job.disabled ? 1 : 0,
    last_run_at: millis(job.lastRunAt),
    last_finished_at: millis(job.lastFinishedAt),
    failed_at: millis(job.failedAt),
    fail_count: job.failCount ?? null,
    fail_reason: job.failReason ?? null,
    progress: job.progress ?? null,
    repeat_interval: job.repeatInterval === undefined || job.repeatInterval === null ? null : JSON.stringify(job.repeatInterval),
    repeat_timezone: job.repeatTimezone ?? null,
    repeat_at: job.repeatAt ?? null,
    start_date: millis(job.startDate),
    end_date: millis(job.endDate),
    skip_days: job.skipDays ? JSON.stringify(job.skipDays) : null,
    debounce_started_at: millis(job.debounceStartedAt),
    fork: job.fork === undefined || job.fork === null ? null : job.fork ? 1 : 0,
    last_modified_by: lastModifiedBy ?? null,
    data: JSON.stringify(job.data ?? null),
  };
}

function toJob(row: JobRow): JobParameters {
  const date = (ms: number | null) => (ms === null ? undefined : new Date(ms));
  return {
    _id: toJobId(row.id),
    name: row.name,
    priority: row.priority,
    nextRunAt: row.next_run_at === null ? null : new Date(row.next_run_at),
    type: row.type === 'single' ? 'single' : 'normal',
    data: JSON.parse(row.data) as unknown,
    lockedAt: date(row.locked_at),
    lastFinishedAt: date(row.last_finished_at),
    failedAt: date(row.failed_at),
    failCount: row.fail_count ?? undefined,
    failReason: row.fail_reason ?? undefined,
    repeatTimezone: row.repeat_timezone ?? undefined,
    lastRunAt: date(row.last_run_at),
    repeatInterval: row.repeat_interval === null ? undefined : (JSON.parse(row.repeat_interval) as string | number),
    repeatAt: row.repeat_at ?? undefined,
    disabled: row.disabled === 1 ? true : undefined,
    progress: row.progress ?? undefined,
    lastModifiedBy: row.last_modified_by ?? undefined,
    fork: row.fork === null ? undefined : row.fork === 1,
    debounceStartedAt: date(row.debounce_started_at),
    startDate: date(row.start_date),
    endDate: date(row.end_date),
    skipDays: row.skip_days === null ? undefined : (JSON.parse(row.skip_days) as number[]),
  };
}

function millis(value: Date | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

/** Which jobs `cancel`, `disable` and `enable` address; empty when nothing was named. */
function selection(options: RemoveJobsOptions): JobFilter {
  const filter = new JobFilter();
  if (options.id) filter.add('id = ?', String(options.id));
  else if (Array.isArray(options.ids) && options.ids.length > 0) inList(filter, 'id', options.ids.map(String));
  if (options.name && typeof options.name === 'string') filter.add('name = ?', options.name);
  else if (Array.isArray(options.names) && options.names.length > 0) inList(filter, 'name', options.names.filter((n) => typeof n === 'string'));
  else if (Array.isArray(options.notNames) && options.notNames.length > 0) {
    const names = options.notNames.filter((n) => typeof n === 'string');
    filter.add(`name NOT IN (${names.map(() => '?').join(', ')})`, ...names);
  }
  if (options.data !== undefined) filter.matchData(options.data);
  return filter;
}

function inList(filter: JobFilter, column: 'id' | 'name', values: readonly string[]): JobFilter {
  return values.length === 0 ? filter.add('0') : filter.add(`${column} IN (${values.map(() => '?').join(', ')})`, ...values);
}

/** MongoJobRepository's sort, in its field order; nulls first ascending as in MongoDB. */
function orderBy(sort: JobsSort | undefined): string {
  const columns: [keyof JobsSort, string][] = [
    ['nextRunAt', 'next_run_at'],
    ['lastRunAt', 'last_run_at'],
    ['lastFinishedAt', 'last_finished_at'],
    ['priority', 'priority'],
    ['name', 'name'],
    ['data', 'data'],
  ];
  const parts = sort ? columns.filter(([key]) => sort[key] !== undefined).map(([key, column]) => `${column} ${sort[key] === 'asc' ? 'ASC' : 'DESC'}`) : [];
  return `ORDER BY ${(parts.length > 0 ? parts : ['next_run_at DESC', 'last_run_at DESC']).join(', ')}, rowid ASC`;
}
