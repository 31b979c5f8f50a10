/**
 * `__Host-` cookies: Secure, path `/`, no Domain, so neither a sibling subdomain nor plain
 * HTTP can plant or read them. Browsers accept Secure cookies from loopback over HTTP, so
 * local mode works too; anything else must be served over HTTPS.
 */
export const COOKIE = {
  session: '__Host-changeguard.session',
  signInState: '__Host-changeguard.signin',
  browser: '__Host-changeguard.browser',
  csrf: '__Host-changeguard.csrf',
} as const;

export const BASE_COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' } as const;
