/**
 * Follows the control lines of scp's legacy protocol (`scp -O`): `C0644 1234 name` before a
 * file's bytes, `D0755 0 dir` / `E` around a directory, `T...` times. The file data between
 * them is skipped, not kept: a transfer's record is its names and sizes.
 */
export interface ScpEntry {
  readonly kind: 'file' | 'directory';
  readonly mode: string;
  readonly size: number;
  /** Path relative to the transfer's target, directories included. */
  readonly path: string;
}

const MAX_LINE = 8192;

export class ScpControl {
  private line = '';
  private skip = 0;
  private readonly dirs: string[] = [];

  /** Bytes from the side that sends files; returns the entries that began in them. */
  push(chunk: Buffer): ScpEntry[] {
    const entries: ScpEntry[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - i);
        this.skip -= take;
        i += take;
        continue;
      }
      const byte = chunk[i++] as number;
      if (byte !== 0x0a) {
        if (this.line.length < MAX_LINE) this.line += String.fromCharCode(byte);
        continue;
      }
      const line = Buffer.from(this.line, 'latin1').toString('utf8');
      this.line = '';
      const match = /^([CD])([0-7]{4}) (\d+) (.*)$/.exec(line);
      if (match !== null) {
        const [, type, mode = '', size = '0', name = ''] = match;
        const path = [...this.dirs, name].join('/');
        if (type === 'D') {
          this.dirs.push(name);
          entries.push({ kind: 'directory', mode, size: 0, path });
        } else {
          entries.push({ kind: 'file', mode, size: Number(size), path });
          // The data, then one status byte.
          this.skip = Number(size) + 1;
        }
      } else if (line === 'E') {
        this.dirs.pop();
      }
    }
    return entries;
  }
}
