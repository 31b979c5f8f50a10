import { MongoJobRepository, ObjectId, type Db } from '@agendajs/mongo-backend';
import { toJobId, type JobId, type JobParameters, type JobRepositoryOptions } from 'agenda';
import { randomBytes } from 'node:crypto';

/** One claim per lock ever taken: `_id` names the job and the state the lock was taken from. */
interface JobClaimDoc {
  readonly _id: string;
  readonly jobId: ObjectId;
  readonly at: Date;
}

/** Fields this repository keeps on each job document beside Agenda's own. */
const LOCK_TOKEN = 'lockToken';
const UNIQUE_KEY = 'uniqueKey';

/** How many due jobs one look at the collection takes, and how many looks one pick may take. */
const CANDIDATES = 10;
const MAX_ROUNDS = 20;

/**
 * @agendajs/mongo-backend's repository, made safe on every MongoDB-wire server. It locks a
 * due job with one `findOneAndUpdate` whose filter says "not locked": atomic on MongoDB, but
 * FerretDB 1.x runs it as a read and then a write by `_id`, so two processes both lock the
 * same job and both run it (measured: the contract's two-connection drain handed out 35 locks
 * for 20 jobs). So a lock is taken by inserting a claim whose `_id` names the job and the
 * exact state it is locked from: its lock token (renewed by every write that frees or
 * reschedules the job) and its `lockedAt` (none, or the expired lock being taken over). The
 * unique `_id` lets one process through; then the winner writes `lockedAt`.
 *
 * Upserts by `unique()` key are made safe the same way: a plain unique index on `uniqueKey`
 * (the job name and its unique query; for other jobs their id), instead of partial indexes
 * FerretDB does not implement. A losing upsert is retried, finding the winner's job.
 */
