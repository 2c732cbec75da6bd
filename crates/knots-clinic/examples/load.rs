//! A constant-rate load test of a running clinic server (open loop, with latency correction):
//! request `i` is due at `start + i / rate` and its latency is measured from that moment, not
//! from when it was sent, so a stalled server is charged for the requests that queued behind it
//! (the coordinated-omission correction of wrk2). Each request is sent on its own task at its due
//! time, on pooled keep-alive HTTP/1.1 connections.
//!
//! ```sh
//! cargo run --release -p knots-clinic --example load -- http://127.0.0.1:7878 \
//!     --target list|record|report|journal [--rate 200] [--seconds 30] [--warmup 5] [--therapists 10]
//! ```
//!
//! It signs in as the therapists of the `practice` example (`t0@load.test` …) and spreads the
//! requests over them and their clients: `list` is `GET /clients`, `record` is
//! `GET /clients/{id}`, `report` and `journal` are `GET /api/clients/{id}/report|journal`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: it reports figures

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The `practice` example's password.
const PASSWORD: &str = "load test password";

struct Args {
    base: String,
    target: String,
    rate: u64,
    seconds: u64,
    warmup: u64,
    therapists: usize,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        base: String::new(),
        target: "list".into(),
        rate: 200,
        seconds: 30,
        warmup: 5,
        therapists: 10,
    };
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|e| e.to_string());
        match arg.as_str() {
            "--target" => a.target = value("--target")?,
            "--rate" => a.rate = number(value("--rate")?)?.max(1),
            "--seconds" => a.seconds = number(value("--seconds")?)?,
            "--warmup" => a.warmup = number(value("--warmup")?)?,
            "--therapists" => {
                a.therapists = usize::try_from(number(value("--therapists")?)?)
                    .map_err(|e| e.to_string())?
                    .max(1);
            }
            b if a.base.is_empty() && !b.starts_with("--") => {
                a.base = b.trim_end_matches('/').to_string();
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if a.base.is_empty() || !["list", "record", "report", "journal"].contains(&a.target.as_str()) {
        return Err(
            "usage: load http://HOST:PORT --target list|record|report|journal \
                    [--rate N] [--seconds N] [--warmup N] [--therapists N]"
                .into(),
        );
    }
    Ok(a)
}

type Http = Client<HttpConnector, Full<Bytes>>;

/// A signed-in therapist: the session cookie and their clients' ids.
struct Therapist {
    cookie: String,
    clients: Vec<i64>,
}

async fn sign_in(http: &Http, base: &str, email: &str) -> Result<Therapist, String> {
    let form = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        PASSWORD.replace(' ', "+")
    );
    let req = Request::post(format!("{base}/login"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(form)))
        .map_err(|e| e.to_string())?;
    let res = http.request(req).await.map_err(|e| e.to_string())?;
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .filter(|_| res.status() == StatusCode::SEE_OTHER)
        .ok_or(format!("{email} could not sign in ({})", res.status()))?
        .to_string();
    let req = Request::get(format!("{base}/api/clients"))
        .header(header::COOKIE, &cookie)
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let body = http
        .request(req)
        .await
        .map_err(|e| e.to_string())?
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let list: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let clients = list["clients"]
        .as_array()
        .map(|cs| cs.iter().filter_map(|c| c["id"].as_i64()).collect())
        .unwrap_or_default();
    Ok(Therapist { cookie, clients })
}

/// One request's outcome: latency from its due time, and whether it answered 200.
type Outcome = (Duration, bool);

async fn one(http: Http, uri: String, cookie: String, due: Instant) -> Outcome {
    let req = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .body(Full::new(Bytes::new()));
    let ok = match req {
        Ok(req) => match http.request(req).await {
            Ok(res) => {
                let status = res.status();
                res.into_body().collect().await.is_ok() && status == StatusCode::OK
            }
            Err(_) => false,
        },
        Err(_) => false,
    };
    (due.elapsed(), ok)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn phase(
    a: &Args,
    http: &Http,
    therapists: &Arc<Vec<Therapist>>,
    seconds: u64,
    seed: u64,
) -> (Vec<Outcome>, Duration) {
    let total = a.rate * seconds;
    let interval = Duration::from_secs_f64(1.0 / a.rate as f64);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    let mut pick = seed | 1;
    for i in 0..total {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        pick ^= pick << 13;
        pick ^= pick >> 7;
        pick ^= pick << 17;
        let t = &therapists[usize::try_from(i).unwrap_or(0) % therapists.len()];
        let client = t.clients[usize::try_from(pick % t.clients.len() as u64).unwrap_or(0)];
        let uri = match a.target.as_str() {
            "list" => format!("{}/clients", a.base),
            "record" => format!("{}/clients/{client}", a.base),
            kind => format!("{}/api/clients/{client}/{kind}", a.base),
        };
        tasks.push(tokio::spawn(one(http.clone(), uri, t.cookie.clone(), due)));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(o) = t.await {
            out.push(o);
        }
    }
    (out, start.elapsed())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let a = args()?;
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build_http();
    let mut therapists = Vec::new();
    for t in 0..a.therapists {
        let signed = sign_in(&http, &a.base, &format!("t{t}@load.test")).await?;
        if signed.clients.is_empty() {
            return Err(format!(
                "t{t}@load.test has no clients: run the practice example first"
            ));
        }
        therapists.push(signed);
    }
    let therapists = Arc::new(therapists);
    if a.warmup > 0 {
        phase(&a, &http, &therapists, a.warmup, 7).await;
    }
    let (outcomes, took) = phase(&a, &http, &therapists, a.seconds, 11).await;
    let failed = outcomes.iter().filter(|(_, ok)| !ok).count();
    let mut lat: Vec<Duration> = outcomes.iter().map(|(d, _)| *d).collect();
    lat.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "target {} at {} req/s for {} s ({} requests in {:.1} s, {} not 200)",
        a.target,
        a.rate,
        a.seconds,
        outcomes.len(),
        took.as_secs_f64(),
        failed
    );
    println!(
        "latency from due time, ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}",
        ms(percentile(&lat, 50.0)),
        ms(percentile(&lat, 90.0)),
        ms(percentile(&lat, 99.0)),
        ms(percentile(&lat, 99.9)),
        ms(lat.last().copied().unwrap_or_default())
    );
    Ok(())
}
