import { describe, expect, it } from 'vitest';
import type { ReportSchedule } from '../../src/domain/reports/reportSchedule.js';
import type { Store } from '../../src/store/store.js';
import { DuplicateKeyError } from '../../src/store/storeErrors.js';
import { HOUR, T0 } from '../support/factories.js';
import type { OpenedStore } from './storeContract.js';
import { openForEachTest } from './openForEachTest.js';

function buildSchedule(overrides: Partial<ReportSchedule> = {}): ReportSchedule {
  return {
    id: 'ops-daily',
    period: 'daily',
    cron: '0 8 * * *',
    timezone: 'Europe/Paris',
    channel: 'C01AUDIT',
    createdBy: 'erin',
    createdAt: T0,
    updatedAt: T0,
    version: 0,
    ...overrides,
  };
}

/** The report schedules repository, registered once per backend. */
export function defineReportScheduleContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`report schedule repository: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    openForEachTest(open, (o) => {
      opened = o;
      store = opened.store;
    });

    it('creates, finds, lists by id and round-trips every field', async () => {
      const weekly = buildSchedule({ id: 'board-weekly', period: 'weekly', cron: '0 9 * * 1', channel: undefined });
      await store.reportSchedules.create(buildSchedule());
      await store.reportSchedules.create(weekly);
      expect(await store.reportSchedules.findById('ops-daily')).toEqual(buildSchedule());
      expect(await store.reportSchedules.findById('nope')).toBeNull();
      const { channel: _absent, ...weeklyWithoutChannel } = weekly;
      expect(await store.reportSchedules.list()).toEqual([weeklyWithoutChannel, buildSchedule()]);
    });

    it('refuses a duplicate id', async () => {
      await store.reportSchedules.create(buildSchedule());
      await expect(store.reportSchedules.create(buildSchedule({ cron: '0 9 * * *' }))).rejects.toBeInstanceOf(DuplicateKeyError);
      expect((await store.reportSchedules.findById('ops-daily'))?.cron).toBe('0 8 * * *');
    });

    it('updates only at the expected version, and removes fields set to undefined', async () => {
      await store.reportSchedules.create(buildSchedule());
      const later = new Date(T0.getTime() + HOUR);
      const updated = await store.reportSchedules.update('ops-daily', 0, { cron: '30 7 * * 1-5', channel: undefined, updatedAt: later });
      expect(updated).toEqual({ ...buildSchedule({ cron: '30 7 * * 1-5', updatedAt: later, version: 1 }), channel: undefined });
      expect(updated).not.toHaveProperty('channel');
      expect(await store.reportSchedules.update('ops-daily', 0, { cron: '0 0 * * *' })).toBeNull();
      expect(await store.reportSchedules.update('nope', 0, { cron: '0 0 * * *' })).toBeNull();
      expect(await store.reportSchedules.findById('ops-daily')).toEqual(updated);
    });

    it('lets exactly one of two writers holding the same version win', async () => {
      await store.reportSchedules.create(buildSchedule());
      const second = await opened.openSecond();
      try {
        const results = await Promise.all([
          store.reportSchedules.update('ops-daily', 0, { cron: '1 8 * * *' }),
          second.reportSchedules.update('ops-daily', 0, { cron: '2 8 * * *' }),
        ]);
        expect(results.filter((r) => r !== null)).toHaveLength(1);
        expect((await store.reportSchedules.findById('ops-daily'))?.version).toBe(1);
      } finally {
        await second.close();
      }
    });

    it('deletes only at the expected version', async () => {
      await store.reportSchedules.create(buildSchedule());
      expect(await store.reportSchedules.delete('ops-daily', 1)).toBe(false);
      expect(await store.reportSchedules.delete('ops-daily', 0)).toBe(true);
      expect(await store.reportSchedules.delete('ops-daily', 0)).toBe(false);
      expect(await store.reportSchedules.list()).toEqual([]);
    });
  });
}
