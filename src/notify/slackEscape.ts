/**
 * Slack reads `&`, `<` and `>` as control characters in message text: `<!channel>` pings a
 * whole channel, `<https://evil|click>` disguises a link, `<@U123>` mentions someone. Every
 * user-supplied value is escaped before it reaches a message, whoever builds the blocks.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * For templates that produce JSON: the value escaped for Slack, then for the inside of a
 * JSON string literal, so a title like `"}]` cannot end the string it is placed in.
 */
export function escapeForJsonTemplate(text: string): string {
  return JSON.stringify(escapeMrkdwn(text)).slice(1, -1);
}

/**
 * A view model with every string escaped (deeply), so templates can only ever place escaped
 * values. Dates become ISO strings; numbers and booleans pass as they are.
 */
export function escapeViewModel(value: unknown): unknown {
  if (typeof value === 'string') return escapeForJsonTemplate(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(escapeViewModel);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = escapeViewModel(item);
    return out;
  }
  return value;
}

/**
 * Slack text as a person reads it outside Slack (web page, log): dates and links shown by
 * their labels, entities decoded. Only changeguard's own helpers produce `<...>` sequences,
 * since every user value was escaped.
 */
export function slackTextToPlain(text: string): string {
  return text
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<(https?:\/\/[^|>]+)\|([^>]*)>/g, '$2 ($1)')
    .replace(/<(https?:\/\/[^|>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
