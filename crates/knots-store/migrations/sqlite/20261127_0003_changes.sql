-- Change events: every edit and delete of a record, with the record before and after (JSON text),
-- written in the same transaction as the change (the audit trail; `knots log --changes`).
CREATE TABLE changes (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('edit', 'delete')),
    old       TEXT NOT NULL,
    new       TEXT NOT NULL
);
CREATE INDEX changes_record ON changes (kind, record_id);
