import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { readLines } from './cli/readLines.js';
import { backtestReportText } from './cli/backtestReportText.js';
import { runRulesTest } from './cli/rulesTestCommand.js';
import { runStoreMigrate } from './cli/storeMigrateCommand.js';
import { loadConfig } from './config.js';
import { systemClock } from './domain/clock.js';
import { ShellParser } from './domain/shell/shellParser.js';
import type { Actor } from './services/actor.js';
import { formatAnchor, parseAnchor } from './domain/audit/verifyChain.js';
import { exportAuditTrail } from './services/audit/auditExport.js';
import { backtestPolicy } from './services/policy/backtestPolicy.js';
import { checkPolicy, importPolicy, PolicyValidationError } from './services/policy/policyImport.js';
import { createServiceDeps } from './services/serviceDeps.js';
import { ServiceError } from './services/serviceError.js';
import { hashPassword, passwordProblem } from './services/access/passwords.js';
import { openStore } from './store/openStore.js';
import { StoreUnavailableError } from './store/storeErrors.js';
import { missingStore } from './store/storeExists.js';
import type { Store } from './store/store.js';

/** Exit codes: 0 done, 1 the check found a problem (tampering), 2 bad input or configuration. */
const EXIT_PROBLEM = 1;
const EXIT_USAGE = 2;

class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * Opens the configured store. `existing`: the command only reads, so a store that does not
 * exist yet is an error (a mistyped DATA_DIR), never a new empty database.
 */
