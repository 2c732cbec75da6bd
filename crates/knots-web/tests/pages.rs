//! The journal pages: every free text escaped on every page and in the report, editing and
//! deleting records through the forms, past sessions, the icon. Requests go to the router with
//! `oneshot`, on temp SQLite files holding the demo journal.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use knots_app::Target;
use knots_core::change::{Kind, Record};
use knots_core::journal::{Activity, Entry, Journal};
use knots_store::{SqliteStore, Store};
use knots_web::{AppState, app};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

const HOST: &str = "127.0.0.1:7878";

fn state(journal: &Journal) -> (tempfile::TempDir, Arc<AppState<SqliteStore>>) {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::Sqlite(dir.path().join("web.db"));
    let addr: SocketAddr = HOST.parse().unwrap();
    let st = AppState::<SqliteStore>::new(target, addr, knots_core::units::Unit::Km).unwrap();
    st.pool.get().unwrap().replace_all(journal, false).unwrap();
    (dir, st)
}

fn demo() -> Journal {
    knots_core::demo::journal(jiff::Zoned::now().date(), jiff::tz::TimeZone::system())
}

async fn send(st: &Arc<AppState<SqliteStore>>, req: Request<Body>) -> (StatusCode, String, String) {
    let res = app(st.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
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

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Script and quotes, tagged with the field it went into.
fn hostile(tag: &str) -> String {
    format!("<script>alert(\"{tag}\")</script>'")
}

/// [`hostile`] as maud writes it into text and attributes.
fn escaped(tag: &str) -> String {
    format!("&lt;script&gt;alert(&quot;{tag}&quot;)&lt;/script&gt;'")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_free_text_is_escaped_on_every_page_and_in_the_report() {
    let mut j = demo();
    let tp = j.findings[0].item.trigger_point.clone();
    for p in &mut j.pain_reports {
        p.item.note = Some(hostile("pain-note"));
    }
    for f in &mut j.findings {
        f.item.note = Some(hostile("finding-note"));
    }
    for t in &mut j.treatments {
        t.item.note = Some(hostile("treatment-note"));
        if t.item.session.is_some() {
            t.item.target = Some(hostile("target"));
        }
    }
    for s in &mut j.sessions {
        s.item.therapist = Some(hostile("therapist"));
        s.item.subjective = hostile("subjective");
        s.item.objective = hostile("objective");
        s.item.assessment = hostile("assessment");
        s.item.plan = hostile("plan");
    }
    for s in &mut j.shoes {
        s.item.name = format!("{} {}", hostile("shoe"), s.id);
    }
    for r in &mut j.runs {
        r.item.note = Some(hostile("run-note"));
    }
    for c in &mut j.checkins {
        c.item.note = Some(hostile("checkin-note"));
    }
    let run = j.runs[0].id;
    j.activities.push(Entry {
        id: 1,
        item: Activity {
            run: Some(run),
            sport: "running".into(),
            start: jiff::Timestamp::UNIX_EPOCH,
            utc_offset_s: None,
            source: "watch.fit".into(),
            name: Some(hostile("activity")),
            distance_m: Some(5000.0),
            elapsed_s: 1800.0,
            timer_s: None,
            ascent_m: None,
            avg_hr: None,
            max_hr: None,
            avg_cadence: None,
            max_cadence: None,
            laps: 1,
            stream: Vec::new(),
        },
    });
    let (_d, st) = state(&j);
    let session = j.sessions[0].id;
    let mut pages: Vec<String> = [
        "/",
        "/record",
        "/session/new",
        "/sessions",
        "/timeline",
        "/runs",
        "/plan",
        "/report",
        "/search?region=lateral_knee&side=left",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    pages.push(format!("/runs/{run}"));
    pages.push(format!("/knots/{tp}"));
    let records = [
        (Kind::Pain, j.pain_reports[0].id),
        (Kind::Finding, j.findings[0].id),
        (Kind::Treatment, j.treatments[0].id),
        (Kind::Session, session),
        (Kind::Run, run),
        (Kind::Shoe, j.shoes[0].id),
        (Kind::Checkin, j.checkins[0].id),
        (Kind::Activity, 1),
    ];
    for (kind, id) in records {
        pages.push(format!("/journal/{kind}/{id}/edit"));
        pages.push(format!("/journal/{kind}/{id}/delete"));
    }
    let mut all = String::new();
    for uri in &pages {
        let (status, _, body) = send(&st, get(uri)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(
            !body.contains("<script>alert"),
            "{uri} lets a script through"
        );
        assert_eq!(
            body.matches("<script").count(),
            body.matches(r#"<script src="/assets/"#).count(),
            "{uri} has a script element of its own"
        );
        all.push_str(&body);
    }
    for tag in [
        "pain-note",
        "finding-note",
        "treatment-note",
        "target",
        "therapist",
        "subjective",
        "objective",
        "assessment",
        "plan",
        "shoe",
        "run-note",
        "checkin-note",
        "activity",
    ] {
        assert!(all.contains(&escaped(tag)), "`{tag}` is shown nowhere");
    }
    // The edit form carries the text back in an attribute, quotes escaped.
    let (_, _, edit) = send(&st, get(&format!("/journal/shoe/{}/edit", j.shoes[0].id))).await;
    assert!(
        edit.contains(&format!(r#"value="{} "#, escaped("shoe"))),
        "{edit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_edited_through_its_form_and_a_broken_rule_is_shown_with_422() {
    let j = demo();
    let (_d, st) = state(&j);
    let run = j.runs.last().unwrap();
    let id = run.id;
    let (status, _, page) = send(&st, get(&format!("/journal/run/{id}/edit?back=/runs"))).await;
    assert_eq!(status, StatusCode::OK);
    let km = knots_core::units::number(run.item.km.value(), 3);
    let km = km.trim_end_matches('0').trim_end_matches('.');
    assert!(
        page.contains(&format!(r#"name="km" value="{km}""#)),
        "{page}"
    );
    assert!(page.contains(r#"name="back" value="/runs""#));

    // Send the form back as the browser would: every field, one changed.
    let stored = Record::Run(run.item.clone()).to_json();
    let field = |name: &str| match stored.get(name) {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => enc(s),
        Some(v) => v.to_string(),
    };
    let body = |km: &str, max_pain: &str| {
        format!(
            "csrf={}&back=%2Fruns&date={}&km={km}&minutes={}&shoe={}&surface={}&camber={}\
             &pain_onset_km=&max_pain={max_pain}&pain_next_morning={}&rpe={}&note=tempo",
            st.csrf,
            field("date"),
            field("minutes"),
            field("shoe"),
            field("surface"),
            field("camber"),
            field("pain_next_morning"),
            field("rpe"),
        )
    };
    let (status, _, page) = send(
        &st,
        form(&format!("/journal/run/{id}/edit"), &body("7.5", "11")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Nothing was saved") && page.contains(r#"id="err-max_pain""#),
        "{page}"
    );
    assert!(
        page.contains(r#"value="7.5""#),
        "the form keeps what was entered"
    );
    let (status, location, _) = send(
        &st,
        form(&format!("/journal/run/{id}/edit"), &body("7.5", "2")),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/runs");
    let store = st.pool.get().unwrap();
    let Record::Run(now) = store.record(Kind::Run, id).unwrap() else {
        panic!("not a run")
    };
    assert_eq!(now.km.value(), 7.5);
    assert_eq!(now.note.as_deref(), Some("tempo"));
    assert_eq!(now.pain_onset_km, None);
    let change = store.changes().unwrap().pop().unwrap();
    assert_eq!((change.item.kind, change.item.record), (Kind::Run, id));

    // Without the token nothing is written.
    let no_token = body("9", "2").replacen(&format!("csrf={}", st.csrf), "csrf=x", 1);
    let (status, _, _) = send(&st, form(&format!("/journal/run/{id}/edit"), &no_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(&st, get("/journal/run/999999/edit")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_session_says_what_goes_with_it_and_a_worn_shoe_offers_to_detach() {
    let j = demo();
    let (_d, st) = state(&j);
    let session = j
        .sessions
        .iter()
        .find(|s| j.findings.iter().any(|f| f.item.session == Some(s.id)))
        .unwrap()
        .id;
    let findings = j
        .findings
        .iter()
        .filter(|f| f.item.session == Some(session))
        .count();
    let treatments = j
        .treatments
        .iter()
        .filter(|t| t.item.session == Some(session))
        .count();
    let (status, _, page) = send(
        &st,
        get(&format!("/journal/session/{session}/delete?back=/sessions")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!(
            "Its {findings} finding(s) and {treatments} treatment(s) are deleted with it."
        )),
        "{page}"
    );
    let (status, location, _) = send(
        &st,
        form(
            &format!("/journal/session/{session}/delete"),
            &format!("csrf={}&back=%2Fsessions", st.csrf),
        ),
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/sessions")
    );
    let after = st.pool.get().unwrap().journal().unwrap();
    assert!(after.sessions.iter().all(|s| s.id != session));
    assert_eq!(after.findings.len(), j.findings.len() - findings);

    let shoe = j
        .shoes
        .iter()
        .find(|s| j.runs.iter().any(|r| r.item.shoe == Some(s.id)))
        .unwrap()
        .id;
    let worn = j.runs.iter().filter(|r| r.item.shoe == Some(shoe)).count();
    let (_, _, page) = send(&st, get(&format!("/journal/shoe/{shoe}/delete"))).await;
    assert!(
        page.contains(&format!("{worn} run(s) wear this shoe")),
        "{page}"
    );
    assert!(page.contains(r#"name="detach""#));
    let uri = format!("/journal/shoe/{shoe}/delete");
    let (status, _, page) = send(&st, form(&uri, &format!("csrf={}&back=%2Fruns", st.csrf))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains(r#"name="detach""#),
        "the question is asked again"
    );
    let (status, _, _) = send(
        &st,
        form(&uri, &format!("csrf={}&back=%2Fruns&detach=on", st.csrf)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = st.pool.get().unwrap().journal().unwrap();
    assert!(after.shoes.iter().all(|s| s.id != shoe));
    assert_eq!(after.runs.len(), j.runs.len(), "the runs are kept");
    assert!(after.runs.iter().all(|r| r.item.shoe != Some(shoe)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_showing_records_carry_their_controls() {
    let j = demo();
    let (_d, st) = state(&j);
    let run = j.runs[0].id;
    let finding = &j.findings[0];
    for (uri, control) in [
        (
            "/timeline".to_string(),
            format!("/journal/run/{run}/edit?back=%2Ftimeline"),
        ),
        (
            "/runs".to_string(),
            format!("/journal/run/{run}/delete?back=%2Fruns"),
        ),
        (
            "/runs".to_string(),
            format!("/journal/shoe/{}/edit", j.shoes[0].id),
        ),
        (
            format!("/runs/{run}"),
            format!("/journal/run/{run}/delete?back=%2Fruns\""),
        ),
        (
            format!("/knots/{}", finding.item.trigger_point),
            format!("/journal/knot/{}/edit", finding.id),
        ),
        (
            "/sessions".to_string(),
            format!("/journal/session/{}/delete", j.sessions[0].id),
        ),
    ] {
        let (status, _, page) = send(&st, get(&uri)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(page.contains(&control), "{uri} has no `{control}`");
    }
    let (_, _, sessions) = send(&st, get("/sessions")).await;
    assert!(sessions.contains(&j.sessions[0].item.subjective));
    let (status, _, _) = send(&st, get("/runs/999999")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_links_the_icon_and_the_icon_is_served() {
    let (_d, st) = state(&Journal::default());
    let (_, _, page) = send(&st, get("/timeline")).await;
    assert!(page.contains(r#"<link rel="icon" href="/assets/favicon.svg""#));
    for uri in ["/favicon.ico", "/assets/favicon.svg"] {
        let res = app(st.clone()).oneshot(get(uri)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{uri}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "image/svg+xml");
    }
}
