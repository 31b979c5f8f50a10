import mongoose, { type Connection } from 'mongoose';
import type { Store } from '../store.js';
import { StoreUnavailableError } from '../storeErrors.js';
import { MongoAccountRepository } from './mongoAccountRepository.js';
import { MongoAuditRepository } from './mongoAuditRepository.js';
import { MongoChangeRepository } from './mongoChangeRepository.js';
import { MongoCommandCommits } from './mongoCommandCommits.js';
import { MongoCommandRepository } from './mongoCommandRepository.js';
import { MongoCommitRelay } from './mongoCommits.js';
import { MongoDeviationRepository } from './mongoDeviationRepository.js';
import { MongoLinkNonceRepository } from './mongoLinkNonceRepository.js';
import { defineWebModels, type WebModels } from './mongoWebModels.js';
import { MongoOutboxRepository } from './mongoOutboxRepository.js';
import { defineModels, ensureIndexes, type MongoModels } from './mongoModels.js';
import { defineRevisioned, type MongoRevisioned } from './mongoRevisioned.js';
import { MongoPolicyRepository } from './mongoPolicyRepository.js';
import { MongoReportScheduleRepository } from './mongoReportScheduleRepository.js';
import { MongoSessionRepository } from './mongoSessionRepository.js';
import { MongoSlackMessageRepository } from './mongoSlackMessageRepository.js';
import { backfillOutboxDedupe } from './mongoUpgrades.js';
import { defineSlackModels, type SlackModels } from './mongoSlackModels.js';

export interface MongoStoreOptions {
  /** Overrides the database named in the URI (tests use a throwaway one per run). */
  readonly dbName?: string | undefined;
}

/**
 * The production store: one MongoDB database that several changeguard processes share.
 * Every state change is a single conditional write, so no process needs another's memory.
 */
export class MongoStore implements Store {
  readonly kind = 'mongo' as const;
  readonly changes: MongoChangeRepository;
  readonly sessions: MongoSessionRepository;
  readonly commands: MongoCommandRepository;
  readonly audit: MongoAuditRepository;
  readonly policy: MongoPolicyRepository;
  readonly accounts: MongoAccountRepository;
  readonly outbox: MongoOutboxRepository;
  readonly slackMessages: MongoSlackMessageRepository;
  readonly linkNonces: MongoLinkNonceRepository;
  readonly reportSchedules: MongoReportScheduleRepository;
  readonly deviations: MongoDeviationRepository;
  /** The conditionally written entities, each with its revisions (also what `store migrate` writes through). */
  readonly revisioned: MongoRevisioned;
  private readonly relay: MongoCommitRelay;
  private closed = false;

  private constructor(
    /** This store's own connection (never mongoose's global one); Agenda's backend shares it. */
    readonly connection: Connection,
    readonly models: MongoModels,
    readonly slackModels: SlackModels,
    readonly webModels: WebModels,
  ) {
    this.revisioned = defineRevisioned(models, slackModels);
    this.audit = new MongoAuditRepository(models);
    this.outbox = new MongoOutboxRepository(slackModels, this.revisioned.outbox);
    // Commits ride in the revision of the state they describe until relayed to the chain and the outbox.
    this.relay = new MongoCommitRelay(models.relayMarkers, this.audit, this.outbox, (user, at) => this.accounts.endWebSessions(user, at));
    const { changes, sessions, accountLocks, sshKeys, webSignouts, reportSchedules, policies, deviations } = this.revisioned;
    // A judged command carries its EXECUTE record in its own document (mongoCommandCommits.ts).
    const commandCommits = new MongoCommandCommits(models.commands, models.relayMarkers);
    for (const source of [changes, sessions, accountLocks, sshKeys, webSignouts, reportSchedules, policies, deviations, commandCommits]) this.relay.register(source);
    this.changes = new MongoChangeRepository(models, this.revisioned, this.relay);
    this.sessions = new MongoSessionRepository(models, this.revisioned.sessions, this.relay);
    this.commands = new MongoCommandRepository(models, commandCommits, this.relay);
    this.policy = new MongoPolicyRepository(models, this.revisioned.policies, this.relay);
    this.accounts = new MongoAccountRepository(this.revisioned, this.relay);
    this.slackMessages = new MongoSlackMessageRepository(slackModels);
    this.linkNonces = new MongoLinkNonceRepository(webModels.linkNonces);
    this.reportSchedules = new MongoReportScheduleRepository(models, this.revisioned.reportSchedules, this.relay);
    this.deviations = new MongoDeviationRepository(models, this.revisioned.deviations, this.relay);
  }

  /** Connects, creates the collections and indexes, and fails with StoreUnavailableError if the server cannot be reached. */
  static async connect(uri: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
    const connection = mongoose.createConnection(uri, {
      serverSelectionTimeoutMS: 5000,
      ...(options.dbName !== undefined ? { dbName: options.dbName } : {}),
      // Fail closed at once while the server is away, rather than queueing writes in memory.
      bufferCommands: false,
      // Collections and indexes are created below, awaited, before the store is handed out.
      autoCreate: false,
      autoIndex: false,
    });
    try {
      await connection.asPromise();
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw new StoreUnavailableError(`cannot connect to MongoDB: ${(error as Error).message}`, { cause: error });
    }
    try {
      const models = defineModels(connection);
      await ensureIndexes(models);
      const slackModels = defineSlackModels(connection);
      await backfillOutboxDedupe(slackModels);
      await ensureIndexes(slackModels);
      const webModels = defineWebModels(connection);
      await ensureIndexes(webModels);
      const store = new MongoStore(connection, models, slackModels, webModels);
      await store.commands.fillMissingWords();
      return store;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  async relayPendingCommits(): Promise<number> {
    return this.relay.relayAll();
  }

  async ping(): Promise<void> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    const db = this.connection.db;
    if (!db) throw new StoreUnavailableError('MongoDB store unreachable: not connected');
    try {
      await db.command({ ping: 1 });
    } catch (error) {
      throw new StoreUnavailableError(`MongoDB store unreachable: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.close();
  }
}
