import { suggestNextCode } from '../../../services/changes/registerChange.js';
import { newChangeModal } from '../../views/newChangeModal.js';
import type { CommandRequest } from './commandRequest.js';

const HOUR = 3600_000;

/** `/change new`: opens the form, limited to the groups the requester belongs to. */
export async function openNewChangeForm(request: CommandRequest): Promise<void> {
  const { deps } = request.context;
  const { policy } = await deps.policies.current();
  const groups = policy.groups.filter((g) => g.members.includes(request.who.user.id));
  const first = groups[0];
  if (!first) {
    await request.reply({ text: 'You are not a member of any access group, so you cannot file changes. Ask an admin to add you to one.' });
    return;
  }
  // Next full hour, then a two-hour window: a sensible default the requester adjusts.
  const now = deps.clock().getTime();
  const start = new Date(Math.ceil(now / HOUR) * HOUR + HOUR);
  const view = newChangeModal({
    suggestedCode: await suggestNextCode(deps),
    groups,
    selectedGroup: first,
    requester: request.who.user.id,
    start,
    end: new Date(start.getTime() + 2 * HOUR),
    webFormUrl: request.context.webLinks.newChange(),
  });
  await request.client.views.open({ trigger_id: request.triggerId, view });
}
