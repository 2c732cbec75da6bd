//! HTTP tests: most send requests to the router with `oneshot`; one spawns the real server on
//! 127.0.0.1:0 with the same `serve` function `knots serve` uses. All on temp SQLite files.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use knots_app::Target;
use knots_core::units::Unit;
use knots_store::{SqliteStore, Store};
use knots_web::{AppState, app};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

const HOST: &str = "127.0.0.1:7878";

fn state() -> (tempfile::TempDir, Arc<AppState<SqliteStore>>) {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::Sqlite(dir.path().join("web.db"));
    let addr: SocketAddr = HOST.parse().unwrap();
    (dir, AppState::new(target, addr, Unit::Km).unwrap())
}

async fn send(
    state: &Arc<AppState<SqliteStore>>,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, HOST)
        .body(Body::empty())
        .unwrap()
}

fn form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header(header::ORIGIN, format!("http://{HOST}"))
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn journal_len(state: &Arc<AppState<SqliteStore>>) -> usize {
    let j = state.pool.get().unwrap().journal().unwrap();
    j.findings.len()
        + j.runs.len()
        + j.sessions.len()
        + j.treatments.len()
        + j.pain_reports.len()
        + j.shoes.len()
        + j.checkins.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_page_has_the_body_map_and_a_strict_csp() {
    let (_d, st) = state();
    let (status, headers, body) = send(&st, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.starts_with("default-src 'self'"));
    assert!(body.contains("<svg") && body.contains("data-region=\"lateral_knee\""));
    assert!(body.contains("your left is on the right of this picture"));
    assert!(!body.contains("src=\"http") && !body.contains("href=\"http"));
    let (status, headers, js) = send(&st, get("/assets/htmx.min.js")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "text/javascript"
    );
    assert!(js.contains("htmx"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_api_answers_and_names_bad_fields() {
    let (_d, st) = state();
    let (status, _, body) = send(
        &st,
        get("/api/find?region=lateral_knee&side=left&context=during_run"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let top: Vec<&str> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .take(5)
        .map(|c| c["muscle"].as_str().unwrap())
        .collect();
    assert!(
        top.contains(&"vastus_lateralis") && top.contains(&"tensor_fasciae_latae"),
        "{top:?}"
    );
    assert!(v["disclaimer"].is_string());

    let (status, _, body) = send(&st, get("/api/find?region=lateral_kne&side=left")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("\"field\":\"region\"") && body.contains("lateral_knee"),
        "{body}"
    );

    let req = Request::post("/api/find")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"regions":["no_such_region"],"side":"left"}"#,
        ))
        .unwrap();
    let (status, _, body) = send(&st, req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("\"field\":\"regions\""), "{body}");

    let (status, _, body) = send(&st, get("/?region=lateral_knee&side=sideways")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("err-side"),
        "the page shows the error next to the field"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_host_origin_and_fetch_site_are_rejected() {
    let (_d, st) = state();
    let token = st.csrf.clone();
    // (method, host, origin, sec-fetch-site)
    let cases: &[(&str, &str, Option<&str>, Option<&str>)] = &[
        ("GET", "evil.example", None, None),
        ("GET", "evil.example:7878", None, None),
        ("GET", "127.0.0.1:9999", None, None),
        ("GET", "localhost.evil.example:7878", None, None),
        ("GET", "127.0.0.1:+7878", None, None),
        ("GET", "127.0.0.1:07878x", None, None),
        ("POST", HOST, Some("http://evil.example"), None),
        ("POST", HOST, Some("http://127.0.0.1:9999"), None),
        ("POST", HOST, Some("null"), None),
        ("POST", HOST, None, Some("cross-site")),
        ("POST", HOST, None, Some("same-site")),
        (
            "POST",
            HOST,
            Some(&format!("http://{HOST}")),
            Some("cross-site"),
        ),
        (
            "POST",
            "evil.example",
            Some("http://evil.example"),
            Some("same-origin"),
        ),
    ];
    for &(method, host, origin, site) in cases {
        let mut req = Request::builder()
            .method(method)
            .uri("/finding")
            .header(header::HOST, host);
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(s) = site {
            req = req.header("sec-fetch-site", s);
        }
        let body =
            format!("csrf={token}&trigger_point=soleus_1&side=left&tenderness=5&mark=tender");
        let (status, _, _) = send(
            &st,
            req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{method} host={host} origin={origin:?} site={site:?}"
        );
    }
    let (status, _, _) = send(
        &st,
        form(
            "/finding",
            "trigger_point=soleus_1&side=left&tenderness=5&mark=tender",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, _, _) = send(
        &st,
        form(
            "/finding",
            "csrf=wrong&trigger_point=soleus_1&side=left&tenderness=5",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "wrong CSRF token");
    assert_eq!(journal_len(&st), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_several_or_malformed_host_headers_are_a_bad_request() {
    let (_d, st) = state();
    let bare = Request::builder().uri("/").body(Body::empty()).unwrap();
    assert_eq!(send(&st, bare).await.0, StatusCode::BAD_REQUEST, "no Host");
    let twice = Request::builder()
        .uri("/")
        .header(header::HOST, HOST)
        .header(header::HOST, "evil.example")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&st, twice).await.0,
        StatusCode::BAD_REQUEST,
        "two Hosts"
    );
    for bad in ["", "127.0.0.1 :7878", "127.0.0.1:7878\t"] {
        let req = Request::builder()
            .uri("/")
            .header(header::HOST, bad)
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&st, req).await.0, StatusCode::BAD_REQUEST, "{bad:?}");
    }
    assert_eq!(send(&st, get("/")).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_break_in_back_is_refused_before_anything_is_written() {
    let (_d, st) = state();
    let t = st.csrf.clone();
    let (status, _, body) = send(
        &st,
        form(
            "/finding",
            &format!(
                "csrf={t}&trigger_point=soleus_1&side=left&tenderness=5&mark=tender&back=a%0D%0ALocation:%20http://evil.example"
            ),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(journal_len(&st), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thats_the_spot_moves_a_knot_to_the_top() {
    let (_d, st) = state();
    let q = "region=lateral_knee&side=left&context=during_run";
    let body = format!(
        "csrf={}&trigger_point=vastus_lateralis_mid&side=left&tenderness=8&mark=spot&back={}",
        st.csrf,
        urlencode(q)
    );
    let (status, headers, _) = send(&st, form("/finding", &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers
            .get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("/?region=lateral_knee")
    );
    let (_, _, page) = send(&st, get(&format!("/?{q}"))).await;
    let first = page.find("id=\"tp-").map(|i| &page[i..i + 40]).unwrap();
    assert!(first.contains("vastus_lateralis_mid"), "{first}");
}

fn urlencode(s: &str) -> String {
    s.replace('&', "%26").replace('=', "%3D")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_forms_get_422_with_the_field_and_write_nothing() {
    let (_d, st) = state();
    let t = st.csrf.clone();
    let cases = [
        ("/record", format!("csrf={t}&kind=run&km=-2"), "km"),
        (
            "/record",
            format!("csrf={t}&kind=run&km=5&date=2999-01-01"),
            "in the future",
        ),
        (
            "/record",
            format!("csrf={t}&kind=checkin&morning_pain=11"),
            "morning_pain",
        ),
        (
            "/record",
            format!(
                "csrf={t}&kind=treatment&treatment_kind=ball&target=lateral_kne&side=left&by=self"
            ),
            "target",
        ),
        (
            "/pain",
            format!("csrf={t}&region=lateral_knee&side=left&pain=12&context=during_run"),
            "pain",
        ),
        (
            "/session/new",
            format!("csrf={t}&pressure_ceiling=7&t0_kind=deep_tissue&t0_side=left&t0_pressure=9"),
            "treatments[0].pressure",
        ),
        (
            "/session/new",
            format!("csrf={t}&pressure_ceiling=7&f0_tp=no_such_point&f0_side=left&f0_tenderness=5"),
            "findings[0].trigger_point",
        ),
    ];
    for (uri, body, needle) in cases {
        let (status, _, page) = send(&st, form(uri, &body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri} {body}");
        assert!(
            page.contains(needle),
            "{uri} {body}: no `{needle}` in the page"
        );
    }
    assert_eq!(journal_len(&st), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_kind_can_be_saved_from_the_web() {
    let (_d, st) = state();
    let t = st.csrf.clone();
    for body in [
        format!("csrf={t}&kind=shoe&name=Road&initial_km=0&limit_km=700"),
        format!(
            "csrf={t}&kind=run&km=5&minutes=30&shoe=1&surface=road&camber=left&pain_onset_km=1.6&max_pain=5"
        ),
        format!(
            "csrf={t}&kind=treatment&treatment_kind=foam_roll&target=vastus_lateralis&side=left&minutes=5&by=self"
        ),
        format!("csrf={t}&kind=checkin&morning_pain=2&water_l=2&potassium=on&sleep_h=7"),
        format!(
            "csrf={t}&kind=finding&trigger_point=soleus_1&side=left&tenderness=6&taut_band=on&ppt_kg_cm2=2.5"
        ),
        format!("csrf={t}&kind=run_pain&run=1&pain_onset_km=2.5&max_pain=4"),
        format!(
            "csrf={t}&kind=reaction&reaction_kind=bruising&severity=4&hours=48&treatment=1&note=after+rolling"
        ),
        format!("csrf={t}&kind=shoe_retire&shoe=1"),
        format!("csrf={t}&kind=profile&leg_length_diff_mm=5&longer_leg=right"),
    ] {
        let (status, _, page) = send(&st, form("/record", &body)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}: {page}");
    }
    let (status, _, _) = send(&st, form("/pain", &format!("csrf={t}&region=lateral_knee&side=left&pain=6&context=during_run&onset_km=1.6&red_flag=swelling"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = format!(
        "csrf={t}&subjective=outer+knee&pressure_ceiling=7&relaxation=2&f0_tp=vastus_lateralis_distal&f0_side=left&f0_tenderness=9&f0_reproduces=on&t0_kind=deep_tissue&t0_target=vastus_lateralis_distal&t0_side=left&t0_pressure=7"
    );
    let (status, _, _) = send(&st, form("/session/new", &session)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let j = st.pool.get().unwrap().journal().unwrap();
    assert_eq!(
        (
            j.shoes.len(),
            j.runs.len(),
            j.checkins.len(),
            j.pain_reports.len(),
            j.sessions.len()
        ),
        (1, 1, 1, 1, 1)
    );
    assert_eq!(j.treatments.len(), 2);
    assert_eq!(j.findings[1].item.session, Some(1));
    assert_eq!(j.findings[0].item.ppt_kg_cm2, Some(2.5));
    assert_eq!(
        j.runs[0].item.pain_onset_km.map(knots_core::Km::value),
        Some(2.5)
    );
    assert!(j.shoes[0].item.retired.is_some());
    assert_eq!(j.profile.leg_length_diff_mm, Some(5.0));
    assert_eq!(j.reactions.len(), 1);
    assert_eq!(j.reactions[0].item.treatment, Some(1));
    assert_eq!(j.reactions[0].item.note.as_deref(), Some("after rolling"));
    drop(j);
    let (status, _, page) = send(
        &st,
        form(
            "/record",
            &format!("csrf={t}&kind=run_pain&run=1&pain_onset_km=9"),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an onset beyond the run's 5 km"
    );
    assert!(page.contains("pain_onset_km"));
    let (_, _, page) = send(&st, get("/?region=lateral_knee&side=left")).await;
    assert!(page.contains("SEE A CLINICIAN"), "a red flag goes first");
    for uri in [
        "/timeline",
        "/runs",
        "/knots/vastus_lateralis_distal",
        "/record",
        "/session/new",
    ] {
        let (status, _, _) = send(&st, get(uri)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    let (status, _, _) = send(&st, get("/knots/no_such")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_api_records_with_the_token() {
    let (_d, st) = state();
    let (_, _, tok) = send(&st, get("/api/csrf")).await;
    let token = serde_json::from_str::<serde_json::Value>(&tok).unwrap()["csrf"]
        .as_str()
        .unwrap()
        .to_string();
    let finding = r#"{"at":"2026-01-02T10:00:00Z","trigger_point":"soleus_1","side":"left","tenderness":6,"taut_band":false,"reproduces":true}"#;
    let post = |body: &str, token: &str| {
        Request::post("/api/journal/finding")
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", token)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, _, body) = send(&st, post(finding, &token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = send(
        &st,
        post(
            &finding.replace("\"tenderness\":6", "\"tenderness\":16"),
            &token,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _, _) = send(&st, post(finding, "nope")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, export) = send(&st, get("/api/journal")).await;
    assert!(export.contains("\"format\":\"knots-journal\""));
    assert_eq!(journal_len(&st), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_are_refused() {
    let (_d, st) = state();
    let big = format!(
        "csrf={}&kind=shoe&name={}",
        st.csrf,
        "x".repeat(knots_web::MAX_BODY + 10)
    );
    let (status, _, _) = send(&st, form("/record", &big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(journal_len(&st), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_server_serves_and_shuts_down() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let target = Target::Sqlite(dir.path().join("e2e.db"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::<SqliteStore>::new(target, addr, Unit::Km).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(knots_web::serve(listener, state, async {
        let _ = rx.await;
    }));
    let response = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(s, "GET /api/find?region=heel&side=right HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("soleus"));
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// Sends raw bytes to a real server and reads until it closes the connection.
fn raw(addr: std::net::SocketAddr, request: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state =
        AppState::<SqliteStore>::new(Target::Sqlite(dir.path().join("t.db")), addr, Unit::Km)
            .unwrap();
    let timeouts = knots_web::Timeouts {
        header_read: std::time::Duration::from_millis(500),
        ..knots_web::Timeouts::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(knots_web::serve_with(
        listener,
        state,
        async {
            let _ = rx.await;
        },
        timeouts,
    ));
    // The headers never end: the server must close the connection by itself (read_to_end
    // returns) instead of keeping it forever.
    let answer = tokio::task::spawn_blocking(move || raw(addr, "GET / HTTP/1.1\r\nHost: x"))
        .await
        .unwrap();
    assert!(!answer.starts_with("HTTP/1.1 200"), "{answer}");
    let ok = tokio::task::spawn_blocking(move || {
        raw(
            addr,
            &format!("GET /assets/app.js HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        )
    })
    .await
    .unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_locked_by_another_writer_answers_503_and_assets_still_answer() {
    let (dir, st) = state();
    let _ = send(&st, get("/")).await;
    // Another program holds the write lock for the whole test.
    let other = rusqlite::Connection::open(dir.path().join("web.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let token = st.csrf.clone();
    let writer = {
        let st = st.clone();
        tokio::spawn(async move {
            let req = Request::post("/api/journal/shoe")
                .header(header::HOST, HOST)
                .header("x-csrf-token", token)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"name": "Locked out"}"#))
                .unwrap();
            send(&st, req).await
        })
    };
    // While the write waits for the lock, assets and reads answer.
    let (status, _, _) = send(&st, get("/assets/app.js")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&st, get("/api/csrf")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&st, get("/timeline")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "WAL readers are not blocked by a writer"
    );
    let (status, headers, body) = writer.await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    other.execute_batch("ROLLBACK").unwrap();
    assert!(
        st.pool.get().unwrap().shoes().unwrap().is_empty(),
        "nothing half-written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_plan_pages_render_on_an_empty_and_a_demo_journal() {
    let (_d, st) = state();
    let (status, headers, body) = send(&st, get("/report")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert!(!body.contains("<script"), "the report runs no script");
    let (status, _, _) = send(&st, get("/plan")).await;
    assert_eq!(status, StatusCode::OK);
    let journal =
        knots_core::demo::journal(jiff::Zoned::now().date(), jiff::tz::TimeZone::system());
    st.pool.get().unwrap().replace_all(&journal, true).unwrap();
    let (_, _, body) = send(&st, get("/report")).await;
    assert!(body.contains("vastus_lateralis_distal") && body.matches("<svg").count() >= 2);
    let (_, _, plan) = send(&st, get("/plan")).await;
    assert!(plan.contains("Gate: "), "{plan}");
}

fn multipart(files: &[(&str, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "knotsboundary7c1";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(uri: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(uri)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, content_type)
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_files_are_imported_and_broken_ones_reported() {
    let (_d, st) = state();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let fit = std::fs::read(data.join("fit/Activity.fit")).unwrap();
    let broken = std::fs::read(data.join("broken/shopping-list.gpx")).unwrap();
    let fit_len = fit.len() as u64;
    let files = [("Activity.fit", fit.clone()), ("shopping-list.gpx", broken)];

    let t = st.csrf.clone();
    let (ct, body) = multipart(&files);
    let (status, _, _) = send(&st, upload("/import", &ct, body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(journal_len(&st), 0);

    let (ct, body) = multipart(&files);
    let (status, _, page) = send(&st, upload(&format!("/import?csrf={t}"), &ct, body)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Imported 1 activities"), "{page}");
    assert!(
        page.contains("shopping-list.gpx: xml at line 1, column 1"),
        "{page}"
    );

    let (ct, body) = multipart(&[("again.fit", fit)]);
    let mut req = upload("/api/import", &ct, body);
    req.headers_mut().insert("x-csrf-token", t.parse().unwrap());
    let (status, _, json) = send(&st, req).await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (v["imported"].as_u64(), v["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        st.pool.get().unwrap().journal().unwrap().activities.len(),
        1
    );
    // The upload keeps the original file, once (the second copy was a duplicate).
    let conn = st.pool.get().unwrap();
    let kept = conn.originals().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].name.as_str(), kept[0].size),
        ("Activity.fit", fit_len)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_without_the_token_is_refused_before_its_body_is_read() {
    let (_d, st) = state();
    // A body that never ends: if the handler read it before checking the token, it would wait
    // forever (the outer timeout only keeps a broken build from hanging the test run).
    let (_tx, rx) = tokio::sync::mpsc::channel::<Result<axum::body::Bytes, std::io::Error>>(1);
    let body = Body::from_stream(tokio_stream_of(rx));
    let req = Request::post("/api/import")
        .header(header::HOST, HOST)
        .header(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=knotsboundary7c1",
        )
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(60), send(&st, req))
        .await
        .expect("the token must be checked before the body is read");
    assert_eq!(answer.0, StatusCode::FORBIDDEN);
}

/// A stream over a channel's receiver.
fn tokio_stream_of(
    mut rx: tokio::sync::mpsc::Receiver<Result<axum::body::Bytes, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<axum::body::Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_upload_is_refused_from_its_length() {
    let (_d, st) = state();
    let req = Request::post("/import")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .header(header::CONTENT_LENGTH, (600u64 * 1024 * 1024).to_string())
        .header("sec-fetch-site", "same-origin")
        .body(Body::from("--x--\r\n"))
        .unwrap();
    let (status, _, _) = send(&st, req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_run_has_a_page_with_its_stream_plotted() {
    let (_d, st) = state();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let tcx = std::fs::read(data.join("tcx/test.tcx")).unwrap();
    let (ct, body) = multipart(&[("test.tcx", tcx)]);
    let (status, _, json) = send(
        &st,
        upload(&format!("/api/import?csrf={}", st.csrf), &ct, body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let run = v["activities"][0]["run"].as_i64().unwrap();
    let t = st.csrf.clone();
    let (status, _, _) = send(
        &st,
        form(
            "/record",
            &format!("csrf={t}&kind=run_pain&run={run}&pain_onset_km=1.6&max_pain=5"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = send(&st, get(&format!("/runs/{run}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Heart rate (bpm)") && page.contains("Pace (min/km)"),
        "{page}"
    );
    assert!(page.contains("pain began at 1.6 km"));
    let (status, _, _) = send(&st, get("/runs/999")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_in_miles_shows_miles_takes_typed_units_and_keeps_the_json_metric() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::Sqlite(dir.path().join("miles.db"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::<SqliteStore>::new(target, addr, Unit::Mi).unwrap();
    let csrf = state.csrf.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(knots_web::serve(listener, state, async {
        let _ = rx.await;
    }));
    let body_of = |response: &str| -> String {
        assert!(response.starts_with("HTTP/1.1 "), "{response}");
        response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    };
    let get = move |path: &str| {
        let path = path.to_string();
        async move {
            tokio::task::spawn_blocking(move || {
                raw(
                    addr,
                    &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
                )
            })
            .await
            .unwrap()
        }
    };
    let post = move |path: &str, form: String| {
        let path = path.to_string();
        async move {
            tokio::task::spawn_blocking(move || {
                raw(
                    addr,
                    &format!(
                        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
                         Sec-Fetch-Site: same-origin\r\nConnection: close\r\n\
                         Content-Type: application/x-www-form-urlencoded\r\n\
                         Content-Length: {}\r\n\r\n{form}",
                        form.len()
                    ),
                )
            })
            .await
            .unwrap()
        }
    };
    // The forms say miles; a plain number is miles, a typed unit its own, a time mm:ss.
    let record = body_of(&get("/record").await);
    assert!(record.contains("Distance (mi)"), "{record}");
    assert!(record.contains("Pain began after (mi)"), "{record}");
    assert!(body_of(&get("/").await).contains("Starts after (mi)"));
    let saved = post(
        "/record",
        format!("csrf={csrf}&kind=run&date=2026-05-01&km=6.2&minutes=50%3A00&pain_onset_km=1mi"),
    )
    .await;
    assert!(saved.starts_with("HTTP/1.1 303"), "{saved}");
    let saved = post(
        "/record",
        format!("csrf={csrf}&kind=run&date=2026-05-02&km=10k&pain_onset_km=800m"),
    )
    .await;
    assert!(saved.starts_with("HTTP/1.1 303"), "{saved}");
    let refused = post(
        "/record",
        format!("csrf={csrf}&kind=run&date=2026-05-03&km=6.2furlongs"),
    )
    .await;
    assert!(refused.starts_with("HTTP/1.1 422"), "{refused}");
    // The JSON API stays metric.
    let journal: serde_json::Value =
        serde_json::from_str(&body_of(&get("/api/journal").await)).unwrap();
    let runs = journal["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let mile = knots_core::units::KM_PER_MILE;
    assert!((runs[0]["km"].as_f64().unwrap() - 6.2 * mile).abs() < 1e-9);
    assert!((runs[0]["pain_onset_km"].as_f64().unwrap() - mile).abs() < 1e-9);
    assert_eq!(runs[0]["minutes"].as_f64(), Some(50.0));
    assert_eq!(runs[1]["km"].as_f64(), Some(10.0));
    assert_eq!(runs[1]["pain_onset_km"].as_f64(), Some(0.8));
    let first = runs[0]["id"].as_i64().unwrap();
    // Every page shows miles.
    let list = body_of(&get("/runs").await);
    assert!(list.contains("<th>mi</th>"), "{list}");
    assert!(
        list.contains("<td>6.2</td>") && list.contains("1.0 mi") && list.contains("0.5 mi"),
        "{list}"
    );
    assert!(!list.contains(" km<"), "{list}");
    let page = body_of(&get(&format!("/runs/{first}")).await);
    assert!(page.contains("6.20 mi"), "{page}");
    assert!(page.contains("began at 1.0 mi"), "{page}");
    assert!(page.contains("/mi)"), "the pace is per mile: {page}");
    let timeline = body_of(&get("/timeline").await);
    assert!(timeline.contains("6.2 mi"), "{timeline}");
    assert!(!timeline.contains(" km"), "{timeline}");
    let form = body_of(&get(&format!("/journal/run/{first}/edit")).await);
    assert!(
        form.contains("Distance (mi)") && form.contains("value=\"6.2\""),
        "{form}"
    );
    // Saving the form as shown changes nothing (no rounding drift); a typed change is kept.
    let unchanged = post(
        &format!("/journal/run/{first}/edit"),
        format!("csrf={csrf}&date=2026-05-01&km=6.2&minutes=50&pain_onset_km=1&camber=none"),
    )
    .await;
    assert!(unchanged.starts_with("HTTP/1.1 303"), "{unchanged}");
    let changes: serde_json::Value =
        serde_json::from_str(&body_of(&get("/api/journal").await)).unwrap();
    assert_eq!(
        changes["changes"].as_array().map(Vec::len),
        Some(0),
        "{changes}"
    );
    let edited = post(
        &format!("/journal/run/{first}/edit"),
        format!("csrf={csrf}&date=2026-05-01&km=7&minutes=50&pain_onset_km=1&camber=none"),
    )
    .await;
    assert!(edited.starts_with("HTTP/1.1 303"), "{edited}");
    let journal: serde_json::Value =
        serde_json::from_str(&body_of(&get("/api/journal").await)).unwrap();
    assert!((journal["runs"][0]["km"].as_f64().unwrap() - 7.0 * mile).abs() < 1e-9);
    let report = body_of(&get("/report").await);
    assert!(report.contains(" mi"), "the report is in miles");
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}
