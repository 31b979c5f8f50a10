/**
 * A refusal that belongs to HTTP itself rather than to a use case (bad query string, too many
 * requests, wrong host): rendered as an error page with this status and message.
 */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpRefusal';
  }
}
