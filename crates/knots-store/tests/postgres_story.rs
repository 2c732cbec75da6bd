//! The store stories (`common/mod.rs`) on PostgreSQL. Built only with the `pg-tests` feature;
//! then `KNOTS_TEST_POSTGRES_URL` must name a server (`scripts/test` starts a throwaway one), or
//! these tests fail rather than pass without having run. Each test works in a fresh database with
//! a random name, dropped by a guard when the test ends, pass or fail.
#![cfg(feature = "pg-tests")]
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use common::{import_files_story, import_story, originals_story, story};
use knots_store::{Error, PostgresStore, Store};

use knots_store::testing::TestDb;

#[test]
fn postgres_story() {
    let db = TestDb::new();
    let mut store = PostgresStore::open(&db.url()).unwrap();
    story(&mut store);
    drop(store);
    let reopened = PostgresStore::open(&db.url()).unwrap();
    assert!(reopened.is_demo().unwrap(), "reopening keeps everything");
}

#[test]
fn postgres_import_story() {
    let db = TestDb::new();
    let mut store = PostgresStore::open(&db.url()).unwrap();
    import_story(&mut store);
}

#[test]
fn postgres_import_files_story() {
    let db = TestDb::new();
    let mut store = PostgresStore::open(&db.url()).unwrap();
    import_files_story(&mut store);
}

#[test]
fn postgres_originals_story() {
    let db = TestDb::new();
    let mut store = PostgresStore::open(&db.url()).unwrap();
    originals_story(&mut store);
}

