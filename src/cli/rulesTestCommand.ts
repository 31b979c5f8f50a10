import type { Readable, Writable } from 'node:stream';
import type { Policy } from '../domain/policy/policy.js';
import { evaluateLine } from '../domain/rules/evaluateLine.js';
import { RuleSet } from '../domain/rules/ruleSet.js';
import type { ShellParser } from '../domain/shell/shellParser.js';
import { readLines } from './readLines.js';

export interface RulesTestOptions {
  readonly user?: string | undefined;
  readonly group?: string | undefined;
  readonly device?: string | undefined;
  readonly json?: boolean | undefined;
}

/**
 * `changeguard rules test`: one verdict per input line, as the proxy would judge it for that
 * user, group and device, under a policy file (`--policy`) or the policy the store holds
 * (`--stored`, what the proxy uses).
 */
export async function runRulesTest(
  parser: ShellParser,
  policy: Pick<Policy, 'rules' | 'settings'>,
  options: RulesTestOptions,
  io: { stdin: Readable; stdout: Writable },
): Promise<void> {
  const rules = RuleSet.compile(policy.rules).forContext({ user: options.user, group: options.group, device: options.device });
  for await (const line of readLines(io.stdin)) {
    const parsed = parser.parse(line);
    const evaluation = evaluateLine(rules, parsed, { opaque: policy.settings.opaque });
    const commands = parsed.commands.map((c) => c.text);
    if (options.json) {
      io.stdout.write(
        `${JSON.stringify({ command: line, action: evaluation.verdict, rules: evaluation.ruleIds, risk: evaluation.risk, commands })}\n`,
      );
    } else {
      const why = [evaluation.ruleIds.join(', '), evaluation.risk ? `risk ${evaluation.risk}` : ''].filter(Boolean).join('; ');
      io.stdout.write(`${evaluation.verdict.padEnd(9)} ${line}${why ? `  (${why})` : ''}\n`);
    }
  }
}
