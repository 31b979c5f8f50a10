import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../../src/domain/session/session.js';
import { NotificationRenderer } from '../../../src/notify/notificationRenderer.js';
import { PeriodReportRenderer } from '../../../src/notify/periodReportRenderer.js';
import { SlackTemplates } from '../../../src/notify/slackTemplates.js';
import { WebLinks } from '../../../src/notify/webLinks.js';
import { announceWindowOpen } from '../../../src/services/changes/announceWindowOpen.js';
import { startChange } from '../../../src/services/changes/changeWindow.js';
import { closeChangeWindow } from '../../../src/services/changes/closeChangeWindow.js';
import { registerChange } from '../../../src/services/changes/registerChange.js';
import { remindApprovers } from '../../../src/services/changes/remindApprovers.js';
import { approveChange } from '../../../src/services/changes/reviewChange.js';
import { warnWindowExpiring } from '../../../src/services/changes/warnWindowExpiring.js';
import { ApprovalLinks } from '../../../src/services/links/approvalLinks.js';
import { postScheduledReport } from '../../../src/services/reports/postScheduledReport.js';
import { createReportSchedule, deleteReportSchedule, updateReportSchedule } from '../../../src/services/reports/reportSchedules.js';
import type { ServiceDeps } from '../../../src/services/serviceDeps.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { HOUR, T0, buildGroup, buildPolicy, buildUser } from '../../support/factories.js';
import { RecordingNotifier } from '../../support/recordingNotifier.js';
import { storedNotifications } from '../../support/storedNotifications.js';
import { serviceHarness } from '../../support/serviceHarness.js';
import type { TestClock } from '../../support/testClock.js';

let store: SqliteStore;
let deps: ServiceDeps;
let clock: TestClock;

beforeEach(async () => {
  store = SqliteStore.open(':memory:');
  const policy = buildPolicy({
    users: [buildUser({ id: 'alice', name: 'Alice' }), buildUser({ id: 'bob', roles: ['approver'] }), buildUser({ id: 'carol', roles: ['approver'] }), buildUser({ id: 'erin', name: 'Erin', roles: ['auditor'] })],
    groups: [buildGroup({ channel: 'C01WEBOPS' })],
  });
  ({ deps, clock } = await serviceHarness(store, { policy }));
});
afterEach(async () => {
  await store.close();
});

describe('what the scheduler raises, through the Slack templates', () => {
  it('renders every scheduled notification without falling back to the built-in wording', async () => {
    const notifier = new RecordingNotifier();
    const alice = { userId: 'alice', terminal: 'slack' };
    const erin = { userId: 'erin', terminal: 'slack' };
    const pending = await registerChange(deps, { title: 'Pending <b>one</b>', group: 'web-ops', devices: ['web01'], script: 'uptime', windowStart: new Date(T0.getTime() + 10 * HOUR), windowEnd: new Date(T0.getTime() + 12 * HOUR) }, alice);
    const change = await registerChange(deps, { title: 'Restart nginx', group: 'web-ops', devices: ['web01'], script: 'uptime', windowStart: new Date(T0.getTime() + HOUR), windowEnd: new Date(T0.getTime() + 2 * HOUR) }, alice);
    await approveChange(deps, change.code, { userId: 'bob', terminal: 'slack' });
    clock.set(new Date(T0.getTime() + HOUR));
    await announceWindowOpen(deps, notifier, change.code);
    const session: Session = { id: 's1', changeCode: change.code, user: 'alice', device: 'web01', kind: 'shell', justification: 'j', clientAddress: '127.0.0.1', startedAt: clock.now(), state: 'active' };
    await store.sessions.create(session);
    await startChange(deps, change.code, alice);
    clock.set(new Date(T0.getTime() + 2 * HOUR - 10 * 60_000));
    await warnWindowExpiring(deps, notifier, change.code, { leadMs: 15 * 60_000 });
    clock.set(new Date(T0.getTime() + 2 * HOUR));
    await closeChangeWindow(deps, change.code);
    clock.set(new Date(T0.getTime() + 8 * HOUR));
    await remindApprovers(deps, pending.code, { everyMs: 4 * HOUR, escalateAfter: 1 });
    await createReportSchedule(deps, { id: 'ops', period: 'daily', cron: '0 8 * * *' }, erin);
    await updateReportSchedule(deps, 'ops', { cron: '0 9 * * *' }, erin);
    await postScheduledReport(deps, notifier, PeriodReportRenderer.load(), 'ops');
    await deleteReportSchedule(deps, 'ops', erin);

    const renderer = new NotificationRenderer(deps, SlackTemplates.load(), new WebLinks('https://changeguard.example.com'), new ApprovalLinks(Buffer.alloc(32, 7), 'https://changeguard.example.com'));
    // Raised through the notifier (announcements, reports) or written with a step's state (the rest).
    const stored = (await storedNotifications(store)).filter((n) => n.audience.some((a) => !('requestCopies' in a)));
    const raised = [...notifier.sent, ...stored.filter((n) => !['access.request_created', 'access.request_approved'].includes(n.type))];
    const types = raised.map((n) => n.type).sort();
    expect(types).toEqual([
      'window.opened',
      'window.expiring',
      'window.closed',
      'access.approval_reminder',
      'schedule.report_created',
      'schedule.report_updated',
      'schedule.report',
      'schedule.report_deleted',
      // The window's close cut the open session: the security channel hears of it.
      'session.terminated',
    ].sort());
    const texts: Record<string, string> = {};
    for (const notification of raised) {
      const rendered = await renderer.render(notification.type, notification.data, 'role:audit');
      expect(rendered.problem, notification.type).toBeUndefined();
      texts[notification.type] = JSON.stringify(rendered.content);
    }
    expect(texts['window.expiring']).toContain('in 10 minutes');
    expect(texts['window.closed']).toContain(`${change.code} closed: not started`);
    expect(texts['access.approval_reminder']).toContain('Pending &lt;b&gt;one&lt;/b&gt;');
    expect(texts['schedule.report_created']).toContain('Report schedule *ops* created by *Erin*');
    expect(texts['schedule.report']).toContain('Daily report ops');
  });
});
