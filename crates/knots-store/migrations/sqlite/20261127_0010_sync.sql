-- Sync with a clinic server (issue 15; ARCHITECTURE.md, "Sync"). Every record that can travel
-- gets a global id (`uid`: UUID text, v7 for new records, random for the rows that exist now),
-- `origin` — NULL for a record written in this journal, else the side it came from by sync
-- ('runner' on the server, 'practice' in a runner's journal), which alone may change it — and
-- `version`, the sequence number of the origin's change last applied (replaying it changes
-- nothing).
-- `sync_log` holds one row per record of this journal that changed: its kind, uid and whether it
-- was deleted (the tombstone), under a sequence number that only grows (AUTOINCREMENT: a number
-- is never reused, so a record changed again always moves past a peer's cursor). Every insert,
-- edit and delete writes it in the same transaction. `sync_link` is the one link of a runner's
-- journal to a clinic server: its URL, the device token, the kinds shared and the two cursors.
ALTER TABLE shoes ADD COLUMN uid TEXT;
ALTER TABLE shoes ADD COLUMN origin TEXT;
ALTER TABLE shoes ADD COLUMN version INTEGER;
ALTER TABLE runs ADD COLUMN uid TEXT;
ALTER TABLE runs ADD COLUMN origin TEXT;
ALTER TABLE runs ADD COLUMN version INTEGER;
ALTER TABLE pain_reports ADD COLUMN uid TEXT;
ALTER TABLE pain_reports ADD COLUMN origin TEXT;
ALTER TABLE pain_reports ADD COLUMN version INTEGER;
ALTER TABLE checkins ADD COLUMN uid TEXT;
ALTER TABLE checkins ADD COLUMN origin TEXT;
ALTER TABLE checkins ADD COLUMN version INTEGER;
ALTER TABLE sessions ADD COLUMN uid TEXT;
ALTER TABLE sessions ADD COLUMN origin TEXT;
ALTER TABLE sessions ADD COLUMN version INTEGER;
ALTER TABLE findings ADD COLUMN uid TEXT;
ALTER TABLE findings ADD COLUMN origin TEXT;
ALTER TABLE findings ADD COLUMN version INTEGER;
ALTER TABLE treatments ADD COLUMN uid TEXT;
ALTER TABLE treatments ADD COLUMN origin TEXT;
ALTER TABLE treatments ADD COLUMN version INTEGER;

-- A random (version 4) UUID for each existing row (the expression is evaluated per row).
UPDATE shoes SET uid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
UPDATE runs SET uid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
UPDATE pain_reports SET uid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
UPDATE checkins SET uid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
UPDATE sessions SET uid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
UPDATE findings SET uid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
UPDATE treatments SET uid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));

CREATE UNIQUE INDEX shoes_uid ON shoes (uid);
CREATE UNIQUE INDEX runs_uid ON runs (uid);
CREATE UNIQUE INDEX pain_reports_uid ON pain_reports (uid);
CREATE UNIQUE INDEX checkins_uid ON checkins (uid);
CREATE UNIQUE INDEX sessions_uid ON sessions (uid);
CREATE UNIQUE INDEX findings_uid ON findings (uid);
CREATE UNIQUE INDEX treatments_uid ON treatments (uid);

CREATE TABLE sync_log (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT NOT NULL,
    uid     TEXT NOT NULL,
    deleted INTEGER NOT NULL
);
CREATE UNIQUE INDEX sync_log_record ON sync_log (kind, uid);

-- What exists now is new to any peer: logged parents first, each in id order.
INSERT INTO sync_log (kind, uid, deleted) SELECT 'shoe', uid, 0 FROM shoes ORDER BY id;
INSERT INTO sync_log (kind, uid, deleted) SELECT 'run', uid, 0 FROM runs ORDER BY id;
INSERT INTO sync_log (kind, uid, deleted) SELECT 'pain', uid, 0 FROM pain_reports ORDER BY id;
INSERT INTO sync_log (kind, uid, deleted) SELECT 'checkin', uid, 0 FROM checkins ORDER BY id;
INSERT INTO sync_log (kind, uid, deleted) SELECT 'session', uid, 0 FROM sessions ORDER BY id;
INSERT INTO sync_log (kind, uid, deleted) SELECT 'knot', uid, 0 FROM findings ORDER BY id;
INSERT INTO sync_log (kind, uid, deleted) SELECT 'treat', uid, 0 FROM treatments ORDER BY id;

CREATE TABLE sync_link (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    url       TEXT NOT NULL,
    token     TEXT NOT NULL,
    shares    TEXT NOT NULL,
    pushed    INTEGER NOT NULL,
    pulled    INTEGER NOT NULL,
    synced_at TEXT
);
