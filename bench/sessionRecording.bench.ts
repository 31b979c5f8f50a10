import { AsciicastRecorder } from '../src/proxy/recording/asciicastRecorder.js';
import type { RecordingWriter } from '../src/store/recordingStore.js';
import type { BenchRow } from './lib/benchRow.js';
import { percentiles } from './lib/percentiles.js';

/**
 * The proxy's recorder on its own: CPU time per MB of device output turned into asciicast
 * lines (UTF-8 checks, JSON escaping, line framing), written to a writer that drops them, in
 * the 4 KiB pieces sshd sends. Two kinds of output: the SSH bench's bulk (one character, no
 * line ends) and a coloured `ls -l` listing (an escape every 20 bytes or so). The baseline is
 * what the recorder replaced: decoding each piece and `JSON.stringify` on it, encoded again.
 */
export async function benchSessionRecording(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [kind, sample] of [['plain output', plainOutput()], ['coloured listing', colouredListing()]] as const) {
    const pieces = piecesOf(sample, PIECE_BYTES, TOTAL_BYTES);
    await recorderCpuMsPerMb(pieces); // warm-up: the JIT, the buffers' growth
    const runs: number[] = [];
    for (let run = 0; run < RUNS; run++) runs.push(await recorderCpuMsPerMb(pieces));
    rows.push({
      area: 'session recording',
      metric: `recorder CPU per MB, ${kind} (median of ${RUNS})`,
      value: percentiles(runs, [0.5])[0]!,
      unit: 'ms/MB',
      baseline: { name: 'JSON.stringify per piece', value: stringifyCpuMsPerMb(pieces) },
      runs,
    });
  }
  return rows;
}

const PIECE_BYTES = 4096;
const TOTAL_BYTES = 64 * 2 ** 20;
const RUNS = 5;

function plainOutput(): Buffer {
  return Buffer.alloc(2 ** 20, 'x');
}

function colouredListing(): Buffer {
  let text = '';
  for (let i = 0; text.length < 2 ** 20; i++) text += `-rw-r--r-- 1 root root ${(i * 7919) % 99_999} Dec  6 00:22 \x1b[01;34mfile-${i}.txt\x1b[0m\r\n`;
  return Buffer.from(text, 'utf8');
}

/** Separate buffers, as sockets hand them over (a view of one big buffer would share its memory). */
function piecesOf(sample: Buffer, size: number, total: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < total; at += size) {
    const offset = at % (sample.length - size);
    pieces.push(Buffer.from(sample.subarray(offset, offset + size)));
  }
  return pieces;
}

async function recorderCpuMsPerMb(pieces: readonly Buffer[]): Promise<number> {
  const writer: RecordingWriter = { ref: 'bench', append: async () => undefined, close: async () => undefined };
  const before = process.cpuUsage();
  const recorder = new AsciicastRecorder(writer, { width: 80, height: 24, timestamp: 0 });
  for (let index = 0; index < pieces.length; index++) {
    recorder.output(pieces[index]!);
    // Let the recorder's flushes run, as between socket reads.
    if (index % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
  }
  await recorder.close();
  return cpuMsPerMb(before, pieces);
}

function stringifyCpuMsPerMb(pieces: readonly Buffer[]): number {
  const before = process.cpuUsage();
  let bytes = 0;
  for (const piece of pieces) bytes += Buffer.byteLength(JSON.stringify(piece.toString('utf8')));
  if (bytes === 0) throw new Error('nothing encoded');
  return cpuMsPerMb(before, pieces);
}

function cpuMsPerMb(before: NodeJS.CpuUsage, pieces: readonly Buffer[]): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / ((pieces.length * PIECE_BYTES) / 1e6);
}

