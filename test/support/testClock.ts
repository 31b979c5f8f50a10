import type { Clock } from '../../src/domain/clock.js';

/** A clock tests move by hand. */
export class TestClock {
  constructor(private current: Date) {}
  readonly now: Clock = () => new Date(this.current.getTime());
  set(date: Date): void {
    this.current = new Date(date.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
