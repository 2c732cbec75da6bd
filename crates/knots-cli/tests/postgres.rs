//! The real binary on a PostgreSQL journal: `--db postgres://…`. Compiled only with the `pg-tests`
//! feature; `scripts/test` starts a throwaway server and sets `KNOTS_TEST_POSTGRES_URL`.
#![cfg(feature = "pg-tests")]
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;
use common::{knots, ok};

use std::io::{BufRead, Read, Write};
use std::process::{Command, Stdio};

use knots_store::testing::TestDb;

#[test]
fn the_core_loop_runs_on_postgres_and_exports_the_same_journal_as_sqlite() {
    let db = TestDb::new();
    let tour = ok(&db.url(), &["demo"]);
    assert!(
        tour.contains("Longest pain-free run since the pain began: 10.0 km"),
        "{tour}"
    );
    let find = ok(
        &db.url(),
        &[
            "find",
            "--region",
            "lateral_knee",
            "--side",
            "left",
            "--json",
        ],
    );
    assert!(find.contains("vastus_lateralis"));
    ok(
        &db.url(),
        &[
            "knot",
            "add",
            "--trigger-point",
            "soleus_1",
            "--side",
            "left",
            "--tenderness",
            "4",
        ],
    );
    let out = knots(
        &db.url(),
        &[
            "knot",
            "add",
            "--trigger-point",
            "soleus_1",
            "--side",
            "left",
            "--tenderness",
            "11",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let export = ok(&db.url(), &["export"]);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pg.json");
    std::fs::write(&file, &export).unwrap();
    let sqlite = dir.path().join("copy.db");
    let sqlite = sqlite.to_str().unwrap();
    ok(sqlite, &["import-json", file.to_str().unwrap()]);
    assert_eq!(
        ok(sqlite, &["export"]),
        export,
        "a PostgreSQL journal exports what SQLite does"
    );
}

#[test]
fn a_wrong_password_is_not_shown() {
    let admin = std::env::var("KNOTS_TEST_POSTGRES_URL").expect("set KNOTS_TEST_POSTGRES_URL");
    let url = admin
        .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1)
        .replace("/postgres", "/no_such_db");
    let out = knots(&url, &["status"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// A request to the server at `addr`; the status code and the body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// `knots serve` on a PostgreSQL journal, stopped on drop.
struct Server {
    child: std::process::Child,
    addr: String,
}

impl Server {
    fn start(url: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_knots"))
            .args(["--db", url, "serve", "--listen", "127.0.0.1:0"])
            .env_remove("KNOTS_DB")
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = std::io::BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .unwrap();
            if let Some(rest) = line.strip_prefix("knots: open http://") {
                break rest.split('/').next().unwrap().to_string();
            }
        };
        Server { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_on_postgres_answers_every_page_and_route_and_survives_a_lost_connection() {
    let db = TestDb::new();
    ok(&db.url(), &["demo"]);
    let server = Server::start(&db.url());
    let a = server.addr.as_str();
    for path in [
        "/",
        "/record",
        "/session/new",
        "/timeline",
        "/runs",
        "/runs/1",
        "/knots/vastus_lateralis_distal",
        "/report",
        "/plan",
        "/search?region=lateral_knee&side=left&context=during_run",
        "/import",
        "/api/journal",
        "/api/csrf",
        "/api/find?region=lateral_knee&side=left&context=during_run",
        "/assets/app.js",
    ] {
        let (status, body) = http(a, "GET", path, &[], "");
        assert_eq!(status, 200, "GET {path}: {body}");
    }
    let (_, csrf) = http(a, "GET", "/api/csrf", &[], "");
    let token: serde_json::Value = serde_json::from_str(&csrf).unwrap();
    let token = token["csrf"].as_str().unwrap().to_string();
    let json = [
        ("content-type", "application/json"),
        ("x-csrf-token", token.as_str()),
    ];
    let (status, body) = http(
        a,
        "POST",
        "/api/journal/run",
        &json,
        r#"{"km": 4.2, "minutes": 25}"#,
    );
    assert_eq!(status, 200, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, body) = http(
        a,
        "PATCH",
        &format!("/api/journal/run/{id}"),
        &json,
        r#"{"km": 4.4}"#,
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(
        a,
        "PATCH",
        &format!("/api/journal/run/{id}"),
        &json,
        r#"{"kms": 4.4}"#,
    );
    assert_eq!(status, 422, "an unknown field is named: {body}");
    assert!(body.contains("kms"));
    let (status, _) = http(a, "DELETE", &format!("/api/journal/run/{id}"), &json, "");
    assert_eq!(status, 200);
    let (status, _) = http(a, "DELETE", &format!("/api/journal/run/{id}"), &json, "");
    assert_eq!(status, 404, "deleted once");

    // The server's connections are cut (as by a restart): a request may fail with 503, and the
    // ones after it succeed on new connections.
    let admin = std::env::var("KNOTS_TEST_POSTGRES_URL").unwrap();
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    client
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            &[&db.name],
        )
        .unwrap();
    let (first, _) = http(a, "GET", "/timeline", &[], "");
    assert!(first == 200 || first == 503, "{first}");
    for _ in 0..3 {
        let (status, body) = http(a, "GET", "/timeline", &[], "");
        assert_eq!(status, 200, "{body}");
    }
    let changes = ok(&db.url(), &["log", "--changes", "--json"]);
    assert!(changes.contains("\"delete\""), "{changes}");
}
