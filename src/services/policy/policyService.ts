import type { Clock } from '../../domain/clock.js';
import type { Policy, PolicyGroup, PolicyUser } from '../../domain/policy/policy.js';
import { RuleSet } from '../../domain/rules/ruleSet.js';
import type { PolicyRepository } from '../../store/policyRepository.js';

export interface PolicySnapshot {
  readonly policy: Policy;
  readonly rules: RuleSet;
  readonly loadedAt: Date;
}

/**
 * The policy as services read it: loaded from the store and compiled once, then re-read
 * after `maxAgeMs` so an import done by another process is picked up without a restart.
 */
export class PolicyService {
  private snapshot: PolicySnapshot | null = null;
  private loading: Promise<PolicySnapshot> | null = null;

  constructor(
    private readonly repository: PolicyRepository,
    private readonly clock: Clock,
    private readonly maxAgeMs = 5000,
  ) {}

  async current(): Promise<PolicySnapshot> {
    const fresh = this.snapshot && this.clock().getTime() - this.snapshot.loadedAt.getTime() < this.maxAgeMs;
    if (fresh) return this.snapshot!;
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  invalidate(): void {
    this.snapshot = null;
  }

  async user(id: string): Promise<PolicyUser | undefined> {
    return (await this.current()).policy.users.find((u) => u.id === id);
  }

  async userBySlackId(slackId: string): Promise<PolicyUser | undefined> {
    return (await this.current()).policy.users.find((u) => u.slack === slackId);
  }

  async group(id: string): Promise<PolicyGroup | undefined> {
    return (await this.current()).policy.groups.find((g) => g.id === id);
  }

  private async load(): Promise<PolicySnapshot> {
    const policy = await this.repository.load();
    this.snapshot = { policy, rules: RuleSet.compile(policy.rules), loadedAt: this.clock() };
    return this.snapshot;
  }
}
