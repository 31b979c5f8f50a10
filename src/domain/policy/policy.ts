/** The policy as the domain sees it, after validation (see policySchema.ts). */

export const ROLES = ['requester', 'approver', 'auditor', 'security', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface PolicyUser {
  readonly id: string;
  readonly slack?: string | undefined;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly sshKeys: readonly string[];
  /**
   * Web sign-in with a password (scrypt PHC string from `changeguard password hash`). Only the
   * hash is stored; users without one sign in with Slack (or the loopback picker).
   */
  readonly passwordHash?: string | undefined;
}

export interface PolicyGroup {
  readonly id: string;
  readonly members: readonly string[];
  readonly approvers: readonly string[];
  /** Distinct approvals needed (quorum). */
  readonly approvals: number;
  readonly devices: readonly string[];
  readonly channel?: string | undefined;
}

/** Secrets are never stored: only where to find them. */
export type DeviceCredential =
  | { readonly privateKeyFile: string; readonly passphraseEnv?: string | undefined }
  | { readonly passwordEnv: string };

export interface PolicyDevice {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly credential: DeviceCredential;
  readonly hostKey?: string | undefined;
}

/**
 * `review`: during a change window, a matching command that is not in the approved script
 * waits at the prompt until an approver other than the user allows it once or denies it
 * (services/deviations). In the approved script it runs like any allowed command.
 */
export const RULE_ACTIONS = ['allow', 'block', 'interrupt', 'force', 'review'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

export const RISKS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISKS)[number];

export interface RuleScope {
  readonly groups?: readonly string[] | undefined;
  readonly devices?: readonly string[] | undefined;
  readonly users?: readonly string[] | undefined;
}

export interface PolicyRule {
  readonly id: string;
  /** Program names matched exactly (after normalisation). */
  readonly command?: readonly string[] | undefined;
  /** Regular expression searched in the normalised simple command. */
  readonly pattern?: string | undefined;
  readonly action: RuleAction;
  readonly risk: Risk;
  /** Interrupt: the N-th matching attempt in a session cuts it. */
  readonly attempts: number;
  /** Lock the user after this many matches (across sessions). */
  readonly lockAfter?: number | undefined;
  readonly scope?: RuleScope | undefined;
  /** Shown to the user when the rule stops a command. */
  readonly message?: string | undefined;
}

/**
 * A change freeze: no change may be filed or moved into it unless flagged an emergency (which
 * then needs one approval more than the group's quorum, from another approver). `from` and
 * `to` are wall times in `timezone` (default: `settings.timezone`): `2026-12-20` or
 * `2026-12-20 18:00`; a `to` without a time includes its whole day. It covers the servers it
 * lists, the servers of the groups it lists, and every change filed in those groups.
 */
export interface PolicyFreeze {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly timezone?: string | undefined;
  readonly devices?: readonly string[] | undefined;
  readonly groups?: readonly string[] | undefined;
  readonly reason: string;
}

export interface PolicyChannels {
  readonly approvals?: string | undefined;
  readonly security?: string | undefined;
  readonly audit?: string | undefined;
}

export type OpaqueHandling = 'block' | 'allow';

export interface PolicySettings {
  /** What happens to a command whose program cannot be known before it runs. */
  readonly opaque: OpaqueHandling;
  readonly timezone: string;
  /**
   * Changes whose planned script matches a rule of at least this risk can only be approved
   * by an approver signed in on the web page (not by a Slack button), so a hijacked Slack
   * account alone cannot approve them. Unset: any channel may approve.
   */
  readonly requireWebApproval?: Risk | undefined;
  /**
   * File transfers through the proxy (`scp`, `sftp`, `rsync` over ssh): refused unless
   * `allow`; then each transfer is judged by the rules (as `scp -t /dir`, `sftp put /path`...)
   * and recorded.
   */
  readonly fileTransfer?: 'refuse' | 'allow' | undefined;
}

export const DEFAULT_SETTINGS: PolicySettings = { opaque: 'block', timezone: 'UTC' };

export interface Policy {
  readonly users: readonly PolicyUser[];
  readonly groups: readonly PolicyGroup[];
  readonly devices: readonly PolicyDevice[];
  readonly rules: readonly PolicyRule[];
  readonly freezes: readonly PolicyFreeze[];
  readonly channels: PolicyChannels;
  readonly settings: PolicySettings;
}

/** A policy file may carry only some sections; absent sections are left as they are on import. */
export type PolicyDocument = { readonly [K in keyof Policy]?: Policy[K] };
