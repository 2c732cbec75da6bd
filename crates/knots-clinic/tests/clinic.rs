//! Clinic mode end to end on PostgreSQL: the route × role matrix (walking [`knots_clinic::routes`],
//! so a new route without an expectation fails), two tenants by HTTP and by SQL, the audit trail
//! rebuilding a record, and the attacks of the issue. Built only with the `pg-tests` feature;
//! then `KNOTS_TEST_POSTGRES_URL` must name a server (`scripts/test` starts one) or the tests
//! fail. Each test works in a fresh database, dropped at the end.
#![cfg(feature = "pg-tests")]
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use knots_clinic::{Clinic, Operator, Role, app, routes};
use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use tower::ServiceExt;

const URL_VAR: &str = "KNOTS_TEST_POSTGRES_URL";
const PW: &str = "correct horse battery";

struct TestDb {
    admin_url: String,
    name: String,
}

impl TestDb {
    fn new() -> TestDb {
        let admin_url = std::env::var(URL_VAR).unwrap_or_else(|_| {
            panic!("{URL_VAR} is not set: run scripts/test, or point it at a server")
        });
        let name = format!(
            "knots_clinic_{}_{:016x}",
            std::process::id(),
            RandomState::new().hash_one(std::time::SystemTime::now())
        );
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        TestDb { admin_url, name }
    }

    fn url(&self) -> String {
        let (scheme, rest) = self.admin_url.split_once("://").unwrap();
        let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
        format!("{scheme}://{authority}/{}", self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        tokio::task::block_in_place(|| self.drop_now());
    }
}

impl TestDb {
    fn drop_now(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

struct Answer {
    status: StatusCode,
    cookie: Option<String>,
    body: String,
}

async fn send(
    router: &axum::Router,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: Body,
    content_type: &str,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "clinic.test")
        .header(header::CONTENT_TYPE, content_type);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("knots_session={c}"));
    }
    if let Some(t) = csrf {
        req = req.header("x-csrf-token", t);
    }
    let mut req = req.body(body).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("knots_session="))
        .map(|v| v.split(';').next().unwrap_or("").to_string());
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into();
    Answer {
        status,
        cookie,
        body,
    }
}

/// A signed-in user: cookie and CSRF token.
#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

async fn login(router: &axum::Router, email: &str) -> Session {
    let form = format!("email={email}&password={}", PW.replace(' ', "+"));
    let a = send(
        router,
        Method::POST,
        "/login",
        None,
        None,
        form.into(),
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::SEE_OTHER,
        "login of {email}: {}",
        a.body
    );
    session(router, a.cookie.unwrap()).await
}

