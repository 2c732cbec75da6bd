-- The journal's `originals` table (knots-store migration 0009_originals: the activity files as
-- imported) under the same rules as every other clinical table: row-level security forced, the
-- `tenant` policy for the app role and `owner` for the schema owner, an audit trigger, and the
-- app role's grant. The audit row names the file (name, codec, size, CRC-32, activity) but does
-- not copy its bytes: a GPS track is health data, and the audit trail is kept for good.
ALTER TABLE originals ENABLE ROW LEVEL SECURITY;
ALTER TABLE originals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON originals
    USING (clinic_id = knots_setting('knots.clinic')
           AND client_id = ANY ((SELECT knots_visible())::bigint[]))
    WITH CHECK (clinic_id = knots_setting('knots.clinic')
                AND client_id = ANY ((SELECT knots_visible())::bigint[]));
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner ON originals TO %I USING (true) WITH CHECK (true)',
                   current_user);
END $$;

-- `knots_audit` without the `data` column.
CREATE FUNCTION knots_audit_original() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp AS $$
DECLARE
    o JSONB := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - 'data' END;
    n JSONB := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - 'data' END;
    r JSONB := coalesce(n, o);
BEGIN
    INSERT INTO audit (clinic_id, client_id, user_id, action, tbl, row_id, old, new)
    VALUES ((r ->> 'clinic_id')::bigint, (r ->> 'client_id')::bigint,
            knots_setting('knots.user'), lower(TG_OP), TG_TABLE_NAME, (r ->> 'id')::bigint,
            o, n);
    RETURN NULL;
END $$;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON originals
    FOR EACH ROW EXECUTE FUNCTION knots_audit_original();
GRANT SELECT, INSERT, UPDATE, DELETE ON originals TO knots_app;
GRANT USAGE, SELECT ON SEQUENCE originals_id_seq TO knots_app;
