import { evaluateLine } from '../../domain/rules/evaluateLine.js';
import type { ParsedLine, ShellFunction } from '../../domain/shell/simpleCommand.js';
import type { ServiceDeps } from '../serviceDeps.js';
import type { LiveSession } from './liveSession.js';

/**
 * The texts the device's shell may run for an allowed line: the line's own (predicted
 * `$BASH_COMMAND` texts), plus the bodies of functions defined on earlier allowed lines that
 * the current rules still allow (a function's body runs when it is called, on a later line).
 */
export async function runtimeAllowList(deps: ServiceDeps, live: LiveSession, parsed: ParsedLine): Promise<string[]> {
  const texts = new Set(parsed.runtimeTexts);
  if (live.functions.size > 0) {
    const snapshot = await deps.policies.current();
    const rules = snapshot.rules.forContext({ user: live.scope.session.user, group: live.scope.group, device: live.scope.session.device });
    for (const fn of live.functions.values()) {
      const evaluation = evaluateLine(rules, asLine(fn), { opaque: snapshot.policy.settings.opaque });
      if (evaluation.verdict === 'allow') for (const text of fn.runtimeTexts) texts.add(text);
    }
  }
  return [...texts];
}

/** An allowed line's function definitions are kept for the lines that call them. */
export function rememberFunctions(live: LiveSession, parsed: ParsedLine): void {
  for (const fn of parsed.functions) live.functions.set(fn.name, fn);
}

function asLine(fn: ShellFunction): ParsedLine {
  return { line: fn.name, commands: fn.commands, opaque: fn.commands.some((c) => c.opaque), runtimeTexts: fn.runtimeTexts, functions: [] };
}
