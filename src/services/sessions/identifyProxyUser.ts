import type { PolicyUser } from '../../domain/policy/policy.js';
import { parseLoginName, type LoginName } from '../../domain/session/loginName.js';
import { keyBlobOf, keyFingerprint } from '../../domain/session/publicKeys.js';
import type { ServiceDeps } from '../serviceDeps.js';

export type Identification =
  | { readonly ok: true; readonly user: PolicyUser; readonly login: LoginName; readonly fingerprint: string }
  | { readonly ok: false; readonly reason: 'bad_login_name' | 'unknown_user' | 'unknown_key' | 'locked'; readonly message: string };

/**
 * Who is logging in to the proxy: the login name must name a policy user and the offered
 * public key must be theirs (from the policy file or registered with `/change key add`).
 * Locked users are refused here, before anything else happens. The signature itself is
 * checked by the SSH layer; this decides whether the key would be good enough.
 */
export async function identifyProxyUser(
  deps: ServiceDeps,
  loginName: string,
  keyBlob: Buffer,
  clientAddress: string,
  options: { audit: boolean },
): Promise<Identification> {
  const parsed = parseLoginName(loginName);
  if (!parsed.ok) return refuse(deps, { reason: 'bad_login_name', message: parsed.message }, loginName, clientAddress, options.audit);
  const { login } = parsed;
  const user = await deps.policies.user(login.user);
  if (!user) return refuse(deps, { reason: 'unknown_user', message: `no user ${login.user}` }, login.user, clientAddress, options.audit);
  const fingerprint = keyFingerprint(keyBlob);
  if (!(await keyBelongsTo(deps, user, keyBlob, fingerprint))) {
    // Clients offer every key they hold in turn: a key that is not this user's is not an event.
    return { ok: false, reason: 'unknown_key', message: `key ${fingerprint} is not registered to ${user.id}` };
  }
  const lock = await deps.store.accounts.findLock(user.id);
  if (lock) {
    return refuse(deps, { reason: 'locked', message: `${user.id} is locked: ${lock.reason}` }, user.id, clientAddress, options.audit);
  }
  return { ok: true, user, login, fingerprint };
}

async function keyBelongsTo(deps: ServiceDeps, user: PolicyUser, keyBlob: Buffer, fingerprint: string): Promise<boolean> {
  if (user.sshKeys.some((line) => keyBlobOf(line)?.equals(keyBlob) ?? false)) return true;
  const registered = await deps.store.accounts.findKeyByFingerprint(fingerprint);
  return registered !== null && registered.user === user.id;
}

async function refuse(
  deps: ServiceDeps,
  refusal: { reason: 'bad_login_name' | 'unknown_user' | 'locked'; message: string },
  who: string,
  clientAddress: string,
  audit: boolean,
): Promise<Identification> {
  if (audit) {
    await deps.audit.record(
      { userId: who, terminal: `proxy ${clientAddress}` },
      { status: 'D', eventType: 'LOGIN', class: 'SESSION', object: who, details: 'proxy login refused', reason: refusal.message },
    );
  }
  return { ok: false, ...refusal };
}
