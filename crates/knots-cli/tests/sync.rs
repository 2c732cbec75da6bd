//! Sharing and sync between runners' own journals (SQLite, the real `knots` binary) and a real
//! clinic server (`knots serve --clinic` on a throwaway PostgreSQL database): link, share, sync
//! both ways, edits and deletes on each side, the ownership rule, revoke, refused codes, and a
//! fault test that kills the client and the server at random points. Compiled only with the
//! `pg-tests` feature; `scripts/test` starts the PostgreSQL server and sets
//! `KNOTS_TEST_POSTGRES_URL`. `KNOTS_SYNC_FAULT_RUNS` sets the fault test's number of killed
//! syncs (default 12; the issue's figure is 50).
#![cfg(feature = "pg-tests")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;
use common::{command, knots, ok};

use knots_app::sync::{practice_sends, runner_shares};
use knots_core::Atlas;
use knots_core::change::{Kind, Record};
use knots_core::journal::{
    By, Finding, Now, Run, Session, SessionRecord, Side as BodySide, Treatment, TreatmentKind,
};
use knots_core::sync::{Share, Side};
use knots_core::{Km, Nrs};
use knots_store::postgres::Scope;
use knots_store::sync::Item;
use knots_store::testing::TestDb;
use knots_store::{PostgresStore, SqliteStore, Store};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";

/// A request to the server at `addr`: the status, the `Set-Cookie` value and the body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Option<String>, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .map(str::to_string);
    // Chunked bodies (JSON answers) carry their sizes between the chunks.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut rest = body;
        let mut whole = String::new();
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            whole.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        whole
    } else {
        body.to_string()
    };
    (status, cookie, body)
}

/// Signs `email` in (with [`PASSWORD`]) on the server at `addr`: its session cookie and CSRF token.
fn login(addr: &str, email: &str) -> (String, String) {
    let (status, cookie, body) = http(
        addr,
        "POST",
        "/login",
        &[("content-type", "application/x-www-form-urlencoded")],
        &format!(
            "email={}&password={}",
            email.replace('@', "%40"),
            PASSWORD.replace(' ', "+")
        ),
    );
    assert_eq!(status, 303, "{body}");
    let cookie = cookie.unwrap();
    let (_, _, body) = http(addr, "GET", "/api/csrf", &[("cookie", &cookie)], "");
    let csrf = serde_json::from_str::<serde_json::Value>(&body).unwrap()["csrf"]
        .as_str()
        .unwrap()
        .to_string();
    (cookie, csrf)
}

/// `knots serve --clinic` on a fixed port (so that it can be restarted where runners' links
/// point), stopped on drop.
struct Server {
    child: Option<Child>,
    url: String,
    port: u16,
}

