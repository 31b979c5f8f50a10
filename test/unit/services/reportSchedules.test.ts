import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PeriodReportRenderer } from '../../../src/notify/periodReportRenderer.js';
import type { DomainEvent } from '../../../src/services/domainEvents.js';
import { postScheduledReport } from '../../../src/services/reports/postScheduledReport.js';
import { createReportSchedule, deleteReportSchedule, listReportSchedules, updateReportSchedule } from '../../../src/services/reports/reportSchedules.js';
import { ServiceError } from '../../../src/services/serviceError.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { HOUR, T0, buildPolicy, buildUser } from '../../support/factories.js';
import { RecordingNotifier } from '../../support/recordingNotifier.js';
import { storedNotifications } from '../../support/storedNotifications.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import type { TestClock } from '../../support/testClock.js';

const erin = { userId: 'erin', terminal: 'slack' };
const alice = { userId: 'alice', terminal: 'slack' };
const policy = buildPolicy({ users: [buildUser({ id: 'alice' }), buildUser({ id: 'erin', roles: ['auditor'] }), buildUser({ id: 'adam', roles: ['admin'] })] });

let store: SqliteStore;
let deps: ServiceDeps;
let clock: TestClock;
let notifier: RecordingNotifier;
let events: DomainEvent[];

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  ({ deps, clock } = await serviceHarness(store, { policy }));
  notifier = new RecordingNotifier();
  events = [];
  deps.events.subscribe((event) => void events.push(event));
});
afterEach(async () => {
  await store.close();
});

const refusal = async (work: Promise<unknown>) => (await work.then(() => null, (e: unknown) => e)) as ServiceError;

describe('report schedules', () => {
  it('creates a schedule: normalised, audited with its after image, announced, with its next runs', async () => {
    const created = await createReportSchedule(deps, { id: ' Ops-Daily ', period: 'daily', cron: '0 8 * * 1-5', timezone: 'europe/paris' }, erin);
    expect(created).toEqual({ id: 'ops-daily', period: 'daily', cron: '0 8 * * 1-5', timezone: 'Europe/Paris', createdBy: 'erin', createdAt: T0, updatedAt: T0, version: 0 });
    expect((await store.audit.list({ eventType: 'CREATE' })).records).toMatchObject([{ class: 'REPORT_SCHEDULE', object: 'ops-daily', actor: 'erin', images: { before: null, after: { cron: '0 8 * * 1-5' } } }]);
    expect(events).toMatchObject([{ type: 'report_schedule.created', schedule: { id: 'ops-daily' } }]);
    // T0 is Sunday 22 November 2026, 10:00 in Paris: the next weekday 08:00 is Monday's.
    expect(await storedNotifications(store)).toMatchObject([
      {
        type: 'schedule.report_created',
        audience: [{ role: 'audit' }],
        data: {
          actor: 'erin',
          details: {
            name: 'ops-daily',
            period: 'daily',
            schedule: '0 8 * * 1-5',
            timezone: 'Europe/Paris',
            nextRuns: ['2026-11-23T07:00:00.000Z', '2026-11-24T07:00:00.000Z', '2026-11-25T07:00:00.000Z'],
          },
        },
        dedupeKey: `schedule.report_created:ops-daily:0:${T0.toISOString()}`,
      },
    ]);
  });

  it('reads the cron in the policy time zone unless the schedule names one', async () => {
    await store.policy.apply({ replace: {}, settings: { ...policy.settings, timezone: 'America/New_York' } });
    expect((await createReportSchedule(deps, { id: 'ny', period: 'daily', cron: '0 8 * * *' }, erin)).timezone).toBe('America/New_York');
    expect((await createReportSchedule(deps, { id: 'utc', period: 'daily', cron: '0 8 * * *', timezone: 'UTC' }, erin)).timezone).toBe('UTC');
  });

  it('says what is wrong with each field, and refuses a taken id', async () => {
    const bad = await refusal(createReportSchedule(deps, { id: 'x y', period: 'monthly' as 'daily', cron: '0 8 * *', timezone: 'Mars/Olympus', channel: '#audit' }, erin));
    expect(bad).toMatchObject({
      kind: 'invalid',
      fields: {
        id: expect.stringMatching(/letters, digits or dashes/),
        period: 'expected daily or weekly',
        cron: expect.stringMatching(/expected 5 fields/),
        timezone: expect.stringMatching(/not an IANA time zone/),
        channel: expect.stringMatching(/Slack channel id/),
      },
    });
    expect((await refusal(createReportSchedule(deps, { id: 'a', period: 'daily', cron: '61 8 * * *' }, erin))).fields.cron).toMatch(/got value 61/);
    await createReportSchedule(deps, { id: 'ops', period: 'daily', cron: '0 8 * * *' }, erin);
    expect(await refusal(createReportSchedule(deps, { id: 'ops', period: 'weekly', cron: '0 8 * * 1' }, erin))).toMatchObject({ kind: 'invalid', fields: { id: 'ops is already taken' } });
    expect(await store.reportSchedules.list()).toHaveLength(1);
  });

  it('lets only admins and auditors manage schedules, auditing refusals', async () => {
    expect((await refusal(createReportSchedule(deps, { id: 'ops', period: 'daily', cron: '0 8 * * *' }, alice))).kind).toBe('forbidden');
    expect((await refusal(listReportSchedules(deps, alice))).kind).toBe('forbidden');
    expect((await store.audit.list({})).records).toMatchObject([{ status: 'D', eventType: 'CREATE', class: 'REPORT_SCHEDULE', actor: 'alice' }]);
    await createReportSchedule(deps, { id: 'ops', period: 'daily', cron: '0 8 * * *' }, { userId: 'adam', terminal: 'web' });
    expect(await listReportSchedules(deps, erin)).toEqual([{ schedule: expect.objectContaining({ id: 'ops' }), nextRunAt: new Date('2026-11-23T08:00:00Z') }]);
  });

  it('updates named fields with before and after images, and does nothing when nothing changes', async () => {
    await createReportSchedule(deps, { id: 'ops', period: 'daily', cron: '0 8 * * *', channel: 'C01OPS' }, erin);
    clock.advance(HOUR);
    const updated = await updateReportSchedule(deps, 'OPS', { period: 'weekly', cron: '0 9 * * 1', channel: null }, erin);
    expect(updated).toEqual({ id: 'ops', period: 'weekly', cron: '0 9 * * 1', timezone: 'UTC', createdBy: 'erin', createdAt: T0, updatedAt: new Date(T0.getTime() + HOUR), version: 1 });
    expect((await store.audit.list({ eventType: 'UPDATE' })).records).toMatchObject([
      { object: 'ops', images: { before: { period: 'daily', channel: 'C01OPS', version: 0 }, after: { period: 'weekly', version: 1 } } },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'report_schedule.updated', schedule: { version: 1 }, previous: { version: 0 } });
    expect(await storedNotifications(store, { types: ['schedule.report_updated'] })).toHaveLength(1);
    expect(await updateReportSchedule(deps, 'ops', { cron: '0 9 * * 1' }, erin)).toEqual(updated);
    expect(await storedNotifications(store, { types: ['schedule.report_updated'] })).toHaveLength(1);
    expect(await refusal(updateReportSchedule(deps, 'ops', { cron: 'every day' } as never, erin))).toMatchObject({ kind: 'invalid', fields: { cron: expect.any(String) } });
    expect(await refusal(updateReportSchedule(deps, 'ops', { owner: 'x' } as never, erin))).toMatchObject({ kind: 'invalid', fields: { owner: 'is not a field of a report schedule' } });
    expect((await refusal(updateReportSchedule(deps, 'nope', { cron: '0 9 * * 1' }, erin))).kind).toBe('not_found');
  });

  it('deletes with a before image and an announcement', async () => {
    await createReportSchedule(deps, { id: 'ops', period: 'daily', cron: '0 8 * * *' }, erin);
    await deleteReportSchedule(deps, 'ops', erin);
    expect(await store.reportSchedules.list()).toEqual([]);
    expect((await store.audit.list({ eventType: 'DELETE' })).records).toMatchObject([{ object: 'ops', images: { before: { id: 'ops' }, after: null } }]);
    expect(events.at(-1)).toMatchObject({ type: 'report_schedule.deleted', schedule: { id: 'ops' } });
    expect(await storedNotifications(store, { types: ['schedule.report_deleted'] })).toMatchObject([{ data: { details: { name: 'ops' } } }]);
    expect((await refusal(deleteReportSchedule(deps, 'ops', erin))).kind).toBe('not_found');
  });
});

