import { diffArrays } from 'diff';
import type { Verdict } from '../rules/verdict.js';

/** One line of the planned script, already normalised by the shell parser. */
export interface PlannedLine {
  /** 1-based line number in the script as filed. */
  readonly lineNo: number;
  readonly text: string;
  /** Normalised texts of the commands the line runs (wrappers left out: `sudo x` plans `x`). */
  readonly commands: readonly string[];
}

/** One command line typed (or exec'd) in a session, with the verdict it got. */
export interface ExecutedLine {
  readonly ref: string;
  readonly sessionId: string;
  readonly at: Date;
  readonly line: string;
  readonly commands: readonly string[];
  readonly verdict: Verdict;
  /** Set when it ran as an approved deviation (a review rule held it; this approver allowed it once). */
  readonly approvedBy?: string | undefined;
}

export type AuditOutcome = 'completed' | 'completed_with_extras' | 'incomplete' | 'not_started';

export interface PlannedLineResult extends PlannedLine {
  /** executed: every command of the line ran; partial: some did; missing (red): none did. */
  readonly status: 'executed' | 'partial' | 'missing';
  /** The executed lines that carried out this planned line. */
  readonly executedRefs: readonly string[];
  /** True when it ran, but not in the planned order. */
  readonly outOfOrder: boolean;
}

export interface ExecutedLineResult extends ExecutedLine {
  /**
   * planned: everything it ran was in the script; extra (green): something was not;
   * deviation: something was not, and an approver allowed it once (an approved deviation).
   */
  readonly status: 'planned' | 'extra' | 'deviation';
  readonly extraCommands: readonly string[];
}

export interface ScriptAudit {
  readonly outcome: AuditOutcome;
  readonly planned: readonly PlannedLineResult[];
  /** Lines that ran (allowed), in order. */
  readonly executed: readonly ExecutedLineResult[];
  /** Blocked and interrupted attempts, listed apart: they did not run. */
  readonly blocked: readonly ExecutedLine[];
  readonly counts: {
    readonly planned: number;
    readonly executed: number;
    readonly missing: number;
    readonly partial: number;
    readonly extra: number;
    /** Approved deviations: unplanned, but allowed once by an approver while the change ran. */
    readonly deviations: number;
    readonly blocked: number;
  };
}

interface Slot {
  readonly key: string;
  readonly owner: number;
  matchedWith: number | undefined;
  outOfOrder: boolean;
}

/**
 * Aligns what was planned with what ran, command by command: first in order (longest common
 * subsequence), then a planned command that ran out of order still counts as executed.
 */
export function auditScript(planned: readonly PlannedLine[], executedLines: readonly ExecutedLine[]): ScriptAudit {
  const ran = executedLines.filter((e) => e.verdict === 'allow');
  const blocked = executedLines.filter((e) => e.verdict !== 'allow');

  const plannedSlots = flatten(planned.map((p) => p.commands));
  const ranSlots = flatten(ran.map((e) => e.commands));
  alignInOrder(plannedSlots, ranSlots);
  alignOutOfOrder(plannedSlots, ranSlots);

  const plannedByLine = groupByOwner(plannedSlots, planned.length);
  const ranByLine = groupByOwner(ranSlots, ran.length);
  const plannedResults = planned.map((line, index): PlannedLineResult => {
    const slots = plannedByLine[index]!;
    const matched = slots.filter((s) => s.matchedWith !== undefined);
    const refs = [...new Set(matched.map((s) => ran[ranSlots[s.matchedWith as number]!.owner]!.ref))];
    const status = slots.length > 0 && matched.length === slots.length ? 'executed' : matched.length > 0 ? 'partial' : 'missing';
    return { ...line, status, executedRefs: refs, outOfOrder: matched.some((s) => s.outOfOrder) };
  });

  const executedResults = ran.map((line, index): ExecutedLineResult => {
    const extras = ranByLine[index]!.filter((s) => s.matchedWith === undefined).map((s) => s.key);
    const status = extras.length === 0 ? 'planned' : line.approvedBy !== undefined ? 'deviation' : 'extra';
    return { ...line, status, extraCommands: extras };
  });

  const counts = {
    planned: planned.length,
    executed: plannedResults.filter((p) => p.status === 'executed').length,
    missing: plannedResults.filter((p) => p.status === 'missing').length,
    partial: plannedResults.filter((p) => p.status === 'partial').length,
    extra: executedResults.filter((e) => e.status === 'extra').length,
    deviations: executedResults.filter((e) => e.status === 'deviation').length,
    blocked: blocked.length,
  };
  return { outcome: outcomeOf(counts, ran.length), planned: plannedResults, executed: executedResults, blocked, counts };
}

function outcomeOf(counts: ScriptAudit['counts'], ranLines: number): AuditOutcome {
  if (ranLines === 0) return 'not_started';
  if (counts.missing > 0 || counts.partial > 0) return 'incomplete';
  if (counts.extra > 0) return 'completed_with_extras';
  return 'completed';
}

function groupByOwner(slots: readonly Slot[], owners: number): Slot[][] {
  const groups: Slot[][] = Array.from({ length: owners }, () => []);
  for (const slot of slots) groups[slot.owner]!.push(slot);
  return groups;
}

function flatten(groups: readonly (readonly string[])[]): Slot[] {
  return groups.flatMap((commands, owner) =>
    commands.map((key) => ({ key, owner, matchedWith: undefined, outOfOrder: false })),
  );
}

function alignInOrder(planned: Slot[], ran: Slot[]): void {
  // Myers' diff is near-linear when the session followed the script; past this edit distance
  // it gives up and the out-of-order pass matches what it can.
  const changes = diffArrays(
    planned.map((s) => s.key),
    ran.map((s) => s.key),
    { maxEditLength: 4000 },
  );
  if (!changes) return;
  let p = 0;
  let r = 0;
  for (const change of changes) {
    const count = change.count ?? change.value.length;
    if (change.added) r += count;
    else if (change.removed) p += count;
    else {
      for (let i = 0; i < count; i++) {
        planned[p + i]!.matchedWith = r + i;
        ran[r + i]!.matchedWith = p + i;
      }
      p += count;
      r += count;
    }
  }
}

function alignOutOfOrder(planned: Slot[], ran: Slot[]): void {
  const unmatchedRan = new Map<string, number[]>();
  ran.forEach((slot, index) => {
    if (slot.matchedWith !== undefined) return;
    const list = unmatchedRan.get(slot.key);
    if (list) list.push(index);
    else unmatchedRan.set(slot.key, [index]);
  });
  planned.forEach((slot, index) => {
    if (slot.matchedWith !== undefined) return;
    const candidates = unmatchedRan.get(slot.key);
    const r = candidates?.shift();
    if (r === undefined) return;
    slot.matchedWith = r;
    slot.outOfOrder = true;
    ran[r]!.matchedWith = index;
  });
}

/** Script lines that count: blank lines and `#` comments are not planned commands. */
export function plannedScriptLines(script: string): { lineNo: number; text: string }[] {
  return script
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((text, index) => ({ lineNo: index + 1, text: text.trim() }))
    .filter((line) => line.text.length > 0 && !line.text.startsWith('#'));
}
