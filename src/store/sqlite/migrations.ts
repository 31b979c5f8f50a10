export interface Migration {
  /** Unique, never renamed: `NNN-what`. Applied once each, in list order. */
  readonly id: string;
  readonly sql: string;
}

/**
 * Schema changes, applied in order once each and recorded by id. Never edit a shipped
 * migration: add one at the end. Entities are kept as JSON documents beside the columns
 * queries filter on, so the SQLite and MongoDB stores hold the same shapes.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: '001-core',
    sql: `
  CREATE TABLE changes (
    code TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    requester TEXT NOT NULL,
    grp TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    window_end INTEGER NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX changes_status ON changes(status, window_start);
  CREATE INDEX changes_requester ON changes(requester, window_start);
  CREATE INDEX changes_group ON changes(grp, window_start);

  CREATE TABLE sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);

  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    change_code TEXT NOT NULL,
    state TEXT NOT NULL,
    owner TEXT,
    started_at INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX sessions_change ON sessions(change_code, started_at);
  CREATE INDEX sessions_state ON sessions(state, owner);

  CREATE TABLE commands (
    pos INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    change_code TEXT NOT NULL,
    user TEXT NOT NULL,
    at INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX commands_session ON commands(session_id, pos);
  CREATE INDEX commands_change ON commands(change_code, pos);
  CREATE TABLE command_rules (
    command_id TEXT NOT NULL,
    user TEXT NOT NULL,
    rule_id TEXT NOT NULL
  );
  CREATE INDEX command_rules_user_rule ON command_rules(user, rule_id);

  CREATE TABLE audit_records (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    status TEXT NOT NULL,
    event_type TEXT NOT NULL,
    actor TEXT NOT NULL,
    change_code TEXT,
    doc TEXT NOT NULL
  );
  CREATE INDEX audit_at ON audit_records(at);
  CREATE INDEX audit_change ON audit_records(change_code, seq);
  CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
  -- Append-only: the trail refuses edits and deletions at the database level too.
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_records BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_records BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;

  CREATE TABLE policy_items (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, id)
  );
  CREATE TABLE policy_singletons (name TEXT PRIMARY KEY, doc TEXT NOT NULL);

  CREATE TABLE account_locks (user TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE ssh_keys (
    fingerprint TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX ssh_keys_user ON ssh_keys(user, added_at);
  `,
  },
  {
    id: '002-slack-outbox',
    sql: `
  -- One row per notification and destination. The payload is JSON text read back as is
  -- (no date revival): it is whatever the notification carried. rowid breaks time ties.
  CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    dedupe_key TEXT UNIQUE,
    type TEXT NOT NULL,
    audience TEXT NOT NULL,
    channel TEXT,
    placement TEXT NOT NULL,
    payload TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    delivered_at INTEGER,
    delivered_channel TEXT,
    delivered_ts TEXT
  );
  CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
  CREATE INDEX outbox_claims ON outbox(status, claimed_until);
  CREATE INDEX outbox_newest ON outbox(created_at);
  CREATE INDEX outbox_audience ON outbox(audience, created_at);

  CREATE TABLE slack_messages (
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    change_code TEXT NOT NULL,
    audience TEXT NOT NULL,
    posted_at INTEGER NOT NULL,
    PRIMARY KEY (channel, ts)
  );
  CREATE INDEX slack_messages_change ON slack_messages(change_code, posted_at);
  `,
  },
  {
    // Agenda's jobs (src/jobs/sqliteBackend) and the report schedules they run.
    id: '004-jobs',
    sql: `
  CREATE TABLE agenda_jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    next_run_at INTEGER,
    locked_at INTEGER,
    disabled INTEGER NOT NULL DEFAULT 0,
    last_run_at INTEGER,
    last_finished_at INTEGER,
    failed_at INTEGER,
    fail_count INTEGER,
    fail_reason TEXT,
    progress REAL,
    -- JSON: a number of milliseconds, or a cron / human interval string.
    repeat_interval TEXT,
    repeat_timezone TEXT,
    repeat_at TEXT,
    start_date INTEGER,
    end_date INTEGER,
    skip_days TEXT,
    debounce_started_at INTEGER,
    fork INTEGER,
    last_modified_by TEXT,
    data TEXT NOT NULL
  );
  CREATE INDEX agenda_jobs_due ON agenda_jobs(name, next_run_at, priority DESC);
  CREATE INDEX agenda_jobs_locked ON agenda_jobs(name, locked_at);
  -- Agenda's "single" jobs (every()) exist once per name.
  CREATE UNIQUE INDEX agenda_jobs_single ON agenda_jobs(name) WHERE type = 'single';

  CREATE TABLE report_schedules (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  `,
  },
  {
    id: '005-web',
    sql: `
  -- Nonces of approval links already used: a link decides once, whichever process serves it.
  CREATE TABLE used_link_nonces (
    nonce TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    approver TEXT NOT NULL,
    used_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX used_link_nonces_expiry ON used_link_nonces(expires_at);
  `,
  },
  {
    id: '006-web-signouts',
    sql: `
  -- Web sessions are signed cookies: signing out (or a lock) ends every session issued before it.
  CREATE TABLE web_signouts (user TEXT PRIMARY KEY, at INTEGER NOT NULL);
  `,
  },
  {
    id: '007-command-search',
    sql: `
  -- Command search (services/search): the filters as columns, one index each (an index
  -- entry ends with the rowid, so equal values come in recorded order and a page of the
  -- newest needs no sort), time for ranges and backtest scans, and the words of each line in
  -- a full-text index. The words are changeguard_words(line) (domain/search/searchWords.ts,
  -- a function the store registers), so both stores index the same words.
  ALTER TABLE commands ADD COLUMN device TEXT NOT NULL DEFAULT '';
  ALTER TABLE commands ADD COLUMN verdict TEXT NOT NULL DEFAULT '';
  UPDATE commands SET device = json_extract(doc, '$.device'), verdict = json_extract(doc, '$.verdict');
  CREATE INDEX commands_user ON commands(user);
  CREATE INDEX commands_device ON commands(device);
  CREATE INDEX commands_verdict ON commands(verdict);
  CREATE INDEX commands_at ON commands(at);
  -- Contentless (the line is in doc), no positions (words are matched, not phrases), and
  -- prefix indexes so short prefixes ("sys", "ng") need not scan the whole vocabulary.
  CREATE VIRTUAL TABLE commands_words USING fts5(words, content='', detail='none', prefix='2 3 4', tokenize='unicode61 remove_diacritics 2');
  INSERT INTO commands_words (rowid, words) SELECT pos, changeguard_words(json_extract(doc, '$.line')) FROM commands;
  -- The positions each day's commands (UTC days of \`at\`) were stored at: a time range becomes
  -- a range of rowids the full-text index can seek to. A superset, always: the time filter
  -- still applies, and commands stored out of time order only widen a day's range.
  CREATE TABLE command_days (day INTEGER PRIMARY KEY, min_pos INTEGER NOT NULL, max_pos INTEGER NOT NULL);
  INSERT INTO command_days (day, min_pos, max_pos) SELECT at / 86400000, min(pos), max(pos) FROM commands GROUP BY at / 86400000;
  `,
  },
  {
    id: '008-siem-feed',
    sql: `
  -- The SIEM stream (store/siemFeedRepository.ts): one cursor per sink, and the feed of audit
  -- records and security alerts they read. Triggers append to the feed in the very statement
  -- that stores the record or the alert's outbox row, whichever code path writes it, so the
  -- stream cannot miss one; they write nothing until a sink is registered.
  CREATE TABLE siem_cursors (
    sink TEXT PRIMARY KEY,
    delivered_pos INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until INTEGER,
    last_delivered_at INTEGER
  );
  CREATE TABLE siem_feed (
    pos INTEGER PRIMARY KEY AUTOINCREMENT,
    audit_seq INTEGER,
    alert_id TEXT
  );
  CREATE TRIGGER siem_feed_audit AFTER INSERT ON audit_records WHEN EXISTS (SELECT 1 FROM siem_cursors)
  BEGIN INSERT INTO siem_feed (audit_seq) VALUES (NEW.seq); END;
  CREATE TRIGGER siem_feed_alert AFTER INSERT ON outbox WHEN NEW.audience = 'role:security' AND EXISTS (SELECT 1 FROM siem_cursors)
  BEGIN INSERT INTO siem_feed (alert_id) VALUES (NEW.id); END;
  `,
  },
  {
    id: '009-deviations',
    sql: `
  -- Deviation requests (store/deviationRepository.ts): a command a review rule holds at the
  -- prompt until an approver decides. The waiting proxy and the deciding process (Slack, the
  -- web) meet here; settling is a conditional UPDATE on the status.
  CREATE TABLE deviations (
    id TEXT PRIMARY KEY,
    change_code TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX deviations_change ON deviations(change_code, requested_at);
  `,
  },
];
