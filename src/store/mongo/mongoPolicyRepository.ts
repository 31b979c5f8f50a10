import { DEFAULT_SETTINGS, type Policy, type PolicyChannels, type PolicySettings } from '../../domain/policy/policy.js';
import type { PolicyCollection, PolicyCollections, PolicyRepository, PolicyWrite } from '../policyRepository.js';
import type { Commit } from '../commit.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { relaySoon, storedCommit, type MongoCommitRelay } from './mongoCommits.js';
import { fromStored, toStored } from './mongoDocument.js';
import type { MongoModels, PolicyDoc, PolicyItemDoc, PolicySingletonDoc } from './mongoModels.js';
import type { MongoRevisioned } from './mongoRevisioned.js';

const COLLECTIONS: readonly PolicyCollection[] = ['users', 'groups', 'devices', 'rules', 'freezes'];
const POLICY_KEY = 'current';

/**
 * The whole policy is one document, and an import writes its next revision: one insert, so
 * the import lands all together or not at all, whatever happens to the process, and readers
 * see the old policy or the new one, never a mix. No multi-document transaction is needed
 * (FerretDB 1.x has none; on MongoDB they need a replica set); the import's audit records and
 * announcements ride in the same revision (mongoCommits.ts). A policy is small beside
 * MongoDB's 16 MiB document limit: its file is capped at 1 MiB.
 *
 * Databases written before this kept one document per item (`policy_items`) and the
 * channels and settings apart (`policy_singletons`), or (briefly, on the way here) the whole
 * policy in `policy_state`: read until the first import here.
 */
export class MongoPolicyRepository implements PolicyRepository {
  constructor(
    private readonly models: Pick<MongoModels, 'policyItems' | 'policySingletons'>,
    private readonly policies: MongoRevisioned['policies'],
    private readonly relay?: MongoCommitRelay,
  ) {}

  async load(): Promise<Policy> {
    const { doc } = await this.policies.current(POLICY_KEY);
    return doc ? toPolicy(doc) : this.loadItemised();
  }

  async apply(write: PolicyWrite, commit?: Commit): Promise<void> {
    refuseDuplicateIds(write);
    const { doc } = await this.policies.current(POLICY_KEY);
    const before = doc ? null : await this.loadItemised();
    // Sections the file has replace the stored ones; the others stay as they are. When
    // another import landed first, this one is applied again on top of it.
    await this.policies.write(POLICY_KEY, (current) => {
      const base = current ? toPolicy(current) : (before ?? emptyPolicy());
      const next: Policy = {
        users: write.replace.users ?? base.users,
        groups: write.replace.groups ?? base.groups,
        devices: write.replace.devices ?? base.devices,
        rules: write.replace.rules ?? base.rules,
        freezes: write.replace.freezes ?? base.freezes,
        channels: write.channels ?? base.channels,
        settings: write.settings ?? base.settings,
      };
      return toStored({ _id: POLICY_KEY, ...next }) as PolicyDoc & Record<string, unknown>;
    }, storedCommit(commit));
    if (commit) await relaySoon(this.relay, this.policies.kind, POLICY_KEY);
  }

  private async loadItemised(): Promise<Policy> {
    const state = await this.models.policyItems.db.collection('policy_state').findOne({ _id: 'policy' } as never);
    if (state) {
      const { users, groups, devices, rules, freezes, channels, settings } = state as unknown as Partial<Policy>;
      return { users: users ?? [], groups: groups ?? [], devices: devices ?? [], rules: rules ?? [], freezes: freezes ?? [], channels: channels ?? {}, settings: settings ?? DEFAULT_SETTINGS };
    }
    const [items, singletons] = await Promise.all([
      this.models.policyItems.find({}).sort({ kind: 1, position: 1 }).lean<PolicyItemDoc[]>(),
      this.models.policySingletons.find({ _id: { $in: ['channels', 'settings'] } }).lean<PolicySingletonDoc[]>(),
    ]);
    const list = <K extends PolicyCollection>(kind: K): PolicyCollections[K][] =>
      items.filter((doc) => doc.kind === kind).map((doc) => doc.item as PolicyCollections[K]);
    const single = (name: string): unknown => singletons.find((doc) => doc._id === name)?.value;
    return {
      users: list('users'),
      groups: list('groups'),
      devices: list('devices'),
      rules: list('rules'),
      freezes: list('freezes'),
      channels: (single('channels') as PolicyChannels | undefined) ?? {},
      settings: (single('settings') as PolicySettings | undefined) ?? DEFAULT_SETTINGS,
    };
  }
}

function toPolicy(doc: PolicyDoc): Policy {
  const { users, groups, devices, rules, freezes, channels, settings } = fromStored(doc);
  // Revisions written before freezes existed have none.
  return { users, groups, devices, rules, freezes: freezes ?? [], channels, settings };
}

function emptyPolicy(): Policy {
  return { users: [], groups: [], devices: [], rules: [], freezes: [], channels: {}, settings: DEFAULT_SETTINGS };
}

function refuseDuplicateIds(write: PolicyWrite): void {
  for (const kind of COLLECTIONS) {
    const seen = new Set<string>();
    for (const item of write.replace[kind] ?? []) {
      if (seen.has(item.id)) throw new DuplicateKeyError(`policy ${kind.slice(0, -1)}`, item.id);
      seen.add(item.id);
    }
  }
}
