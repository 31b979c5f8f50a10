import { join } from 'node:path';
import { FileRecordingStore } from './files/fileRecordingStore.js';
import type { RecordingStore } from './recordingStore.js';
import type { Store } from './store.js';

/** Recordings live beside the store: chunk documents in MongoDB, files under the data dir otherwise. */
export async function openRecordingStore(store: Store, dataDir: string): Promise<RecordingStore> {
  if (store.kind === 'mongo') {
    const [{ MongoStore }, { MongoRecordingStore }] = await Promise.all([import('./mongo/mongoStore.js'), import('./mongo/mongoRecordingStore.js')]);
    if (!(store instanceof MongoStore)) throw new Error('a mongo store that is not a MongoStore');
    return MongoRecordingStore.open(store.connection);
  }
  return new FileRecordingStore(join(dataDir, 'recordings'));
}
