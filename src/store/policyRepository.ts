import type { Commit } from './commit.js';
import type { Policy, PolicyChannels, PolicyDevice, PolicyFreeze, PolicyGroup, PolicyRule, PolicySettings, PolicyUser } from '../domain/policy/policy.js';

export interface PolicyCollections {
  users: PolicyUser;
  groups: PolicyGroup;
  devices: PolicyDevice;
  rules: PolicyRule;
  freezes: PolicyFreeze;
}
export type PolicyCollection = keyof PolicyCollections;

/** One import's worth of writes, applied all together or not at all. */
export interface PolicyWrite {
  /** Whole collections replaced, in policy order (rules are evaluated in this order). */
  readonly replace: { readonly [K in PolicyCollection]?: readonly PolicyCollections[K][] };
  readonly channels?: PolicyChannels | undefined;
  readonly settings?: PolicySettings | undefined;
}

export interface PolicyRepository {
  load(): Promise<Policy>;
  /** Applies the write and its commit together, all or nothing. */
  apply(write: PolicyWrite, commit?: Commit): Promise<void>;
}
