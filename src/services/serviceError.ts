export type ServiceErrorKind = 'not_found' | 'forbidden' | 'conflict' | 'invalid' | 'unavailable';

/**
 * A refusal the user can act on. Adapters map `kind` to their medium (ephemeral Slack
 * message, HTTP status, CLI exit code) and show `message` as is.
 */
export class ServiceError extends Error {
  /** Set once the refusal is in the audit trail (status D), so no wrapper records it twice. */
  audited = false;

  constructor(
    readonly kind: ServiceErrorKind,
    message: string,
    /** Per-field messages for forms (Slack modal blocks, web forms). */
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** A form refused field by field: the message lists every field's problem, `fields` maps each. */
export function invalidFields(fields: Readonly<Record<string, string>>): ServiceError {
  const message = Object.entries(fields)
    .map(([field, problem]) => `${field}: ${problem}`)
    .join('; ');
  return new ServiceError('invalid', message, fields);
}
