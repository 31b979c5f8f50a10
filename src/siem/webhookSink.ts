import { createHmac } from 'node:crypto';
import { request } from 'node:https';
import { siemJsonLine, type SiemEvent } from '../domain/siem/siemEvent.js';
import type { SiemSink } from '../services/siem/siemSink.js';

export interface WebhookSinkOptions {
  /** https:// only: the stream carries the audit trail. */
  readonly url: URL;
  /** HMAC-SHA256 key the receiver shares. */
  readonly secret: string;
  /** The receiver's CA, when not one the system trusts (a private CA). */
  readonly ca?: Buffer | undefined;
  readonly timeoutMs?: number | undefined;
}

export const SIGNATURE_HEADER = 'x-changeguard-signature';
export const TIMESTAMP_HEADER = 'x-changeguard-timestamp';

/**
 * What a receiver checks: `sha256=` and the hex HMAC-SHA256, keyed with the shared secret, of
 * the timestamp header, a dot and the raw body. The timestamp lets it refuse old replays.
 */
export function webhookSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * POSTs each batch as JSON lines (`application/x-ndjson`, one event per line) with an HMAC
 * signature; any 2xx answer delivers it, anything else (or no answer) sends it again later.
 * Node's own https client: it takes a private CA per request, which fetch does not.
 */
export class WebhookSink implements SiemSink {
  readonly name = 'webhook';

  constructor(private readonly options: WebhookSinkOptions) {}

  send(events: readonly SiemEvent[]): Promise<void> {
    const body = Buffer.from(events.map((event) => `${siemJsonLine(event)}\n`).join(''), 'utf8');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const { url } = this.options;
    return new Promise<void>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          ca: this.options.ca,
          timeout: this.options.timeoutMs ?? 10_000,
          headers: {
            'content-type': 'application/x-ndjson',
            'content-length': body.length,
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: webhookSignature(this.options.secret, timestamp, body),
            'user-agent': 'changeguard-siem',
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`webhook ${url.origin}${url.pathname} answered ${status}`));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`webhook ${url.origin}${url.pathname}: no answer within ${this.options.timeoutMs ?? 10_000} ms`)));
      req.on('error', (error) => reject(new Error(`webhook ${url.origin}${url.pathname}: ${error.message}`)));
      req.end(body);
    });
  }

  async close(): Promise<void> {}
}
