import type { Verdict } from '../domain/rules/verdict.js';
import type { CommandRecord } from '../domain/session/commandRecord.js';
import type { Commit } from './commit.js';

/**
 * A search over every stored command. Every field narrows it; `words` are folded words
 * (domain/search/searchWords.ts), each matching the words of the line that start with it.
 */
export interface CommandSearchQuery {
  readonly words?: readonly string[] | undefined;
  readonly user?: string | undefined;
  readonly device?: string | undefined;
  readonly changeCode?: string | undefined;
  /** Any of these verdicts (executed: allow; refused: block, interrupt). */
  readonly verdicts?: readonly Verdict[] | undefined;
  /** Judged at or after. */
  readonly since?: Date | undefined;
  /** Judged before. */
  readonly until?: Date | undefined;
  readonly limit: number;
  readonly offset: number;
}

export interface CommandSearchPage {
  /** Newest first (the order they were recorded in, reversed). */
  readonly records: CommandRecord[];
  /** True when there are more after this page. */
  readonly hasMore: boolean;
}

/** A stretch of time to read commands from, oldest first (policy backtests). */
export interface CommandScanRange {
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  /** Records per batch read from the store. */
  readonly batchSize?: number | undefined;
}

export interface CommandRepository {
  /**
   * Stores a judged command with its commit (its EXECUTE audit record), all or nothing
   * (docs/ARCHITECTURE.md, "One action, one write"); DuplicateKeyError when the id is taken,
   * and then nothing of the commit is written either.
   */
  append(record: CommandRecord, commit?: Commit): Promise<void>;
  /** In the order they were judged. */
  listBySession(sessionId: string): Promise<CommandRecord[]>;
  listByChange(changeCode: string): Promise<CommandRecord[]>;
  /** How many of a user's commands a rule matched, across sessions (for `lockAfter`). */
  countRuleMatches(user: string, ruleId: string): Promise<number>;
  /** Records an exit status learned after the command ran. */
  setExitStatus(id: string, exitStatus: number): Promise<void>;
  /** One page of a search, through indexes (fast on millions of commands). */
  search(query: CommandSearchQuery): Promise<CommandSearchPage>;
  /**
   * Every command judged in the range, in batches, by time (each session's commands in the
   * order they were judged). Reads a batch at a time, so the store stays usable in between.
   */
  scan(range: CommandScanRange): AsyncIterable<readonly CommandRecord[]>;
}
