-- The knots journal, version 1. Never edit a shipped migration: add a new file.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE profile (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    leg_length_diff_mm REAL,
    longer_leg         TEXT,
    note               TEXT
);

CREATE TABLE shoes (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    started    TEXT NOT NULL,
    retired    TEXT,
    initial_km REAL NOT NULL CHECK (initial_km >= 0),
    limit_km   REAL NOT NULL CHECK (limit_km > 0)
);

CREATE TABLE runs (
    id                INTEGER PRIMARY KEY,
    date              TEXT NOT NULL,
    km                REAL NOT NULL CHECK (km >= 0),
    minutes           REAL,
    shoe_id           INTEGER REFERENCES shoes (id),
    surface           TEXT,
    camber            TEXT NOT NULL,
    pain_onset_km     REAL,
    max_pain          INTEGER CHECK (max_pain BETWEEN 0 AND 10),
    pain_next_morning INTEGER CHECK (pain_next_morning BETWEEN 0 AND 10),
    rpe               INTEGER CHECK (rpe BETWEEN 0 AND 10),
    note              TEXT
);
CREATE INDEX runs_date ON runs (date);

CREATE TABLE pain_reports (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    regions   TEXT NOT NULL, -- JSON array of region ids
    side      TEXT NOT NULL,
    pain      INTEGER NOT NULL CHECK (pain BETWEEN 0 AND 10),
    context   TEXT NOT NULL,
    onset_km  REAL,
    red_flags TEXT NOT NULL, -- JSON array of red-flag ids answered yes
    note      TEXT
);

CREATE TABLE sessions (
    id               INTEGER PRIMARY KEY,
    at               TEXT NOT NULL,
    therapist        TEXT,
    subjective       TEXT NOT NULL,
    objective        TEXT NOT NULL,
    assessment       TEXT NOT NULL,
    plan             TEXT NOT NULL,
    pressure_ceiling INTEGER NOT NULL CHECK (pressure_ceiling BETWEEN 0 AND 10),
    relaxation       INTEGER CHECK (relaxation BETWEEN 0 AND 10),
    minutes          REAL
);

CREATE TABLE findings (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    trigger_point TEXT NOT NULL,
    side          TEXT NOT NULL,
    tenderness    INTEGER NOT NULL CHECK (tenderness BETWEEN 0 AND 10),
    taut_band     INTEGER NOT NULL,
    reproduces    INTEGER NOT NULL,
    ppt_kg_cm2    REAL,
    session_id    INTEGER REFERENCES sessions (id),
    note          TEXT
);
CREATE INDEX findings_trigger_point ON findings (trigger_point, at);

CREATE TABLE treatments (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    target     TEXT,
    side       TEXT NOT NULL,
    pressure   INTEGER CHECK (pressure BETWEEN 0 AND 10),
    minutes    REAL,
    given_by   TEXT NOT NULL,
    session_id INTEGER REFERENCES sessions (id),
    note       TEXT
);

CREATE TABLE checkins (
    id           INTEGER PRIMARY KEY,
    date         TEXT NOT NULL UNIQUE,
    morning_pain INTEGER CHECK (morning_pain BETWEEN 0 AND 10),
    stiffness    INTEGER CHECK (stiffness BETWEEN 0 AND 10),
    water_l      REAL,
    potassium    INTEGER,
    sleep_h      REAL,
    note         TEXT
);