export class MongoWireJobRepository extends MongoJobRepository {
  private readonly picking = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly collectionName: string,
  ) {
    super({ mongo: db, db: { collection: collectionName } });
  }

  private get claims() {
    return this.db.collection<JobClaimDoc>(`${this.collectionName}_claims`);
  }

  override async connect(): Promise<void> {
    await super.connect();
    await backfillUniqueKeys(this.collection);
    await this.collection.createIndex({ [UNIQUE_KEY]: 1 }, { unique: true, name: 'changeguard_unique_key' });
    await this.claims.createIndex({ jobId: 1 });
  }

  override async saveJob<DATA = unknown>(job: JobParameters<DATA>, options: JobRepositoryOptions | undefined): Promise<JobParameters<DATA>> {
    const withKeys = { ...job, [LOCK_TOKEN]: newToken(), ...(job._id ? keyOnUpdate(job) : { [UNIQUE_KEY]: uniqueKeyOf(job) }) } as JobParameters<DATA>;
    try {
      return await super.saveJob(withKeys, options);
    } catch (error) {
      // Another process upserted the same unique job a moment earlier: this save now updates it.
      if (!isDuplicateKey(error) || (!job.unique && job.type !== 'single')) throw error;
      return super.saveJob(withKeys, options);
    }
  }

  /** As upstream, plus a fresh lock token: the job's state changed, so a later lock is a new claim. */
  override async saveJobState(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<void> {
    if (!job._id) throw new Error('Cannot save job state without job ID');
    const result = await this.collection.updateOne({ _id: new ObjectId(String(job._id)), name: job.name }, {
      $set: {
        lockedAt: job.lockedAt ? new Date(job.lockedAt) : null,
        nextRunAt: job.nextRunAt ? new Date(job.nextRunAt) : null,
        lastRunAt: job.lastRunAt ? new Date(job.lastRunAt) : null,
        progress: job.progress ?? null,
        failReason: job.failReason ?? null,
        failCount: job.failCount ?? null,
        failedAt: job.failedAt ? new Date(job.failedAt) : null,
        lastFinishedAt: job.lastFinishedAt ? new Date(job.lastFinishedAt) : null,
        lastModifiedBy: options?.lastModifiedBy ?? null,
        [LOCK_TOKEN]: newToken(),
      } as never,
    });
    if (!result.acknowledged || result.matchedCount !== 1) {
      throw new Error(`job ${job._id} (name: ${job.name}) cannot be updated in the database, maybe it does not exist anymore?`);
    }
  }

  override async unlockJob(job: JobParameters): Promise<void> {
    if (!job._id) return;
    // A one-time job that is running has no next run: it keeps its lock until it finishes.
    await this.collection.updateOne({ _id: new ObjectId(String(job._id)), nextRunAt: { $ne: null } }, { $unset: { lockedAt: true }, $set: { [LOCK_TOKEN]: newToken() } as never });
  }

  override async unlockJobs(jobIds: (JobId | string)[]): Promise<void> {
    if (jobIds.length === 0) return;
    const ids = jobIds.map((id) => new ObjectId(String(id)));
    // One token each, not one for all: a claim names one job's state.
    for (const _id of ids) await this.collection.updateOne({ _id }, { $unset: { lockedAt: true }, $set: { [LOCK_TOKEN]: newToken() } as never });
  }

  override async enableJobs(options: Parameters<MongoJobRepository['enableJobs']>[0]): Promise<number> {
    const enabled = await super.enableJobs(options);
    // Enabled again: whatever was claimed before it was disabled is not a claim on this state.
    if (enabled > 0) {
      const filter = { disabled: false, ...(options.name && typeof options.name === 'string' ? { name: options.name } : {}) };
      for await (const doc of this.collection.find(filter, { projection: { _id: 1 } })) await this.collection.updateOne({ _id: doc._id }, { $set: { [LOCK_TOKEN]: newToken() } as never });
    }
    return enabled;
  }

  override async lockJob(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<JobParameters | undefined> {
    if (!job._id) return undefined;
    const doc = await this.collection.findOne({ _id: new ObjectId(String(job._id)), name: job.name, lockedAt: null, nextRunAt: job.nextRunAt ?? null, disabled: { $ne: true } });
    if (!doc) return undefined;
    return this.claim(doc as unknown as JobDocument, new Date(), null, options);
  }

  /**
   * One pick at a time per job name in this process. Agenda starts a new queue filling for
   * every name at each poll without waiting for the previous one, which recurses until no
   * job is left; where a pick is slow (FerretDB scans the collection for each) the fillings
   * pile up and feed on each other. Queued here, they cost one query each, in turn.
   */
  override getNextJobToRun(
    jobName: string,
    nextScanAt: Date,
    lockDeadline: Date,
    now: Date | undefined,
    options: JobRepositoryOptions | undefined,
  ): Promise<JobParameters | undefined> {
    const previous = this.picking.get(jobName) ?? Promise.resolve();
    const pick = previous.then(() => this.pickNextJob(jobName, nextScanAt, lockDeadline, now ?? new Date(), options));
    const settled = pick.then(
      () => undefined,
      () => undefined,
    );
    this.picking.set(jobName, settled);
    void settled.then(() => {
      if (this.picking.get(jobName) === settled) this.picking.delete(jobName);
    });
    return pick;
  }

  private async pickNextJob(
    jobName: string,
    nextScanAt: Date,
    lockDeadline: Date,
    lockTime: Date,
    options: JobRepositoryOptions | undefined,
  ): Promise<JobParameters | undefined> {
    const tried: ObjectId[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const candidates = (await this.collection
        .find({
          name: jobName,
          disabled: { $ne: true },
          $or: [{ lockedAt: { $eq: null }, nextRunAt: { $lte: nextScanAt } }, { lockedAt: { $lte: lockDeadline } }],
          ...(tried.length > 0 ? { _id: { $nin: tried } } : {}),
        } as never)
        .sort({ nextRunAt: 1, priority: -1 })
        .limit(CANDIDATES)
        .toArray()) as unknown as JobDocument[];
      if (candidates.length === 0) return undefined;
      let contended = false;
      while (candidates.length > 0) {
        // In order (soonest, then highest priority), until another process is seen taking the
        // same jobs: then at random among the rest, rather than both racing down one list.
        const [candidate] = candidates.splice(contended ? Math.floor(Math.random() * candidates.length) : 0, 1);
        tried.push(candidate!._id);
        const locked = await this.claim(candidate!, lockTime, lockDeadline, options);
        if (locked) return locked;
        contended = true;
      }
    }
    return undefined;
  }

  /**
   * Locks `job` from the state it was read in, if no other process has: the claim's `_id` is
   * that state. A claim whose winner died before writing its lock counts as a lock taken at
   * the claim's time, so it is taken over like any lock once older than `lockDeadline`.
   */
  private async claim(job: JobDocument, lockTime: Date, lockDeadline: Date | null, options: JobRepositoryOptions | undefined): Promise<JobParameters | undefined> {
    let lockedAt = job.lockedAt ?? null;
    for (let step = 0; step < 3; step++) {
      const key = `${job._id.toHexString()}/${job[LOCK_TOKEN] ?? '-'}/${lockedAt ? lockedAt.getTime() : 'free'}`;
      try {
        await this.claims.insertOne({ _id: key, jobId: job._id, at: lockTime });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const taken = await this.claims.findOne({ _id: key });
        // Claimed from this very state by someone else: theirs, unless they died before
        // writing the lock and it is now older than a lock may live.
        if (!taken || lockDeadline === null || taken.at.getTime() > lockDeadline.getTime()) return undefined;
        lockedAt = taken.at;
        continue;
      }
      const lastModifiedBy = options?.lastModifiedBy ?? null;
      await this.collection.updateOne({ _id: job._id }, { $set: { lockedAt: lockTime, lastModifiedBy } });
      // The job as locked, from what was read (as findOneAndUpdate would return it), not read
      // again: a save in between (rescheduling clears lockedAt) must not hide the lock from Agenda.
      return toJobParameters({ ...job, lockedAt: lockTime, lastModifiedBy });
    }
    return undefined;
  }
}

type JobDocument = Omit<JobParameters, '_id' | 'lockedAt' | 'lastModifiedBy'> & { _id: ObjectId; lockedAt?: Date | null; lastModifiedBy?: string | null; [LOCK_TOKEN]?: string };

/** A stored job as Agenda takes it (the mapping @agendajs/mongo-backend applies to what it reads: nulls become absent). */
function toJobParameters(doc: JobDocument): JobParameters {
  const present = <T>(value: T | null | undefined): T | undefined => value ?? undefined;
  return {
    _id: toJobId(doc._id.toHexString()),
    name: doc.name,
    priority: doc.priority,
    nextRunAt: doc.nextRunAt,
    type: doc.type,
    data: doc.data,
    lockedAt: present(doc.lockedAt),
    lastFinishedAt: present(doc.lastFinishedAt),
    failedAt: present(doc.failedAt),
    failCount: present(doc.failCount),
    failReason: present(doc.failReason),
    repeatTimezone: present(doc.repeatTimezone),
    lastRunAt: present(doc.lastRunAt),
    repeatInterval: present(doc.repeatInterval),
    repeatAt: present(doc.repeatAt),
    disabled: present(doc.disabled),
    progress: present(doc.progress),
    unique: present(doc.unique),
    uniqueOpts: present(doc.uniqueOpts),
    lastModifiedBy: present(doc.lastModifiedBy),
    fork: present(doc.fork),
    debounceStartedAt: present(doc.debounceStartedAt),
    startDate: present(doc.startDate),
    endDate: present(doc.endDate),
    skipDays: present(doc.skipDays),
  };
}

function newToken(): string {
  return randomBytes(8).toString('hex');
}

/** A unique job's key: its name and its unique query (keys sorted), as `unique()` gave it. */
function uniqueKeyOf(job: JobParameters): string {
  if (job.type === 'single') return `single:${job.name}`;
  if (job.unique) return `unique:${job.name}:${stableJson(job.unique)}`;
  return `id:${new ObjectId().toHexString()}`;
}

/** Saving a job by its id keeps its key, unless it is a unique job (whose key is the same anyway). */
function keyOnUpdate(job: JobParameters): Record<string, string> {
  return job.unique || job.type === 'single' ? { [UNIQUE_KEY]: uniqueKeyOf(job) } : {};
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function isDuplicateKey(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 11000 || code === 11001;
}

/**
 * Jobs saved before `uniqueKey` existed: given the key their `unique()` query makes
 * (changeguard schedules by `data.code` or `data.scheduleId`), so the unique index can be
 * built and later upserts find them.
 */
async function backfillUniqueKeys(collection: MongoJobRepository['collection']): Promise<void> {
  const older = collection.find({ [UNIQUE_KEY]: { $exists: false } } as never) as unknown as AsyncIterable<JobDocument>;
  for await (const doc of older) {
    const data = (doc.data ?? {}) as { code?: unknown; scheduleId?: unknown };
    const unique = typeof data.code === 'string' ? { 'data.code': data.code } : typeof data.scheduleId === 'string' ? { 'data.scheduleId': data.scheduleId } : undefined;
    const key = doc.type === 'single' ? `single:${doc.name}` : unique ? `unique:${doc.name}:${stableJson(unique)}` : `id:${doc._id.toHexString()}`;
    await collection.updateOne({ _id: doc._id, [UNIQUE_KEY]: { $exists: false } } as never, { $set: { [UNIQUE_KEY]: key } as never });
  }
}
