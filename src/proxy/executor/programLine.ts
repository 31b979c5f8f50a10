import { StringDecoder } from 'node:string_decoder';

type EscapeState = 'text' | 'esc' | 'csi';

/**
 * What the user types into a running program (no prompt on screen), rebuilt from the keys
 * the way the terminal's line discipline edits a line: backspace, Ctrl-U, Ctrl-W. Escape
 * sequences (arrows, function keys) are skipped. Good enough to check a line against deny
 * rules; never the basis for letting a prompt line through.
 */
export class ProgramLine {
  private text = '';
  private readonly decoder = new StringDecoder('utf8');
  private state: EscapeState = 'text';

  /** Consumes bytes up to and including the first Enter; returns its index, or -1. */
  scan(data: Uint8Array): number {
    let runStart = -1;
    const flush = (end: number) => {
      if (runStart >= 0) this.text += this.decoder.write(Buffer.from(data.subarray(runStart, end)));
      runStart = -1;
    };
    for (let i = 0; i < data.length; i++) {
      const byte = data[i]!;
      if (this.state === 'esc') {
        this.state = byte === 0x5b || byte === 0x4f ? 'csi' : 'text';
        continue;
      }
      if (this.state === 'csi') {
        if (byte >= 0x40 && byte <= 0x7e) this.state = 'text';
        continue;
      }
      if (byte >= 0x20 && byte !== 0x7f) {
        if (runStart < 0) runStart = i;
        continue;
      }
      flush(i);
      switch (byte) {
        case 0x0d:
        case 0x0a:
          return i;
        case 0x1b:
          this.state = 'esc';
          break;
        case 0x7f:
        case 0x08:
          this.text = [...this.text].slice(0, -1).join('');
          break;
        case 0x15:
        case 0x03:
          this.text = '';
          break;
        case 0x17:
          this.text = this.text.replace(/\S*\s*$/, '');
          break;
        default:
          break;
      }
    }
    flush(data.length);
    return -1;
  }

  take(): string {
    const line = this.text + this.decoder.end();
    this.text = '';
    return line;
  }

  reset(): void {
    this.take();
    this.state = 'text';
  }
}
