-- Clinic mode (PostgreSQL only): every journal table carries the clinic and the client a row
-- belongs to. The defaults come from the transaction's settings, which a scoped engine sets with
-- `SET LOCAL` (`knots_store::postgres::Scope`), so the store's SQL stays as it is. A single-user
-- journal never sets them: its rows keep NULL and nothing changes for it.
-- Row-level security on these tables is turned on by `knots clinic create`
-- (crates/knots-clinic/sql/), not here: a single-user journal has no accounts to key it on.
-- Uniqueness that was per journal becomes per client (NULL counts as one journal of its own).
-- No SQLite twin: SQLite journals are single-user (tests/postgres_story.rs leaves these columns and
-- keys out of its comparison, saying why).
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['profile', 'shoes', 'runs', 'pain_reports', 'sessions', 'findings',
                             'treatments', 'checkins', 'activities', 'changes'] LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN clinic_id BIGINT '
                       'DEFAULT nullif(current_setting(''knots.clinic'', true), '''')::bigint', t);
        EXECUTE format('ALTER TABLE %I ADD COLUMN client_id BIGINT '
                       'DEFAULT nullif(current_setting(''knots.client'', true), '''')::bigint', t);
        EXECUTE format('CREATE INDEX %I ON %I (client_id)', t || '_client', t);
    END LOOP;
END $$;

ALTER TABLE profile DROP CONSTRAINT profile_pkey;
CREATE UNIQUE INDEX profile_per_client ON profile (COALESCE(client_id, 0), id);
ALTER TABLE shoes DROP CONSTRAINT shoes_name_key;
CREATE UNIQUE INDEX shoes_name_per_client ON shoes (COALESCE(client_id, 0), name);
ALTER TABLE checkins DROP CONSTRAINT checkins_date_key;
CREATE UNIQUE INDEX checkins_date_per_client ON checkins (COALESCE(client_id, 0), date);
