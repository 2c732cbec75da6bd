//! Fills a clinic database with a practice for load tests: one clinic, its therapists, and
//! clients with years of runs, pain reports and therapist sessions (5 findings and 3 treatments
//! each) and a home program, stored through the clinic's own path (the API's JSON bodies, the
//! journal's rules, row-level security, audit triggers).
//!
//! ```sh
//! createdb -h HOST practice
//! cargo run --release -p knots-clinic --example practice -- postgres://owner@HOST/practice \
//!     [--clients 1000] [--years 5] [--therapists 10]
//! ```
//!
//! Therapists log in as `t0@load.test`, `t1@load.test`, … with the password in [`PASSWORD`]
//! (test data only). The data is deterministic: the same arguments give the same practice.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: it reports progress

use jiff::{Span, Zoned};
use knots_clinic::{Clinic, Me, Operator, Role, api, programs};
use knots_core::Atlas;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// The load-test accounts' password.
pub const PASSWORD: &str = "load test password";

/// A small deterministic generator (xorshift64*), enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Args {
    url: String,
    clients: usize,
    years: i64,
    therapists: usize,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut out = Args {
        url: String::new(),
        clients: 1000,
        years: 5,
        therapists: 10,
    };
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{name} needs a number"))
        };
        match a.as_str() {
            "--clients" => out.clients = value("--clients")?,
            "--years" => out.years = i64::try_from(value("--years")?).map_err(|e| e.to_string())?,
            "--therapists" => out.therapists = value("--therapists")?.max(1),
            u if out.url.is_empty() && !u.starts_with("--") => out.url = u.to_string(),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if out.url.is_empty() {
        return Err(
            "usage: practice POSTGRES_URL [--clients N] [--years N] [--therapists N]".into(),
        );
    }
    Ok(out)
}

/// The signed-in user `id` as the server would see it (no session: this tool is the operator).
fn acting_as(id: i64, email: &str, clinic: i64) -> Me {
    Me {
        id,
        email: email.into(),
        role: Role::Therapist,
        clinic,
        clinic_name: "Load Clinic".into(),
        client: None,
        csrf: String::new(),
        session_hash: Vec::new(),
    }
}

