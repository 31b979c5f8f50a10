import { Schema, type Connection, type Model } from 'mongoose';
import { Readable } from 'node:stream';
import { assertRecordingId, positionNumber, type RecordingPiece, type RecordingPosition, type RecordingStore, type RecordingWriter } from '../recordingStore.js';
import { DuplicateKeyError } from '../storeErrors.js';
import { eq, isDuplicateKey } from './mongoDocument.js';

/** One flush of one session's recording; `seq` 0 is written at creation and claims the session. */
export interface RecordingChunkDoc {
  readonly sessionId: string;
  readonly seq: number;
  readonly data: string;
  readonly at: Date;
}

/** Well under MongoDB's 16 MiB document limit, counting UTF-16 code units as up to 3 bytes. */
const MAX_CHUNK_CHARS = 4 * 1024 * 1024;
/** Chunks a follower reads at a time: one flush each, a second of a session or a 1 MiB burst. */
const READ_CHUNKS = 16;

/**
 * Recordings as ordered chunk documents, one per flush. GridFS would be the obvious choice,
 * but its files document is written only when an upload finishes: a process that dies
 * mid-session would leave no readable recording at all. Chunk documents are readable as
 * soon as each insert returns, so a crash loses at most the last flush.
 */
export class MongoRecordingStore implements RecordingStore {
  private constructor(private readonly chunks: Model<RecordingChunkDoc>) {}

  static async open(connection: Connection): Promise<MongoRecordingStore> {
    const schema = new Schema<RecordingChunkDoc>(
      {
        sessionId: { type: String, required: true },
        seq: { type: Number, required: true },
        data: { type: String, required: true },
        at: { type: Date, required: true },
      },
      { strict: false, strictQuery: false, versionKey: false, minimize: false, id: false, autoIndex: false },
    );
    schema.index({ sessionId: 1, seq: 1 }, { unique: true });
    const model =
      (connection.models.RecordingChunk as Model<RecordingChunkDoc> | undefined) ??
      connection.model<RecordingChunkDoc>('RecordingChunk', schema, 'recording_chunks');
    await model.createCollection().catch((error: unknown) => {
      // 48 NamespaceExists: another process (or an earlier start) created it first.
      if ((error as { code?: unknown }).code !== 48) throw error;
    });
    await model.createIndexes();
    return new MongoRecordingStore(model);
  }

  async create(sessionId: string): Promise<RecordingWriter> {
    assertRecordingId(sessionId);
    try {
      // The unique (sessionId, seq) index makes this insert the claim: a second writer fails.
      await this.chunks.collection.insertOne({ sessionId, seq: 0, data: '', at: new Date() });
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError('recording', sessionId);
      throw error;
    }
    return new MongoRecordingWriter(`mongo:recording_chunks/${sessionId}`, sessionId, this.chunks);
  }

  async open(sessionId: string): Promise<Readable | null> {
    assertRecordingId(sessionId);
    const first = await this.chunks.findOne({ sessionId: eq(sessionId) }).select({ seq: 1 }).lean<{ seq: number }>();
    if (!first) return null;
    const cursor = this.chunks.find({ sessionId: eq(sessionId) }).sort({ seq: 1 }).lean<RecordingChunkDoc[]>().cursor();
    async function* texts(): AsyncGenerator<string> {
      for await (const doc of cursor as AsyncIterable<RecordingChunkDoc>) {
        if (doc.data.length > 0) yield doc.data;
      }
    }
    return Readable.from(texts(), { objectMode: false });
  }

  async readAfter(sessionId: string, position: RecordingPosition | undefined): Promise<RecordingPiece | null> {
    assertRecordingId(sessionId);
    const after = positionNumber(position);
    // Chunk 0 is the claim written at creation: a recording that exists has it.
    const docs = await this.chunks
      .find({ sessionId: eq(sessionId), seq: { $gte: after } })
      .sort({ seq: 1 })
      .limit(READ_CHUNKS + 1)
      .lean<RecordingChunkDoc[]>();
    const newer = docs.filter((doc) => doc.seq > after);
    if (newer.length === 0 && docs.length === 0) {
      return (await this.chunks.exists({ sessionId: eq(sessionId) })) ? { text: '', next: String(after) } : null;
    }
    const taken = newer.slice(0, READ_CHUNKS);
    return { text: taken.map((doc) => doc.data).join(''), next: String(taken.at(-1)?.seq ?? after) };
  }
}

class MongoRecordingWriter implements RecordingWriter {
  private seq = 0;
  private last: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly ref: string,
    private readonly sessionId: string,
    private readonly chunks: Model<RecordingChunkDoc>,
  ) {}

  append(data: string | Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the recording is closed'));
    // Stored as BSON strings: the bytes are UTF-8, decoded once here.
    const text = typeof data === 'string' ? data : data.toString('utf8');
    const next = this.last.then(async () => {
      for (let start = 0; start < text.length; ) {
        let end = Math.min(text.length, start + MAX_CHUNK_CHARS);
        // Never split a surrogate pair: half of one is not valid UTF-8 in BSON.
        if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
        const data = text.slice(start, end);
        start = end;
        await this.chunks.collection.insertOne({ sessionId: this.sessionId, seq: ++this.seq, data, at: new Date() });
      }
    });
    this.last = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.last;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
