-- The journal's `reactions` table (knots-store migration 0007_reactions) under the same rules as
-- every other clinical table in 0006_clinic: row-level security forced, the `tenant` policy for
-- the app role and `owner` for the schema owner, the audit trigger, and the app role's grant.
ALTER TABLE reactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE reactions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reactions
    USING (clinic_id = knots_setting('knots.clinic')
           AND client_id = ANY ((SELECT knots_visible())::bigint[]))
    WITH CHECK (clinic_id = knots_setting('knots.clinic')
                AND client_id = ANY ((SELECT knots_visible())::bigint[]));
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner ON reactions TO %I USING (true) WITH CHECK (true)',
                   current_user);
END $$;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON reactions
    FOR EACH ROW EXECUTE FUNCTION knots_audit();
GRANT SELECT, INSERT, UPDATE, DELETE ON reactions TO knots_app;
GRANT USAGE, SELECT ON SEQUENCE reactions_id_seq TO knots_app;
