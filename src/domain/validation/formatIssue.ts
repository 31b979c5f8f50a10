import type { z } from 'zod';

/** `rules[2].action` from `['rules', 2, 'action']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** What was wrong, in the words an admin editing a YAML file needs. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_value':
      return `expected ${issue.values.map(String).join('|')}, got ${show(input)}`;
    case 'invalid_type':
      return input === undefined ? `is required (${issue.expected})` : `expected ${issue.expected}, got ${show(input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_format':
      return `${issue.message.replace(/^Invalid string: /, '')}, got ${show(input)}`;
    case 'too_small':
    case 'too_big':
      return `${issue.message.replace(/^Too (small|big): /, '')}, got ${show(input)}`;
    case 'invalid_union': {
      // zod only says "Invalid input": name what is wrong in the form the value comes closest to.
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]?.[0];
      if (!closest) return `matches none of the allowed forms, got ${show(input)}`;
      const where = formatPath(closest.path);
      return `${where === '' ? '' : `${where}: `}${describeIssue(closest)}`;
    }
    default:
      return issue.message;
  }
}

export interface ValidationProblem {
  /** `rules[2].action`, or '' for the whole document. */
  readonly path: string;
  readonly message: string;
  readonly line?: number | undefined;
}

export function problemsFromZod(error: z.ZodError): ValidationProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: describeIssue(issue) }));
}

/** `policy.yml: rules[2].action: expected allow|block|interrupt|force|review, got "deny" (line 14)` */
export function formatProblem(source: string, problem: ValidationProblem): string {
  const where = problem.path === '' ? '' : `${problem.path}: `;
  const line = problem.line === undefined ? '' : ` (line ${problem.line})`;
  return `${source}: ${where}${problem.message}${line}`;
}
