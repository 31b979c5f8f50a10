import { describe, expect, it } from 'vitest';
import { canonicalTimeZone, cronProblem, nextOccurrences, reportedPeriod } from '../../../src/domain/reports/reportSchedule.js';

describe('report schedule rules', () => {
  it('accepts five-field cron expressions only', () => {
    expect(cronProblem('0 8 * * 1-5')).toBeNull();
    expect(cronProblem('*/15 6-18 * * mon-fri')).toBeNull();
    expect(cronProblem('0 8 * *')).toMatch(/expected 5 fields/);
    expect(cronProblem('0 0 8 * * *')).toMatch(/got 6/);
    expect(cronProblem('0 25 * * *')).toMatch(/got value 25/);
  });

  it('knows IANA time zones by their canonical name', () => {
    expect(canonicalTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Mars/Olympus')).toBeNull();
  });

  it('reads the cron in its time zone, across a daylight-saving change', () => {
    // Paris leaves summer time on 25 October 2026: 08:00 is 06:00Z before, 07:00Z after.
    expect(nextOccurrences('0 8 * * *', 'Europe/Paris', new Date('2026-10-24T12:00:00Z'), 2)).toEqual([
      new Date('2026-10-25T07:00:00Z'),
      new Date('2026-10-26T07:00:00Z'),
    ]);
    expect(nextOccurrences('0 8 * * *', 'Europe/Paris', new Date('2026-10-23T12:00:00Z'), 1)).toEqual([new Date('2026-10-24T06:00:00Z')]);
  });

  it('reports the period that ends at the latest occurrence, daily or weekly', () => {
    const daily = { cron: '0 8 * * *', timezone: 'Europe/Paris', period: 'daily' as const };
    expect(reportedPeriod(daily, new Date('2026-11-23T07:00:00Z'))).toEqual({ since: new Date('2026-11-22T07:00:00Z'), until: new Date('2026-11-23T07:00:00Z') });
    expect(reportedPeriod(daily, new Date('2026-11-23T09:30:00Z'))).toEqual({ since: new Date('2026-11-22T07:00:00Z'), until: new Date('2026-11-23T07:00:00Z') });
    expect(reportedPeriod({ ...daily, period: 'weekly' }, new Date('2026-11-23T07:00:01Z')).since).toEqual(new Date('2026-11-16T07:00:00Z'));
  });
});
