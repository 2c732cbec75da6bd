//! HTTP tests of the guided search pages (`GET /search`, `POST /search`): requests sent to the
//! router with `oneshot`, on temp SQLite files.

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
const START: &str = "/search?region=lateral_knee&side=left&context=during_run";

fn state() -> (tempfile::TempDir, Arc<AppState<SqliteStore>>) {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::Sqlite(dir.path().join("web.db"));
    let addr: SocketAddr = HOST.parse().unwrap();
    (dir, AppState::new(target, addr, Unit::Km).unwrap())
}

async fn send(state: &Arc<AppState<SqliteStore>>, req: Request<Body>) -> (StatusCode, String) {
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, HOST)
        .body(Body::empty())
        .unwrap()
}

fn form(body: &str) -> Request<Body> {
    Request::post("/search")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header(header::ORIGIN, format!("http://{HOST}"))
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn findings(state: &Arc<AppState<SqliteStore>>) -> Vec<knots_core::journal::Finding> {
    let store = state.pool.get().unwrap();
    store
        .findings()
        .unwrap()
        .into_iter()
        .map(|e| e.item)
        .collect()
}

/// The hidden fields of the answer form, in order (maud writes `type`, `name`, `value`).
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[i + "<input type=\"hidden\" name=\"".len()..];
        let name_end = rest.find('"').unwrap();
        let name = rest[..name_end].to_string();
        let v = rest.find("value=\"").unwrap() + "value=\"".len();
        let value_end = v + rest[v..].find('"').unwrap();
        out.push((name, rest[v..value_end].replace("&amp;", "&")));
    }
    out
}

fn field(page: &str, name: &str) -> Option<String> {
    hidden_fields(page)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// The form body that answers the question on `page`.
fn answer_body(page: &str, tenderness: u8, reproduces: bool, csrf: Option<&str>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in hidden_fields(page) {
        if k == "csrf" {
            if let Some(c) = csrf {
                s.append_pair("csrf", c);
            }
        } else {
            s.append_pair(&k, &v);
        }
    }
    s.append_pair("tenderness", &tenderness.to_string());
    s.append_pair("reproduces", if reproduces { "yes" } else { "no" });
    s.finish()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_page_offers_the_regions_and_is_in_the_navigation() {
    let (_d, st) = state();
    let (status, body) = send(&st, get("/search")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Guided search"));
    assert!(body.contains("value=\"lateral_knee\""));
    let (_, index) = send(&st, get("/")).await;
    assert!(index.contains("href=\"/search\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_shows_the_spot_to_press_on_the_map_with_its_landmark() {
    let (_d, st) = state();
    let (status, body) = send(&st, get(START)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tp_id = field(&body, "trigger_point").unwrap();
    let tp = knots_core::Atlas::shipped()
        .trigger_point(&tp_id)
        .unwrap()
        .clone();
    assert!(body.contains("Press here"));
    // The landmark text (maud escapes it like any text).
    let landmark = maud::html! { (tp.landmark) }.into_string();
    assert!(body.contains(&landmark), "{landmark}");
    // The map, with the one dot to press next highlighted.
    assert!(body.contains("<svg") && body.contains(&format!("data-tp=\"{tp_id}\"")));
    assert!(body.contains("name=\"tenderness\"") && body.contains("name=\"reproduces\""));
    assert_eq!(field(&body, "csrf").as_deref(), Some(st.csrf.as_str()));
    assert!(field(&body, "started").is_some());
    // A bad query is a 422 page, not a crash.
    let (status, _) = send(&st, get("/search?region=lateral_knee&side=upside")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_is_saved_as_a_finding_and_the_next_question_follows() {
    let (_d, st) = state();
    let (_, page) = send(&st, get(START)).await;
    let first = field(&page, "trigger_point").unwrap();
    let (status, next) = send(&st, form(&answer_body(&page, 3, false, Some(&st.csrf)))).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    let saved = findings(&st);
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].trigger_point.0, first);
    assert_eq!(saved[0].tenderness.value(), 3);
    assert!(!saved[0].reproduces);
    assert_eq!(saved[0].note.as_deref(), Some("guided search"));
    // The answer travels in the form; the next question is another spot.
    assert_eq!(
        field(&next, "answer").as_deref(),
        Some(format!("{first}:3:0").as_str())
    );
    assert_ne!(field(&next, "trigger_point").unwrap(), first);
    assert!(next.contains("Most likely so far"));

    // The server is stateless: the same answers in the URL give the same question.
    let again = format!(
        "{START}&started={}&answer={first}:3:0",
        field(&next, "started").unwrap()
    );
    let (status, replay) = send(&st, get(&again)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        field(&replay, "trigger_point"),
        field(&next, "trigger_point")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_the_csrf_token_or_for_a_spot_not_asked_are_refused() {
    let (_d, st) = state();
    let (_, page) = send(&st, get(START)).await;
    let (status, _) = send(&st, form(&answer_body(&page, 5, true, None))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&st, form(&answer_body(&page, 5, true, Some("wrong")))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Cross-site: refused by the guard even with the token.
    let cross = Request::post("/search")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from(answer_body(&page, 5, true, Some(&st.csrf))))
        .unwrap();
    assert_eq!(send(&st, cross).await.0, StatusCode::FORBIDDEN);
    // A spot that is not a candidate of this search.
    let other = answer_body(&page, 5, true, Some(&st.csrf)).replace(
        &format!("trigger_point={}", field(&page, "trigger_point").unwrap()),
        "trigger_point=flexor_digitorum_brevis",
    );
    let (status, _) = send(&st, form(&other)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A missing yes/no.
    let no_answer = answer_body(&page, 5, true, Some(&st.csrf)).replace("&reproduces=yes", "");
    let (status, _) = send(&st, form(&no_answer)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(findings(&st).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_search_ends_with_a_conclusion_and_every_answer_saved() {
    let (_d, st) = state();
    let (_, mut page) = send(&st, get(START)).await;
    let mother = "vastus_lateralis_distal";
    let mut presses = 0;
    while let Some(tp) = field(&page, "trigger_point") {
        let (t, r) = if tp == mother { (9, true) } else { (2, false) };
        let (status, next) = send(&st, form(&answer_body(&page, t, r, Some(&st.csrf)))).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        page = next;
        presses += 1;
        assert!(presses <= 10, "the budget is 10 presses");
    }
    assert!(page.contains("Conclusion"), "{page}");
    assert!(page.contains("Vastus lateralis") || page.contains("vastus lateralis"));
    assert_eq!(findings(&st).len(), presses);
    assert!(!page.contains("Press here"));
}
