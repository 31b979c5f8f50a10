import { StringDecoder } from 'node:string_decoder';

const ESC = 0x1b;
const CTRL_E = 0x05;
const CTRL_V = 0x16;
const CTRL_X = 0x18;
const TAB = 0x09;

type EscapeState = 'text' | 'esc' | 'csi';

/**
 * Watches what the user types at a prompt for the keys that make readline run the line:
 * Enter (CR or LF) and Ctrl-O (operate-and-get-next), except inside a bracketed paste, where
 * readline inserts newlines into the line instead of running it. Also spots Ctrl-X Ctrl-E
 * (edit-and-execute-command), which would run an editor's buffer without a prompt, and
 * control characters inserted literally with Ctrl-V (quoted-insert): readline draws them as
 * `^J`, two ordinary characters, while bash runs a literal newline as a command separator,
 * so such a line cannot be read from the screen. Likewise C1 controls (U+0080-U+009F, e.g.
 * U+009B, a one-character CSI): readline echoes them raw, so the terminal acts on them and
 * text typed after them can be drawn over the command the shell will really run.
 */
export class PromptKeys {
  private state: EscapeState = 'text';
  private params = '';
  private inPaste = false;
  private afterCtrlX = false;
  private quoting = false;
  private literalControl = false;
  private afterC2 = false;

  /** True once a control character was inserted literally since the last reset. */
  get typedLiteralControl(): boolean {
    return this.literalControl;
  }

  /** Index of the first submitting byte or Ctrl-X Ctrl-E's Ctrl-E; bytes up to it are consumed. */
  scan(data: Uint8Array): { readonly index: number; readonly kind: 'submit' | 'editAndExecute' } | null {
    for (let i = 0; i < data.length; i++) {
      const byte = data[i]!;
      if (this.afterC2 && byte >= 0x80 && byte <= 0x9f) this.literalControl = true;
      this.afterC2 = byte === 0xc2;
      switch (this.state) {
        case 'esc':
          this.state = byte === 0x5b ? 'csi' : 'text';
          this.params = '';
          continue;
        case 'csi':
          if (byte >= 0x40 && byte <= 0x7e) {
            if (byte === 0x7e && this.params === '200') this.inPaste = true;
            if (byte === 0x7e && this.params === '201') this.inPaste = false;
            this.state = 'text';
          } else if (this.params.length < 16) {
            this.params += String.fromCharCode(byte);
          }
          continue;
        case 'text':
          break;
      }
      if (this.quoting) {
        this.quoting = false;
        if ((byte < 0x20 && byte !== TAB) || byte === 0x7f) this.literalControl = true;
        continue;
      }
      if (byte === ESC) {
        this.state = 'esc';
        this.afterCtrlX = false;
        continue;
      }
      if (this.inPaste) continue;
      if (byte === CTRL_V) {
        this.quoting = true;
        this.afterCtrlX = false;
        continue;
      }
      if (byte === 0x0d || byte === 0x0a || byte === 0x0f) {
        this.afterCtrlX = false;
        return { index: i, kind: 'submit' };
      }
      if (byte === CTRL_E && this.afterCtrlX) {
        this.afterCtrlX = false;
        return { index: i, kind: 'editAndExecute' };
      }
      this.afterCtrlX = byte === CTRL_X;
    }
    return null;
  }

  reset(): void {
    this.state = 'text';
    this.params = '';
    this.inPaste = false;
    this.afterCtrlX = false;
    this.quoting = false;
    this.literalControl = false;
    this.afterC2 = false;
  }
}

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
