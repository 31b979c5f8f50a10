import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { evaluateLine } from '../domain/rules/evaluateLine.js';
import { RuleSet } from '../domain/rules/ruleSet.js';
import type { ShellParser } from '../domain/shell/shellParser.js';
import { checkPolicy } from '../services/policy/policyImport.js';
import { readLines } from './readLines.js';

export interface RulesTestOptions {
  readonly policy: string;
  readonly user?: string | undefined;
  readonly group?: string | undefined;
  readonly device?: string | undefined;
  readonly json?: boolean | undefined;
}

/**
 * `changeguard rules test`: one verdict per input line, as the proxy would judge it for that
 * user, group and device. Needs only the policy file, no store.
 */
export async function runRulesTest(
  parser: ShellParser,
  options: RulesTestOptions,
  io: { stdin: Readable; stdout: Writable },
): Promise<void> {
  const text = await readFile(options.policy);
  const policy = checkPolicy(text, basename(options.policy));
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
