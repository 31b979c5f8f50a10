import type { Verdict } from '../rules/verdict.js';
import type { CommandRecord } from '../session/commandRecord.js';

/**
 * What a draft policy would have changed about recorded commands. Pure: the service judges
 * each record with the rule engine and hands the pairs (stored, draft) to a BacktestTally.
 */

/** `newly_blocked`: ran, would be stopped. `newly_allowed`: was stopped, would run. `changed`: stopped either way, but blocked instead of interrupted or the reverse. */
export const BACKTEST_KINDS = ['newly_blocked', 'newly_allowed', 'changed'] as const;
export type BacktestKind = (typeof BACKTEST_KINDS)[number];

export interface DraftJudgement {
  readonly verdict: Verdict;
  readonly ruleIds: readonly string[];
  readonly reason?: string | undefined;
}

export interface BacktestExample {
  readonly at: Date;
  readonly user: string;
  readonly device: string;
  readonly changeCode: string;
  readonly sessionId: string;
  readonly line: string;
  readonly stored: { readonly verdict: Verdict; readonly ruleIds: readonly string[] };
  readonly draft: DraftJudgement;
}

export interface BacktestCounts {
  readonly newly_blocked: number;
  readonly newly_allowed: number;
  readonly changed: number;
}

export interface BacktestGroup {
  /** The rule, user or device id. */
  readonly key: string;
  readonly counts: BacktestCounts;
  /** A few of its commands, the first seen of each kind. */
  readonly examples: readonly (BacktestExample & { readonly kind: BacktestKind })[];
}

export interface BacktestReport {
  /** Commands judged again. */
  readonly judged: number;
  readonly unchanged: number;
  readonly counts: BacktestCounts;
  /** Per rule: for newly blocked and changed commands the draft's rules, for newly allowed the stored ones; most affected first. */
  readonly byRule: readonly BacktestGroup[];
  readonly byUser: readonly BacktestGroup[];
  readonly byDevice: readonly BacktestGroup[];
  /** The first commands of each kind. */
  readonly examples: Readonly<Record<BacktestKind, readonly BacktestExample[]>>;
  /** Sessions the draft would have cut (an interrupt rule's last attempt) that went on as recorded. */
  readonly sessionsCut: number;
}

const REFUSALS: ReadonlySet<Verdict> = new Set<Verdict>(['block', 'interrupt']);

/** Which kind of difference, or null when the verdict is the same. */
export function classify(stored: Verdict, draft: Verdict): BacktestKind | null {
  if (stored === draft) return null;
  if (!REFUSALS.has(stored)) return 'newly_blocked';
  if (!REFUSALS.has(draft)) return 'newly_allowed';
  return 'changed';
}

class Group {
  readonly counts: { newly_blocked: number; newly_allowed: number; changed: number } = { newly_blocked: 0, newly_allowed: 0, changed: 0 };
  readonly examples: (BacktestExample & { kind: BacktestKind })[] = [];

  add(kind: BacktestKind, example: BacktestExample, perKind: number): void {
    this.counts[kind]++;
    if (this.counts[kind] <= perKind) this.examples.push({ ...example, kind });
  }

  total(): number {
    return this.counts.newly_blocked + this.counts.newly_allowed + this.counts.changed;
  }
}

/** Collects judged commands one at a time; memory grows with rules, users and devices, not commands. */
export class BacktestTally {
  private judged = 0;
  private readonly counts = { newly_blocked: 0, newly_allowed: 0, changed: 0 };
  private readonly byRule = new Map<string, Group>();
  private readonly byUser = new Map<string, Group>();
  private readonly byDevice = new Map<string, Group>();
  private readonly examples: Record<BacktestKind, BacktestExample[]> = { newly_blocked: [], newly_allowed: [], changed: [] };
  private readonly cut = new Set<string>();

  constructor(
    private readonly limits: { readonly examplesPerKind: number; readonly examplesPerGroup: number } = { examplesPerKind: 10, examplesPerGroup: 2 },
  ) {}

  add(record: CommandRecord, draft: DraftJudgement): void {
    this.judged++;
    if (draft.verdict === 'interrupt' && record.verdict !== 'interrupt') this.cut.add(record.sessionId);
    const kind = classify(record.verdict, draft.verdict);
    if (kind === null) return;
    this.counts[kind]++;
    const example: BacktestExample = {
      at: record.at,
      user: record.user,
      device: record.device,
      changeCode: record.changeCode,
      sessionId: record.sessionId,
      line: record.line,
      stored: { verdict: record.verdict, ruleIds: record.ruleIds },
      draft,
    };
    if (this.examples[kind].length < this.limits.examplesPerKind) this.examples[kind].push(example);
    const rules = kind === 'newly_allowed' ? record.ruleIds : draft.ruleIds;
    for (const rule of rules.length > 0 ? rules : ['(no rule)']) this.group(this.byRule, rule).add(kind, example, this.limits.examplesPerGroup);
    this.group(this.byUser, record.user).add(kind, example, this.limits.examplesPerGroup);
    this.group(this.byDevice, record.device).add(kind, example, this.limits.examplesPerGroup);
  }

  report(): BacktestReport {
    const changed = this.counts.newly_blocked + this.counts.newly_allowed + this.counts.changed;
    return {
      judged: this.judged,
      unchanged: this.judged - changed,
      counts: { ...this.counts },
      byRule: sorted(this.byRule),
      byUser: sorted(this.byUser),
      byDevice: sorted(this.byDevice),
      examples: { newly_blocked: [...this.examples.newly_blocked], newly_allowed: [...this.examples.newly_allowed], changed: [...this.examples.changed] },
      sessionsCut: this.cut.size,
    };
  }

  private group(map: Map<string, Group>, key: string): Group {
    let group = map.get(key);
    if (!group) {
      group = new Group();
      map.set(key, group);
    }
    return group;
  }
}

function sorted(map: ReadonlyMap<string, Group>): BacktestGroup[] {
  return [...map]
    .sort(([a, x], [b, y]) => y.total() - x.total() || a.localeCompare(b))
    .map(([key, group]) => ({ key, counts: { ...group.counts }, examples: [...group.examples] }));
}
