-- Each client's record version, so that what the server computes from a whole record (the report,
-- the weekly adherence) can be kept until the record changes: the audit trigger, which already
-- runs on every insert, update and delete of every clinical row, now also sets the client's
-- version to the id of the audit row it wrote, in the same transaction. A reader takes the
-- version first and then the record, so a cached result is never newer-keyed than its data.
CREATE TABLE record_versions (
    client_id BIGINT PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    version   BIGINT NOT NULL
);
INSERT INTO record_versions (client_id, version)
    SELECT client_id, max(id) FROM audit
    WHERE client_id IS NOT NULL AND action <> 'read' GROUP BY client_id;

-- The server may read the versions of the clients it may see; only the trigger writes them.
ALTER TABLE record_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY see ON record_versions FOR SELECT USING (client_id = ANY (knots_visible()));
GRANT SELECT ON record_versions TO knots_app;

CREATE OR REPLACE FUNCTION knots_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp AS $$
DECLARE
    r JSONB := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
    client BIGINT := CASE WHEN TG_TABLE_NAME = 'clients' THEN (r ->> 'id')::bigint
                          ELSE (r ->> 'client_id')::bigint END;
    audit_id BIGINT;
BEGIN
    INSERT INTO audit (clinic_id, client_id, user_id, action, tbl, row_id, old, new)
    VALUES ((r ->> 'clinic_id')::bigint, client,
            knots_setting('knots.user'), lower(TG_OP), TG_TABLE_NAME, (r ->> 'id')::bigint,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END)
    RETURNING id INTO audit_id;
    -- A deleted client takes its version row with it (ON DELETE CASCADE).
    IF client IS NOT NULL AND NOT (TG_TABLE_NAME = 'clients' AND TG_OP = 'DELETE') THEN
        INSERT INTO record_versions (client_id, version) VALUES (client, audit_id)
            ON CONFLICT (client_id) DO UPDATE SET version = EXCLUDED.version;
    END IF;
    RETURN NULL;
END $$;
