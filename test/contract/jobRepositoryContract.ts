import type { JobParameters, JobRepository } from 'agenda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface OpenedJobRepository {
  readonly repository: JobRepository;
  /** The same jobs through a second, independent connection (another process, in effect). */
  readonly openSecond: () => Promise<{ repository: JobRepository; close: () => Promise<void> }>;
  readonly cleanup: () => Promise<void>;
}

const SECOND = 1000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs);

function job(overrides: Partial<JobParameters> & { name?: string } = {}): JobParameters {
  return { name: 'window-close', priority: 0, nextRunAt: at(-SECOND), type: 'normal', data: { code: 'CHG-1' }, ...overrides };
}

/**
 * Agenda's JobRepository as changeguard relies on it, registered for the SQLite repository
 * and for @agendajs/mongo-backend's (the reference), so both behave alike.
 */
export function defineJobRepositoryContract(name: string, open: () => Promise<OpenedJobRepository>): void {
  describe(`agenda job repository: ${name}`, () => {
    let opened: OpenedJobRepository;
    let jobs: JobRepository;
    beforeEach(async () => {
      opened = await open();
      jobs = opened.repository;
      await jobs.connect();
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('saves a job and reads back every field Agenda sets', async () => {
      const saved = await jobs.saveJob(
        job({
          name: 'report-daily',
          type: 'normal',
          priority: 10,
          data: { scheduleId: 'ops', nested: { n: 2 }, list: [1, 'a'] },
          repeatInterval: '0 8 * * *',
          repeatTimezone: 'Europe/Paris',
          startDate: at(-60 * SECOND),
          endDate: at(3600 * SECOND),
          skipDays: [0, 6],
        }),
        { lastModifiedBy: 'proc-a' },
      );
      expect(saved._id).toEqual(expect.any(String));
      const read = await jobs.getJobById(String(saved._id));
      expect(read).toMatchObject({
        _id: saved._id,
        name: 'report-daily',
        priority: 10,
        type: 'normal',
        data: { scheduleId: 'ops', nested: { n: 2 }, list: [1, 'a'] },
        repeatInterval: '0 8 * * *',
        repeatTimezone: 'Europe/Paris',
        skipDays: [0, 6],
        lastModifiedBy: 'proc-a',
      });
      expect(read?.nextRunAt?.getTime()).toBe(saved.nextRunAt?.getTime());
      expect(read?.lockedAt).toBeUndefined();
      expect(read?.disabled).toBeFalsy();
      const numeric = await jobs.saveJob(job({ name: 'every-5s', repeatInterval: 5000 }), undefined);
      expect((await jobs.getJobById(String(numeric._id)))?.repeatInterval).toBe(5000);
    });

    it('upserts jobs with a unique key: one job per key, updated in place', async () => {
      const first = await jobs.saveJob({ ...job({ nextRunAt: at(60 * SECOND) }), unique: { 'data.code': 'CHG-1' } }, undefined);
      const later = at(120 * SECOND);
      const second = await jobs.saveJob({ ...job({ nextRunAt: later, data: { code: 'CHG-1', v: 2 } }), unique: { 'data.code': 'CHG-1' } }, undefined);
      await jobs.saveJob({ ...job({ nextRunAt: later, data: { code: 'CHG-2' } }), unique: { 'data.code': 'CHG-2' } }, undefined);
      await jobs.saveJob({ ...job({ name: 'window-open', nextRunAt: later }), unique: { 'data.code': 'CHG-1' } }, undefined);
      expect(String(second._id)).toBe(String(first._id));
      const { jobs: found, total } = await jobs.queryJobs({ name: 'window-close', data: { code: 'CHG-1' } });
      expect(total).toBe(1);
      expect(found[0]).toMatchObject({ data: { code: 'CHG-1', v: 2 } });
      expect(found[0]?.nextRunAt?.getTime()).toBe(later.getTime());
      expect((await jobs.queryJobs({})).total).toBe(3);
    });

    it('leaves an existing job alone when asked to insert only', async () => {
      const original = at(60 * SECOND);
      await jobs.saveJob({ ...job({ nextRunAt: original }), unique: { 'data.code': 'CHG-1' }, uniqueOpts: { insertOnly: true } }, undefined);
      const again = await jobs.saveJob(
        { ...job({ nextRunAt: at(999 * SECOND), data: { code: 'CHG-1', v: 2 } }), unique: { 'data.code': 'CHG-1' }, uniqueOpts: { insertOnly: true } },
        undefined,
      );
      expect(again.nextRunAt?.getTime()).toBe(original.getTime());
      expect(again.data).toEqual({ code: 'CHG-1' });
      expect((await jobs.queryJobs({ name: 'window-close' })).total).toBe(1);
    });

    it('keeps one "single" job per name and does not push back a run that is already due', async () => {
      const due = at(-5 * SECOND);
      const first = await jobs.saveJob(job({ name: 'cleanup', type: 'single', nextRunAt: due, repeatInterval: 60_000 }), undefined);
      const second = await jobs.saveJob(job({ name: 'cleanup', type: 'single', nextRunAt: at(-SECOND), repeatInterval: 30_000 }), undefined);
      expect(String(second._id)).toBe(String(first._id));
      expect(second.nextRunAt?.getTime()).toBe(due.getTime());
      expect(second.repeatInterval).toBe(30_000);
      const future = at(60 * SECOND);
      expect((await jobs.saveJob(job({ name: 'cleanup', type: 'single', nextRunAt: future }), undefined)).nextRunAt?.getTime()).toBe(future.getTime());
      expect((await jobs.queryJobs({ name: 'cleanup' })).total).toBe(1);
    });

    it('locks the next due job once, soonest first then by priority, skipping disabled and future ones', async () => {
      const now = new Date();
      const scan = at(SECOND);
      const deadline = at(-600 * SECOND);
      const late = await jobs.saveJob(job({ nextRunAt: at(-10 * SECOND), data: { code: 'CHG-LATE' } }), undefined);
      // Same time: the higher priority goes first although it was saved second.
      const fiveSecondsAgo = at(-5 * SECOND);
      const plain = await jobs.saveJob(job({ nextRunAt: fiveSecondsAgo, priority: 0, data: { code: 'CHG-PLAIN' } }), undefined);
      const urgent = await jobs.saveJob(job({ nextRunAt: fiveSecondsAgo, priority: 20, data: { code: 'CHG-URGENT' } }), undefined);
      await jobs.saveJob(job({ nextRunAt: at(-20 * SECOND), disabled: true, data: { code: 'CHG-OFF' } }), undefined);
      await jobs.saveJob(job({ nextRunAt: at(3600 * SECOND), data: { code: 'CHG-LATER' } }), undefined);
      await jobs.saveJob(job({ name: 'window-open', nextRunAt: at(-30 * SECOND) }), undefined);

      const picked: string[] = [];
      for (let i = 0; i < 5; i++) {
        const next = await jobs.getNextJobToRun('window-close', scan, deadline, now, { lastModifiedBy: 'proc-a' });
        if (!next) break;
        expect(next.lockedAt?.getTime()).toBe(now.getTime());
        picked.push(String(next._id));
      }
      expect(picked).toEqual([String(late._id), String(urgent._id), String(plain._id)]);
      expect((await jobs.getJobById(String(late._id)))).toMatchObject({ lastModifiedBy: 'proc-a' });
    });

    it('takes over a job whose lock outlived its lifetime (its process died)', async () => {
      const saved = await jobs.saveJob(job(), undefined);
      const lockedLongAgo = at(-3600 * SECOND);
      expect(await jobs.getNextJobToRun('window-close', at(SECOND), at(-7200 * SECOND), lockedLongAgo, undefined)).toBeDefined();
      // Still within its lifetime: nobody else may take it.
      expect(await jobs.getNextJobToRun('window-close', at(SECOND), at(-7200 * SECOND), undefined, undefined)).toBeUndefined();
      // A one-time job that was running has no next run; it is still recovered.
      await jobs.saveJobState({ ...(await jobs.getJobById(String(saved._id)))!, nextRunAt: null, lockedAt: lockedLongAgo }, undefined);
      const recovered = await jobs.getNextJobToRun('window-close', at(SECOND), at(-600 * SECOND), undefined, undefined);
      expect(String(recovered?._id)).toBe(String(saved._id));
    });

    it('lets exactly one of two connections lock each due job', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++) ids.add(String((await jobs.saveJob(job({ data: { code: `CHG-${i}` } }), undefined))._id));
      const second = await opened.openSecond();
      try {
        await second.repository.connect();
        const drain = async (repository: JobRepository) => {
          const taken: string[] = [];
          for (;;) {
            const next = await repository.getNextJobToRun('window-close', at(SECOND), at(-600 * SECOND), undefined, undefined);
            if (!next) return taken;
            taken.push(String(next._id));
          }
        };
        const [a, b] = await Promise.all([drain(jobs), drain(second.repository)]);
        expect([...a, ...b].sort()).toEqual([...ids].sort());
      } finally {
        await second.close();
      }
    });

    it('saves run state, and refuses to for a job that is gone', async () => {
      const saved = await jobs.saveJob(job(), undefined);
      const when = new Date(Math.floor(Date.now() / 1000) * 1000);
      await jobs.saveJobState(
        { ...saved, lockedAt: undefined, lastRunAt: when, lastFinishedAt: when, failedAt: when, failCount: 2, failReason: 'boom', nextRunAt: null },
        { lastModifiedBy: 'proc-b' },
      );
      expect(await jobs.getJobById(String(saved._id))).toMatchObject({
        lastRunAt: when,
        lastFinishedAt: when,
        failedAt: when,
        failCount: 2,
        failReason: 'boom',
        nextRunAt: null,
        lastModifiedBy: 'proc-b',
      });
      await jobs.removeJobs({ id: String(saved._id) });
      await expect(jobs.saveJobState(saved, undefined)).rejects.toThrow(/cannot be updated/);
    });

    it('unlocks jobs, but unlockJob spares a one-time job that is running', async () => {
      const repeating = await jobs.saveJob(job({ data: { code: 'A' } }), undefined);
      const oneTime = await jobs.saveJob(job({ data: { code: 'B' } }), undefined);
      const lockedAt = new Date();
      await jobs.saveJobState({ ...repeating, lockedAt }, undefined);
      await jobs.saveJobState({ ...oneTime, lockedAt, nextRunAt: null }, undefined);
      await jobs.unlockJob(repeating);
      await jobs.unlockJob(oneTime);
      expect((await jobs.getJobById(String(repeating._id)))?.lockedAt).toBeUndefined();
      expect((await jobs.getJobById(String(oneTime._id)))?.lockedAt).toEqual(lockedAt);
      await jobs.unlockJobs([oneTime._id!]);
      expect((await jobs.getJobById(String(oneTime._id)))?.lockedAt).toBeUndefined();
    });

    it('removes, disables and enables by name and data, and never everything by accident', async () => {
      await jobs.saveJob(job({ data: { code: 'CHG-1' } }), undefined);
      await jobs.saveJob(job({ name: 'window-open', data: { code: 'CHG-1' } }), undefined);
      await jobs.saveJob(job({ data: { code: 'CHG-2' } }), undefined);
      await jobs.saveJob(job({ name: 'report-daily', data: { scheduleId: 'ops' } }), undefined);
      expect(await jobs.removeJobs({})).toBe(0);
      expect(await jobs.disableJobs({ data: { code: 'CHG-1' } })).toBe(2);
      expect(await jobs.disableJobs({ data: { code: 'CHG-1' } })).toBe(0);
      expect((await jobs.queryJobs({ includeDisabled: false })).total).toBe(2);
      expect((await jobs.queryJobs({ state: 'paused' })).total).toBe(2);
      expect(await jobs.enableJobs({ name: 'window-open' })).toBe(1);
      expect(await jobs.removeJobs({ name: 'window-close', data: { code: 'CHG-1' } })).toBe(1);
      expect(await jobs.removeJobs({ notNames: ['window-close', 'window-open'] })).toBe(1);
      expect((await jobs.getDistinctJobNames()).sort()).toEqual(['window-close', 'window-open']);
      expect(await jobs.purgeAllJobs()).toBe(2);
    });

    it('queries with paging, sorting, search and computed states, and counts due jobs', async () => {
      for (let i = 0; i < 5; i++) await jobs.saveJob(job({ nextRunAt: at((i - 2) * 60 * SECOND), data: { code: `CHG-${i}` } }), undefined);
      await jobs.saveJob(job({ name: 'approval-reminder', nextRunAt: at(3600 * SECOND), repeatInterval: 3_600_000, data: { code: 'CHG-9' } }), undefined);
      const page = await jobs.queryJobs({ name: 'window-close', sort: { nextRunAt: 'asc' }, skip: 1, limit: 2 });
      expect(page.total).toBe(5);
      expect(page.jobs.map((j) => j.data)).toEqual([{ code: 'CHG-1' }, { code: 'CHG-2' }]);
      expect((await jobs.queryJobs({ name: 'window-close', state: 'scheduled' })).jobs.map((j) => j.data)).toEqual(
        expect.arrayContaining([{ code: 'CHG-3' }, { code: 'CHG-4' }]),
      );
      expect((await jobs.queryJobs({ search: 'REMIND' })).jobs).toMatchObject([{ name: 'approval-reminder', state: 'repeating' }]);
      expect(await jobs.getQueueSize()).toBe(3);
      const overview = await jobs.getJobsOverview();
      expect(overview.find((o) => o.name === 'window-close')).toMatchObject({ total: 5, scheduled: 2, queued: 3 });
    });
  });
}