async function withStore<T>(use: (store: Store) => Promise<T>, options: { existing?: boolean } = {}): Promise<T> {
  const config = loadConfig();
  if (options.existing) {
    const missing = await missingStore(config);
    if (missing) throw new CliFailure(missing, EXIT_USAGE);
  }
  const store = await openStore(config);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

function parseDate(value: string, flag: string): Date {
  const relative = /^(\d+)([dhm])$/.exec(value);
  if (relative) {
    const unit = { d: 86400000, h: 3600000, m: 60000 }[relative[2] as 'd' | 'h' | 'm'];
    return new Date(Date.now() - Number(relative[1]) * unit);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new CliFailure(`${flag}: expected a date like 2026-11-01 or 7d, got "${value}"`, EXIT_USAGE);
  return date;
}

/** package.json's version, beside src/ and dist/ alike. */
function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('changeguard')
    .description('Controlled changes on critical servers: policy, rules and audit trail tools.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError();

  const rules = program.command('rules').description('audited-command rules');
  rules
    .command('test')
    .description('read command lines from stdin and print the verdict for each')
    .addOption(new Option('--policy <file>', 'judge under this policy YAML file').conflicts('stored'))
    .addOption(new Option('--stored', 'judge under the policy in the store (DATA_DIR or MONGODB_URI), as the proxy does'))
    .option('--user <id>', 'judge as this user (scoped rules)')
    .option('--group <id>', 'judge within this access group (scoped rules)')
    .option('--device <id>', 'judge on this device (scoped rules)')
    .option('--json', 'one JSON object per line')
    .action(async (options: { policy?: string; stored?: boolean; user?: string; group?: string; device?: string; json?: boolean }) => {
      if (!options.policy && !options.stored) throw new CliFailure('rules test: give --policy FILE, or --stored for the policy in the store', EXIT_USAGE);
      const parser = await ShellParser.load();
      const io = { stdin: process.stdin, stdout: process.stdout };
      if (options.policy) {
        const file = options.policy;
        await runRulesTest(parser, checkPolicy(await readPolicyFile(file), basename(file)), options, io);
        return;
      }
      await withStore(
        async (store) => {
          const deps = createServiceDeps({ store, clock: systemClock, parser });
          const { policy } = await deps.policies.current();
          if (policy.users.length === 0 && policy.rules.length === 0) {
            throw new CliFailure('the store holds no policy yet: import one with `changeguard policy import FILE`', EXIT_USAGE);
          }
          await runRulesTest(parser, policy, options, io);
        },
        { existing: true },
      );
    });

  const audit = program.command('audit').description('the tamper-evident audit trail');
  audit
    .command('verify')
    .description('walk the hash chain; exit 1 naming the first bad record')
    .option('--json', 'print the verification as one JSON object (ok, count, head or firstBad, problem, message)')
    .option('--expect-head <SEQ:HASH>', 'a head kept outside the store (the audit channel\'s anchors, a report, an export): the trail must still hold it')
    .action(async (options: { json?: boolean; expectHead?: string }) => {
      const expectHead = options.expectHead === undefined ? undefined : parseAnchor(options.expectHead);
      if (expectHead === null) throw new CliFailure(`--expect-head: expected SEQ:HASH (a record number, a colon, 64 hex digits), got "${options.expectHead}"`, EXIT_USAGE);
      await withStore(async (store) => {
        const deps = createServiceDeps({ store, clock: systemClock, parser: await ShellParser.load() });
        const result = await deps.audit.verify({ expectHead });
        // Monitoring reads the object; the exit code (and stderr) still say whether the chain holds.
        if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        if (!result.ok) {
          throw new CliFailure(`audit trail broken at record ${result.firstBad} (${result.problem}): ${result.message}`, EXIT_PROBLEM);
        }
        if (!options.json) {
          process.stdout.write(`audit trail intact: ${result.count} records${result.head ? `, head ${result.head.hash}` : ''}${expectHead ? `; holds the anchored head ${formatAnchor(expectHead)}` : ''}\n`);
        }
      }, { existing: true });
    });
  audit
    .command('export')
    .description('write the audit trail as CSV or JSON to stdout')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('json'))
    .option('--since <date>', 'records at or after this date (ISO date, or 7d / 12h)')
    .option('--change <code>', 'only records of this change')
    .action(async (options: { format: 'csv' | 'json'; since?: string; change?: string }) => {
      const since = options.since === undefined ? undefined : parseDate(options.since, '--since');
      await withStore(async (store) => {
        const query = { since, change: options.change?.toUpperCase() };
        await pipeline(Readable.from(exportAuditTrail(store.audit, options.format, query)), process.stdout, { end: false });
      }, { existing: true });
    });

  const policy = program.command('policy').description('the policy file (users, groups, devices, rules)');
  policy
    .command('check')
    .argument('<file>', 'policy YAML file')
    .description('validate a policy file without loading it')
    .action(async (file: string) => {
      const parsed = checkPolicy(await readPolicyFile(file), basename(file));
      process.stdout.write(
        `${basename(file)}: valid (${parsed.users.length} users, ${parsed.groups.length} groups, ${parsed.devices.length} devices, ${parsed.rules.length} rules)\n`,
      );
    });
  policy
    .command('import')
    .argument('<file>', 'policy YAML file')
    .option('--as <user>', 'import as this policy user (needs the admin role), instead of as the operator holding the store')
    .description('validate and load a policy file into the store (audited, idempotent)')
    .action(async (file: string, options: { as?: string }) => {
      const text = await readPolicyFile(file);
      await withStore(async (store) => {
        const deps = createServiceDeps({ store, clock: systemClock, parser: await ShellParser.load() });
        // Whoever runs the CLI holds the store itself: an operator, unless they name a policy user.
        const actor: Actor = options.as === undefined ? { userId: process.env.USER ?? 'admin', terminal: 'cli', kind: 'operator' } : { userId: options.as, terminal: 'cli' };
        const summary = await importPolicy(deps, text, basename(file), actor);
        for (const line of summary.lines) process.stdout.write(`${line}\n`);
        process.stdout.write(
          `${basename(file)}: ${summary.created} created, ${summary.updated} updated, ${summary.deleted} deleted, ${summary.unchanged} unchanged\n`,
        );
      });
    });
  const storeCommand = program.command('store').description('the store itself');
  storeCommand
    .command('migrate')
    .description('copy the embedded SQLite store (DATA_DIR) into a MongoDB database and verify its audit chain there; safe to rerun')
    .requiredOption('--to <uri>', 'the MongoDB database (mongodb://... with the database name, e.g. .../changeguard?replicaSet=rs0)')
    .option('--from <file>', 'the SQLite file (default: $DATA_DIR/changeguard.db)')
    .option('--force', 'copy into a database that holds other data, replacing what differs (never another audit chain)')
    .action(async (options: { to: string; from?: string; force?: boolean }) => {
      // The source is the embedded store whatever MONGODB_URI says (it may already name the target).
      const from = options.from ?? loadConfig().sqliteFile;
      const outcome = await runStoreMigrate({ to: options.to, from, force: options.force === true }, systemClock);
      for (const line of outcome.lines) process.stdout.write(`${line}\n`);
      if (outcome.error) throw new CliFailure(outcome.error, outcome.exitCode === 1 ? EXIT_PROBLEM : EXIT_USAGE);
    });
  policy
    .command('backtest')
    .description('judge the commands recorded in a period under a draft policy and report which verdicts would change (nothing is stored but an audit record)')
    .requiredOption('--policy <file>', 'the draft policy YAML file (read as `policy import` would read it)')
    .option('--since <date>', 'commands recorded at or after this date (ISO date, or 30d / 12h)', '30d')
    .option('--until <date>', 'commands recorded before this date (ISO date, or 1d / 12h ago); default now')
    .option('--json', 'print the report as one JSON object')
    .action(async (options: { policy: string; since: string; until?: string; json?: boolean }) => {
      const since = parseDate(options.since, '--since');
      const until = options.until === undefined ? new Date() : parseDate(options.until, '--until');
      if (until.getTime() <= since.getTime()) throw new CliFailure('--until: must be after --since', EXIT_USAGE);
      const text = await readPolicyFile(options.policy);
      await withStore(
        async (store) => {
          const deps = createServiceDeps({ store, clock: systemClock, parser: await ShellParser.load() });
          // Whoever runs the CLI holds the store: an operator, recorded under their login name.
          const actor = { userId: process.env.USER ?? 'operator', terminal: 'cli', kind: 'operator' as const };
          const result = await backtestPolicy(deps, actor, { text, source: basename(options.policy), since, until });
          process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : backtestReportText(result));
        },
        { existing: true },
      );
    });
  const password = program.command('password').description('web sign-in passwords (the policy holds only their hashes)');
  password
    .command('hash')
    .description('read a password (asked twice on a terminal, else the first line of stdin) and print its hash for users[].passwordHash')
    .action(async () => {
      const secret = await readPassword();
      const problem = passwordProblem(secret);
      if (problem) throw new CliFailure(problem, EXIT_USAGE);
      process.stdout.write(`${await hashPassword(secret)}\n`);
      if (process.stdout.isTTY) process.stderr.write('Put it in the policy, quoted: passwordHash: "$scrypt$..."\n');
    });
  return program;
}

