import { timingSafeEqual } from 'node:crypto';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { generate } from 'selfsigned';
import { webhookSignature } from '../../src/siem/webhookSink.js';

/**
 * Real SIEM receivers on 127.0.0.1 for the stream's tests: a syslog listener over TCP or TLS
 * that splits octet-counted RFC 5424 frames, and an HTTPS webhook that checks each request's
 * HMAC. Certificates are made here, self-signed, for 127.0.0.1.
 */

export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
}

export async function selfSignedCertificate(): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    notAfterDate: new Date(Date.now() + 24 * 3600_000),
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return { key: pems.private, cert: pems.cert };
}

/** One RFC 5424 message as received, split into its parts; `json` is MSG parsed. */
export interface SyslogMessage {
  readonly raw: string;
  readonly pri: number;
  readonly version: string;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly structuredData: string;
  readonly json: Record<string, unknown> & { id: string; pos: number; kind: string };
}

const RFC5424 = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+) (.*)$/s;

export interface SyslogReceiver {
  readonly port: number;
  readonly messages: SyslogMessage[];
  /** Frames that were not RFC 5424 (should stay empty). */
  readonly malformed: string[];
  /** Connections accepted (the sink opens one per batch). */
  connections: number;
  close(): Promise<void>;
}

export async function startSyslogReceiver(options: { tls?: TestCertificate; port?: number } = {}): Promise<SyslogReceiver> {
  const messages: SyslogMessage[] = [];
  const malformed: string[] = [];
  const sockets = new Set<Socket>();
  const receiver = { port: 0, messages, malformed, connections: 0, close: async () => {} } as SyslogReceiver;
  const onConnection = (socket: Socket) => {
    receiver.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const space = buffer.indexOf(0x20);
        if (space < 0) return;
        const length = Number(buffer.subarray(0, space).toString('ascii'));
        if (!Number.isInteger(length) || length <= 0) {
          malformed.push(buffer.toString('utf8'));
          buffer = Buffer.alloc(0);
          return;
        }
        if (buffer.length < space + 1 + length) return;
        const raw = buffer.subarray(space + 1, space + 1 + length).toString('utf8');
        buffer = buffer.subarray(space + 1 + length);
        const match = RFC5424.exec(raw);
        if (!match) {
          malformed.push(raw);
          continue;
        }
        messages.push({
          raw,
          pri: Number(match[1]),
          version: match[2]!,
          timestamp: match[3]!,
          hostname: match[4]!,
          appName: match[5]!,
          procId: match[6]!,
          msgId: match[7]!,
          structuredData: match[8]!,
          json: JSON.parse(match[9]!) as SyslogMessage['json'],
        });
      }
    });
    // The client ends its side after a batch; closing ours tells it everything was read.
    socket.on('end', () => socket.end());
    socket.on('error', () => socket.destroy());
  };
  const server: TcpServer = options.tls
    ? createTlsServer({ key: options.tls.key, cert: options.tls.cert, allowHalfOpen: true }, onConnection)
    : createTcpServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  (receiver as { port: number }).port = (server.address() as { port: number }).port;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return receiver;
}

export interface WebhookRequest {
  readonly lines: (Record<string, unknown> & { id: string; pos: number; kind: string })[];
  readonly signatureValid: boolean;
  readonly contentType: string | undefined;
}

export interface WebhookReceiver {
  readonly port: number;
  readonly url: string;
  readonly requests: WebhookRequest[];
  /** Answers this many next requests with 503 (a receiver having trouble). */
  failNext: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { tls: TestCertificate; secret: string; port?: number }): Promise<WebhookReceiver> {
  const requests: WebhookRequest[] = [];
  const receiver = { port: 0, url: '', requests, failNext: 0, close: async () => {} } as WebhookReceiver;
  const server: HttpsServer = createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (receiver.failNext > 0) {
        receiver.failNext--;
        res.writeHead(503).end();
        return;
      }
      const body = Buffer.concat(chunks);
      const timestamp = String(req.headers['x-changeguard-timestamp'] ?? '');
      const given = Buffer.from(String(req.headers['x-changeguard-signature'] ?? ''));
      const expected = Buffer.from(webhookSignature(options.secret, timestamp, body));
      const signatureValid = given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
      const text = body.toString('utf8');
      const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as WebhookRequest['lines'][number]) : [];
      requests.push({ lines, signatureValid, contentType: req.headers['content-type'] });
      res.writeHead(signatureValid ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  (receiver as { port: number }).port = (server.address() as { port: number }).port;
  (receiver as { url: string }).url = `https://127.0.0.1:${receiver.port}/siem`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
