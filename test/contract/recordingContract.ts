import { describe, expect, it } from 'vitest';
import type { Readable } from 'node:stream';
import type { RecordingStore } from '../../src/store/recordingStore.js';
import { DuplicateKeyError } from '../../src/store/storeErrors.js';
import { openForEachTest } from './openForEachTest.js';

export interface OpenedRecordingStore {
  readonly recordings: RecordingStore;
  /** Another instance on the same storage (another process, in effect). */
  readonly openSecond: () => Promise<RecordingStore>;
  readonly cleanup: () => Promise<void>;
}

async function readAll(stream: Readable | null): Promise<string | null> {
  if (!stream) return null;
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
  return chunks.join('');
}

/** What every RecordingStore must do, whatever keeps the bytes. */
export function defineRecordingContract(name: string, open: () => Promise<OpenedRecordingStore>): void {
  describe(`recording store contract: ${name}`, () => {
    let opened: OpenedRecordingStore;
    openForEachTest(open, (o) => {
      opened = o;
    });

    it('keeps appends in order and serves them while the recording is still open', async () => {
      const writer = await opened.recordings.create('session-a');
      expect(writer.ref).toContain('session-a');
      await writer.append('{"version": 2}\n');
      await writer.append('[0.1, "o", "héllo ✓"]\n');
      // Another process (a crash, a replay page) sees what was appended, before close.
      const second = await opened.openSecond();
      expect(await readAll(await second.open('session-a'))).toBe('{"version": 2}\n[0.1, "o", "héllo ✓"]\n');
      await writer.append('[0.2, "i", "x"]\n');
      await writer.close();
      expect(await readAll(await opened.recordings.open('session-a'))).toBe('{"version": 2}\n[0.1, "o", "héllo ✓"]\n[0.2, "i", "x"]\n');
    });

    it('takes appends as UTF-8 bytes as well as text, and does not need the bytes once an append resolved', async () => {
      const writer = await opened.recordings.create('session-bytes');
      const bytes = Buffer.from('[0.1, "o", "héllo ✓ 𝄞"]\n', 'utf8');
      await writer.append(bytes);
      // The recorder reuses its buffer once the write completed.
      bytes.fill(0x3f);
      await writer.append('[0.2, "o", "text"]\n');
      await writer.close();
      expect(await readAll(await opened.recordings.open('session-bytes'))).toBe('[0.1, "o", "héllo ✓ 𝄞"]\n[0.2, "o", "text"]\n');
    });

    it('keeps sessions apart, refuses a second writer and answers null for an unknown session', async () => {
      const a = await opened.recordings.create('session-a');
      const b = await opened.recordings.create('session-b');
      await Promise.all([a.append('a1\n'), b.append('b1\n'), a.append('a2\n')]);
      await Promise.all([a.close(), b.close()]);
      expect(await readAll(await opened.recordings.open('session-a'))).toBe('a1\na2\n');
      expect(await readAll(await opened.recordings.open('session-b'))).toBe('b1\n');
      await expect(opened.recordings.create('session-a')).rejects.toBeInstanceOf(DuplicateKeyError);
      expect(await opened.recordings.open('session-z')).toBeNull();
    });

    it('stores a large recording whole', async () => {
      const writer = await opened.recordings.create('session-large');
      const line = `[1.5, "o", "${'x'.repeat(1000)}"]\n`;
      const text = line.repeat(6000);
      await writer.append(text);
      await writer.close();
      expect(await readAll(await opened.recordings.open('session-large'))).toBe(text);
    });

    it('follows a recording while it grows, from another instance, position by position', async () => {
      const writer = await opened.recordings.create('session-live');
      const follower = await opened.openSecond();
      await writer.append('{"version": 2, "width": 80, "height": 24}\n');
      const first = await follower.readAfter('session-live', undefined);
      expect(first?.text).toBe('{"version": 2, "width": 80, "height": 24}\n');
      // Nothing new: no text, and the position stays where it was.
      const idle = await follower.readAfter('session-live', first!.next);
      expect(idle).toEqual({ text: '', next: first!.next });
      await writer.append('[0.1, "o", "héllo ✓"]\n');
      await writer.append('[0.2, "o", "again"]\n');
      const second = await follower.readAfter('session-live', idle!.next);
      expect(second?.text).toBe('[0.1, "o", "héllo ✓"]\n[0.2, "o", "again"]\n');
      await writer.close();
      expect((await follower.readAfter('session-live', second!.next))?.text).toBe('');
      expect(await follower.readAfter('session-none', undefined)).toBeNull();
      await expect(follower.readAfter('session-live', 'not a position')).rejects.toThrow(TypeError);
    });

    it('hands a large recording to a follower in pieces that join up to the whole', async () => {
      const writer = await opened.recordings.create('session-large-live');
      const line = `[1.5, "o", "${'y'.repeat(1000)}"]\n`;
      // 20 appends of ~300 kB: more than one read's worth in every store.
      for (let i = 0; i < 20; i += 1) await writer.append(line.repeat(300));
      await writer.close();
      let position: string | undefined;
      let text = '';
      let reads = 0;
      for (;;) {
        const piece = await opened.recordings.readAfter('session-large-live', position);
        reads += 1;
        if (!piece || piece.text === '') break;
        text += piece.text;
        position = piece.next;
      }
      expect(text).toBe(line.repeat(6000));
      expect(reads).toBeGreaterThan(2);
    });

    it('refuses ids that could address anything but a recording', async () => {
      await expect(opened.recordings.create('../etc/passwd')).rejects.toThrow(TypeError);
      await expect(opened.recordings.open('a/b')).rejects.toThrow(TypeError);
    });
  });
}
