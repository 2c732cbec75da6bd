-- Home programs pulled from the practice (issue 15; ARCHITECTURE.md, "Sync"): read-only copies
-- of what the runner's therapist prescribed in clinic mode (its `programs`/`program_items`,
-- which the PostgreSQL journal already names, hence `home_`). The practice owns them: a copy is
-- replaced whole when a newer change arrives (`version`: the server's sequence number of the
-- change last applied) and removed by a tombstone; its items and ticks go with it.
CREATE TABLE home_programs (
    id      INTEGER PRIMARY KEY,
    uid     TEXT NOT NULL,
    title   TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE UNIQUE INDEX home_programs_uid ON home_programs (uid);

CREATE TABLE home_program_items (
    id         INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES home_programs (id) ON DELETE CASCADE,
    uid        TEXT NOT NULL,
    position   INTEGER NOT NULL,
    what       TEXT NOT NULL,
    dose       TEXT NOT NULL,
    per_week   INTEGER NOT NULL CHECK (per_week BETWEEN 1 AND 7),
    start_date TEXT NOT NULL,
    end_date   TEXT NOT NULL CHECK (end_date >= start_date)
);
CREATE UNIQUE INDEX home_program_items_uid ON home_program_items (uid);
CREATE INDEX home_program_items_program ON home_program_items (program_id);

-- The days an item was ticked done, as the practice's server knows them.
CREATE TABLE home_program_ticks (
    item_id INTEGER NOT NULL REFERENCES home_program_items (id) ON DELETE CASCADE,
    date    TEXT NOT NULL
);
CREATE UNIQUE INDEX home_program_ticks_day ON home_program_ticks (item_id, date);

-- Ticks made here (`knots program tick`), the runner's, in the order they were made: sent by the
-- next sync (`ticks_pushed`: every line up to it is on the server), which applies them in order.
CREATE TABLE home_program_tick_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    item_uid TEXT NOT NULL,
    date     TEXT NOT NULL,
    done     INTEGER NOT NULL
);

-- The server's program changes up to `programs_pulled` are here (a cursor of its own: the
-- server logs programs apart from the journal's records).
ALTER TABLE sync_link ADD COLUMN programs_pulled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_link ADD COLUMN ticks_pushed INTEGER NOT NULL DEFAULT 0;
