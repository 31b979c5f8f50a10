import safeRegex from 'safe-regex2';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { problemsFromZod, type ValidationProblem } from '../validation/formatIssue.js';
import { RuleSet } from '../rules/ruleSet.js';
import { freezePeriod } from '../change/freezes.js';
import type { Policy, PolicyDocument, PolicyFreeze, PolicyRule, PolicyUser } from './policy.js';
import { policyDocumentSchema } from './policySchema.js';

export type PolicyParseResult =
  | {
      readonly ok: true;
      readonly document: PolicyDocument;
      /** Adds the source line to problems found later (cross-references). */
      readonly locate: (problems: readonly ValidationProblem[]) => ValidationProblem[];
    }
  | { readonly ok: false; readonly problems: readonly ValidationProblem[] };

/** Far above any real policy (thousands of users with keys), far below what would stall a start-up. */
export const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Parses and validates a policy YAML file. Pure: the caller reads the file, and passes its
 * bytes (checked to be UTF-8, so a mis-encoded name is refused rather than silently turned
 * into replacement characters) or text.
 */
export function parsePolicy(input: string | Uint8Array): PolicyParseResult {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > MAX_POLICY_BYTES) {
    return { ok: false, problems: [{ path: '', message: `the file is ${size} bytes; a policy may be at most ${MAX_POLICY_BYTES} bytes (1 MiB)` }] };
  }
  const decoded = typeof input === 'string' ? { ok: true as const, text: input } : decodeUtf8(input);
  if (!decoded.ok) return { ok: false, problems: [decoded.problem] };
  const text = decoded.text;
  const lineCounter = new LineCounter();
  const yaml = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (yaml.errors.length > 0) {
    // A document nested too deep overflows the parser's stack wherever the stack runs out,
    // which depends on how deep the caller already is: one such error says all there is.
    const overflow = yaml.errors.find((error) => error.message.startsWith('Maximum call stack size exceeded'));
    return {
      ok: false,
      problems: (overflow ? [overflow] : yaml.errors).map((error) => ({
        path: '',
        message: `not valid YAML: ${describeYamlError(error.message.split('\n')[0] ?? '')}`,
        line: error.linePos?.[0].line,
      })),
    };
  }
  let raw: unknown;
  try {
    // A bounded alias count stops "billion laughs" documents from exhausting memory.
    raw = yaml.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      problems: [
        {
          path: '',
          message: /alias/i.test(message)
            ? 'not valid YAML: too many alias references (*name) expand to one another; a policy may not repeat content this way'
            : `not valid YAML: ${message}`,
        },
      ],
    };
  }
  const parsed = policyDocumentSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, problems: withLines(problemsFromZod(parsed.error), parsed.error.issues.map((i) => i.path), yaml, lineCounter) };
  }
  const value = parsed.data;
  const document: PolicyDocument = {
    ...(value.users && {
      users: value.users.map((u): PolicyUser => ({ ...u, name: u.name ?? u.id })),
    }),
    ...(value.groups && { groups: value.groups }),
    ...(value.devices && { devices: value.devices }),
    ...(value.rules && { rules: value.rules as PolicyRule[] }),
    ...(value.freezes && { freezes: value.freezes as PolicyFreeze[] }),
    ...(value.channels && { channels: value.channels }),
    ...(value.settings && { settings: value.settings }),
  };
  const problems = [...duplicateIds(document), ...invalidPatterns(document), ...emptyFreezes(document)];
  if (problems.length > 0) return { ok: false, problems: withLines(problems, problems.map((p) => pathParts(p.path)), yaml, lineCounter) };
  return { ok: true, document, locate: (found) => withLines([...found], found.map((p) => pathParts(p.path)), yaml, lineCounter) };
}

function decodeUtf8(bytes: Uint8Array): { ok: true; text: string } | { ok: false; problem: ValidationProblem } {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // Find the first bad byte to say where it is: decode growing prefixes of whole lines.
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, i));
      } catch {
        break;
      }
      line++;
      start = i + 1;
    }
    return { ok: false, problem: { path: '', message: 'not valid UTF-8 text (save the file as UTF-8)', line } };
  }
}

/** The YAML library's words for a document nested so deep that parsing it overflows the stack. */
function describeYamlError(message: string): string {
  const text = message.replace(/:\s*$/, '');
  return text.startsWith('Maximum call stack size exceeded') ? `nested too deeply${text.replace('Maximum call stack size exceeded', '')}` : text;
}

