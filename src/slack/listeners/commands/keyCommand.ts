import { listKeys, registerKey, removeKey } from '../../../services/keys/registerKey.js';
import { keyListView } from '../../answerViews.js';
import { answerWith } from './changeCommands.js';
import type { CommandRequest } from './commandRequest.js';

const USAGE = 'Usage: `/change key add <ssh public key>` · `/change key list` · `/change key remove SHA256:...`';

/** `/change key add|list|remove`: the SSH keys the proxy accepts for this user. */
export async function manageKeys(request: CommandRequest): Promise<void> {
  const { deps } = request.context;
  const action = request.args[0]?.toLowerCase();
  const value = request.rest.replace(/^\S+\s*/, '').trim();
  if (action === 'list' && !value) {
    await answerWith(request, 'keyList', keyListView(await listKeys(deps, request.who.user.id), (await deps.policies.current()).policy.settings.timezone));
    return;
  }
  if (action === 'add' && value) {
    const key = await registerKey(deps, request.who.actor, value);
    await request.reply({ text: `Key \`${key.fingerprint}\` registered: you can use it for proxy sessions.` });
    return;
  }
  if (action === 'remove' && value) {
    await removeKey(deps, request.who.actor, value);
    await request.reply({ text: `Key \`${value}\` removed.` });
    return;
  }
  await request.reply({ text: USAGE });
}
