-- Activities imported from files (FIT sessions, GPX/TCX files, Strava rows). Running activities
-- also have a row in `runs`. The stream is a compact blob: 5 little-endian f32 per point
-- (t, distance, hr, cadence, altitude), NaN where the device recorded nothing.
CREATE TABLE activities (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER REFERENCES runs (id),
    sport        TEXT NOT NULL,
    start        TEXT NOT NULL,
    start_s      INTEGER NOT NULL, -- the start as Unix seconds, for duplicate look-ups
    utc_offset_s INTEGER,
    source       TEXT NOT NULL,
    name         TEXT,
    distance_m   REAL,
    elapsed_s    REAL NOT NULL,
    timer_s      REAL,
    ascent_m     REAL,
    avg_hr       REAL,
    max_hr       REAL,
    avg_cadence  REAL,
    max_cadence  REAL,
    laps         INTEGER NOT NULL,
    stream       BLOB NOT NULL
);
CREATE INDEX activities_start ON activities (start_s);
