/**
 * Micro-benchmark of ShellParser.parse: `npx tsx bench/shellParse.bench.ts`.
 * Prints median and p99 microseconds per parse, uncached (each line made unique) and cached.
 */
import { ShellParser } from '../src/domain/shell/shellParser.js';

const LINES = [
  'ls -la /var/log',
  'cd /etc/nginx && sudo nginx -t',
  'sudo systemctl restart apache2',
  'tail -n 200 /var/log/syslog | grep -i error | less',
  'df -h; free -m; uptime',
  'sudo -u www-data php artisan migrate --force',
  "find /tmp -name '*.tmp' -mtime +7 -exec rm -f {} \\;",
  'for f in /etc/cron.d/*; do echo "$f"; cat "$f"; done',
  'tar czf /backup/etc-$(date +%F).tgz /etc',
  'FOO=1 BAR=2 ./deploy.sh --env=prod 2>&1 | tee deploy.log',
  'sudo env PATH=/usr/local/bin:$PATH nice -n 10 make install',
  "bash -c 'cd /srv/app && git pull && npm ci'",
  'if [ -f /etc/app.conf ]; then cp /etc/app.conf /etc/app.conf.bak; fi',
  'ps aux | awk \'{print $2}\' | xargs -n 1 -I {} kill -0 {}',
  'echo "export JAVA_HOME=/opt/java" >> ~/.bashrc',
  'curl -fsSL https://example.com/install.sh | sh',
  'rm -rf /var/cache/apt/archives/*.deb',
  'timeout 30 rsync -avz --delete /srv/ backup:/srv/',
  'docker ps --format "{{.Names}}" | while read c; do docker logs --tail 5 "$c"; done',
  "sed -i 's/^#\\?PermitRootLogin.*/PermitRootLogin no/' /etc/ssh/sshd_config",
];

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