describe('a scheduled report run', () => {
  it('posts the period ending at the latest occurrence to the schedule channel, once per period', async () => {
    await createReportSchedule(deps, { id: 'ops', period: 'daily', cron: '0 8 * * *', timezone: 'Europe/Paris', channel: 'C01OPS' }, erin);
    const renderer = PeriodReportRenderer.load();
    // Monday 08:00 Paris is 07:00Z; a run half a minute late reports the same period.
    clock.set(new Date('2026-11-23T07:00:30Z'));
    expect(await postScheduledReport(deps, notifier, renderer, 'ops')).toEqual({ done: true });
    clock.set(new Date('2026-11-23T07:05:00Z'));
    await postScheduledReport(deps, notifier, renderer, 'ops');
    const posts = notifier.ofType('schedule.report');
    expect(posts).toHaveLength(2);
    expect(posts[0]).toMatchObject({
      audience: [{ slackChannel: 'C01OPS' }],
      data: {
        details: {
          scheduleId: 'ops',
          title: 'Daily report ops',
          since: '2026-11-22T07:00:00.000Z',
          until: '2026-11-23T07:00:00.000Z',
          period: '22 Nov 2026, 08:00 to 23 Nov 2026, 08:00 (Europe/Paris)',
          chainIntact: true,
          lines: expect.arrayContaining(['Changes: 0']),
          blocks: expect.arrayContaining([{ type: 'header', text: { type: 'plain_text', text: 'Daily report ops' } }]),
        },
      },
      dedupeKey: 'schedule.report:ops:2026-11-23T07:00:00.000Z',
    });
    expect(posts[1]?.dedupeKey).toBe(posts[0]?.dedupeKey);
  });

  it('reports a deleted schedule as obsolete', async () => {
    expect(await postScheduledReport(deps, notifier, PeriodReportRenderer.load(), 'gone')).toEqual({ done: false, skipped: 'report schedule gone no longer exists', obsolete: true });
    expect(notifier.sent).toEqual([]);
  });
});
