import { keyBlobOf, keyFingerprint } from '../../domain/session/publicKeys.js';
import type { Policy, PolicyRule, PolicyUser } from '../../domain/policy/policy.js';
import type { AccountLock } from '../../store/accountRepository.js';
import { requireCapability } from '../access/requireCapability.js';
import type { ServiceDeps } from '../serviceDeps.js';

/** The policy as the portal shows it: where credentials live is reduced to their kind. */
export interface PolicyView {
  readonly users: readonly {
    readonly id: string;
    readonly name: string;
    readonly slack: string | undefined;
    readonly roles: readonly string[];
    readonly sshKeyFingerprints: readonly string[];
    /** Whether the user has a web password (never the hash). */
    readonly hasPassword: boolean;
    readonly lock: AccountLock | undefined;
  }[];
  readonly groups: Policy['groups'];
  readonly devices: readonly {
    readonly id: string;
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly credentialKind: 'private key file' | 'password from the environment';
    readonly hostKeyFingerprint: string | undefined;
  }[];
  readonly rules: readonly PolicyRule[];
  /** Change freezes, with their zone filled in. */
  readonly freezes: readonly (Policy['freezes'][number] & { readonly timezone: string })[];
  readonly channels: Policy['channels'];
  readonly settings: Policy['settings'];
}

/** `SHA256:...` as `ssh-keygen -l` prints it, from an OpenSSH public key line the policy schema accepted. */
function sshFingerprint(publicKeyLine: string): string {
  const blob = keyBlobOf(publicKeyLine);
  return blob ? keyFingerprint(blob) : '(not an OpenSSH public key)';
}

/**
 * For admins and auditors. Secrets are never stored in the policy, but where they are kept
 * (key file paths, environment variable names) helps an attacker and is left out as well.
 */
export async function viewPolicy(deps: ServiceDeps, user: PolicyUser): Promise<PolicyView> {
  requireCapability(user, 'viewPolicy');
  const { policy } = await deps.policies.current();
  const locks = new Map((await deps.store.accounts.listLocks()).map((lock) => [lock.user, lock]));
  return {
    users: policy.users.map((u) => ({
      id: u.id,
      name: u.name,
      slack: u.slack,
      roles: u.roles,
      sshKeyFingerprints: u.sshKeys.map(sshFingerprint),
      hasPassword: u.passwordHash !== undefined,
      lock: locks.get(u.id),
    })),
    groups: policy.groups,
    devices: policy.devices.map((d) => ({
      id: d.id,
      host: d.host,
      port: d.port,
      user: d.user,
      credentialKind: 'privateKeyFile' in d.credential ? 'private key file' : 'password from the environment',
      hostKeyFingerprint: d.hostKey ? sshFingerprint(d.hostKey) : undefined,
    })),
    rules: policy.rules,
    freezes: policy.freezes.map((f) => ({ ...f, timezone: f.timezone ?? policy.settings.timezone })),
    channels: policy.channels,
    settings: policy.settings,
  };
}
