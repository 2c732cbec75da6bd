//! Import by upload: `GET /import` (a drop zone and a file picker) and `POST /import` (multipart),
//! plus `POST /api/import` answering the same report as JSON. Uploads larger than
//! [`MAX_UPLOAD`] are refused from their Content-Length, before they are read.

use crate::api::with_journal;
use crate::security::check_token;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Multipart, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use knots_app::Open;
use knots_app::ingest::Summary;
use knots_app::spool::Spooled;
use maud::{Markup, html};
use std::sync::Arc;

/// The largest upload accepted, in bytes (a Strava bulk export of many years fits).
pub const MAX_UPLOAD: usize = 512 * 1024 * 1024;

/// `GET /import`: the upload page.
pub async fn page<S: Open>(State(state): State<Arc<AppState<S>>>) -> Markup {
    crate::pages::layout("Import", &state.csrf, form(&state.csrf, None))
}

fn form(csrf: &str, report: Option<&Summary>) -> Markup {
    html! {
        h1 { "Import activities" }
        p { "Drop FIT, GPX or TCX files (also .gz) or a Strava bulk export (.zip) here, or pick them. Each file is stored whole or not at all; activities already in your journal are not stored twice." }
        form #upload method="post" action=(format!("/import?csrf={csrf}")) enctype="multipart/form-data" hx-encoding="multipart/form-data" {
            label #dropzone .dropzone { "Drop files here, or choose: " input #files type="file" name="files" multiple required; }
            button type="submit" { "Import" }
        }
        @if let Some(r) = report {
            section #import-report role="status" {
                h2 { "Imported " (r.imported) " activities" }
                p { (r.duplicates) " already in the journal, " (r.repeats) " found in more than one file, " (r.skipped.len()) " skipped, " (r.failed_files()) " failed." }
                @if !r.failed.is_empty() { h3 { "Failed" } ul { @for f in &r.failed { li { (f.path) ": " (f.error) } } } }
                @if !r.skipped.is_empty() { h3 { "Skipped (not activities)" } ul { @for s in &r.skipped { li { (s.path) ": " (s.reason) } } } }
                @if !r.warnings.is_empty() { h3 { "Warnings" } ul { @for w in &r.warnings { li { (w.path) ": " (w.warning) } } } }
                @if !r.activities.is_empty() {
                    h3 { "Activities" }
                    table { thead { tr { th { "File" } th { "Sport" } th { "Start" } th { "km" } } }
                        tbody { @for a in &r.activities { tr { td { (a.path) } td { (a.sport) } td { (a.start) } td { (a.distance_m.map(|d| format!("{:.2}", d / 1000.0)).unwrap_or_default()) } } } } }
                }
            }
        }
    }
}

/// Receives the uploaded files. The CSRF token comes in the `x-csrf-token` header or the URL's
/// `csrf` parameter and is checked before a byte of the body is read (with the Host and origin
/// checks of the guard before it); each file is spooled to a temporary file as it arrives, so an
/// upload costs disk, not memory, and is parsed from there off the async workers.
async fn receive<S: Open>(
    state: &AppState<S>,
    headers: &HeaderMap,
    query: Option<&str>,
    mut multipart: Multipart,
) -> Result<Summary, AppError> {
    let from_query = query.map(|q| crate::form::Fields::parse(q.as_bytes()));
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .or_else(|| from_query.as_ref().and_then(|f| f.get("csrf")));
    check_token(token, &state.csrf)?;
    let mut files = Vec::new();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::field("files", e))?
    {
        if field.name() != Some("files") {
            continue;
        }
        let name = field.file_name().unwrap_or("upload").to_string();
        let mut spool = Spooled::new(&name).map_err(|e| AppError::Internal(e.to_string()))?;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| AppError::field("files", e))?
        {
            spool
                .write(&chunk)
                .map_err(|e| AppError::Internal(e.to_string()))?;
        }
        if !spool.is_empty() || !name.is_empty() {
            files.push(spool);
        }
    }
    if files.is_empty() {
        return Err(AppError::field("files", "choose at least one file"));
    }
    let now = jiff::Zoned::now();
    let mut summary = Summary::default();
    for spool in files {
        let parsed = tokio::task::spawn_blocking(move || spool.parse())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        with_journal(state, |store| {
            summary.store(store, parsed, &now);
            Ok::<_, AppError>(())
        })?;
    }
    // The files were committed without waiting for the disk: make the batch durable now.
    with_journal(state, |s| s.sync())?;
    Ok(summary)
}

/// `POST /import`: the uploaded files, stored; the page shows the report.
pub async fn upload<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let summary = receive(&state, &headers, query.as_deref(), multipart).await?;
    Ok(
        crate::pages::layout("Import", &state.csrf, form(&state.csrf, Some(&summary)))
            .into_response(),
    )
}

/// `POST /api/import`: the same, answering the import report as JSON.
pub async fn upload_json<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    multipart: Multipart,
) -> Result<Json<Summary>, AppError> {
    Ok(Json(
        receive(&state, &headers, query.as_deref(), multipart).await?,
    ))
}
