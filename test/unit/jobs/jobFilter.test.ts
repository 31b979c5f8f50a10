import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJobRepository } from '../../../src/jobs/sqliteBackend/sqliteJobRepository.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';

let store: SqliteStore;
let jobs: SqliteJobRepository;
beforeEach(() => {
  store = SqliteStore.open(':memory:');
  jobs = new SqliteJobRepository(store.db);
});
afterEach(async () => {
  await store.close();
});

const job = (data: unknown) => ({ name: 'probe', priority: 0, nextRunAt: new Date(), type: 'normal' as const, data });

describe('SQLite job data filters', () => {
  it('compares data values by type, as MongoDB does', async () => {
    await jobs.saveJob(job({ n: 1, flag: true, s: '1' }), undefined);
    await jobs.saveJob(job({ n: '1', flag: 1 }), undefined);
    const count = async (data: unknown) => (await jobs.queryJobs({ data })).total;
    expect(await count({ n: 1 })).toBe(1);
    expect(await count({ n: '1' })).toBe(1);
    expect(await count({ flag: true })).toBe(1);
    expect(await count({ flag: 1 })).toBe(1);
    expect(await count({ missing: null })).toBe(2);
    expect(await count({ s: '1', n: 1 })).toBe(1);
  });

  it('matches nested paths, and values that contain quotes or wildcards literally', async () => {
    await jobs.saveJob(job({ a: { b: { c: 'x"; DROP TABLE agenda_jobs; --' } } }), undefined);
    await jobs.saveJob(job({ list: [1, 2] }), undefined);
    await jobs.saveJob(job({ list: '[1,2]' }), undefined);
    expect((await jobs.queryJobs({ data: { a: { b: { c: 'x"; DROP TABLE agenda_jobs; --' } } } })).total).toBe(1);
    expect((await jobs.queryJobs({ data: { list: [1, 2] } })).jobs.map((j) => j.data)).toEqual([{ list: [1, 2] }]);
    expect((await jobs.queryJobs({ data: { list: '[1,2]' } })).jobs.map((j) => j.data)).toEqual([{ list: '[1,2]' }]);
    expect((await jobs.queryJobs({ search: '%' })).total).toBe(0);
  });

  it('refuses uniqueness keys and field names it cannot express', async () => {
    await expect(jobs.saveJob({ ...job({ code: 'A' }), unique: { priority: 1 } }, undefined)).rejects.toThrow(/unique key "priority" is not supported/);
    await expect(jobs.saveJob({ ...job({ code: 'A' }), unique: { 'data.code': { $ne: null } } }, undefined)).rejects.toThrow(/plain value/);
    await expect(jobs.queryJobs({ data: { 'we"ird': 1 } })).rejects.toThrow(/cannot be queried/);
    expect((await jobs.queryJobs({})).total).toBe(0);
  });
});
