import type { Model } from 'mongoose';
import type { CommitSource, StoredCommit } from './mongoCommits.js';
import { isDuplicateKey } from './mongoDocument.js';
import type { CommandDoc } from './mongoModels.js';
import { STALE_MARKER_MS, type RelayMarkerDoc } from './revisionedCollection.js';

/**
 * A judged command and its EXECUTE audit record as one write on a server without
 * multi-document transactions (mongoCommits.ts): the commit rides in the command document
 * itself (`commit`), inserted in one go, so the command and its record land together or not
 * at all. A relay marker (`command/<id>#1`), inserted before the command, is what says the
 * commit still has to reach the audit chain: the writer relays it at once and removes the
 * marker; a writer that died in between leaves the marker to every process's relay loop.
 *
 * The command document is never rewritten to take the commit off: on FerretDB an update is a
 * read and a write back (revisionedCollection.ts), and one racing the exit status's update
 * could lose it. The marker alone is the pending state; the commit stays as the command's
 * provenance (its id names the audit record, `<commit>#0`).
 */
export class MongoCommandCommits implements CommitSource {
  readonly kind = 'command';
  /** Markers of commands whose record is in the chain, waiting to be removed together. */
  private readonly relayed = new Set<string>();
  private settling = false;

  constructor(
    private readonly commands: Model<CommandDoc>,
    private readonly markers: Model<RelayMarkerDoc>,
  ) {}

  /** Names the command about to be inserted with `commit`, before it is. */
  async mark(id: string): Promise<void> {
    try {
      await this.markers.collection.insertOne({ _id: this.markerId(id), kind: this.kind, key: id, rev: 1, at: new Date() } as never);
    } catch (error) {
      // A command with this id is being (or was) written by someone else: the marker names it either way.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  /** Revision 1 once the command exists (0 before); its commit while the marker is there. */
  async pendingCommits(key: string): Promise<{ readonly rev: number; readonly commits: readonly StoredCommit[] }> {
    const marker = await this.markers.collection.findOne({ _id: this.markerId(key) } as never);
    const doc = await this.commands.collection.findOne({ _id: key } as never, { projection: { commit: 1 } });
    const commit = marker ? (doc?.commit as StoredCommit | undefined) : undefined;
    return { rev: doc ? 1 : 0, commits: commit ? [commit] : [] };
  }

  /**
   * Removes the marker of a command whose record its writer has appended, in the background,
   * together with those of other commands relayed meanwhile: on the hot path of every judged
   * command, one write for many (FerretDB serialises writes). A marker left behind (the
   * process ended first, the delete failed) is settled by the relay loop, which finds the
   * record in the chain already and appends nothing.
   */
  settleSoon(id: string): void {
    this.relayed.add(this.markerId(id));
    if (this.settling) return;
    this.settling = true;
    void (async () => {
      try {
        while (this.relayed.size > 0) {
          const ids = [...this.relayed];
          this.relayed.clear();
          await this.markers.collection.deleteMany({ _id: { $in: ids } } as never);
        }
      } catch {
        this.relayed.clear();
      } finally {
        this.settling = false;
      }
    })();
  }

  async takeRelayed(key: string): Promise<void> {
    await this.markers.collection.deleteOne({ _id: this.markerId(key) } as never);
  }

  async settleMarkers(key: string, rev: number): Promise<void> {
    // Revision 0: the command is not there (yet); its writer may still insert it.
    if (rev >= 1) await this.takeRelayed(key);
  }

  /**
   * Relays each marked command. A marker older than STALE_MARKER_MS whose command does not
   * exist names a write that never happened (its writer died before the insert): it goes.
   * (A writer stalled that long between its two inserts, then dying before it relays, would
   * leave its record unrelayed: unlike a revision number, a command id cannot be taken.)
   */
  async relayMarked(markers: readonly RelayMarkerDoc[], relay: (key: string) => Promise<void>, now: Date): Promise<void> {
    for (const marker of markers) {
      await relay(marker.key);
      if (now.getTime() - new Date(marker.at).getTime() <= STALE_MARKER_MS) continue;
      if ((await this.commands.collection.countDocuments({ _id: marker.key } as never, { limit: 1 })) === 0) {
        await this.markers.collection.deleteOne({ _id: marker._id } as never);
      }
    }
  }

  private markerId(id: string): string {
    return `${this.kind}/${id}#1`;
  }
}
