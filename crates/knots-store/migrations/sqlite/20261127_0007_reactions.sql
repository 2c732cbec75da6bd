-- Adverse reactions after treatments (bruising, a burn, soreness for days after deep work), kept
-- apart from pain reports so that "what works" can set what a treatment costs next to what it
-- seems to do. A reaction outlives the treatment it names (deleting the treatment clears
-- `treatment_id`).
CREATE TABLE reactions (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    severity     INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 10),
    hours        REAL,
    treatment_id INTEGER REFERENCES treatments (id),
    note         TEXT
);
CREATE INDEX reactions_treatment ON reactions (treatment_id);
