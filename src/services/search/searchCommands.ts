import { decideAccess } from '../../domain/access/authorisation.js';
import type { Verdict } from '../../domain/rules/verdict.js';
import { searchWords } from '../../domain/search/searchWords.js';
import type { CommandRecord } from '../../domain/session/commandRecord.js';
import { unsafeTextProblem } from '../../domain/validation/unsafeText.js';
import type { Actor } from '../actor.js';
import { ServiceError } from '../serviceError.js';
import type { ServiceDeps } from '../serviceDeps.js';

/** Which commands, by what became of them: ran, or were stopped (blocked or interrupted). */
export const VERDICT_FILTERS = ['executed', 'refused', 'allow', 'block', 'interrupt'] as const;
export type VerdictFilter = (typeof VERDICT_FILTERS)[number];

const VERDICTS_OF: Readonly<Record<VerdictFilter, readonly Verdict[]>> = {
  executed: ['allow'],
  refused: ['block', 'interrupt'],
  allow: ['allow'],
  block: ['block'],
  interrupt: ['interrupt'],
};

export const MAX_SEARCH_TEXT = 200;
/** Deep pages cost the store an offset; nobody reads 500 pages of commands. */
export const MAX_SEARCH_PAGE = 500;
export const DEFAULT_PAGE_SIZE = 50;

export interface CommandSearchInput {
  /** Words of the command line (see domain/search/searchWords.ts). */
  readonly text?: string | undefined;
  readonly user?: string | undefined;
  readonly device?: string | undefined;
  readonly change?: string | undefined;
  readonly verdict?: VerdictFilter | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  /** From 1. */
  readonly page?: number | undefined;
  readonly pageSize?: number | undefined;
}

export interface CommandSearchResult {
  readonly records: readonly CommandRecord[];
  readonly hasMore: boolean;
  readonly page: number;
  readonly pageSize: number;
  /** The words searched for, as folded. */
  readonly words: readonly string[];
  /** `all`: every session; `own`: the searcher's own sessions only. */
  readonly scope: 'all' | 'own';
}

/**
 * Searches the commands of every session (auditors, security, admins) or of one's own
 * sessions (everyone else: a requester sees what they ran). Every search is audited (SEARCH,
 * class COMMAND, with its filters), and so is a refusal.
 */
export async function searchCommands(deps: ServiceDeps, actor: Actor, input: CommandSearchInput): Promise<CommandSearchResult> {
  const user = await deps.policies.user(actor.userId);
  const filters = describeFilters(input);
  const refuse = async (kind: 'forbidden' | 'invalid', message: string): Promise<never> => {
    await deps.audit.record(actor, { status: 'D', eventType: 'SEARCH', class: 'COMMAND', details: `refused: ${filters}`, reason: message });
    throw new ServiceError(kind, message, kind === 'invalid' ? fieldOf(message) : {});
  };
  if (!user) return refuse('forbidden', `${actor.userId} is not a user of the policy`);
  const everyone = decideAccess('commands.searchAll', { kind: 'user', user });
  const scope = everyone.allowed ? 'all' : 'own';
  if (!everyone.allowed && input.user !== undefined && input.user !== user.id) return refuse('forbidden', everyone.message);
  const text = input.text?.trim() ?? '';
  if (text.length > MAX_SEARCH_TEXT) return refuse('invalid', `text: must be at most ${MAX_SEARCH_TEXT} characters`);
  const unsafe = unsafeTextProblem(text, { multiline: false });
  if (unsafe) return refuse('invalid', `text: ${unsafe}`);
  const words = searchWords(text);
  if (text !== '' && words.length === 0) return refuse('invalid', 'text: give words of the command (letters or digits), like "nginx restart"');
  if (input.since && input.until && input.until.getTime() <= input.since.getTime()) return refuse('invalid', 'until: must be after since');
  const page = input.page ?? 1;
  if (!Number.isInteger(page) || page < 1 || page > MAX_SEARCH_PAGE) return refuse('invalid', `page: must be a whole number from 1 to ${MAX_SEARCH_PAGE}`);
  const pageSize = input.pageSize ?? DEFAULT_PAGE_SIZE;

  await deps.audit.record(actor, {
    status: 'S',
    eventType: 'SEARCH',
    class: 'COMMAND',
    change: input.change,
    details: `${scope === 'own' ? 'own sessions' : 'all sessions'}: ${filters}`,
  });
  const found = await deps.store.commands.search({
    words,
    user: scope === 'own' ? user.id : input.user,
    device: input.device,
    changeCode: input.change,
    verdicts: input.verdict ? VERDICTS_OF[input.verdict] : undefined,
    since: input.since,
    until: input.until,
    limit: pageSize,
    offset: (page - 1) * pageSize,
  });
  return { ...found, page, pageSize, words, scope };
}

/** The filters as the audit record keeps them: `text="nginx" user=alice page=2`. */
function describeFilters(input: CommandSearchInput): string {
  const parts: string[] = [];
  if (input.text?.trim()) parts.push(`text=${JSON.stringify(input.text.trim().slice(0, MAX_SEARCH_TEXT))}`);
  for (const key of ['user', 'device', 'change', 'verdict'] as const) if (input[key] !== undefined) parts.push(`${key}=${input[key]}`);
  if (input.since) parts.push(`since=${input.since.toISOString()}`);
  if (input.until) parts.push(`until=${input.until.toISOString()}`);
  if (input.page !== undefined && input.page !== 1) parts.push(`page=${input.page}`);
  return parts.length > 0 ? parts.join(' ') : 'no filters';
}

function fieldOf(message: string): Record<string, string> {
  const [field, ...rest] = message.split(': ');
  return rest.length > 0 && field ? { [field]: rest.join(': ') } : {};
}