#[test]
fn postgres_debug_and_errors_never_show_the_password() {
    let db = TestDb::new();
    // The test server trusts local logins, so a password is accepted and ignored.
    let plain = db.url();
    let (scheme, rest) = plain.split_once("://").unwrap();
    let url = match rest.split_once('@') {
        Some((user, host)) if !user.contains(':') => {
            format!("{scheme}://{user}:hunter2-secret@{host}")
        }
        Some(_) => plain.clone(), // the URL has a password of its own: it must not show either
        None => format!("{scheme}://postgres:hunter2-secret@{rest}"),
    };
    let store = PostgresStore::open(&url).unwrap();
    let shown = format!("{store:?}");
    assert!(shown.contains(&db.name), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    let config: postgres::Config = url.parse().unwrap();
    if let Some(password) = config.get_password() {
        assert!(
            !shown
                .as_bytes()
                .windows(password.len())
                .any(|w| w == password),
            "{shown}"
        );
    }

    // A database that does not exist: `Open`, naming the URL without the password.
    let missing = url.replace(&db.name, &format!("{}_missing", db.name));
    let err = PostgresStore::open(&missing).unwrap_err();
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn postgres_refuses_a_database_migrated_by_a_newer_knots() {
    let db = TestDb::new();
    drop(PostgresStore::open(&db.url()).unwrap());
    let mut client = postgres::Client::connect(&db.url(), postgres::NoTls).unwrap();
    client
        .batch_execute(
            "INSERT INTO schema_migrations (version, name) VALUES (99, 'from_the_future')",
        )
        .unwrap();
    let err = PostgresStore::open(&db.url()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("newer"), "{err}");
}

/// A column as both engines can describe it: name, type family, NOT NULL, primary key, the table
/// a foreign key points to, and whether it is UNIQUE on its own.
type Column = (String, &'static str, bool, bool, Option<String>, bool);

/// The type family of a declared column type: SQLite's affinity, which a PostgreSQL type must
/// match (SQLite keeps booleans as integers).
fn family(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") || t == "boolean" {
        "integer"
    } else if t.contains("double") || t == "real" {
        "real"
    } else if t == "blob" || t == "bytea" {
        "blob"
    } else {
        "text"
    }
}

#[test]
fn the_two_migration_sets_make_the_same_tables_columns_and_constraints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.db");
    drop(knots_store::SqliteStore::open(&path).unwrap());
    let lite = rusqlite::Connection::open(&path).unwrap();
    let mut sqlite: Vec<(String, Column)> = Vec::new();
    let tables: Vec<String> = lite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for table in &tables {
        let fks: Vec<(String, String)> = lite
            .prepare(&format!(
                "SELECT \"from\", \"table\" FROM pragma_foreign_key_list('{table}')"
            ))
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let uniques: Vec<String> = lite
            .prepare(&format!(
                "SELECT ii.name FROM pragma_index_list('{table}') il, pragma_index_info(il.name) ii \
                 WHERE il.\"unique\" = 1 AND il.origin = 'u'"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let cols: Vec<(String, String, bool, bool)> = lite
            .prepare(&format!(
                "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{table}')"
            ))
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? > 0))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (name, ty, notnull, pk) in cols {
            let fk = fks.iter().find(|(c, _)| *c == name).map(|(_, t)| t.clone());
            let unique = uniques.contains(&name);
            // A primary key is NOT NULL in PostgreSQL whether or not it says so.
            sqlite.push((
                table.clone(),
                (name, family(&ty), notnull || pk, pk, fk, unique),
            ));
        }
    }

    let db = TestDb::new();
    drop(PostgresStore::open(&db.url()).unwrap());
    let mut pg = postgres::Client::connect(&db.url(), postgres::NoTls).unwrap();
    let mut postgres: Vec<(String, Column)> = Vec::new();
    let rows = pg
        .query(
            "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable = 'NO', \
             EXISTS (SELECT 1 FROM information_schema.table_constraints tc \
                     JOIN information_schema.key_column_usage k USING (constraint_name, table_name) \
                     WHERE tc.table_name = c.table_name AND k.column_name = c.column_name \
                       AND tc.constraint_type = 'PRIMARY KEY'), \
             (SELECT ccu.table_name::text FROM information_schema.table_constraints tc \
                     JOIN information_schema.key_column_usage k USING (constraint_name, table_name) \
                     JOIN information_schema.constraint_column_usage ccu USING (constraint_name) \
                     WHERE tc.table_name = c.table_name AND k.column_name = c.column_name \
                       AND tc.constraint_type = 'FOREIGN KEY'), \
             EXISTS (SELECT 1 FROM information_schema.table_constraints tc \
                     JOIN information_schema.key_column_usage k USING (constraint_name, table_name) \
                     WHERE tc.table_name = c.table_name AND k.column_name = c.column_name \
                       AND tc.constraint_type = 'UNIQUE') \
             FROM information_schema.columns c \
             WHERE c.table_schema = 'public' AND c.table_name <> 'schema_migrations'",
            &[],
        )
        .unwrap();
    for r in rows {
        let ty: String = r.get(2);
        postgres.push((
            r.get(0),
            (
                r.get(1),
                family(&ty),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
            ),
        ));
    }
    // Clinic mode (migration 0005, PostgreSQL only): the tenant columns exist only in
    // PostgreSQL, and the keys that were per journal (the profile's id, a shoe's name, a
    // check-in's date) became per-client unique indexes there. SQLite journals are single-user,
    // so these are left out of the comparison; every other column and key must match.
    postgres.retain(|(_, c)| c.0 != "clinic_id" && c.0 != "client_id");
    for (table, c) in sqlite.iter_mut().chain(postgres.iter_mut()) {
        if matches!(
            (table.as_str(), c.0.as_str()),
            ("profile", "id") | ("shoes", "name") | ("checkins", "date")
        ) {
            c.2 = true;
            c.3 = false;
            c.5 = false;
        }
    }
    sqlite.sort();
    postgres.sort();
    assert_eq!(sqlite, postgres, "the SQLite and PostgreSQL schemas differ");
    // CHECK constraints: the same number per table (their text differs by dialect).
    let checks = |sql: &str| sql.matches("CHECK").count();
    for table in &tables {
        let lite_sql: String = lite
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        let n: i64 = pg
            .query_one(
                "SELECT count(*) FROM information_schema.table_constraints \
                 WHERE table_name = $1 AND constraint_type = 'CHECK' \
                 AND constraint_name NOT LIKE '%_not_null'",
                &[table],
            )
            .unwrap()
            .get(0);
        assert_eq!(
            checks(&lite_sql) as i64,
            n,
            "CHECK constraints of `{table}`"
        );
    }
}
