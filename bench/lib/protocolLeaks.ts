/**
 * How many pieces of changeguard's own device protocol a text shows: the executor's markers
 * (OSC 6973) and the lines of a frame (`<challenge> run ...`, `<challenge> .`). A user's
 * terminal and a recording must show none, however loaded the machine.
 */
export function protocolLeaks(text: string): number {
  return (text.match(/\x1b\]6973;/g) ?? []).length + (text.match(/(?:^|[^0-9a-f])[0-9a-f]{16,} (?:run |complete |\.(?:\r?\n|$))/gm) ?? []).length;
}

/** Counts leaks in a stream that arrives in chunks, a marker split over two of them included. */
export class LeakCounter {
  count = 0;
  private tail = '';

  push(chunk: string): void {
    const text = this.tail + chunk;
    this.count += protocolLeaks(text) - protocolLeaks(this.tail);
    this.tail = text.slice(-80);
  }
}
