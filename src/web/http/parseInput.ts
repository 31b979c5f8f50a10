import type { z } from 'zod';
import { describeIssue, formatPath } from '../../domain/validation/formatIssue.js';
import { HttpRefusal } from './httpRefusal.js';

const WHERE = { query: 'query parameter', form: 'form field', path: 'address part' } as const;

/**
 * Validates request input against a strict schema. Anything unexpected is refused with a 400
 * naming the parameter: `?status[$ne]=x` is an unknown parameter, `?status=a&status=b` is a
 * list where one value is expected, so no operator or array ever reaches a store query.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: keyof typeof WHERE): z.output<S> {
  const parsed = schema.safeParse(value ?? {}, { reportInput: true });
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown ${WHERE[where]}${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    }
    return `${WHERE[where]} ${formatPath(issue.path) || '(all)'}: ${describeIssue(issue)}`;
  });
  throw new HttpRefusal(400, [...new Set(lines)].join('; '));
}
