/**
 * Micro-benchmark of ShellParser.parse: `npx tsx bench/shellParse.bench.ts`.
 * Prints median and p99 microseconds per parse, uncached (each line made unique) and cached.
 */
import { ShellParser } from '../src/domain/shell/shellParser.js';
import { SAMPLE_LINES as LINES } from './lib/sampleCommandLines.js';



function stats(samples: number[]): { median: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), p99: at(0.99) };
}

function measure(parser: ShellParser, rounds: number, lineFor: (line: string, round: number) => string): number[] {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const base of LINES) {
      const line = lineFor(base, round);
      const start = process.hrtime.bigint();
      parser.parse(line);
      samples.push(Number(process.hrtime.bigint() - start) / 1000);
    }
  }
  return samples;
}

const parser = await ShellParser.load();
// Warm up the JIT (and, for the cached run, the cache).
measure(parser, 50, (line, round) => `${line} #warm${round}`);
measure(parser, 1, (line) => line);

const rounds = 500;
const uncached = stats(measure(parser, rounds, (line, round) => `${line} #${round}`));
const cached = stats(measure(parser, rounds, (line) => line));
const fmt = (s: { median: number; p99: number }): string => `median ${s.median.toFixed(1)} µs, p99 ${s.p99.toFixed(1)} µs`;
console.log(`shell parse, ${LINES.length} lines x ${rounds} rounds`);
console.log(`  uncached: ${fmt(uncached)}`);
console.log(`  cached:   ${fmt(cached)}`);
