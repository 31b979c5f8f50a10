import { createServiceDeps, type ServiceDeps } from '../../src/services/serviceDeps.js';
import type { Policy } from '../../src/domain/policy/policy.js';
import type { Store } from '../../src/store/store.js';
import { buildPolicy } from './factories.js';
import { sharedParser } from './sharedParser.js';
import { TestClock } from './testClock.js';

/** Services on a given store with a hand-driven clock and a stored policy. */
export async function serviceHarness(store: Store, options: { clock?: TestClock; policy?: Policy } = {}) {
  const clock = options.clock ?? new TestClock(new Date('2026-11-22T09:00:00Z'));
  const policy = options.policy ?? buildPolicy();
  await store.policy.apply({
    replace: { users: policy.users, groups: policy.groups, devices: policy.devices, rules: policy.rules, freezes: policy.freezes },
    channels: policy.channels,
    settings: policy.settings,
  });
  const deps: ServiceDeps = createServiceDeps({ store, clock: clock.now, parser: await sharedParser(), policyMaxAgeMs: 0 });
  return { deps, clock, policy };
}
