import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { SiemEvent } from '../domain/siem/siemEvent.js';
import { octetCountedFrame, syslogMessage, type SyslogHeader } from '../domain/siem/syslogMessage.js';
import type { SiemSink } from '../services/siem/siemSink.js';

export interface SyslogSinkOptions {
  readonly host: string;
  readonly port: number;
  /** RFC 5425: syslog over TLS, the server's certificate checked against `ca` (else the system's CAs). */
  readonly tls?: { readonly ca?: Buffer | undefined } | undefined;
  readonly header: SyslogHeader;
  readonly timeoutMs?: number | undefined;
}

/**
 * RFC 5424 messages over TCP (RFC 6587) or TLS (RFC 5425), octet-counted, one connection per
 * batch. Syslog has no acknowledgement, so a batch counts as delivered only when the receiver
 * closed the connection after our end of it: it then read every byte we wrote. A receiver
 * that died or reset the connection fails the batch, which is sent again (its events keep
 * their ids). No library: the framing is a few lines, and the syslog clients on npm either
 * send UDP only or hide whether a write reached the peer.
 */
export class SyslogSink implements SiemSink {
  readonly name: string;

  constructor(private readonly options: SyslogSinkOptions) {
    this.name = 'syslog';
  }

  send(events: readonly SiemEvent[]): Promise<void> {
    const { host, port, tls } = this.options;
    const payload = events.map((event) => octetCountedFrame(syslogMessage(event, this.options.header))).join('');
    const where = `${tls ? 'tls' : 'tcp'}://${host}:${port}`;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error) reject(new Error(`syslog ${where}: ${error.message}`));
        else resolve();
      };
      const socket: Socket = tls
        ? connectTls({ host, port, ca: tls.ca, servername: isIp(host) ? undefined : host }, () => write())
        : connectTcp({ host, port }, () => write());
      const write = () => {
        socket.end(payload, 'utf8');
      };
      const timer = setTimeout(() => finish(new Error(`no answer within ${this.options.timeoutMs ?? 10_000} ms`)), this.options.timeoutMs ?? 10_000);
      socket.on('error', (error) => finish(error));
      // The receiver closes once it has read our end: everything before it arrived.
      socket.on('end', () => finish());
      socket.on('close', (hadError) => finish(hadError ? new Error('connection closed with an error') : undefined));
      socket.resume();
    });
  }

  async close(): Promise<void> {
    // One connection per batch: nothing stays open.
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
