/**
 * The web portal's addresses that messages link to, in one place so the web side and the
 * messages agree. Codes and ids are URL-encoded: they are ours, but never trusted blindly.
 */
export class WebLinks {
  constructor(private readonly publicUrl: string) {}

  change(code: string): string {
    return `${this.publicUrl}/changes/${encodeURIComponent(code)}`;
  }

  /** The web form for filing a change (scripts longer than a Slack form takes). */
  newChange(): string {
    return `${this.publicUrl}/changes/new`;
  }

  changeAudit(code: string): string {
    return `${this.publicUrl}/changes/${encodeURIComponent(code)}/audit`;
  }

  session(id: string): string {
    return `${this.publicUrl}/sessions/${encodeURIComponent(id)}`;
  }

  /** Command search with these filters (`q`, `user`, `verdict`...). */
  commandSearch(filters: Readonly<Record<string, string | undefined>> = {}): string {
    const query = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')).toString();
    return `${this.publicUrl}/commands${query ? `?${query}` : ''}`;
  }

  outbox(): string {
    return `${this.publicUrl}/outbox`;
  }
}
