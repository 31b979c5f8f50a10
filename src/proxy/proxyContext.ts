import type { Logger } from '../logger.js';
import type { LiveSession } from '../services/sessions/liveSession.js';
import type { StoreOutageHandling } from '../services/sessions/judgeSessionLine.js';
import type { SessionAlerts } from '../services/sessions/sessionAlerts.js';
import type { ServiceDeps } from '../services/serviceDeps.js';
import type { RecordingStore } from '../store/recordingStore.js';
import type { ExecutorTimings } from './shellRelay.js';

/** A session this process relays: the watcher can cut it. */
export interface ActiveSession {
  readonly live: LiveSession;
  /** Ends the session from changeguard's side, telling the user why. */
  cut(reason: string): Promise<void>;
}

export interface ProxySettings {
  readonly storeOutage: StoreOutageHandling;
  readonly executor: ExecutorTimings;
  readonly upstreamReadyTimeoutMs: number;
  /** How long a command a review rule holds waits for an approver before it is denied. */
  readonly deviationTimeoutMs: number;
}

/** What every connection handler needs; built once by SshProxy. */
export interface ProxyContext {
  readonly deps: ServiceDeps;
  readonly alerts: SessionAlerts;
  readonly recordings: RecordingStore;
  readonly logger: Logger;
  /** This process, as sessions name their owner. */
  readonly owner: string;
  readonly settings: ProxySettings;
  readonly sessions: Map<string, ActiveSession>;
  /** Ends that could not be recorded (store unreachable), by session id: the watcher retries them. */
  readonly unsettledEnds: Map<string, () => Promise<unknown>>;
}
