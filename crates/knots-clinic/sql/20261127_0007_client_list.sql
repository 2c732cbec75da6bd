-- The client list shows each client's latest session and latest run (for the pain gate). With
-- five years of a practice (1,000 clients, 700 runs and 65 sessions each) the per-client index
-- alone made each lookup read and sort all of a client's rows; these answer each with one entry.
CREATE INDEX runs_client_latest ON runs (client_id, date DESC, id DESC);
CREATE INDEX sessions_client_latest ON sessions (client_id, at DESC);
