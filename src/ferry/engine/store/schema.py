"""The embedded store's tables, versioned with SQLite's `user_version` so upgrades migrate in place."""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        sync TEXT NOT NULL,
        side TEXT NOT NULL CHECK (side IN ('left', 'right')),
        record_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('upsert', 'delete')),
        version TEXT,
        payload BLOB,
        source TEXT NOT NULL,
        event_key TEXT NOT NULL UNIQUE,
        received_at REAL NOT NULL,
        due_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed', 'done', 'dead')),
        worker TEXT,
        lease_until REAL,
        last_error TEXT,
        finished_at REAL
    );
    CREATE INDEX events_due ON events(state, due_at, id);
    CREATE INDEX events_record ON events(sync, side, record_id, state);
    CREATE TABLE links (
        sync TEXT NOT NULL,
        left_id TEXT,
        right_id TEXT,
        left_version TEXT,
        right_version TEXT,
        left_written TEXT,
        right_written TEXT,
        left_written_version TEXT,
        right_written_version TEXT,
        left_modified_at REAL,
        right_modified_at REAL,
        deleted INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL
    );
    CREATE UNIQUE INDEX links_left ON links(sync, left_id) WHERE left_id IS NOT NULL;
    CREATE UNIQUE INDEX links_right ON links(sync, right_id) WHERE right_id IS NOT NULL;
    CREATE TABLE cursors (
        sync TEXT NOT NULL,
        side TEXT NOT NULL,
        cursor TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (sync, side)
    );
    CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY,
        sync TEXT NOT NULL,
        side TEXT NOT NULL,
        record_id TEXT NOT NULL,
        error_class TEXT NOT NULL,
        error TEXT NOT NULL,
        payload BLOB,
        attempts INTEGER NOT NULL,
        created_at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'replayed', 'dropped')),
        reason TEXT,
        resolved_at REAL
    );
    CREATE INDEX dead_letters_open ON dead_letters(state, sync);
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        sync TEXT NOT NULL,
        side TEXT NOT NULL,
        record_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        left_data BLOB,
        right_data BLOB,
        created_at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'open',
        decided_at REAL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        sync TEXT NOT NULL,
        side TEXT NOT NULL,
        record_id TEXT NOT NULL,
        action TEXT NOT NULL,
        detail BLOB,
        target_id TEXT,
        at REAL NOT NULL
    );
    CREATE INDEX audit_record ON audit(sync, side, record_id);
    CREATE INDEX audit_target ON audit(sync, target_id);
    """,
    """
    ALTER TABLE events ADD COLUMN occurred_at REAL;
    """,
    """
    ALTER TABLE reviews ADD COLUMN left_id TEXT;
    ALTER TABLE reviews ADD COLUMN right_id TEXT;
    CREATE INDEX reviews_open ON reviews(sync, state);
    """,
    # Claims hand back expired leases each time; this keeps that a look at the expired ones only.
    """
    CREATE INDEX events_leases ON events(lease_until) WHERE state='claimed';
    """,
    # Workflow runs: one per (workflow, key), and each step's outcome, saved as the step ends.
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        workflow TEXT NOT NULL,
        run_key TEXT NOT NULL,
        trigger_id TEXT NOT NULL,
        trigger BLOB,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
            ('pending', 'running', 'waiting', 'held', 'completed', 'failed', 'compensated', 'cancelled')),
        due_at REAL NOT NULL,
        step TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        generation INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        worker TEXT,
        lease_until REAL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        finished_at REAL,
        UNIQUE (workflow, run_key)
    );
    CREATE INDEX runs_due ON runs(state, due_at);
    CREATE INDEX runs_leases ON runs(lease_until) WHERE state='running';
    CREATE TABLE run_steps (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        step TEXT NOT NULL,
        state TEXT NOT NULL,
        input BLOB,
        output BLOB,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        started_at REAL,
        finished_at REAL,
        PRIMARY KEY (run_id, step)
    );
    """,
    # Console access: people and their roles, API tokens, login sessions, and what they did.
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        password_hash TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE api_tokens (
        token_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        label TEXT NOT NULL,
        created_at REAL NOT NULL,
        last_used_at REAL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        role TEXT,
        action TEXT NOT NULL,
        target TEXT,
        outcome TEXT NOT NULL,
        remote TEXT
    );
    CREATE INDEX actions_at ON actions(at);
    """,
    # Reconciliations: one row per comparison of a sync's two systems, and the drift it found.
    """
    CREATE TABLE reconciliations (
        id INTEGER PRIMARY KEY,
        sync TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
        started_by TEXT NOT NULL,
        started_at REAL NOT NULL,
        beat_at REAL NOT NULL,
        finished_at REAL,
        counts BLOB,
        error TEXT,
        healed_at REAL,
        heal BLOB
    );
    CREATE INDEX reconciliations_sync ON reconciliations(sync, id);
    CREATE TABLE reconciliation_items (
        reconciliation_id INTEGER NOT NULL REFERENCES reconciliations(id),
        item INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('missing_left', 'missing_right', 'different', 'orphan_link')),
        left_id TEXT,
        right_id TEXT,
        source TEXT CHECK (source IN ('left', 'right')),
        fields BLOB,
        note TEXT NOT NULL DEFAULT '',
        heal TEXT,
        PRIMARY KEY (reconciliation_id, item)
    );
    CREATE INDEX reconciliation_items_kind ON reconciliation_items(reconciliation_id, kind, item);
    """,
    # Alerts: one row per time a rule's condition held for a subject (firing until it clears), and each
    # notification sent about it. The indexes on finished_at let rules count a window's outcomes without
    # reading every event ever settled.
    """
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        rule TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        severity TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'firing' CHECK (state IN ('firing', 'resolved')),
        message TEXT NOT NULL,
        link TEXT,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        notified_at REAL,
        resolved_at REAL,
        acknowledged_by TEXT,
        acknowledged_at REAL
    );
    CREATE UNIQUE INDEX alerts_firing ON alerts(rule, subject) WHERE state='firing';
    CREATE INDEX alerts_state ON alerts(state, id);
    CREATE TABLE alert_deliveries (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES alerts(id),
        channel TEXT NOT NULL,
        event TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('sending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        at REAL NOT NULL
    );
    CREATE INDEX alert_deliveries_alert ON alert_deliveries(alert_id);
    CREATE INDEX events_finished ON events(finished_at, sync, state) WHERE finished_at IS NOT NULL;
    CREATE INDEX runs_finished ON runs(finished_at, workflow, state) WHERE finished_at IS NOT NULL;
    """,
    # A person's fix carried by a replay or a review's decision: the record to use instead of fetching,
    # values laid over the record read or over the mapped output, and who made it (engine/store/edits.py).
    # A review's decision: who took it and what they chose (or why they dismissed it); and one side's
    # record as the engine mapped it when it held the review, so the comparison is the engine's own.
    """
    ALTER TABLE events ADD COLUMN edit BLOB;
    ALTER TABLE reviews ADD COLUMN decided_by TEXT;
    ALTER TABLE reviews ADD COLUMN decision BLOB;
    ALTER TABLE reviews ADD COLUMN mapped BLOB;
    """,
    # Overview charts: a sample a minute of each flow's queue depth, lag and open dead letters, which
    # cannot be read back from the past (engine/store/series.py); the counts come from the settled
    # events and finished runs through the finished_at indexes above.
    """
    CREATE TABLE samples (
        flow TEXT NOT NULL,
        at REAL NOT NULL,
        pending INTEGER NOT NULL,
        in_flight INTEGER NOT NULL,
        lag_seconds REAL NOT NULL,
        dead_letters INTEGER NOT NULL,
        PRIMARY KEY (flow, at)
    );
    CREATE INDEX samples_at ON samples(at);
    """,
    # Record search: each record's label and lower-case identifying terms, one row per record. No FTS5
    # table: a trigram index cost ten times the row's own write on the single writer thread, and a scan
    # of the terms answers in milliseconds per 10,000 records (bench/record_index.py). Keyed by the
    # record itself (WITHOUT ROWID): one b-tree to write per entry, not a table and a unique index.
    """
    CREATE TABLE record_index (
        sync TEXT NOT NULL,
        side TEXT NOT NULL,
        record_id TEXT NOT NULL,
        connection TEXT NOT NULL,
        entity TEXT NOT NULL,
        label TEXT NOT NULL,
        terms TEXT NOT NULL,
        twin_id TEXT,
        last_seen REAL NOT NULL,
        PRIMARY KEY (sync, side, record_id)
    ) WITHOUT ROWID;
    """,
)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file up to the newest schema (each step in its own transaction)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"The store {conn} was written by a newer ferry (schema {version}); upgrade ferry to open it."
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
