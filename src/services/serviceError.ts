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
