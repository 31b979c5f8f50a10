import { createHash } from 'node:crypto';
import { canonicalJson } from '../../domain/audit/canonicalJson.js';
import { approverChanges } from '../../domain/policy/approverChanges.js';
import { checkReferences, parsePolicy } from '../../domain/policy/parsePolicy.js';
import { DEFAULT_SETTINGS, type Policy, type PolicyDocument } from '../../domain/policy/policy.js';
import { formatProblem } from '../../domain/validation/formatIssue.js';
import type { PolicyCollection, PolicyWrite } from '../../store/policyRepository.js';
import { randomUUID } from 'node:crypto';
import { policyImportNotices } from '../../domain/notifications/policyNotices.js';
import type { Actor } from '../actor.js';
import { authorise } from '../access/authorise.js';
import { CommitBuilder, committed } from '../commits/commitBuilder.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

export class PolicyValidationError extends ServiceError {
  constructor(readonly problems: readonly string[]) {
    super('invalid', problems.join('\n'));
    this.name = 'PolicyValidationError';
  }
}

export interface PolicyImportSummary {
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  readonly unchanged: number;
  /** One line per change: `RULE no-rm updated`. */
  readonly lines: readonly string[];
}

interface PolicyChange {
  readonly eventType: 'CREATE' | 'UPDATE' | 'DELETE';
  readonly class: string;
  readonly object: string;
  readonly before: unknown;
  readonly after: unknown;
}

const CLASS_OF: Record<PolicyCollection, string> = { users: 'USER', groups: 'GROUP', devices: 'DEVICE', rules: 'RULE', freezes: 'FREEZE' };
const COLLECTIONS = Object.keys(CLASS_OF) as PolicyCollection[];

/** Parses and validates a policy text on its own: sections it omits count as empty. */
export function checkPolicy(text: string | Uint8Array, source: string): Policy {
  const parsed = parsePolicy(text);
  if (!parsed.ok) throw new PolicyValidationError(parsed.problems.map((p) => formatProblem(source, p)));
  const policy = mergePolicy(emptyPolicy(), parsed.document);
  const problems = parsed.locate(checkReferences(policy, parsed.document));
  if (problems.length > 0) throw new PolicyValidationError(problems.map((p) => formatProblem(source, p)));
  return policy;
}

export interface PolicyDraft {
  /** The sections the file holds. */
  readonly document: PolicyDocument;
  /** The policy in the store now. */
  readonly stored: Policy;
  /** The policy as it would be once imported: the file's sections over the stored ones. */
  readonly next: Policy;
}

/**
 * A policy file read as an import would read it (the same parsing, the same located errors,
 * the same cross-references against the stored sections it leaves alone), writing nothing.
 */
export async function readPolicyDraft(deps: ServiceDeps, text: string | Uint8Array, source: string): Promise<PolicyDraft> {
  const parsed = parsePolicy(text);
  if (!parsed.ok) throw new PolicyValidationError(parsed.problems.map((p) => formatProblem(source, p)));
  const document = parsed.document;
  const stored = await deps.store.policy.load();
  const next = mergePolicy(stored, document);
  const problems = parsed.locate(checkReferences(next, document));
  if (problems.length > 0) throw new PolicyValidationError(problems.map((p) => formatProblem(source, p)));
  return { document, stored, next };
}

/**
 * Loads a policy document into the store. Sections present in the document replace the
 * stored ones (an entry missing from a present section is deleted: the file is the policy);
 * absent sections are kept. Every created, updated or deleted entry gets an audit record
 * with its before and after images; the new policy, those records and the announcements are
 * one write. Importing the same file twice changes nothing. An admin may import (the CLI's
 * `--as`), as may changeguard itself (POLICY_FILE) and an operator holding the store.
 */
