/**
 * A browser-like HTTP client for the portal: keeps cookies, follows nothing by itself (tests
 * look at redirects), and finds the CSRF token in the forms of the last page it read.
 */
export class WebClient {
  private readonly cookies = new Map<string, string>();
  lastHtml = '';
  /** Sent with every request, e.g. the X-Forwarded-For a load balancer adds. */
  extraHeaders: Record<string, string> = {};

  constructor(readonly baseUrl: string) {}

  async get(path: string): Promise<Response> {
    return this.request('GET', path);
  }

  /** Posts a form; `_csrf` is taken from the last page read unless the form sets it (or sets it to null). */
  async post(path: string, form: Record<string, string | null> = {}): Promise<Response> {
    const body = new URLSearchParams();
    const withToken = { _csrf: this.csrfToken(), ...form };
    for (const [key, value] of Object.entries(withToken)) if (value !== null && value !== undefined) body.set(key, value);
    return this.request('POST', path, body);
  }

  /** GET and read the body (and remember it for the CSRF token). */
  async page(path: string): Promise<{ status: number; html: string; response: Response }> {
    const response = await this.get(path);
    const html = await response.text();
    this.lastHtml = html;
    return { status: response.status, html, response };
  }

  async signInLocally(user: string): Promise<void> {
    await this.page('/signin');
    const response = await this.post('/signin/local', { user });
    if (response.status !== 303) throw new Error(`local sign-in as ${user} failed: ${response.status} ${await response.text()}`);
  }

  csrfToken(): string | undefined {
    return /name="_csrf" value="([^"]+)"/.exec(this.lastHtml)?.[1];
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  dropCookie(name: string): void {
    this.cookies.delete(name);
  }

  private async request(method: string, path: string, body?: URLSearchParams): Promise<Response> {
    const headers: Record<string, string> = { ...this.extraHeaders };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}