async fn session(router: &axum::Router, cookie: String) -> Session {
    let a = send(
        router,
        Method::GET,
        "/api/csrf",
        Some(&cookie),
        None,
        Body::empty(),
        "text/plain",
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    Session {
        cookie,
        csrf: v["csrf"].as_str().unwrap().to_string(),
    }
}

async fn api(
    router: &axum::Router,
    s: &Session,
    method: Method,
    path: &str,
    body: serde_json::Value,
) -> Answer {
    send(
        router,
        method,
        path,
        Some(&s.cookie),
        Some(&s.csrf),
        body.to_string().into(),
        "application/json",
    )
    .await
}

async fn register(router: &axum::Router, code: &str, email: &str) -> Session {
    let form = format!(
        "code={code}&email={email}&password={}",
        PW.replace(' ', "+")
    );
    let a = send(
        router,
        Method::POST,
        "/register",
        None,
        None,
        form.into(),
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "register: {}", a.body);
    session(router, a.cookie.unwrap()).await
}

struct World {
    db: TestDb,
    router: axum::Router,
    admin: Session,
    therapist_a: Session,
    therapist_b: Session,
    runner_a: Session,
    runner_b: Session,
    client_a: i64,
    client_b1: i64,
    item: i64,
    /// The program holding `item`.
    program: i64,
    /// A run runner A logged in their own record.
    run: i64,
}

fn id_of(a: &Answer) -> i64 {
    let v: serde_json::Value =
        serde_json::from_str(&a.body).unwrap_or_else(|_| panic!("{}", a.body));
    v["id"].as_i64().unwrap_or_else(|| panic!("{}", a.body))
}

async fn world() -> World {
    let (db, router) = tokio::task::block_in_place(|| {
        let db = TestDb::new();
        let mut op = Operator::connect(&db.url()).unwrap();
        op.create_clinic("Clinic A", "admin@a.test", PW).unwrap();
        op.add_user("Clinic A", Role::Therapist, "t@a.test", PW)
            .unwrap();
        op.create_clinic("Clinic B", "admin@b.test", PW).unwrap();
        op.add_user("Clinic B", Role::Therapist, "t@b.test", PW)
            .unwrap();
        let router = app(Clinic::new(&db.url(), false).unwrap());
        (db, router)
    });
    let therapist_a = login(&router, "t@a.test").await;
    let therapist_b = login(&router, "t@b.test").await;
    let admin = login(&router, "admin@a.test").await;
    let client_a = id_of(
        &api(
            &router,
            &therapist_a,
            Method::POST,
            "/api/clients",
            serde_json::json!({"name": "Runner A"}),
        )
        .await,
    );
    let client_a2 = id_of(
        &api(
            &router,
            &therapist_a,
            Method::POST,
            "/api/clients",
            serde_json::json!({"name": "Runner B"}),
        )
        .await,
    );
    let client_b1 = id_of(
        &api(
            &router,
            &therapist_b,
            Method::POST,
            "/api/clients",
            serde_json::json!({"name": "Other"}),
        )
        .await,
    );
    let code = |c: i64| {
        let router = router.clone();
        let t = therapist_a.clone();
        async move {
            let a = api(
                &router,
                &t,
                Method::POST,
                &format!("/api/clients/{c}/invite"),
                serde_json::json!({}),
            )
            .await;
            serde_json::from_str::<serde_json::Value>(&a.body).unwrap()["code"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let runner_a = register(&router, &code(client_a).await, "ra@a.test").await;
    let runner_b = register(&router, &code(client_a2).await, "rb@a.test").await;
    let run = id_of(
        &api(
            &router,
            &runner_a,
            Method::POST,
            &format!("/api/clients/{client_a}/journal/run"),
            serde_json::json!({"km": 5.0, "max_pain": 1}),
        )
        .await,
    );
    let today = jiff::Zoned::now().date();
    api(&router, &therapist_a, Method::POST, &format!("/api/clients/{client_a}/programs"), serde_json::json!({
        "title": "Weeks 1-4", "items": [{"what": "foam roll vastus lateralis", "dose": "60 s at <= 7/10", "per_week": 7, "start": today, "end": today}]
    })).await;
    let p = api(
        &router,
        &therapist_a,
        Method::GET,
        &format!("/api/clients/{client_a}/programs"),
        serde_json::Value::Null,
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&p.body).unwrap();
    let item = v["programs"][0]["items"][0]["id"].as_i64().unwrap();
    let program = v["programs"][0]["id"].as_i64().unwrap();
    World {
        db,
        router,
        admin,
        therapist_a,
        therapist_b,
        runner_a,
        runner_b,
        client_a,
        client_b1,
        item,
        program,
        run,
    }
}

/// Pages and assets anyone may fetch: the login and registration forms, the style sheet, and the
/// installable app's manifest, service worker, scripts and icons (no health data in any).
const PUBLIC: &[&str] = &[
    "/login",
    "/register",
    "/clinic.css",
    "/bodymap.css",
    "/bodymap.js",
    "/manifest.webmanifest",
    "/sw.js",
    "/queue.js",
    "/pwa.js",
    "/icon.svg",
    "/icon-192.png",
    "/icon-512.png",
];

/// The expected status of `method path` for `who` (`None`: anonymous), with `client` = runner
/// A's client, in therapist A's care. Panics for a route without a rule.
fn expected(method: &Method, path: &str, who: &str) -> u16 {
    let staff_a = matches!(who, "therapist_a" | "admin");
    let sees_a = staff_a || who == "runner_a";
    let get = method == Method::GET;
    if who == "anon" {
        return match (method.as_str(), path) {
            ("GET", p) if PUBLIC.contains(&p) => 200,
            ("POST", "/login") => 401,
            ("POST", "/logout") => 303,
            ("POST", "/register" | "/api/sync/link") => 422,
            (_, p) if p.starts_with("/api/") => 401,
            _ => 303,
        };
    }
    let see = |ok: u16| if sees_a { ok } else { 404 };
    let staff = |ok: u16| if staff_a { ok } else { 404 };
    match (method.as_str(), path) {
        ("GET", p) if PUBLIC.contains(&p) => 200,
        ("POST", "/login") => 401,
        ("POST", "/logout") => 303,
        ("POST", "/register") => 422,
        ("GET", "/") => 303,
        ("GET", "/clients") => {
            if who.starts_with("therapist") || who == "admin" {
                200
            } else {
                404
            }
        }
        ("POST", "/clients") => {
            if who.starts_with("therapist") || who == "admin" {
                303
            } else {
                404
            }
        }
        ("GET", "/clients/{id}") => see(200),
        ("GET", "/clients/{id}/session" | "/clients/{id}/program" | "/clients/{id}/handout") => {
            staff(200)
        }
        ("POST", "/clients/{id}/session" | "/clients/{id}/program") => staff(303),
        ("POST", "/clients/{id}/invite") => staff(200),
        ("GET", "/today") => {
            if who.starts_with("runner") {
                200
            } else {
                404
            }
        }
        ("POST", "/today/tick") => {
            if who == "runner_a" {
                303
            } else {
                404
            }
        }
        ("POST", "/today/run") => {
            if who.starts_with("runner") {
                303
            } else {
                404
            }
        }
        ("GET", "/audit" | "/api/audit") => {
            if who == "admin" {
                200
            } else {
                404
            }
        }
        ("GET", "/api/me" | "/api/csrf" | "/api/clients") => 200,
        // Sync is authorised by a device token, never by a login cookie.
        ("POST", "/api/sync/link") => 422,
        ("POST", "/api/sync/push" | "/api/sync/revoke" | "/api/sync/ticks")
        | ("GET", "/api/sync/pull" | "/api/sync/programs") => 401,
        // The practice edits its program (the item keeps its id); a runner may not.
        ("PUT", "/api/clients/{id}/programs/{pid}") => {
            if who == "runner_a" {
                403
            } else {
                staff(200)
            }
        }
        // The first of the staff deletes it (the roles go in order), so it is gone after.
        ("DELETE", "/api/clients/{id}/programs/{pid}") => match who {
            "runner_a" => 403,
            "therapist_a" => 200,
            _ => 404,
        },
        ("POST", "/api/clients") => {
            if who.starts_with("runner") {
                403
            } else {
                200
            }
        }
        (
            "GET",
            "/api/clients/{id}/journal"
            | "/api/clients/{id}/report"
            | "/api/clients/{id}/programs"
            | "/api/clients/{id}/today"
            | "/api/clients/{id}/adherence",
        ) => see(200),
        ("POST", "/api/clients/{id}/journal/{kind}" | "/api/clients/{id}/ticks") => see(200),
        // Runner A's own run: they may change it; the practice sees it but does not own it.
        ("PATCH", "/api/clients/{id}/journal/{kind}/{rid}") => match who {
            "runner_a" => 200,
            _ => staff(403),
        },
        // Runner A deletes the run first (the roles go in order), so it is gone for the staff
        // after them; their 403 on a runner's record is in `owners_alone_change_their_records`.
        ("DELETE", "/api/clients/{id}/journal/{kind}/{rid}") => match who {
            "runner_a" => 200,
            _ => 404,
        },
        ("POST", "/api/clients/{id}/invite" | "/api/clients/{id}/programs") => {
            if who == "runner_a" { 403 } else { staff(200) }
        }
        _ => panic!("no rule for {method} {path} ({who}, get {get}): add one to this test"),
    }
}

fn body_for(method: &Method, path: &str, s: Option<&Session>, item: i64) -> (Body, &'static str) {
    let csrf = s.map_or("", |s| s.csrf.as_str());
    let today = jiff::Zoned::now().date();
    let form = |f: String| (Body::from(f), "application/x-www-form-urlencoded");
    let json = |v: serde_json::Value| (Body::from(v.to_string()), "application/json");
    if method == Method::GET {
        return (Body::empty(), "text/plain");
    }
    match path {
        "/clients" => form(format!("csrf={csrf}&name=New")),
        "/clients/{id}/session" => form(format!(
            "csrf={csrf}&date={today}&pressure_ceiling=5&subjective=s&f0_tp=vastus_lateralis_mid&f0_side=left&f0_tenderness=6"
        )),
        "/clients/{id}/program" => form(format!(
            "csrf={csrf}&title=P&i0_what=stretch+TFL&i0_dose=3x30s&i0_per_week=7&i0_start={today}&i0_end={today}"
        )),
        "/clients/{id}/invite" | "/logout" | "/login" | "/register" => form(format!("csrf={csrf}")),
        "/today/tick" => form(format!("csrf={csrf}&item={item}&done=true")),
        "/today/run" => form(format!("csrf={csrf}&date={today}&km=3&max_pain=2")),
        "/api/clients" => json(serde_json::json!({"name": "New"})),
        "/api/clients/{id}/journal/{kind}" => json(serde_json::json!({"km": 4.0, "max_pain": 2})),
        "/api/clients/{id}/programs" => json(
            serde_json::json!({"title": "P", "items": [{"what": "water", "dose": "2 l", "per_week": 7, "start": today, "end": today}]}),
        ),
        "/api/clients/{id}/ticks" => json(serde_json::json!({"item": item})),
        "/api/clients/{id}/programs/{pid}" => json(
            serde_json::json!({"title": "P2", "items": [{"what": "water", "dose": "3 l", "per_week": 7, "start": today, "end": today}]}),
        ),
        "/api/clients/{id}/journal/{kind}/{rid}" => json(serde_json::json!({"km": 4.5})),
        _ => json(serde_json::json!({})),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_role_as_expected() {
    let w = world().await;
    let who: Vec<(&str, Option<&Session>)> = vec![
        ("anon", None),
        ("runner_a", Some(&w.runner_a)),
        ("runner_b", Some(&w.runner_b)),
        ("therapist_a", Some(&w.therapist_a)),
        ("therapist_b", Some(&w.therapist_b)),
        ("admin", Some(&w.admin)),
    ];
    let mut failures = Vec::new();
    // Logging out ends the session, so that route goes last.
    let mut all: Vec<(Method, &str)> = routes().into_iter().map(|(m, p, _)| (m, p)).collect();
    all.sort_by_key(|(_, p)| *p == "/logout");
    for (method, path) in all {
        for (name, s) in &who {
            let want = expected(&method, path, name);
            let mut uri = path
                .replace("{id}", &w.client_a.to_string())
                .replace("{kind}", "run")
                .replace("{rid}", &w.run.to_string())
                .replace("{pid}", &w.program.to_string());
            if path == "/api/audit" {
                uri = format!("/api/audit?client={}", w.client_a);
            }
            let (body, ct) = body_for(&method, path, *s, w.item);
            let a = send(
                &w.router,
                method.clone(),
                &uri,
                s.map(|s| s.cookie.as_str()),
                s.map(|s| s.csrf.as_str()),
                body,
                ct,
            )
            .await;
            if a.status.as_u16() != want {
                failures.push(format!(
                    "{method} {uri} as {name}: {} (want {want}) {}",
                    a.status,
                    a.body.chars().take(120).collect::<String>()
                ));
            }
        }
    }
    // The logouts above ended the sessions they were sent with: those cookies are dead now.
    let a = send(
        &w.router,
        Method::GET,
        "/api/me",
        Some(&w.therapist_a.cookie),
        None,
        Body::empty(),
        "text/plain",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // The pool's connections close with blocking calls.
    tokio::task::block_in_place(move || drop(w));
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_that_breaks_a_rule_answers_a_page_naming_the_field() {
    let w = world().await;
    let tomorrow = jiff::Zoned::now().date().tomorrow().unwrap();
    let a = send(
        &w.router,
        Method::POST,
        &format!("/clients/{}/session", w.client_a),
        Some(&w.therapist_a.cookie),
        None,
        Body::from(format!(
            "csrf={}&date={tomorrow}&pressure_ceiling=5&f0_tp=&f0_side=left",
            w.therapist_a.csrf
        )),
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains("<h2>Not saved</h2>") && a.body.contains("<code>at</code>"),
        "{}",
        a.body
    );
    // The form comes back with what was typed (the ceiling of 5, not the default 6).
    assert!(
        a.body
            .contains(r#"name="pressure_ceiling" min="0" max="10" value="5""#),
        "{}",
        a.body
    );
    // The program form too: a date that is not one is named, the item typed is kept.
    let a = send(
        &w.router,
        Method::POST,
        &format!("/clients/{}/program", w.client_a),
        Some(&w.therapist_a.cookie),
        None,
        Body::from(format!(
            "csrf={}&title=Knee&i0_what=foam+roll+TFL&i0_dose=60s&i0_per_week=5&i0_start=soon&i0_end=2026-12-31",
            w.therapist_a.csrf
        )),
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains("<code>items[0].start</code>")
            && a.body.contains(r#"value="foam roll TFL""#),
        "{}",
        a.body
    );
    tokio::task::block_in_place(move || drop(w));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_alone_change_their_records() {
    let w = world().await;
    let c = w.client_a;
    let s = api(&w.router, &w.therapist_a, Method::POST, &format!("/api/clients/{c}/journal/session"), serde_json::json!({
        "pressure_ceiling": 6, "subjective": "lateral knee after 8 km",
        "findings": [{"trigger_point": "vastus_lateralis_mid", "side": "left", "tenderness": 7, "reproduces": true}],
        "treatments": [{"kind": "deep_tissue", "target": "vastus_lateralis", "side": "left", "pressure": 5, "by": "therapist"}]
    })).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let session = id_of(&s);
    let patch = |who: &Session, kind: &str, id: i64, body: serde_json::Value| {
        let (router, who) = (w.router.clone(), who.clone());
        let uri = format!("/api/clients/{c}/journal/{kind}/{id}");
        async move { api(&router, &who, Method::PATCH, &uri, body).await }
    };
    // The runner may not change the practice's session; the practice may not change their run.
    let a = patch(
        &w.runner_a,
        "session",
        session,
        serde_json::json!({"subjective": "x"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(a.body.contains("belongs to the practice"), "{}", a.body);
    let a = patch(&w.therapist_a, "run", w.run, serde_json::json!({"km": 9.0})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(a.body.contains("belongs to the runner"), "{}", a.body);
    // Each changes their own, checked like a new record (a pressure over the ceiling: 422).
    let a = patch(
        &w.therapist_a,
        "session",
        session,
        serde_json::json!({"assessment": "TFL and VL"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = patch(&w.runner_a, "run", w.run, serde_json::json!({"km": 5.5})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = patch(&w.runner_a, "run", w.run, serde_json::json!({"kms": 5.5})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    // Another clinic's therapist, and a guessed record id in the wrong client: 404.
    let a = patch(&w.therapist_b, "run", w.run, serde_json::json!({"km": 1.0})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    let a = api(
        &w.router,
        &w.therapist_b,
        Method::PATCH,
        &format!("/api/clients/{}/journal/run/{}", w.client_b1, w.run),
        serde_json::json!({"km": 1.0}),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    // The practice deletes its session with its findings and treatments; the runner cannot.
    let del = |who: &Session, kind: &str, id: i64| {
        let (router, who) = (w.router.clone(), who.clone());
        let uri = format!("/api/clients/{c}/journal/{kind}/{id}");
        async move { api(&router, &who, Method::DELETE, &uri, serde_json::Value::Null).await }
    };
    assert_eq!(
        del(&w.runner_a, "session", session).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        del(&w.therapist_a, "run", w.run).await.status,
        StatusCode::FORBIDDEN
    );
    let a = del(&w.therapist_a, "session", session).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v["deleted"]["findings"], 1, "{v}");
    let v = journal_json(&w, c).await;
    assert_eq!(v["sessions"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(v["runs"][0]["km"], 5.5, "{v}");
    assert_eq!(v["changes"].as_array().map(Vec::len), Some(3), "{v}");
    tokio::task::block_in_place(move || drop(w));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_report_follows_the_record_and_every_read_is_audited() {
    let w = world().await;
    let c = w.client_a;
    let reads = |w: &World| {
        let url = w.db.url();
        tokio::task::block_in_place(move || {
            let mut op = Operator::connect(&url).unwrap();
            op.audit(c)
                .unwrap()
                .iter()
                .filter(|r| r.action == "read")
                .count()
        })
    };
    let get = |path: String| {
        let router = w.router.clone();
        let t = w.therapist_a.clone();
        async move { api(&router, &t, Method::GET, &path, serde_json::Value::Null).await }
    };
    let gate = |list: &str| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(list).unwrap();
        v["clients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == c)
            .map_or(serde_json::Value::Null, |r| r["gate"].clone())
    };
    let list = get("/api/clients".into()).await;
    assert_eq!(gate(&list.body), "green", "{}", list.body);
    let before = reads(&w);
    let page = get(format!("/clients/{c}")).await;
    let report = get(format!("/api/clients/{c}/report")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(report.status, StatusCode::OK);
    assert!(
        page.body.contains("Record a session"),
        "the therapist's controls"
    );
    // The same again, from the cache: the same answer, and each read audited all the same.
    assert_eq!(get(format!("/clients/{c}")).await.body, page.body);
    assert_eq!(
        get(format!("/api/clients/{c}/report")).await.body,
        report.body
    );
    assert_eq!(reads(&w), before + 4);
    // The home program is health data too: the therapist's reads of it are audited.
    for path in [
        format!("/api/clients/{c}/programs"),
        format!("/api/clients/{c}/today"),
        format!("/clients/{c}/handout"),
    ] {
        assert_eq!(get(path.clone()).await.status, StatusCode::OK, "{path}");
    }
    assert_eq!(reads(&w), before + 7);
    // The runner sees their own record without the therapist's controls.
    let own = api(
        &w.router,
        &w.runner_a,
        Method::GET,
        &format!("/clients/{c}"),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(!own.body.contains("Record a session"), "{}", own.body);
    assert!(
        !own.body.contains("<!--controls-->"),
        "the marker is replaced"
    );
    // A run added by the runner changes the record, and so both answers.
    let a = api(
        &w.router,
        &w.runner_a,
        Method::POST,
        &format!("/api/clients/{c}/journal/run"),
        serde_json::json!({"km": 12.3, "max_pain": 6}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let page2 = get(format!("/clients/{c}")).await;
    assert!(
        !page.body.contains("12.3") && page2.body.contains("12.3"),
        "{}",
        page2.body
    );
    let report2 = get(format!("/api/clients/{c}/report")).await;
    assert_ne!(report2.body, report.body);
    // The kept client list follows too: the gate by the latest run, a client added.
    assert_eq!(gate(&get("/api/clients".into()).await.body), "red");
    let a = api(
        &w.router,
        &w.therapist_a,
        Method::POST,
        "/api/clients",
        serde_json::json!({"name": "Newcomer"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(get("/api/clients".into()).await.body.contains("Newcomer"));
    // So does a tick of the home program.
    let today = jiff::Zoned::now().date();
    let a = api(
        &w.router,
        &w.runner_a,
        Method::POST,
        &format!("/api/clients/{c}/ticks"),
        serde_json::json!({"item": w.item, "date": today}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // A day after today, or before the item began, is a bad date (422 naming it), not a
    // missing item.
    for day in ["2099-01-01", "2001-01-01"] {
        let a = api(
            &w.router,
            &w.runner_a,
            Method::POST,
            &format!("/api/clients/{c}/ticks"),
            serde_json::json!({"item": w.item, "date": day}),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{day}: {}",
            a.body
        );
        assert!(a.body.contains("\"field\":\"date\""), "{day}: {}", a.body);
    }
    let page3 = get(format!("/clients/{c}")).await;
    assert!(
        page2.body.contains("done 0 of") && page3.body.contains("done 1 of"),
        "{}",
        page3.body
    );
    tokio::task::block_in_place(move || drop(w));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_apart_by_http_and_by_sql() {
    let w = world().await;
    // Therapist A guessing clinic B's client id on every client route: 404.
    for path in ["journal", "report", "programs", "today", "adherence"] {
        let a = api(
            &w.router,
            &w.therapist_a,
            Method::GET,
            &format!("/api/clients/{}/{path}", w.client_b1),
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
    }
    let a = api(&w.router, &w.therapist_a, Method::POST, &format!("/api/clients/{}/journal/pain", w.client_b1),
        serde_json::json!({"regions": ["lateral_knee"], "side": "left", "pain": 4, "context": "during_run"})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // Therapist B records for their client; A's list does not show it.
    let a = api(
        &w.router,
        &w.therapist_b,
        Method::POST,
        &format!("/api/clients/{}/journal/run", w.client_b1),
        serde_json::json!({"km": 8.0}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = api(
        &w.router,
        &w.therapist_a,
        Method::GET,
        "/api/clients",
        serde_json::Value::Null,
    )
    .await;
    assert!(!a.body.contains("Other"), "{}", a.body);
    // An over-ceiling pressure: 422.
    let a = api(&w.router, &w.therapist_a, Method::POST, &format!("/api/clients/{}/journal/session", w.client_a), serde_json::json!({
        "pressure_ceiling": 4, "treatments": [{"kind": "deep_tissue", "side": "left", "pressure": 7, "by": "therapist"}]
    })).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    // A write without the session's CSRF token, or with another session's: 403.
    let mut other = w.therapist_a.clone();
    other.csrf.clone_from(&w.runner_a.csrf);
    let a = api(
        &w.router,
        &other,
        Method::POST,
        "/api/clients",
        serde_json::json!({"name": "x"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // A forged session id: 401, and a page redirects.
    let forged = "0123456789abcdef0123456789abcdef";
    let a = send(
        &w.router,
        Method::GET,
        "/api/me",
        Some(forged),
        None,
        Body::empty(),
        "text/plain",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = send(
        &w.router,
        Method::GET,
        "/clients",
        Some(forged),
        None,
        Body::empty(),
        "text/plain",
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);

    // By SQL, as the server's role with clinic A's settings: nothing of clinic B in any table.
    tokio::task::block_in_place(move || {
        by_sql(&w);
        drop(w);
    });
}

fn by_sql(w: &World) {
    let mut pg = postgres::Client::connect(&w.db.url(), postgres::NoTls).unwrap();
    let clinic_b: i64 = pg
        .query_one("SELECT id FROM clinics WHERE name = 'Clinic B'", &[])
        .unwrap()
        .get(0);
    let therapist_a: i64 = pg
        .query_one("SELECT id FROM users WHERE email = 't@a.test'", &[])
        .unwrap()
        .get(0);
    let clinic_a: i64 = pg
        .query_one("SELECT id FROM clinics WHERE name = 'Clinic A'", &[])
        .unwrap()
        .get(0);
    let (b_rows,): (i64,) = (pg
        .query_one(
            "SELECT count(*) FROM runs WHERE clinic_id = $1",
            &[&clinic_b],
        )
        .unwrap()
        .get(0),);
    assert!(b_rows > 0, "clinic B has rows to hide");
    let mut tx = pg.transaction().unwrap();
    tx.batch_execute("SET LOCAL ROLE knots_app").unwrap();
    let (su, bypass): (bool, bool) = {
        let r = tx
            .query_one(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(!su && !bypass);
    let owned: i64 = tx
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tableowner = current_user",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(owned, 0, "the app role owns no table");
    tx.execute(
        "SELECT set_config('knots.user', $1, true), set_config('knots.clinic', $2, true)",
        &[&therapist_a.to_string(), &clinic_a.to_string()],
    )
    .unwrap();
    for table in [
        "profile",
        "shoes",
        "runs",
        "pain_reports",
        "sessions",
        "findings",
        "treatments",
        "checkins",
        "activities",
        "originals",
        "changes",
        "programs",
        "program_items",
        "ticks",
        "invites",
        "replays",
        "clients",
        "care",
        "audit",
    ] {
        let rows = tx
            .query(&format!("SELECT to_jsonb(t)::text FROM {table} t"), &[])
            .unwrap();
        for r in rows {
            let v: serde_json::Value = serde_json::from_str(r.get::<_, &str>(0)).unwrap();
            assert_ne!(v["clinic_id"].as_i64(), Some(clinic_b), "{table}: {v}");
        }
    }
    // The audit trail is append-only for the app role.
    assert!(tx.execute("DELETE FROM audit", &[]).is_err());
}

/// A runner's form as the service worker sends it (`request_id` given or not).
async fn form_post(router: &axum::Router, s: &Session, path: &str, fields: &str) -> Answer {
    send(
        router,
        Method::POST,
        path,
        Some(&s.cookie),
        None,
        format!("csrf={}&{fields}", s.csrf).into(),
        "application/x-www-form-urlencoded",
    )
    .await
}

/// `client`'s journal as therapist A reads it (the export's JSON).
async fn journal_json(w: &World, client: i64) -> serde_json::Value {
    let a = api(
        &w.router,
        &w.therapist_a,
        Method::GET,
        &format!("/api/clients/{client}/journal"),
        serde_json::Value::Null,
    )
    .await;
    serde_json::from_str(&a.body).unwrap_or_else(|_| panic!("{}", a.body))
}

/// The runs of `client` of `km` kilometres, as the therapist reads the journal.
async fn runs_of(w: &World, client: i64, km: f64) -> usize {
    let v = journal_json(w, client).await;
    v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["km"].as_f64() == Some(km))
        .count()
}

/// Whether the item is ticked today, as the runner's checklist says.
async fn ticked(w: &World) -> bool {
    let a = api(
        &w.router,
        &w.runner_a,
        Method::GET,
        &format!("/api/clients/{}/today", w.client_a),
        serde_json::Value::Null,
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    v["items"][0]["done_today"].as_bool().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_form_counts_once() {
    let w = world().await;
    let c = w.client_a;
    let today = jiff::Zoned::now().date();
    // The same run sent twice (its first answer lost on the way back): one run.
    let run =
        format!("date={today}&km=7.3&max_pain=1&request_id=0190f5b2-aaaa-7000-8000-000000000001");
    for _ in 0..2 {
        let a = form_post(&w.router, &w.runner_a, "/today/run", &run).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }
    assert_eq!(runs_of(&w, c, 7.3).await, 1);
    // Two replays of one run racing: one run (the loser's claim rolls its run back).
    let run = format!("date={today}&km=8.4&request_id=0190f5b2-aaaa-7000-8000-000000000002");
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let (router, s, run) = (w.router.clone(), w.runner_a.clone(), run.clone());
            tokio::spawn(async move { form_post(&router, &s, "/today/run", &run).await.status })
        })
        .collect();
    for r in racers {
        assert_eq!(r.await.unwrap(), StatusCode::SEE_OTHER);
    }
    assert_eq!(runs_of(&w, c, 8.4).await, 1);
    // A new id, and no id (a form sent without the service worker), each store a run: the id of
    // the last replay does not linger on the connection.
    let a = form_post(
        &w.router,
        &w.runner_a,
        "/today/run",
        &format!("date={today}&km=8.4&request_id=0190f5b2-aaaa-7000-8000-000000000003"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = form_post(
        &w.router,
        &w.runner_a,
        "/today/run",
        &format!("date={today}&km=8.4"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(runs_of(&w, c, 8.4).await, 3);
    // A refused run claims nothing: sent again once fixed, with the same id, it is stored.
    let bad = "date=not-a-date&km=9.1&request_id=0190f5b2-aaaa-7000-8000-000000000004";
    let a = form_post(&w.router, &w.runner_a, "/today/run", bad).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let fixed = format!("date={today}&km=9.1&request_id=0190f5b2-aaaa-7000-8000-000000000004");
    assert_eq!(
        form_post(&w.router, &w.runner_a, "/today/run", &fixed)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(runs_of(&w, c, 9.1).await, 1);

    // A tick, then an untick, then a late replay of the tick: still unticked.
    let item = w.item;
    let tick = format!(
        "item={item}&done=true&date={today}&request_id=0190f5b2-bbbb-7000-8000-000000000001"
    );
    let untick = format!(
        "item={item}&done=false&date={today}&request_id=0190f5b2-bbbb-7000-8000-000000000002"
    );
    assert_eq!(
        form_post(&w.router, &w.runner_a, "/today/tick", &tick)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(ticked(&w).await);
    assert_eq!(
        form_post(&w.router, &w.runner_a, "/today/tick", &untick)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(!ticked(&w).await);
    assert_eq!(
        form_post(&w.router, &w.runner_a, "/today/tick", &tick)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(
        !ticked(&w).await,
        "a replayed tick does not undo a later untick"
    );

    // Bad request ids and a tick dated after today: 422 naming the field.
    let tomorrow = today.tomorrow().unwrap();
    for (path, fields, field) in [
        (
            "/today/run",
            format!("date={today}&km=3&request_id=short"),
            "request_id",
        ),
        (
            "/today/tick",
            format!("item={item}&request_id=has+spaces+in+it"),
            "request_id",
        ),
        (
            "/today/tick",
            format!("item={item}&date={tomorrow}"),
            "date",
        ),
    ] {
        let a = form_post(&w.router, &w.runner_a, path, &fields).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {fields}: {}",
            a.body
        );
        assert!(a.body.contains(field), "{path} {fields}: {}", a.body);
    }
    // Another runner reusing runner A's request id stores their own run (ids are per client).
    let a = form_post(
        &w.router,
        &w.runner_b,
        "/today/run",
        &format!("date={today}&km=7.3&request_id=0190f5b2-aaaa-7000-8000-000000000001"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    tokio::task::block_in_place(move || drop(w));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_rebuilds_a_record() {
    let w = world().await;
    let c = w.client_a;
    let today = jiff::Zoned::now().date();
    for body in [
        serde_json::json!({"km": 5.0, "max_pain": 3}),
        serde_json::json!({"km": 6.0, "max_pain": 2}),
    ] {
        api(
            &w.router,
            &w.runner_a,
            Method::POST,
            &format!("/api/clients/{c}/journal/run"),
            body,
        )
        .await;
    }
    let s = api(&w.router, &w.therapist_a, Method::POST, &format!("/api/clients/{c}/journal/session"), serde_json::json!({
        "pressure_ceiling": 6, "subjective": "lateral knee after 8 km",
        "findings": [{"trigger_point": "vastus_lateralis_mid", "side": "left", "tenderness": 7, "reproduces": true}],
        "treatments": [{"kind": "deep_tissue", "target": "vastus_lateralis", "side": "left", "pressure": 5, "by": "therapist"}]
    })).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    api(
        &w.router,
        &w.runner_a,
        Method::POST,
        &format!("/api/clients/{c}/ticks"),
        serde_json::json!({"item": w.item, "date": today}),
    )
    .await;
    // Edits and deletes through the store, scoped as the therapist (the use cases unchanged).
    let therapist = tokio::task::block_in_place(|| edit_and_delete(&w, today));
    // A therapist's read is audited.
    let a = api(
        &w.router,
        &w.therapist_a,
        Method::GET,
        &format!("/api/clients/{c}/journal"),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    tokio::task::block_in_place(move || {
        rebuild(&w, therapist);
        drop(w);
    });
}

fn edit_and_delete(w: &World, today: jiff::civil::Date) -> i64 {
    let c = w.client_a;
    let mut op = Operator::connect(&w.db.url()).unwrap();
    let therapist: i64 = op
        .users(Some("Clinic A"))
        .unwrap()
        .iter()
        .find(|u| u.email == "t@a.test")
        .unwrap()
        .id;
    let clinic: i64 = postgres::Client::connect(&w.db.url(), postgres::NoTls)
        .unwrap()
        .query_one("SELECT id FROM clinics WHERE name = 'Clinic A'", &[])
        .unwrap()
        .get(0);
    let mut store = knots_store::PostgresStore::open(&w.db.url()).unwrap();
    store.set_role("knots_app").unwrap();
    store.set_scope(Some(knots_store::postgres::Scope {
        user: therapist,
        clinic,
        client: Some(c),
        audit_reads: false,
    }));
    let journal = knots_store::Store::journal(&store).unwrap();
    let first_run = journal.runs[0].id;
    let rules = knots_app::record::Context {
        atlas: knots_core::Atlas::shipped(),
        now: knots_core::journal::Now {
            at: jiff::Timestamp::now(),
            today,
        },
        force: false,
    };
    knots_app::record::edit(
        &mut store,
        knots_core::change::Kind::Run,
        first_run,
        &serde_json::json!({"max_pain": 4}),
        rules,
    )
    .unwrap();
    knots_app::record::delete(
        &mut store,
        knots_core::change::Kind::Run,
        journal.runs[1].id,
        jiff::Timestamp::now(),
        false,
    )
    .unwrap();
    therapist
}

fn rebuild(w: &World, therapist: i64) {
    let c = w.client_a;
    let mut op = Operator::connect(&w.db.url()).unwrap();
    let audit = op.audit(c).unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r.action == "read" && r.user == Some(therapist))
    );
    let mut rebuilt: BTreeMap<(String, String), serde_json::Value> = BTreeMap::new();
    for r in &audit {
        let key = |v: &serde_json::Value| {
            (
                r.table.clone(),
                v.get("id").map_or_else(String::new, ToString::to_string),
            )
        };
        match r.action.as_str() {
            "insert" | "update" => {
                let n = r.new.clone().unwrap();
                rebuilt.insert(key(&n), n);
            }
            "delete" => {
                rebuilt.remove(&key(r.old.as_ref().unwrap()));
            }
            _ => {}
        }
    }
    let mut pg = postgres::Client::connect(&w.db.url(), postgres::NoTls).unwrap();
    let mut now: BTreeMap<(String, String), serde_json::Value> = BTreeMap::new();
    for table in [
        "profile",
        "shoes",
        "runs",
        "pain_reports",
        "sessions",
        "findings",
        "treatments",
        "checkins",
        "activities",
        "changes",
        "programs",
        "program_items",
        "ticks",
        "invites",
    ] {
        for r in pg
            .query(
                &format!("SELECT to_jsonb(t)::text FROM {table} t WHERE client_id = $1"),
                &[&c],
            )
            .unwrap()
        {
            let v: serde_json::Value = serde_json::from_str(r.get::<_, &str>(0)).unwrap();
            now.insert(
                (
                    table.to_string(),
                    v.get("id").map_or_else(String::new, ToString::to_string),
                ),
                v,
            );
        }
    }
    for r in pg
        .query(
            "SELECT to_jsonb(t)::text FROM clients t WHERE id = $1",
            &[&c],
        )
        .unwrap()
    {
        let v: serde_json::Value = serde_json::from_str(r.get::<_, &str>(0)).unwrap();
        now.insert(("clients".into(), v["id"].to_string()), v);
    }
    assert_eq!(rebuilt, now, "the audit trail rebuilds the record");
    assert!(now.keys().any(|(t, _)| t == "runs") && now.keys().any(|(t, _)| t == "changes"));
}

/// One clinic with a therapist (signed in) and one client: the smaller world of the tests below.
async fn practice() -> (TestDb, std::sync::Arc<Clinic>, axum::Router, Session, i64) {
    let (db, state) = tokio::task::block_in_place(|| {
        let db = TestDb::new();
        let mut op = Operator::connect(&db.url()).unwrap();
        op.create_clinic("Clinic A", "admin@a.test", PW).unwrap();
        op.add_user("Clinic A", Role::Therapist, "t@a.test", PW)
            .unwrap();
        let state = Clinic::new(&db.url(), false).unwrap();
        (db, state)
    });
    let router = app(state.clone());
    let therapist = login(&router, "t@a.test").await;
    let client = id_of(
        &api(
            &router,
            &therapist,
            Method::POST,
            "/api/clients",
            serde_json::json!({"name": "Runner A"}),
        )
        .await,
    );
    (db, state, router, therapist, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_cut_off_by_a_database_restart_answers_503_and_the_next_succeeds() {
    let (db, state, router, therapist, client) = practice().await;
    let list = |router: axum::Router, s: Session| async move {
        api(
            &router,
            &s,
            Method::GET,
            "/api/clients",
            serde_json::Value::Null,
        )
        .await
    };
    // Hold the clients table so that the next list waits inside its transaction.
    let mut pg = tokio::task::block_in_place(|| {
        let mut pg = postgres::Client::connect(&db.url(), postgres::NoTls).unwrap();
        pg.batch_execute("BEGIN; LOCK TABLE clients IN ACCESS EXCLUSIVE MODE")
            .unwrap();
        pg
    });
    let waiting = tokio::spawn(list(router.clone(), therapist.clone()));
    tokio::task::block_in_place(|| {
        for tries in 0.. {
            let n: i64 = pg
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
                     AND wait_event_type = 'Lock'",
                    &[&db.name],
                )
                .unwrap()
                .get(0);
            if n > 0 {
                break;
            }
            assert!(tries < 200, "the list never waited on the lock");
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        // As a restart does: every connection of the server ends, the waiting one mid-request.
        let cut: i64 = pg
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()) t",
                &[&db.name],
            )
            .unwrap()
            .get(0);
        assert!(cut >= 1);
        pg.batch_execute("ROLLBACK").unwrap();
    });
    let cut_off = waiting.await.unwrap();
    assert_eq!(
        cut_off.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        cut_off.body
    );
    assert!(!cut_off.body.contains("Runner A"), "{}", cut_off.body);
    // The next requests, a read and a write, run on new connections.
    let next = list(router.clone(), therapist.clone()).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    assert!(next.body.contains("Runner A"), "{}", next.body);
    let a = api(
        &router,
        &therapist,
        Method::POST,
        &format!("/api/clients/{client}/journal/run"),
        serde_json::json!({"km": 5.0}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    tokio::task::block_in_place(move || drop((pg, router, state, db)));
}

/// Status, headers but `date`, and body of a login attempt.
async fn login_answer(router: &axum::Router, email: &str, password: &str) -> String {
    let form = format!("email={email}&password={}", password.replace(' ', "+"));
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::HOST, "clinic.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let res = router.clone().oneshot(req).await.unwrap();
    let mut out = format!("{}\n", res.status());
    for (name, value) in res.headers() {
        if name != header::DATE {
            out.push_str(&format!("{name}: {}\n", value.to_str().unwrap()));
        }
    }
    let body = res.into_body().collect().await.unwrap().to_bytes();
    out.push_str(&String::from_utf8_lossy(&body));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_get_one_answer_and_one_statement() {
    let (db, state, router, _, _) = practice().await;
    tokio::task::block_in_place(|| {
        let mut op = Operator::connect(&db.url()).unwrap();
        op.add_user("Clinic A", Role::Therapist, "off@a.test", PW)
            .unwrap();
        op.set_disabled("off@a.test", true).unwrap();
    });
    let wrong = login_answer(&router, "t@a.test", "not the password").await;
    let unknown = login_answer(&router, "nobody@a.test", PW).await;
    let disabled = login_answer(&router, "off@a.test", PW).await;
    assert!(wrong.starts_with("401"), "{wrong}");
    assert_eq!(wrong, unknown, "wrong password and unknown email");
    assert_eq!(wrong, disabled, "wrong password and disabled account");

    // Each failure ran the same counting statement; it counted where there is an account to
    // count on: the wrong password, not the disabled account (nor an email nobody has).
    let failed = |email: &str| -> i32 {
        let mut pg = postgres::Client::connect(&db.url(), postgres::NoTls).unwrap();
        pg.query_one("SELECT failed FROM users WHERE email = $1", &[&email])
            .unwrap()
            .get(0)
    };
    tokio::task::block_in_place(|| {
        assert_eq!(failed("t@a.test"), 1);
        assert_eq!(failed("off@a.test"), 0);
    });

    // Past the free failures the account locks: a locked account's right password gets the
    // same answer too; `clinic user enable` clears the lock.
    for _ in 1..knots_clinic::auth::FREE_FAILURES {
        login_answer(&router, "t@a.test", "not the password").await;
    }
    assert_eq!(login_answer(&router, "t@a.test", PW).await, wrong, "locked");
    tokio::task::block_in_place(|| {
        assert_eq!(failed("t@a.test"), knots_clinic::auth::FREE_FAILURES);
        let mut op = Operator::connect(&db.url()).unwrap();
        op.set_disabled("off@a.test", false).unwrap();
        op.set_disabled("t@a.test", false).unwrap();
        assert_eq!(failed("t@a.test"), 0);
    });
    login(&router, "t@a.test").await;
    login(&router, "off@a.test").await;
    tokio::task::block_in_place(move || drop((router, state, db)));
}

/// Sends one HTTP/1.1 request over `stream` and reads the whole answer (the server closes).
async fn raw_http<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    request: &str,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // A TLS peer may close without close_notify once it has answered: keep what was read.
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_https_and_marks_the_cookie_secure() {
    use knots_clinic::{Tls, serve_tls};
    let (db, state) = tokio::task::block_in_place(|| {
        let db = TestDb::new();
        let mut op = Operator::connect(&db.url()).unwrap();
        op.create_clinic("Clinic A", "admin@a.test", PW).unwrap();
        // Served over TLS: secure cookies, as `serve --clinic --tls-cert … --tls-key …` makes it.
        let state = Clinic::new(&db.url(), true).unwrap();
        (db, state)
    });
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let mismatch = Tls::from_pem(
        cert_pem.as_bytes(),
        other.signing_key.serialize_pem().as_bytes(),
    );
    assert!(mismatch.is_err(), "a key of another certificate is refused");
    assert!(
        Tls::from_pem(b"", key_pem.as_bytes()).is_err(),
        "no certificate"
    );
    let tls = Tls::from_pem(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_tls(listener, tls, state.clone(), async {
        let _ = stopped.await;
    }));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let https = |request: String| {
        let connector = connector.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let stream = connector.connect(name, tcp).await.unwrap();
            raw_http(stream, &request).await
        }
    };
    let form = format!("email=admin%40a.test&password={}", PW.replace(' ', "+"));
    let answer = https(format!(
        "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    ))
    .await;
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    let cookie = answer
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie: knots_session=")
        })
        .unwrap_or_else(|| panic!("{answer}"));
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let id = cookie.split_once('=').unwrap().1.split(';').next().unwrap();
    let me = https(format!(
        "GET /api/me HTTP/1.1\r\nHost: localhost\r\nCookie: knots_session={id}\r\nConnection: close\r\n\r\n"
    ))
    .await;
    assert!(me.starts_with("HTTP/1.1 200"), "{me}");
    assert!(me.contains("admin@a.test"), "{me}");

    // Over HTTP/2 (offered by ALPN) the host is the URI's authority, not a `Host` header: a
    // same-origin form post passes the cross-origin check, another origin does not.
    let router = app(state.clone());
    for (origin, want) in [
        ("https://localhost:8443", StatusCode::SEE_OTHER),
        ("https://evil.test", StatusCode::FORBIDDEN),
    ] {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("https://localhost:8443/login")
            .version(axum::http::Version::HTTP_2)
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.clone()))
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let res = router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), want, "{origin}");
    }

    // Plain HTTP on the TLS port gets no HTTP answer.
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let plain = raw_http(
        tcp,
        "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(!plain.starts_with("HTTP/1.1 200"), "{plain}");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    // The last handle on the pool closes its connections with blocking calls.
    tokio::task::block_in_place(move || drop((router, state, db)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn originals_are_a_clients_rows_audited_without_their_bytes() {
    let w = world().await;
    tokio::task::block_in_place(move || {
        use knots_store::Store as _;
        let mut pg = postgres::Client::connect(&w.db.url(), postgres::NoTls).unwrap();
        let mut id = |sql: &str| -> i64 { pg.query_one(sql, &[]).unwrap().get(0) };
        let clinic_a = id("SELECT id FROM clinics WHERE name = 'Clinic A'");
        let clinic_b = id("SELECT id FROM clinics WHERE name = 'Clinic B'");
        let therapist_a = id("SELECT id FROM users WHERE email = 't@a.test'");
        let therapist_b = id("SELECT id FROM users WHERE email = 't@b.test'");
        let scoped = |user: i64, clinic: i64, client: i64| {
            let mut s = knots_store::PostgresStore::open(&w.db.url()).unwrap();
            s.set_role("knots_app").unwrap();
            s.set_scope(Some(knots_store::postgres::Scope {
                user,
                clinic,
                client: Some(client),
                audit_reads: false,
            }));
            s
        };
        // Imported as the upload page does, scoped to client A.
        let mut a = scoped(therapist_a, clinic_a, w.client_a);
        let fit = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/fit/Activity.fit"
        ))
        .unwrap();
        let mut summary = knots_app::ingest::Summary::default();
        let parsed = knots_app::ingest::parse_bytes("Activity.fit", &fit);
        summary.store(&mut a, parsed, &jiff::Zoned::now());
        assert_eq!(summary.imported, 1, "{:?}", summary.failed);
        let listed = a.originals().unwrap();
        assert_eq!(listed.len(), 1);
        let activity = listed[0].activity;
        let out = tempfile::tempdir().unwrap();
        let written = knots_app::originals::export(&a, out.path()).unwrap();
        assert_eq!(written.len(), 1);
        assert!(std::fs::read(out.path().join("Activity.fit")).unwrap() == fit);
        // Another clinic sees none of it.
        let b = scoped(therapist_b, clinic_b, w.client_b1);
        assert!(b.originals().unwrap().is_empty());
        assert_eq!(b.original(activity).unwrap(), None);
        // The row belongs to client A; its audit row names the file without its bytes.
        let row = pg
            .query_one("SELECT clinic_id, client_id FROM originals", &[])
            .unwrap();
        assert_eq!(
            (row.get::<_, i64>(0), row.get::<_, i64>(1)),
            (clinic_a, w.client_a)
        );
        let audited = |pg: &mut postgres::Client, action: &str| -> serde_json::Value {
            let r = pg
                .query_one(
                    "SELECT coalesce(new, old)::text, user_id FROM audit \
                     WHERE tbl = 'originals' AND action = $1",
                    &[&action],
                )
                .unwrap();
            assert_eq!(r.get::<_, Option<i64>>(1), Some(therapist_a));
            serde_json::from_str(r.get::<_, &str>(0)).unwrap()
        };
        let inserted = audited(&mut pg, "insert");
        assert_eq!(inserted["name"], "Activity.fit");
        assert_eq!(inserted["client_id"], w.client_a);
        assert!(inserted.get("data").is_none(), "{inserted}");
        // Deleting the activity deletes its original, audited too.
        a.delete(
            knots_core::change::Kind::Activity,
            activity,
            jiff::Timestamp::now(),
            false,
        )
        .unwrap();
        assert!(a.originals().unwrap().is_empty());
        assert!(audited(&mut pg, "delete").get("data").is_none());
        drop((a, b, pg));
        drop(w);
    });
}
