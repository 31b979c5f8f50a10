import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const load = (env: NodeJS.ProcessEnv) => loadConfig(env, { readDotEnv: false });

describe('scheduler configuration', () => {
  it('defaults to a 15-minute warning, 4-hour reminders escalated after 2, 5 s polling, 30 s to stop and hourly anchors', () => {
    expect(load({}).scheduler).toEqual({ expiringLeadMs: 900_000, reminderEveryMs: 14_400_000, escalateAfter: 2, processEveryMs: 5000, shutdownGraceMs: 30_000, anchorEveryMs: 3_600_000 });
  });

  it('reads the variables, fractions included', () => {
    const config = load({ WINDOW_EXPIRING_MINUTES: '10', APPROVAL_REMINDER_HOURS: '0.5', APPROVAL_ESCALATE_AFTER: '0', SCHEDULER_POLL_SECONDS: '1', SHUTDOWN_GRACE_SECONDS: '2.5', AUDIT_ANCHOR_MINUTES: '15' });
    expect(config.scheduler).toEqual({ expiringLeadMs: 600_000, reminderEveryMs: 1_800_000, escalateAfter: 0, processEveryMs: 1000, shutdownGraceMs: 2500, anchorEveryMs: 900_000 });
  });

  it.each([
    [{ WINDOW_EXPIRING_MINUTES: 'soon' }, 'WINDOW_EXPIRING_MINUTES: expected a number of minutes'],
    [{ APPROVAL_REMINDER_HOURS: '0' }, 'APPROVAL_REMINDER_HOURS: expected a positive number of hours'],
    [{ APPROVAL_ESCALATE_AFTER: '1.5' }, 'APPROVAL_ESCALATE_AFTER: expected a whole number of reminders'],
    [{ APPROVAL_ESCALATE_AFTER: '-1' }, 'APPROVAL_ESCALATE_AFTER: expected 0 or more reminders'],
    [{ SHUTDOWN_GRACE_SECONDS: '-3' }, 'SHUTDOWN_GRACE_SECONDS: expected a positive number of seconds'],
    [{ AUDIT_ANCHOR_MINUTES: 'hourly' }, 'AUDIT_ANCHOR_MINUTES: expected a number of minutes'],
  ])('rejects %o with one line naming the variable', (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });
});
