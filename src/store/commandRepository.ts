import type { CommandRecord } from '../domain/session/commandRecord.js';

export interface CommandRepository {
  append(record: CommandRecord): Promise<void>;
  /** In the order they were judged. */
  listBySession(sessionId: string): Promise<CommandRecord[]>;
  listByChange(changeCode: string): Promise<CommandRecord[]>;
  /** How many of a user's commands a rule matched, across sessions (for `lockAfter`). */
  countRuleMatches(user: string, ruleId: string): Promise<number>;
  /** Records an exit status learned after the command ran. */
  setExitStatus(id: string, exitStatus: number): Promise<void>;
}
