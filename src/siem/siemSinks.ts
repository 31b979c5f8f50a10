import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ConfigError, type Config } from '../config.js';
import type { SiemSink } from '../services/siem/siemSink.js';
import { SyslogSink } from './syslogSink.js';
import { WebhookSink } from './webhookSink.js';

/** The sinks the environment configures (SIEM_SYSLOG_URL, SIEM_WEBHOOK_URL), CA files read now so a bad path stops start-up. */
export function siemSinksFrom(config: Config['siem']): SiemSink[] {
  const sinks: SiemSink[] = [];
  if (config.syslog) {
    const { transport, host, port, caFile, facility } = config.syslog;
    sinks.push(
      new SyslogSink({
        host,
        port,
        tls: transport === 'tls' ? { ca: caFile === undefined ? undefined : readCa('SIEM_SYSLOG_CA_FILE', caFile) } : undefined,
        header: { facility, hostname: hostname(), appName: 'changeguard', procId: String(process.pid) },
      }),
    );
  }
  if (config.webhook) {
    const { url, secret, caFile } = config.webhook;
    sinks.push(new WebhookSink({ url, secret, ca: caFile === undefined ? undefined : readCa('SIEM_WEBHOOK_CA_FILE', caFile) }));
  }
  return sinks;
}

function readCa(variable: string, file: string): Buffer {
  try {
    const pem = readFileSync(file);
    if (!pem.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (error) {
    throw new ConfigError(`${variable}: cannot use ${file}: ${(error as Error).message}`);
  }
}
