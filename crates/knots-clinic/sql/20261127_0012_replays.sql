-- The installable web app's offline queue (knots_clinic::pwa): every tick and run the runner's
-- phone sends through its service worker carries a client-made request id, and a request id seen
-- before for that client is not applied again, so a queued POST replayed twice (its answer lost
-- on the way back, two replays racing) records one tick and one run.
--
-- A tick claims its id in the tick's own transaction (INSERT … ON CONFLICT DO NOTHING). A run is
-- stored by the journal's use case (knots_app::record), in a transaction of its own, so the claim
-- is made by the trigger below in that same transaction: the server sets `knots.request` on the
-- connection just before storing the run and clears it just after, and a repeat violates the
-- primary key, which rolls the run back with it.
CREATE TABLE replays (
    clinic_id  BIGINT NOT NULL REFERENCES clinics (id) DEFAULT knots_setting('knots.clinic'),
    client_id  BIGINT NOT NULL REFERENCES clients (id),
    request_id TEXT NOT NULL CHECK (request_id ~ '^[0-9A-Za-z-]{8,64}$'),
    tbl        TEXT NOT NULL,
    row_id     BIGINT,
    created_s  BIGINT NOT NULL DEFAULT extract(epoch FROM now())::bigint,
    PRIMARY KEY (client_id, request_id)
);

-- The same tenant rules as every clinical table (0006_clinic): forced row-level security, the
-- `tenant` policy for the app role and `owner` for the schema owner. No audit trigger: a row
-- holds ids only, and the tick or run it stands for is audited itself.
ALTER TABLE replays ENABLE ROW LEVEL SECURITY;
ALTER TABLE replays FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON replays
    USING (clinic_id = knots_setting('knots.clinic')
           AND client_id = ANY ((SELECT knots_visible())::bigint[]))
    WITH CHECK (clinic_id = knots_setting('knots.clinic')
                AND client_id = ANY ((SELECT knots_visible())::bigint[]));
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner ON replays TO %I USING (true) WITH CHECK (true)',
                   current_user);
END $$;

-- Claims `knots.request` (when set and not empty) for the inserted row, as the invoker (the app
-- role, under the policies above).
CREATE FUNCTION knots_replayed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    request TEXT := nullif(current_setting('knots.request', true), '');
BEGIN
    IF request IS NOT NULL THEN
        INSERT INTO replays (client_id, request_id, tbl, row_id)
            VALUES (NEW.client_id, request, TG_TABLE_NAME, NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER replayed AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION knots_replayed();

GRANT SELECT, INSERT ON replays TO knots_app;
