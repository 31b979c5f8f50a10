import type { Config } from '../../config.js';

/**
 * What a proxy worker needs from the primary's configuration. Sent over the IPC channel
 * rather than the environment, so the store's credentials are not in another process's
 * environment (and a configuration built from an explicit env object reaches the workers).
 */
export interface ProxyWorkerSettings {
  readonly index: number;
  readonly mongodbUri: string | undefined;
  readonly sqliteFile: string;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly proxy: Config['proxy'];
}

export type PrimaryToWorker = { readonly type: 'proxy-settings'; readonly settings: ProxyWorkerSettings } | { readonly type: 'proxy-stop' };

export type WorkerToPrimary =
  | { readonly type: 'proxy-hello' }
  | { readonly type: 'proxy-ready'; readonly port: number } | { readonly type: 'proxy-failed'; readonly message: string };