/// Stores one client's years: runs three days a week, a pain report a month, a session every four
/// weeks, and a program running now.
fn fill(state: &Clinic, me: &Me, client: i64, years: i64, rng: &mut Rng) -> Result<usize, String> {
    let now = Zoned::now();
    let today = now.date();
    let points: Vec<String> = Atlas::shipped()
        .trigger_points()
        .iter()
        .map(|p| p.id.0.to_string())
        .collect();
    let days = years * 365;
    let mut stored = 0;
    let mut put = |kind: &str, body: serde_json::Value| -> Result<(), String> {
        let new = knots_web::api::parse_new(kind, body.to_string().as_bytes(), &now)
            .map_err(|e| format!("{kind}: {e:?}"))?;
        state
            .db(Some(me.scope(Some(client), false)), |db| {
                new.store(db, &now)
            })
            .map_err(|e| format!("{kind}: {e:?}"))?;
        stored += 1;
        Ok(())
    };
    let base_km = 4.0 + rng.below(8) as f64;
    for back in (1..=days).rev() {
        let day = today
            .checked_sub(Span::new().days(back))
            .map_err(|e| e.to_string())?;
        let weekday = back % 7;
        if matches!(weekday, 1 | 3 | 5) && rng.below(10) < 9 {
            let km = base_km + rng.below(40) as f64 / 10.0;
            let pain = rng.below(6);
            put(
                "run",
                json!({"date": day, "km": km, "minutes": (km * 6.0).round(),
                       "max_pain": pain, "rpe": 3 + rng.below(5)}),
            )?;
        }
        let at = format!("{day}T10:00:00Z");
        if back % 30 == 0 {
            put(
                "pain",
                json!({"at": at, "regions": ["lateral_knee"], "side": "left",
                       "pain": rng.below(7), "context": "during_run"}),
            )?;
        }
        if back % 28 == 0 {
            let ceiling = 5 + rng.below(4);
            let findings: Vec<_> = (0..5)
                .map(|_| {
                    let tp = &points[usize::try_from(rng.below(points.len() as u64)).unwrap_or(0)];
                    json!({"at": at, "trigger_point": tp, "side": "left",
                           "tenderness": rng.below(11), "taut_band": rng.below(2) == 1,
                           "reproduces": rng.below(4) == 0})
                })
                .collect();
            let treatments: Vec<_> = ["deep_tissue", "stretch", "heat"]
                .iter()
                .map(|kind| {
                    json!({"at": at, "kind": kind, "target": points[0], "side": "left",
                           "pressure": rng.below(ceiling + 1), "minutes": 10, "by": "therapist"})
                })
                .collect();
            put(
                "session",
                json!({"at": at, "subjective": "outer-knee pain on longer runs",
                       "objective": "taut bands along the lateral thigh",
                       "assessment": "findings consistent with trigger points",
                       "plan": "ball 60 s daily at <= 7/10", "pressure_ceiling": ceiling,
                       "relaxation": rng.below(11), "minutes": 60,
                       "findings": findings, "treatments": treatments}),
            )?;
        }
    }
    let start = today
        .checked_sub(Span::new().days(14))
        .map_err(|e| e.to_string())?;
    let end = today
        .checked_add(Span::new().days(14))
        .map_err(|e| e.to_string())?;
    let program = programs::Program {
        title: "Weeks 1-4".into(),
        items: [
            "ball on vastus lateralis",
            "side-lying abduction",
            "walk-run",
        ]
        .iter()
        .map(|what| programs::Item {
            what: (*what).into(),
            dose: "as shown".into(),
            per_week: 5,
            start,
            end,
        })
        .collect(),
    };
    api::new_program(state, me, client, &program).map_err(|e| format!("program: {e:?}"))?;
    Ok(stored + 1)
}

fn main() -> Result<(), String> {
    let a = args()?;
    let started = Instant::now();
    let mut op = Operator::connect(&a.url).map_err(|e| e.to_string())?;
    let clinic = op
        .create_clinic("Load Clinic", "admin@load.test", PASSWORD)
        .map_err(|e| e.to_string())?;
    let mut therapists = Vec::new();
    for t in 0..a.therapists {
        let email = format!("t{t}@load.test");
        let id = op
            .add_user("Load Clinic", Role::Therapist, &email, PASSWORD)
            .map_err(|e| e.to_string())?;
        therapists.push(acting_as(id, &email, clinic));
    }
    drop(op);
    let state = Clinic::new(&a.url, false)?;
    let therapists = Arc::new(therapists);
    // Storing is mostly waiting on the database: one worker per pooled connection.
    let workers = 8;
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let (state, therapists) = (state.clone(), therapists.clone());
            let (clients, years) = (a.clients, a.years);
            std::thread::spawn(move || -> Result<usize, String> {
                let mut rows = 0;
                for c in (w..clients).step_by(workers) {
                    let me = &therapists[c % therapists.len()];
                    let id = api::new_client(&state, me, &format!("Client {c:04}"))
                        .map_err(|e| format!("client: {e:?}"))?;
                    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1));
                    rows += fill(&state, me, id, years, &mut rng)?;
                    if c % 50 == 0 {
                        eprintln!("client {c} of {clients} ({:.0?})", started.elapsed());
                    }
                }
                Ok(rows)
            })
        })
        .collect();
    let mut rows = 0;
    for h in handles {
        rows += h.join().map_err(|_| "a worker panicked".to_string())??;
    }
    drop(state);
    println!(
        "{} clients of {} therapists, {} years: {rows} records stored in {:.0?}",
        a.clients,
        a.therapists,
        a.years,
        started.elapsed()
    );
    Ok(())
}