/** A password from the terminal (not echoed, typed twice) or from the first line of stdin. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    for await (const line of readLines(process.stdin)) return line;
    throw new CliFailure('password hash: no password on stdin', EXIT_USAGE);
  }
  const first = await askHidden('Password: ');
  const second = await askHidden('Again: ');
  if (first !== second) throw new CliFailure('password hash: the two passwords differ', EXIT_USAGE);
  return first;
}

function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new CliFailure('password hash: interrupted', EXIT_USAGE));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    };
    stdin.on('data', onData);
  });
}

/** The bytes, not text: the policy parser refuses a file that is not UTF-8 instead of guessing. */
async function readPolicyFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new CliFailure(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, EXIT_USAGE);
  }
}

/** `changeguard audit export | head`: a reader that stops early ends the command quietly. */
function isClosedPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

let quietOnClosedPipe = false;
function exitQuietlyOnClosedPipe(): void {
  if (quietOnClosedPipe) return;
  quietOnClosedPipe = true;
  process.stdout.on('error', (error) => {
    if (isClosedPipe(error)) process.exit(0);
    throw error;
  });
}

export async function runCli(argv: readonly string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (isClosedPipe(error)) return 0;
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (error instanceof CliFailure) {
      process.stderr.write(`changeguard: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof PolicyValidationError) {
      for (const problem of error.problems) process.stderr.write(`${problem}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ServiceError || error instanceof StoreUnavailableError || (error instanceof Error && error.name === 'ConfigError')) {
      process.stderr.write(`changeguard: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`changeguard: ${(error as Error).message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runCli(process.argv.slice(2));
}
