import type { SiemEvent } from '../../domain/siem/siemEvent.js';

/**
 * Where the SIEM stream goes (syslog over TCP or TLS, an HTTPS webhook): the adapters in
 * src/siem/. `send` resolves only once the whole batch was handed over as far as the transport
 * can tell, and rejects otherwise; the batch is then sent again, whole (at-least-once).
 */
export interface SiemSink {
  /** Unique among the sinks: the name of its cursor in the store (`syslog`, `webhook`). */
  readonly name: string;
  send(events: readonly SiemEvent[]): Promise<void>;
  close(): Promise<void>;
}
