import type { Connection } from 'mongoose';
import { DEFAULT_SETTINGS, type Policy, type PolicyChannels, type PolicySettings } from '../../domain/policy/policy.js';
import type { PolicyCollection, PolicyCollections, PolicyRepository, PolicyWrite } from '../policyRepository.js';
import { DuplicateKeyError } from '../storeErrors.js';
import type { Commit } from '../commit.js';
import { mergeUpdates, pushCommit, relaySoon, withCommit, type MongoCommitRelay } from './mongoCommits.js';
import { isDuplicateKey, requireNumber, toStored } from './mongoDocument.js';
import type { MongoModels, PolicyItemDoc, PolicySingletonDoc, PolicyStateDoc } from './mongoModels.js';

const COLLECTIONS: readonly PolicyCollection[] = ['users', 'groups', 'devices', 'rules', 'freezes'];

const POLICY_ID = 'policy';
const MAX_ATTEMPTS = 20;

/**
 * The policy is one document (`policy_state`, `_id: 'policy'`): an import replaces its sections
 * and carries its audit records and announcements in the same conditional write (on the
 * document's `version`), so a reader sees the old policy or the new one, never a mix, and no
 * transaction is needed (FerretDB 1.x and standalone servers have none). A database written
 * before (items in `policy_items`, `policy_singletons`) is read as it is until the first
 * import, which carries it over into the document.
 */
export class MongoPolicyRepository implements PolicyRepository {
  constructor(
    _connection: Connection,
    private readonly models: Pick<MongoModels, 'policyItems' | 'policySingletons' | 'policyState'>,
    private readonly relay?: MongoCommitRelay,
  ) {}

  async load(): Promise<Policy> {
    const state = await this.models.policyState.findOne({ _id: POLICY_ID }).lean<PolicyStateDoc>();
    return state ? fromState(state) : this.loadItems();
  }

  async apply(write: PolicyWrite, commit?: Commit): Promise<void> {
    refuseDuplicateIds(write);
    const collection = this.models.policyState.collection;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const state = await this.models.policyState.findOne({ _id: POLICY_ID }).lean<PolicyStateDoc>();
      const current = state ? fromState(state) : await this.loadItems();
      const sections = {
        users: toStored([...(write.replace.users ?? current.users)]),
        groups: toStored([...(write.replace.groups ?? current.groups)]),
        devices: toStored([...(write.replace.devices ?? current.devices)]),
        rules: toStored([...(write.replace.rules ?? current.rules)]),
        freezes: toStored([...(write.replace.freezes ?? current.freezes)]),
        channels: toStored({ ...(write.channels ?? current.channels) }),
        settings: toStored({ ...(write.settings ?? current.settings) }),
      };
      if (!state) {
        try {
          await collection.insertOne(withCommit({ _id: POLICY_ID, version: 1, ...sections }, commit) as never);
        } catch (error) {
          // Another process wrote the first version meanwhile: apply onto it.
          if (isDuplicateKey(error)) continue;
          throw error;
        }
      } else {
        const updated = await collection.updateOne(
          { _id: POLICY_ID, version: { $eq: requireNumber(state.version) } } as never,
          mergeUpdates({ $set: sections, $inc: { version: 1 } }, pushCommit(commit)),
        );
        if (updated.matchedCount !== 1) continue;
      }
      if (commit) await relaySoon(this.relay, 'policyState', POLICY_ID);
      return;
    }
    throw new Error(`policy import gave up after ${MAX_ATTEMPTS} attempts: another import keeps writing the policy`);
  }

  /** The policy as databases written before the single document kept it. */
  private async loadItems(): Promise<Policy> {
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

function fromState(state: PolicyStateDoc): Policy {
  return {
    users: state.users as Policy['users'],
    groups: state.groups as Policy['groups'],
    devices: state.devices as Policy['devices'],
    rules: state.rules as Policy['rules'],
    // Documents written before freezes existed have none.
    freezes: (state.freezes as Policy['freezes'] | undefined) ?? [],
    channels: (state.channels as PolicyChannels | undefined) ?? {},
    settings: (state.settings as PolicySettings | undefined) ?? DEFAULT_SETTINGS,
  };
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