impl Server {
    fn start(db: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut s = Server {
            child: None,
            url: db.to_string(),
            port,
        };
        s.restart();
        s
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr())
    }

    fn restart(&mut self) {
        self.kill();
        for _ in 0..50 {
            let mut child = command()
                .args(["--db", &self.url, "serve", "--clinic", "--listen"])
                .arg(self.addr())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let stderr = child.stderr.take().unwrap();
            let mut lines = std::io::BufReader::new(stderr).lines();
            let up = lines.any(|l| l.is_ok_and(|l| l.contains("open http://")));
            if up {
                // Keep reading its stderr so that the server never blocks on a full pipe.
                std::thread::spawn(move || for _ in lines {});
                self.child = Some(child);
                return;
            }
            let _ = child.wait();
            // The port is still held by the killed server's connections: try again.
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the clinic server did not start on {}", self.addr());
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `knots serve` on a runner's own journal, stopped on drop.
struct LocalApp(Child, String);

impl LocalApp {
    fn start(journal: &str) -> LocalApp {
        let mut child = command()
            .args(["--db", journal, "serve", "--listen", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = std::io::BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines.next().expect("the app printed its address").unwrap();
            if let Some(rest) = line.strip_prefix("knots: open http://") {
                break rest.split('/').next().unwrap().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        LocalApp(child, addr)
    }
}

impl Drop for LocalApp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A practice: a clinic with a therapist, on a server.
struct Practice {
    db: TestDb,
    server: Server,
    cookie: String,
    csrf: String,
    clinic: i64,
    therapist: i64,
    dir: tempfile::TempDir,
}

impl Practice {
    fn new() -> Practice {
        let db = TestDb::new();
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, PASSWORD).unwrap();
        let pw = pw.to_str().unwrap();
        let url = db.url();
        ok(
            &url,
            &[
                "clinic",
                "create",
                "Practice",
                "--admin-email",
                "admin@example.org",
                "--password-file",
                pw,
            ],
        );
        ok(
            &url,
            &[
                "clinic",
                "user",
                "add",
                "--clinic",
                "Practice",
                "--role",
                "therapist",
                "--email",
                "t@example.org",
                "--password-file",
                pw,
            ],
        );
        let server = Server::start(&url);
        let (cookie, csrf) = login(&server.addr(), "t@example.org");
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let row = admin
            .query_one(
                "SELECT id, clinic_id FROM users WHERE email = 't@example.org'",
                &[],
            )
            .unwrap();
        Practice {
            db,
            server,
            cookie,
            csrf,
            clinic: row.get(1),
            therapist: row.get(0),
            dir,
        }
    }

    fn api(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let (status, _, text) = http(
            &self.server.addr(),
            method,
            path,
            &[
                ("cookie", &self.cookie),
                ("x-csrf-token", &self.csrf),
                ("content-type", "application/json"),
            ],
            body,
        );
        assert_eq!(status, 200, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// A new client in the therapist's care and an invitation code for them.
    fn client(&self, name: &str) -> (i64, String) {
        let id = self.api("POST", "/api/clients", &format!(r#"{{"name": "{name}"}}"#))["id"]
            .as_i64()
            .unwrap();
        let code = self.api("POST", &format!("/api/clients/{id}/invite"), "{}")["code"]
            .as_str()
            .unwrap()
            .to_string();
        (id, code)
    }

    /// The server's database acting as `user` (the therapist, or a runner) on `client`'s record,
    /// under row-level security.
    fn store(&self, user: i64, client: i64) -> PostgresStore {
        let mut db = PostgresStore::open(&self.db.url()).unwrap();
        db.set_role("knots_app").unwrap();
        db.set_scope(Some(Scope {
            user,
            clinic: self.clinic,
            client: Some(client),
            audit_reads: false,
        }));
        db
    }

    fn runner_id(&self, email: &str) -> i64 {
        let mut admin = postgres::Client::connect(&self.db.url(), postgres::NoTls).unwrap();
        admin
            .query_one("SELECT id FROM users WHERE email = $1", &[&email])
            .unwrap()
            .get(0)
    }

    fn password_file(&self) -> String {
        self.dir.path().join("pw").to_str().unwrap().to_string()
    }
}

fn now() -> Now {
    let z = jiff::Zoned::now();
    Now {
        at: z.timestamp(),
        today: z.date(),
    }
}

fn cx() -> knots_app::Context<'static> {
    knots_app::Context {
        atlas: Atlas::shipped(),
        now: now(),
        force: true,
    }
}

/// A session with one finding and one therapist treatment.
fn session(plan: &str, tenderness: u8) -> SessionRecord {
    let at = now().at - jiff::SignedDuration::from_hours(2);
    SessionRecord {
        session: Session {
            at,
            therapist: Some("T".into()),
            subjective: "knee on descents".into(),
            objective: String::new(),
            assessment: String::new(),
            plan: plan.into(),
            pressure_ceiling: Nrs::new(6).unwrap(),
            relaxation: None,
            minutes: Some(45.0),
        },
        findings: vec![Finding {
            at,
            trigger_point: knots_core::TriggerPointId("vastus_lateralis_mid".into()),
            side: BodySide::Left,
            tenderness: Nrs::new(tenderness).unwrap(),
            taut_band: true,
            reproduces: true,
            ppt_kg_cm2: None,
            session: None,
            note: None,
        }],
        treatments: vec![Treatment {
            at,
            kind: TreatmentKind::DeepTissue,
            target: Some("vastus_lateralis_mid".into()),
            side: BodySide::Left,
            pressure: Some(Nrs::new(5).unwrap()),
            minutes: Some(5.0),
            by: By::Therapist,
            session: None,
            note: None,
        }],
    }
}

fn run(day: i64, km: f64, shoe: Option<i64>) -> Run {
    Run {
        date: now().today - jiff::Span::new().days(day),
        km: Km::new(km).unwrap(),
        minutes: Some(km * 6.0),
        shoe,
        surface: None,
        camber: "none".parse().unwrap(),
        pain_onset_km: None,
        max_pain: Some(Nrs::new(1).unwrap()),
        pain_next_morning: None,
        rpe: None,
        note: Some(format!("day {day}")),
    }
}

/// The record an item stands for, with its reference set when it has one (who owns a finding or a
/// treatment depends on whether it belongs to a session).
fn as_held(item: &Item) -> Record {
    let mut json = item.record.clone().unwrap();
    if item.parent.is_some() && matches!(item.kind, Kind::Finding | Kind::Treatment) {
        json["session"] = serde_json::json!(1);
    }
    Record::from_json(item.kind, json).unwrap()
}

/// The shared records a runner's journal holds: those it wrote of the shared kinds, and those
/// pulled from the practice.
fn local_shared(path: &Path, shares: &[Share]) -> Vec<Item> {
    let db = SqliteStore::open(path).unwrap();
    db.synced_records()
        .unwrap()
        .into_iter()
        .filter(|(origin, item)| {
            let record = as_held(item);
            match origin {
                None => runner_shares(shares, item.kind, Some(&record)),
                Some(side) => *side == Side::Practice,
            }
        })
        .map(|(_, item)| item)
        .collect()
}

/// The shared records the server holds for a client, read as that client's runner (row-level
/// security keeps other clients out): pushed by the runner, and written by the practice.
fn server_shared(p: &Practice, runner: i64, client: i64) -> Vec<Item> {
    let db = p.store(runner, client);
    db.synced_records()
        .unwrap()
        .into_iter()
        .filter(|(origin, item)| {
            let record = as_held(item);
            match origin {
                None => practice_sends(item.kind, Some(&record)),
                Some(side) => *side == Side::Runner,
            }
        })
        .map(|(_, item)| item)
        .collect()
}

/// Asserts that two sides hold the same shared records, naming the first few that differ.
fn assert_same(local: &[Item], server: &[Item], context: &str) {
    let only = |a: &[Item], b: &[Item]| -> Vec<String> {
        a.iter()
            .filter(|i| !b.contains(i))
            .take(5)
            .map(|i| format!("{} {} {:?}", i.kind, i.uid, i.record))
            .collect()
    };
    assert!(
        local == server,
        "{context}: the two sides differ ({} records here, {} on the server)\nonly here: {:#?}\nonly on the server: {:#?}",
        local.len(),
        server.len(),
        only(local, server),
        only(server, local)
    );
}

fn sync_json(journal: &str) -> serde_json::Value {
    let out = knots(journal, &["sync", "--json"]);
    assert!(
        out.status.success(),
        "sync failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn kinds(items: &[Item]) -> Vec<Kind> {
    items.iter().map(|i| i.kind).collect()
}

fn id_of(path: &Path, kind: Kind, nth: usize) -> i64 {
    let j = SqliteStore::open(path).unwrap().journal().unwrap();
    match kind {
        Kind::Run => j.runs[nth].id,
        Kind::Pain => j.pain_reports[nth].id,
        Kind::Session => j.sessions[nth].id,
        _ => unreachable!(),
    }
}

#[test]
fn two_runners_share_sync_both_ways_edit_delete_and_revoke() {
    let p = Practice::new();
    let dir = tempfile::tempdir().unwrap();
    let pw = p.password_file();
    let a_path = dir.path().join("a.db");
    let b_path = dir.path().join("b.db");
    let a = a_path.to_str().unwrap();
    let b = b_path.to_str().unwrap();
    let all = [Share::Runs, Share::Pain, Share::SelfCare, Share::Checkins];

    // Runner A's journal, kept before any practice: runs on a shoe, pain, self-care, a
    // check-in, and a finding of their own (never shared).
    ok(a, &["shoe", "add", "Pegasus", "--started", "2026-01-01"]);
    ok(
        a,
        &[
            "run",
            "add",
            "--km",
            "8",
            "--minutes",
            "48",
            "--date",
            "2026-11-01",
            "--shoe",
            "Pegasus",
        ],
    );
    ok(a, &["run", "add", "--km", "5", "--date", "2026-11-03"]);
    ok(
        a,
        &[
            "pain",
            "add",
            "--region",
            "lateral_knee",
            "--side",
            "left",
            "--pain",
            "4",
            "--context",
            "during_run",
            "--no-red-flags",
        ],
    );
    ok(
        a,
        &[
            "treat",
            "add",
            "--kind",
            "foam_roll",
            "--target",
            "vastus_lateralis_mid",
            "--side",
            "left",
            "--minutes",
            "5",
        ],
    );
    ok(a, &["checkin", "--morning-pain", "2"]);
    ok(
        a,
        &[
            "knot",
            "add",
            "--trigger-point",
            "soleus_1",
            "--side",
            "left",
            "--tenderness",
            "3",
        ],
    );
    // Runner B shares runs only: their pain stays home.
    ok(b, &["run", "add", "--km", "10", "--date", "2026-11-02"]);
    ok(
        b,
        &[
            "pain",
            "add",
            "--region",
            "lateral_knee",
            "--side",
            "right",
            "--pain",
            "6",
            "--context",
            "during_run",
            "--no-red-flags",
        ],
    );

    let (client_a, code_a) = p.client("Runner A");
    let (client_b, code_b) = p.client("Runner B");
    let link = |journal: &str, code: &str, email: &str, share: &str| {
        knots(
            journal,
            &[
                "share",
                "link",
                &p.server.base(),
                "--code",
                code,
                "--email",
                email,
                "--password-file",
                &pw,
                "--share",
                share,
            ],
        )
    };
    let out = link(a, &code_a, "a@example.org", "runs,pain,self-care,checkins");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = link(b, &code_b, "b@example.org", "runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runner_a = p.runner_id("a@example.org");
    let runner_b = p.runner_id("b@example.org");

    // The therapist records a session for each.
    let mut ta = p.store(p.therapist, client_a);
    knots_app::record::add_session(&mut ta, &session("glute med work", 7), cx()).unwrap();
    let mut tb = p.store(p.therapist, client_b);
    knots_app::record::add_session(&mut tb, &session("calf", 5), cx()).unwrap();

    let got = sync_json(a);
    assert_eq!(got["schema"], "knots.sync/1");
    // 2 runs, the shoe, the pain report, the self-treatment, the check-in; not the finding.
    assert_eq!(got["pushed"], 6, "{got}");
    // The session, its finding and its treatment.
    assert_eq!(got["pulled"], 3, "{got}");
    let mut admin = postgres::Client::connect(&p.db.url(), postgres::NoTls).unwrap();
    let audited: i64 = admin
        .query_one(
            "SELECT count(*) FROM audit WHERE tbl = 'runs' AND action = 'insert' \
             AND client_id = $1 AND user_id = $2",
            &[&client_a, &runner_a],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        audited, 2,
        "each pushed run is on the audit trail as the runner's"
    );
    let got = sync_json(b);
    assert_eq!(
        (got["pushed"].as_i64(), got["pulled"].as_i64()),
        (Some(1), Some(3))
    );
    // A rerun changes nothing on either side.
    let again = sync_json(a);
    assert_eq!(
        (again["pushed"].as_i64(), again["pulled"].as_i64()),
        (Some(0), Some(0))
    );
    // The local app shows when the journal last synced, and syncs from its button.
    {
        let app = LocalApp::start(a);
        let (status, _, page) = http(&app.1, "GET", "/timeline", &[], "");
        assert_eq!(status, 200);
        assert!(
            page.contains("last synced") && page.contains("Sync now"),
            "{page}"
        );
        let (_, _, csrf) = http(&app.1, "GET", "/api/csrf", &[], "");
        let csrf = serde_json::from_str::<serde_json::Value>(&csrf).unwrap()["csrf"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, _, page) = http(
            &app.1,
            "POST",
            "/sync",
            &[("content-type", "application/x-www-form-urlencoded")],
            &format!("csrf={csrf}"),
        );
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("Synced: 0 changes sent, 0 fetched."),
            "{page}"
        );
    }

    let same = |path: &Path, shares: &[Share], runner: i64, client: i64| {
        let local = local_shared(path, shares);
        let server = server_shared(&p, runner, client);
        assert_same(&local, &server, "after a sync");
        local
    };
    let shared_a = same(&a_path, &all, runner_a, client_a);
    let count = |items: &[Item], kind: Kind| items.iter().filter(|i| i.kind == kind).count();
    for (kind, n) in [
        (Kind::Shoe, 1),
        (Kind::Pain, 1),
        (Kind::Checkin, 1),
        (Kind::Session, 1),
        (Kind::Finding, 1),
    ] {
        assert_eq!(count(&shared_a, kind), n, "{kind}: {:?}", kinds(&shared_a));
    }
    assert_eq!(shared_a.iter().filter(|i| i.kind == Kind::Run).count(), 2);
    assert_eq!(
        shared_a
            .iter()
            .filter(|i| i.kind == Kind::Treatment)
            .count(),
        2
    );
    assert!(
        !shared_a.iter().any(|i| i.kind == Kind::Finding
            && i.record.as_ref().unwrap()["trigger_point"] == "soleus_1")
    );
    // The run names its shoe on the server too (by global id).
    let shod = shared_a
        .iter()
        .find(|i| i.kind == Kind::Run && i.parent.is_some())
        .unwrap();
    let shoe = shared_a.iter().find(|i| i.kind == Kind::Shoe).unwrap();
    assert_eq!(shod.parent.as_deref(), Some(shoe.uid.as_str()));
    let shared_b = same(&b_path, &[Share::Runs], runner_b, client_b);
    assert!(
        !shared_b.iter().any(|i| i.kind == Kind::Pain),
        "B's pain was not shared"
    );
    assert!(
        shared_b
            .iter()
            .all(|i| !shared_a.iter().any(|x| x.uid == i.uid)),
        "B's record holds nothing of A's"
    );

    // Edits on each side by the owner; deletes; the non-owner refused on each side.
    let run1 = id_of(&a_path, Kind::Run, 1);
    ok(a, &["run", "edit", &run1.to_string(), "--km", "5.5"]);
    let pain = id_of(&a_path, Kind::Pain, 0);
    ok(a, &["pain", "delete", &pain.to_string(), "--yes"]);
    let pulled = id_of(&a_path, Kind::Session, 0);
    let out = knots(
        a,
        &["session", "edit", &pulled.to_string(), "--plan", "mine"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("belongs to the practice"), "{err}");
    let out = knots(a, &["session", "delete", &pulled.to_string(), "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the runner cannot delete the practice's session"
    );

    let server_journal = ta.journal().unwrap();
    let session_id = server_journal.sessions[0].id;
    knots_app::record::edit(
        &mut ta,
        Kind::Session,
        session_id,
        &serde_json::json!({"plan": "add hip work"}),
        cx(),
    )
    .unwrap();
    let finding = server_journal.findings[0].id;
    knots_app::record::edit(
        &mut ta,
        Kind::Finding,
        finding,
        &serde_json::json!({"tenderness": 4}),
        cx(),
    )
    .unwrap();
    let pushed_run = server_journal.runs[0].id;
    let refused = knots_app::record::edit(
        &mut ta,
        Kind::Run,
        pushed_run,
        &serde_json::json!({"km": 20.0}),
        cx(),
    );
    assert!(
        matches!(&refused, Err(knots_app::Error::Conflict(m)) if m.contains("runner")),
        "a therapist cannot edit a pushed run: {refused:?}"
    );
    // A second session, then deleted: its tombstones travel.
    let gone = knots_app::record::add_session(&mut ta, &session("short", 3), cx()).unwrap();
    let got = sync_json(a);
    assert_eq!(
        got["pushed"], 2,
        "the edited run and the pain report's deletion: {got}"
    );
    knots_app::record::delete(&mut ta, Kind::Session, gone, now().at, false).unwrap();
    let got = sync_json(a);
    assert_eq!(got["pushed"], 0, "{got}");
    let shared_a = same(&a_path, &all, runner_a, client_a);
    assert!(
        !shared_a.iter().any(|i| i.kind == Kind::Pain),
        "the deletion reached the server"
    );
    assert_eq!(
        shared_a.iter().filter(|i| i.kind == Kind::Session).count(),
        1
    );
    let local = SqliteStore::open(&a_path).unwrap().journal().unwrap();
    assert_eq!(
        local.sessions.len(),
        1,
        "the deleted session is gone here too"
    );
    assert_eq!(local.sessions[0].item.plan, "add hip work");
    assert!(local.runs.iter().any(|r| r.item.km.value() == 5.5));
    assert!(
        local
            .findings
            .iter()
            .any(|f| f.item.trigger_point.as_str() == "soleus_1"),
        "the runner's own finding is still theirs"
    );

    // Revoke: the server refuses the old token with the reason; it keeps the shared records.
    let token = {
        let c = rusqlite::Connection::open(&a_path).unwrap();
        c.query_row("SELECT token FROM sync_link", [], |r| r.get::<_, String>(0))
            .unwrap()
    };
    let out = ok(a, &["share", "revoke", "--delete-request"]);
    assert!(out.contains("stopped"), "{out}");
    {
        let app = LocalApp::start(a);
        let (_, _, page) = http(&app.1, "GET", "/timeline", &[], "");
        assert!(
            !page.contains("last synced"),
            "an unlinked journal shows no sync line"
        );
    }
    let out = knots(a, &["sync"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not linked"));
    let (status, _, body) = http(
        &p.server.addr(),
        "GET",
        "/api/sync/pull?after=0",
        &[("authorization", &format!("Bearer {token}"))],
        "",
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("revoked"), "{body}");
    assert_same(
        &shared_a,
        &server_shared(&p, runner_a, client_a),
        "after revoking",
    );
    let mut admin = postgres::Client::connect(&p.db.url(), postgres::NoTls).unwrap();
    let audited: i64 = admin
        .query_one(
            "SELECT count(*) FROM audit WHERE tbl = 'sync_devices' AND action = 'update' AND client_id = $1",
            &[&client_a],
        )
        .unwrap()
        .get(0);
    assert_eq!(audited, 1, "the revocation is on the audit trail");
    // The practice's admin sees the request on the audit page, in words.
    let (cookie, _) = login(&p.server.addr(), "admin@example.org");
    let (status, _, page) = http(
        &p.server.addr(),
        "GET",
        &format!("/audit?client={client_a}"),
        &[("cookie", &cookie)],
        "",
    );
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Deletion requested")
            && page.contains("asked for what they shared to be deleted"),
        "{page}"
    );

    // Linking again without a code logs in to the runner's account; nothing is sent twice.
    let out = knots(
        a,
        &[
            "share",
            "link",
            &p.server.base(),
            "--email",
            "a@example.org",
            "--password-file",
            &pw,
            "--share",
            "runs,pain,self-care,checkins",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = sync_json(a);
    assert_eq!(
        (got["pushed"].as_i64(), got["pulled"].as_i64()),
        (Some(0), Some(0)),
        "{got}"
    );
    same(&a_path, &all, runner_a, client_a);
    drop((ta, tb));
}

/// `knots program --json` on `journal` for `day`.
fn program_json(journal: &str, day: jiff::civil::Date) -> serde_json::Value {
    let out = ok(journal, &["program", "--json", "--date", &day.to_string()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "knots.program/1", "{v}");
    v
}

#[test]
fn a_home_program_reaches_the_runner_and_its_edits_deletes_and_ticks_follow() {
    let p = Practice::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let r = path.to_str().unwrap();
    ok(r, &["run", "add", "--km", "5", "--date", "2026-11-01"]);
    let (client, code) = p.client("Runner P");
    ok(
        r,
        &[
            "share",
            "link",
            &p.server.base(),
            "--code",
            &code,
            "--email",
            "p@example.org",
            "--password-file",
            &p.password_file(),
            "--share",
            "runs",
        ],
    );
    let today = jiff::Zoned::now().date();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap();
    assert_eq!(program_json(r, today)["programs"], serde_json::json!([]));
    assert!(ok(r, &["program"]).contains("no home program"));

    // The therapist prescribes a program through the clinic API; the runner's sync brings it.
    let first = p.api(
        "POST",
        &format!("/api/clients/{client}/programs"),
        &serde_json::json!({"title": "Weeks 1-4", "items": [
            {"what": "foam roll vastus lateralis", "dose": "60 s at <= 7/10", "per_week": 7,
             "start": day(-1), "end": day(27)},
            {"what": "calf raises", "dose": "3 x 15", "per_week": 3, "start": day(2), "end": day(30)}
        ]})
        .to_string(),
    )["id"]
        .as_i64()
        .unwrap();
    let got = sync_json(r);
    assert_eq!(got["pulled"], 1, "{got}");
    let held = program_json(r, today);
    let programs = held["programs"].as_array().unwrap();
    assert_eq!(programs.len(), 1, "{held}");
    assert_eq!(programs[0]["title"], "Weeks 1-4");
    let items = programs[0]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{held}");
    assert_eq!(items[0]["what"], "foam roll vastus lateralis");
    assert_eq!(items[0]["dose"], "60 s at <= 7/10");
    assert_eq!(items[0]["per_week"], 7);
    assert_eq!(items[0]["start"], day(-1).to_string());
    assert_eq!(
        (
            items[0]["today"].as_bool(),
            items[0]["done_today"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(items[1]["today"], false, "calf raises start in two days");
    let text = ok(r, &["program", "--date", &today.to_string()]);
    assert!(
        text.contains("[ ] foam roll vastus lateralis, 60 s at <= 7/10; 7 days a week"),
        "{text}"
    );
    assert!(
        text.contains("calf raises, 3 x 15; 3 days a week") && text.contains("(not started)"),
        "{text}"
    );
    let uid = programs[0]["uid"].as_str().unwrap().to_string();
    let item_uid = items[0]["uid"].as_str().unwrap().to_string();

    // Replaying: a second sync fetches nothing, and a sync from a cursor reset to the start
    // (every change sent again) changes nothing either.
    assert_eq!(sync_json(r)["pulled"], 0);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE sync_link SET programs_pulled = 0", [])
        .unwrap();
    assert_eq!(sync_json(r)["pulled"], 0);
    assert_eq!(
        program_json(r, today),
        held,
        "a replayed sync changes nothing"
    );
    // The copy belongs to the practice: the journal's own export does not carry it, and the
    // runner's shared records are untouched by it.
    let ran = ok(r, &["export"]);
    assert!(
        !ran.contains("foam roll vastus lateralis"),
        "programs are not journal records"
    );

    // The runner ticks today on the practice's web app; the tick comes down with the program.
    let (cookie, csrf) = login(&p.server.addr(), "p@example.org");
    let listed = p.api("GET", &format!("/api/clients/{client}/programs"), "");
    let server_item = listed["programs"][0]["items"][0]["id"].as_i64().unwrap();
    let (status, _, body) = http(
        &p.server.addr(),
        "POST",
        &format!("/api/clients/{client}/ticks"),
        &[
            ("cookie", &cookie),
            ("x-csrf-token", &csrf),
            ("content-type", "application/json"),
        ],
        &serde_json::json!({"item": server_item, "date": today}).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(sync_json(r)["pulled"], 1);
    let held = program_json(r, today);
    assert_eq!(
        held["programs"][0]["items"][0]["done_today"], true,
        "{held}"
    );
    assert_eq!(held["programs"][0]["items"][0]["done"], 1, "{held}");
    assert!(ok(r, &["program", "--date", &today.to_string()]).contains("[x] foam roll"));

    // The therapist edits it: a new title and dose, the second item dropped. The copy follows,
    // the kept item with its global id and its tick.
    p.api(
        "PUT",
        &format!("/api/clients/{client}/programs/{first}"),
        &serde_json::json!({"title": "Weeks 1-6", "items": [
            {"what": "foam roll vastus lateralis", "dose": "90 s at <= 6/10", "per_week": 5,
             "start": day(-1), "end": day(41)}
        ]})
        .to_string(),
    );
    assert_eq!(sync_json(r)["pulled"], 1);
    let held = program_json(r, today);
    let items = held["programs"][0]["items"].as_array().unwrap();
    assert_eq!(held["programs"][0]["title"], "Weeks 1-6", "{held}");
    assert_eq!(held["programs"][0]["uid"], uid.as_str());
    assert_eq!(items.len(), 1, "{held}");
    assert_eq!(items[0]["uid"], item_uid.as_str());
    assert_eq!(
        (items[0]["dose"].as_str(), items[0]["per_week"].as_i64()),
        (Some("90 s at <= 6/10"), Some(5))
    );
    assert_eq!(items[0]["end"], day(41).to_string());
    assert_eq!(items[0]["done_today"], true, "the tick stays with its item");

    // The runner ticks in their own journal: shown at once, sent by the next sync, in order.
    let server_ticks = |item: i64| -> Vec<String> {
        let mut admin = postgres::Client::connect(&p.db.url(), postgres::NoTls).unwrap();
        admin
            .query(
                "SELECT date FROM ticks WHERE item_id = $1 ORDER BY date",
                &[&item],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    ok(
        r,
        &[
            "program",
            "tick",
            "1",
            "--undo",
            "--date",
            &today.to_string(),
        ],
    );
    ok(
        r,
        &["program", "tick", &item_uid, "--date", &day(1).to_string()],
    );
    assert!(ok(r, &["program", "--date", &today.to_string()]).contains("[ ] foam roll"));
    let out = knots(r, &["program", "tick", "1", "--date", &day(-5).to_string()]);
    assert_eq!(out.status.code(), Some(2), "a day the item does not run");
    let out = knots(r, &["program", "tick", "7"]);
    assert_eq!(out.status.code(), Some(2), "no seventh item");
    let got = sync_json(r);
    assert_eq!(
        (got["pushed"].as_i64(), got["pulled"].as_i64()),
        (Some(2), Some(1)),
        "{got}"
    );
    assert_eq!(server_ticks(server_item), vec![day(1).to_string()]);
    let held = program_json(r, day(1));
    assert_eq!(
        held["programs"][0]["items"][0]["done_today"], true,
        "{held}"
    );
    // Sent again from the start, the ticks change nothing.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE sync_link SET ticks_pushed = 0", [])
        .unwrap();
    let got = sync_json(r);
    assert_eq!(
        (got["pushed"].as_i64(), got["pulled"].as_i64()),
        (Some(0), Some(0)),
        "{got}"
    );
    assert_eq!(server_ticks(server_item), vec![day(1).to_string()]);
    let audited: i64 = postgres::Client::connect(&p.db.url(), postgres::NoTls)
        .unwrap()
        .query_one(
            "SELECT count(*) FROM audit WHERE tbl = 'ticks' AND client_id = $1 AND user_id = $2",
            &[&client, &p.runner_id("p@example.org")],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        audited, 3,
        "the web tick, and the two sent ticks, audited as the runner's"
    );

    // A second program, then the first deleted on the server while the runner ticks it: the
    // tick is refused (its item is gone), the sync completes, the copy goes, the second stays.
    p.api(
        "POST",
        &format!("/api/clients/{client}/programs"),
        &serde_json::json!({"title": "Hydration", "items": [
            {"what": "water", "dose": "2 l", "per_week": 7, "start": today, "end": day(6)}
        ]})
        .to_string(),
    );
    p.api(
        "DELETE",
        &format!("/api/clients/{client}/programs/{first}"),
        "",
    );
    ok(r, &["program", "tick", "1", "--date", &today.to_string()]);
    let got = sync_json(r);
    assert_eq!(
        (got["pushed"].as_i64(), got["pulled"].as_i64()),
        (Some(0), Some(2)),
        "{got}"
    );
    let held = program_json(r, today);
    let programs = held["programs"].as_array().unwrap();
    assert_eq!(programs.len(), 1, "{held}");
    assert_eq!(programs[0]["title"], "Hydration");
    assert_ne!(programs[0]["uid"], uid.as_str());
    // The tombstone replayed from the start changes nothing either.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE sync_link SET programs_pulled = 0", [])
        .unwrap();
    assert_eq!(sync_json(r)["pulled"], 0);
    assert_eq!(program_json(r, today), held);

    // Another client's program never reaches this runner.
    let (other, _) = p.client("Runner Q");
    p.api(
        "POST",
        &format!("/api/clients/{other}/programs"),
        &serde_json::json!({"title": "Not yours", "items": [
            {"what": "rest", "dose": "", "per_week": 7, "start": today, "end": today}
        ]})
        .to_string(),
    );
    assert_eq!(sync_json(r)["pulled"], 0);
    assert_eq!(program_json(r, today), held);

    // The local app shows the program on the timeline.
    let app = LocalApp::start(r);
    let (status, _, page) = http(&app.1, "GET", "/timeline", &[], "");
    assert_eq!(status, 200);
    assert!(
        page.contains("Home program") && page.contains("Hydration"),
        "{page}"
    );
}

#[test]
fn used_expired_and_guessed_codes_are_refused_and_guessing_is_rate_limited() {
    let p = Practice::new();
    let dir = tempfile::tempdir().unwrap();
    let pw = p.password_file();
    let journal = dir.path().join("r.db");
    let r = journal.to_str().unwrap();
    ok(r, &["run", "add", "--km", "3"]);
    let (_, code) = p.client("Runner");
    let (_, old) = p.client("Runner Old");
    let mut admin = postgres::Client::connect(&p.db.url(), postgres::NoTls).unwrap();
    // The therapist made `old` eight days ago: past the 7 days an invitation lasts.
    admin
        .execute("UPDATE invites SET expires_s = expires_s - 8 * 86400 WHERE used_s IS NULL AND client_id = (SELECT id FROM clients WHERE name = 'Runner Old')", &[])
        .unwrap();
    let link = |code: &str, email: &str| {
        knots(
            r,
            &[
                "share",
                "link",
                &p.server.base(),
                "--code",
                code,
                "--email",
                email,
                "--password-file",
                &pw,
                "--share",
                "runs",
            ],
        )
    };
    let refused = |out: std::process::Output, what: &str| {
        assert_eq!(out.status.code(), Some(1), "{what}");
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(err.contains("unknown, used or expired"), "{what}: {err}");
    };
    refused(link(&old, "old@example.org"), "an expired code");
    refused(
        link("ABCD-EFGH-JKLM", "guess@example.org"),
        "a guessed code",
    );
    let out = link(&code, "r@example.org");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A runner whose account the practice disabled is refused, with the reason.
    ok(&p.db.url(), &["clinic", "user", "disable", "r@example.org"]);
    let out = knots(r, &["sync"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("disabled"), "{err}");
    ok(r, &["share", "revoke"]);
    refused(link(&code, "other@example.org"), "a used code");
    // Plain http to another host is refused before anything is sent.
    let out = knots(
        r,
        &[
            "share",
            "link",
            "http://practice.example",
            "--code",
            &code,
            "--email",
            "x@example.org",
            "--password-file",
            &pw,
            "--share",
            "runs",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https"));
    // Guessing: past the per-address limit, the server stops answering codes for a while.
    let mut limited = false;
    for _ in 0..40 {
        let (status, _, body) = http(
            &p.server.addr(),
            "POST",
            "/api/sync/link",
            &[("content-type", "application/json")],
            r#"{"email": "g@example.org", "password": "a guess only", "code": "AAAA-BBBB-CCCC", "shares": ["runs"]}"#,
        );
        if status == 429 {
            assert!(body.contains("too many"), "{body}");
            limited = true;
            break;
        }
        assert_eq!(status, 422, "{body}");
    }
    assert!(limited, "40 guesses from one address were all answered");
}

/// A small deterministic generator (xorshift), seeded and printed so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn duplicates(p: &Practice) -> i64 {
    let mut admin = postgres::Client::connect(&p.db.url(), postgres::NoTls).unwrap();
    let mut n = 0;
    for t in [
        "shoes",
        "runs",
        "pain_reports",
        "checkins",
        "sessions",
        "findings",
        "treatments",
    ] {
        let row = admin
            .query_one(
                &format!("SELECT count(*) - count(DISTINCT (client_id, uid)) FROM {t}"),
                &[],
            )
            .unwrap();
        n += row.get::<_, i64>(0);
    }
    n
}

#[test]
fn syncs_killed_at_random_points_on_either_side_end_as_a_clean_sync() {
    let runs: usize = std::env::var("KNOTS_SYNC_FAULT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("fault test: {runs} killed syncs, seed {seed}");
    let mut rng = Rng(seed);
    let mut p = Practice::new();
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("f.db");
    let journal = path.to_str().unwrap().to_string();
    let pw = p.password_file();
    // A history that takes several pages each way.
    {
        let mut db = SqliteStore::open(&path).unwrap();
        let shoe = db
            .add_shoe(&knots_core::journal::Shoe {
                name: "Daily".into(),
                started: "2020-01-01".parse().unwrap(),
                retired: None,
                initial_km: 0.0,
                limit_km: 800.0,
            })
            .unwrap();
        for day in 0..450 {
            db.add_run(&run(
                day + 10,
                5.0 + (day % 7) as f64,
                (day % 2 == 0).then_some(shoe),
            ))
            .unwrap();
        }
    }
    let (client, code) = p.client("Faulty");
    let out = knots(
        &journal,
        &[
            "share",
            "link",
            &p.server.base(),
            "--code",
            &code,
            "--email",
            "f@example.org",
            "--password-file",
            &pw,
            "--share",
            "runs,pain,self-care,checkins",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runner = p.runner_id("f@example.org");
    {
        let mut t = p.store(p.therapist, client);
        for i in 0..120 {
            knots_app::record::add_session(&mut t, &session(&format!("visit {i}"), 6), cx())
                .unwrap();
        }
    }
    // A home program the runner ticks (and unticks) between syncs, which the therapist retitles
    // now and then: its ticks travel up in their own log, its changes down.
    let today = jiff::Zoned::now().date();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap();
    let program_items = serde_json::json!([
        {"what": "foam roll vastus lateralis", "dose": "60 s", "per_week": 7,
         "start": day(-40), "end": day(40)},
        {"what": "calf raises", "dose": "3 x 15", "per_week": 7, "start": day(-40), "end": day(40)}
    ]);
    let program = p.api(
        "POST",
        &format!("/api/clients/{client}/programs"),
        &serde_json::json!({"title": "Home plan", "items": program_items}).to_string(),
    )["id"]
        .as_i64()
        .unwrap();
    // (item 1 or 2, days before today) → ticked done, the last word of the runner on that day.
    let mut ticks: std::collections::BTreeMap<(usize, i64), bool> = Default::default();
    let shares = [Share::Runs, Share::Pain, Share::SelfCare, Share::Checkins];
    let mut killed = (0, 0, 0);
    let mut interrupted = 0;
    for round in 0..runs {
        // From the second round the program is held here (the first round's sync brought it).
        if round > 0 {
            for _ in 0..3 {
                let item = 1 + rng.below(2) as usize;
                let back = rng.below(30) as i64;
                let done = rng.below(3) != 0;
                let (n, date) = (item.to_string(), day(-back).to_string());
                let mut args = vec!["program", "tick", n.as_str(), "--date", date.as_str()];
                if !done {
                    args.push("--undo");
                }
                ok(&journal, &args);
                ticks.insert((item, back), done);
            }
            if rng.below(3) == 0 {
                p.api(
                    "PUT",
                    &format!("/api/clients/{client}/programs/{program}"),
                    &serde_json::json!({"title": format!("Home plan, round {round}"),
                                        "items": program_items})
                    .to_string(),
                );
            }
        }
        // New work on both sides between syncs: a run added and one edited here, a session added
        // and one edited (and now and then one deleted) at the practice.
        {
            let mut db = SqliteStore::open(&path).unwrap();
            for i in 0..25 {
                db.add_run(&run((round * 25 + i) as i64 % 400, 4.0, None))
                    .unwrap();
            }
            let j = db.journal().unwrap();
            let pick = j.runs[rng.below(j.runs.len() as u64) as usize].id;
            knots_app::record::edit(
                &mut db,
                Kind::Run,
                pick,
                &serde_json::json!({"note": format!("edited in round {round}")}),
                cx(),
            )
            .unwrap();
            let mut t = p.store(p.therapist, client);
            for i in 0..8 {
                knots_app::record::add_session(
                    &mut t,
                    &session(&format!("round {round}.{i}"), 5),
                    cx(),
                )
                .unwrap();
            }
            let sessions = t.journal().unwrap().sessions;
            let pick = sessions[rng.below(sessions.len() as u64) as usize].id;
            if rng.below(4) == 0 {
                knots_app::record::delete(&mut t, Kind::Session, pick, now().at, false).unwrap();
            } else {
                knots_app::record::edit(
                    &mut t,
                    Kind::Session,
                    pick,
                    &serde_json::json!({"plan": format!("round {round}")}),
                    cx(),
                )
                .unwrap();
            }
        }
        let mut child = command()
            .args(["--db", &journal, "sync", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.below(300)));
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        match rng.below(3) {
            0 => {
                let _ = child.kill();
                killed.0 += 1;
            }
            1 => {
                p.server.kill();
                killed.1 += 1;
            }
            _ => {
                // The server's database connections are cut mid-request: it answers 503 (or
                // its transaction rolls back) while it stays up.
                let mut admin = postgres::Client::connect(&p.db.url(), postgres::NoTls).unwrap();
                admin
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = current_database() AND pid <> pg_backend_pid()",
                        &[],
                    )
                    .unwrap();
                killed.2 += 1;
            }
        }
        let _ = child.wait();
        if killed.1 > 0 && p.server.child.is_none() {
            p.server.restart();
        }
        // The rerun completes, with the server up.
        let out = knots(&journal, &["sync", "--json"]);
        assert!(
            out.status.success(),
            "round {round} (seed {seed}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if round % 4 == 3 || round + 1 == runs {
            assert_same(
                &local_shared(&path, &shares),
                &server_shared(&p, runner, client),
                &format!("round {round} (seed {seed})"),
            );
            assert_eq!(
                duplicates(&p),
                0,
                "round {round} (seed {seed}): a duplicate global id"
            );
        }
    }
    // A sync after all that has nothing left to do.
    let got = sync_json(&journal);
    assert_eq!(
        (got["pushed"].as_i64(), got["pulled"].as_i64()),
        (Some(0), Some(0)),
        "{got}"
    );
    eprintln!(
        "killed {} client syncs and {} servers, cut the database {} times; {interrupted} of \
         these came mid-sync",
        killed.0, killed.1, killed.2
    );
    let count = |t: &str| -> i64 {
        let mut admin = postgres::Client::connect(&p.db.url(), postgres::NoTls).unwrap();
        admin
            .query_one(
                &format!("SELECT count(*) FROM {t} WHERE client_id = $1"),
                &[&client],
            )
            .unwrap()
            .get(0)
    };
    let local = SqliteStore::open(&path).unwrap().journal().unwrap();
    assert_eq!(
        count("runs") as usize,
        local.runs.len(),
        "every run once on the server"
    );
    // The program's ticks: the runner's last word on each day, here and on the server alike.
    let held = SqliteStore::open(&path).unwrap().home_programs().unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    let listed = p.api("GET", &format!("/api/clients/{client}/programs"), "");
    assert_eq!(listed["programs"][0]["title"], held[0].1.title.as_str());
    for (n, item) in held[0].1.items.iter().enumerate() {
        let mut want: Vec<String> = ticks
            .iter()
            .filter(|((i, _), done)| *i == n + 1 && **done)
            .map(|((_, back), _)| day(-back).to_string())
            .collect();
        want.sort();
        let here: Vec<String> = item.ticks.iter().map(ToString::to_string).collect();
        assert_eq!(here, want, "item {} here (seed {seed})", n + 1);
        let server_item = listed["programs"][0]["items"][n]["id"].as_i64().unwrap();
        let there: Vec<String> = postgres::Client::connect(&p.db.url(), postgres::NoTls)
            .unwrap()
            .query(
                "SELECT date FROM ticks WHERE item_id = $1 ORDER BY date",
                &[&server_item],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(there, want, "item {} on the server (seed {seed})", n + 1);
    }
    assert_eq!(
        count("sessions") as usize,
        local.sessions.len(),
        "every session once here"
    );
}