function duplicateIds(document: PolicyDocument): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  for (const section of ['users', 'groups', 'devices', 'rules', 'freezes'] as const) {
    const seen = new Map<string, number>();
    document[section]?.forEach((item, index) => {
      const first = seen.get(item.id);
      if (first !== undefined) {
        problems.push({ path: `${section}[${index}].id`, message: `duplicate id "${item.id}" (first at ${section}[${first}])` });
      } else seen.set(item.id, index);
    });
  }
  return problems;
}

function invalidPatterns(document: PolicyDocument): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  document.rules?.forEach((rule, index) => {
    try {
      RuleSet.compile([rule]);
    } catch (error) {
      problems.push({
        path: `rules[${index}].pattern`,
        message: `not a valid regular expression: ${(error as Error).message.replace(/^rule [^:]+: invalid pattern: /, '')}`,
      });
      return;
    }
    // Patterns run on every command users type: one with nested repetition could be made to
    // backtrack for minutes by a crafted command line and stall the proxy.
    if (rule.pattern !== undefined && !safeRegex(rule.pattern)) {
      problems.push({
        path: `rules[${index}].pattern`,
        message: 'may take exponential time on some command lines (nested repetition such as (a+)+); rewrite it without nested quantifiers',
      });
    }
  });
  return problems;
}

/** A freeze must end after it starts (in its own zone; the policy's zone when it names none). */
function emptyFreezes(document: PolicyDocument): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  document.freezes?.forEach((freeze, index) => {
    const period = freezePeriod(freeze, document.settings?.timezone ?? 'UTC');
    if (period && period.end.getTime() <= period.start.getTime()) {
      problems.push({ path: `freezes[${index}].to`, message: `must be after from (${freeze.from}): the freeze would cover no time` });
    }
  });
  return problems;
}

/**
 * Cross-references over the policy as it will be after import (sections the document omits
 * keep their stored values): every id a group or rule names must exist.
 */
export function checkReferences(policy: Policy, document: PolicyDocument): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const users = new Set(policy.users.map((u) => u.id));
  const groups = new Set(policy.groups.map((g) => g.id));
  const devices = new Set(policy.devices.map((d) => d.id));
  const sectionOf = <K extends 'groups' | 'rules' | 'freezes'>(key: K) => (document[key] ? key : `${key} (stored)`);

  policy.groups.forEach((group, index) => {
    const at = `${sectionOf('groups')}[${index}]`;
    const need = (kind: string, known: Set<string>, ids: readonly string[], field: string) =>
      ids.forEach((ref, i) => {
        if (!known.has(ref)) problems.push({ path: `${at}.${field}[${i}]`, message: `unknown ${kind} "${ref}"` });
      });
    need('user', users, group.members, 'members');
    need('user', users, group.approvers, 'approvers');
    need('device', devices, group.devices, 'devices');
    if (group.approvals > group.approvers.length) {
      problems.push({
        path: `${at}.approvals`,
        message: `needs ${group.approvals} approvals but only ${group.approvers.length} approver(s) are listed`,
      });
    }
  });
  policy.rules.forEach((rule, index) => {
    const at = `${sectionOf('rules')}[${index}].scope`;
    const need = (kind: string, known: Set<string>, ids: readonly string[] | undefined, field: string) =>
      ids?.forEach((ref, i) => {
        if (!known.has(ref)) problems.push({ path: `${at}.${field}[${i}]`, message: `unknown ${kind} "${ref}"` });
      });
    need('group', groups, rule.scope?.groups, 'groups');
    need('device', devices, rule.scope?.devices, 'devices');
    need('user', users, rule.scope?.users, 'users');
  });
  policy.freezes.forEach((freeze, index) => {
    const at = `${sectionOf('freezes')}[${index}]`;
    freeze.devices?.forEach((ref, i) => {
      if (!devices.has(ref)) problems.push({ path: `${at}.devices[${i}]`, message: `unknown device "${ref}"` });
    });
    freeze.groups?.forEach((ref, i) => {
      if (!groups.has(ref)) problems.push({ path: `${at}.groups[${i}]`, message: `unknown group "${ref}"` });
    });
  });
  return problems;
}

function pathParts(path: string): (string | number)[] {
  return path
    .split(/\.|\[|\]/)
    .filter((p) => p !== '')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function withLines(
  problems: ValidationProblem[],
  paths: readonly (readonly PropertyKey[])[],
  yaml: Document,
  lineCounter: LineCounter,
): ValidationProblem[] {
  return problems.map((problem, index) => {
    const path = (paths[index] ?? []).map((p) => (typeof p === 'symbol' ? String(p) : p));
    // The node itself, or its nearest existing parent when the key is missing.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = yaml.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) {
        return { ...problem, line: lineCounter.linePos(node.range[0]).line };
      }
    }
    return problem;
  });
}
