const ENTER = [Buffer.from('\x1b[?1049h'), Buffer.from('\x1b[?1047h'), Buffer.from('\x1b[?47h')];
const LEAVE = [Buffer.from('\x1b[?1049l'), Buffer.from('\x1b[?1047l'), Buffer.from('\x1b[?47l')];

/**
 * Follows whether a full-screen program (vim, less, top) holds the terminal's alternate
 * screen: its keys are editing keys, not lines to check. Output without an ESC costs one scan.
 */
export class AlternateScreen {
  alternate = false;

  scan(output: Buffer): void {
    if (output.indexOf(0x1b) < 0) return;
    let last = -1;
    let state = this.alternate;
    for (const seq of ENTER) {
      const at = output.lastIndexOf(seq);
      if (at > last) {
        last = at;
        state = true;
      }
    }
    for (const seq of LEAVE) {
      const at = output.lastIndexOf(seq);
      if (at > last) {
        last = at;
        state = false;
      }
    }
    this.alternate = state;
  }

  reset(): void {
    this.alternate = false;
  }
}