export async function importPolicy(
  deps: ServiceDeps,
  text: string | Uint8Array,
  source: string,
  actor: Actor,
): Promise<PolicyImportSummary> {
  await authorise(deps, actor, 'policy.import', {}, { eventType: 'IMPORT', class: 'POLICY', object: source });
  const { document, stored, next } = await readPolicyDraft(deps, text, source);

  const changes = diffPolicy(stored, next, document);
  const total = COLLECTIONS.reduce((n, kind) => n + next[kind].length, 0) + 2;
  const count = (type: PolicyChange['eventType']) => changes.filter((c) => c.eventType === type).length;
  const summary: PolicyImportSummary = {
    created: count('CREATE'),
    updated: count('UPDATE'),
    deleted: count('DELETE'),
    unchanged: total - changes.length,
    lines: changes.map((c) => `${c.class} ${c.object} ${c.eventType === 'CREATE' ? 'created' : c.eventType === 'UPDATE' ? 'updated' : 'deleted'}`),
  };
  if (changes.length === 0) return summary;
  const write: PolicyWrite = {
    replace: Object.fromEntries(COLLECTIONS.filter((kind) => document[kind]).map((kind) => [kind, next[kind]])),
    channels: document.channels,
    settings: document.settings,
  };
  const approvers = document.groups ? approverChanges(stored.groups, next.groups) : [];
  const builder = new CommitBuilder(deps, actor);
  for (const change of changes) {
    builder.audit({
      status: 'S',
      eventType: change.eventType,
      class: change.class,
      object: change.object,
      details: `policy import from ${source}`,
      images: { before: auditImage(change.before), after: auditImage(change.after) },
    });
  }
  // Announced with the policy as imported: channels and users are resolved from it.
  builder.notify(...policyImportNotices(actor.userId, source, summary.lines, approvers, randomUUID()));
  const commit = await builder.against(next).build();
  await deps.store.policy.apply(write, commit);
  deps.policies.invalidate();
  committed(deps, commit);
  await deps.events.publish({ type: 'policy.imported', actor: actor.userId, source, lines: summary.lines, approverChanges: approvers });
  return summary;
}

/**
 * An entry as the audit trail keeps it. A user's password hash is replaced by a short
 * fingerprint of it: the trail is exported and read widely, and even a slow hash should not
 * travel with it; the fingerprint still shows that, and when, a password was set or changed.
 */
function auditImage(item: unknown): unknown {
  const hash = (item as { passwordHash?: unknown } | null)?.passwordHash;
  if (typeof hash !== 'string') return item;
  return { ...(item as object), passwordHash: `set (sha256:${createHash('sha256').update(hash).digest('hex').slice(0, 12)})` };
}

function emptyPolicy(): Policy {
  return { users: [], groups: [], devices: [], rules: [], freezes: [], channels: {}, settings: DEFAULT_SETTINGS };
}

function mergePolicy(base: Policy, document: PolicyDocument): Policy {
  return {
    users: document.users ?? base.users,
    groups: document.groups ?? base.groups,
    devices: document.devices ?? base.devices,
    rules: document.rules ?? base.rules,
    freezes: document.freezes ?? base.freezes,
    channels: document.channels ?? base.channels,
    settings: document.settings ?? base.settings,
  };
}

function diffPolicy(before: Policy, after: Policy, document: PolicyDocument): PolicyChange[] {
  const changes: PolicyChange[] = [];
  for (const kind of COLLECTIONS) {
    if (!document[kind]) continue;
    const old = new Map<string, unknown>(before[kind].map((item) => [item.id, item]));
    const fresh = new Map<string, unknown>(after[kind].map((item) => [item.id, item]));
    for (const [id, item] of fresh) {
      const previous = old.get(id);
      if (previous === undefined) changes.push({ eventType: 'CREATE', class: CLASS_OF[kind], object: id, before: null, after: item });
      else if (canonicalJson(previous) !== canonicalJson(item)) {
        changes.push({ eventType: 'UPDATE', class: CLASS_OF[kind], object: id, before: previous, after: item });
      }
    }
    for (const [id, item] of old) {
      if (!fresh.has(id)) changes.push({ eventType: 'DELETE', class: CLASS_OF[kind], object: id, before: item, after: null });
    }
    // Rules are reported in policy order; a pure reordering is a change worth auditing too.
    const oldOrder = before[kind].map((i) => i.id).filter((id) => fresh.has(id));
    const newOrder = after[kind].map((i) => i.id).filter((id) => old.has(id));
    if (kind === 'rules' && oldOrder.join('\n') !== newOrder.join('\n')) {
      changes.push({ eventType: 'UPDATE', class: 'RULE_ORDER', object: 'rules', before: oldOrder, after: newOrder });
    }
  }
  for (const singleton of ['channels', 'settings'] as const) {
    if (document[singleton] && canonicalJson(before[singleton]) !== canonicalJson(after[singleton])) {
      changes.push({
        eventType: 'UPDATE',
        class: singleton.toUpperCase(),
        object: singleton,
        before: before[singleton],
        after: after[singleton],
      });
    }
  }
  return changes;
}
