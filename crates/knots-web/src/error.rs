//! One error type for every handler, with one status per variant.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use knots_core::journal::FieldError;

/// What can go wrong in a request.
#[derive(Debug)]
pub enum AppError {
    /// The input breaks rules: 422 with each field and message.
    Invalid(Vec<FieldError>),
    /// No such thing: 404.
    NotFound(String),
    /// Refused by the security checks: 403.
    Forbidden(&'static str),
    /// The record belongs to the other side of a shared record (the runner or the practice), who
    /// alone may change it: 403 with the reason.
    NotOwner(String),
    /// A request no server should take (no, several or a malformed Host header): 400.
    BadRequest(&'static str),
    /// The write conflicts with what is stored (a taken name, a worn shoe): 409.
    Conflict(String),
    /// The journal is busy or its server unreachable: 503, retry.
    Unavailable(String),
    /// An internal fault: 500 with a generic message (the cause is not shown; it holds no health data).
    Internal(String),
}

impl AppError {
    /// A single-field 422.
    pub fn field(field: &str, message: impl std::fmt::Display) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<knots_store::Error> for AppError {
    fn from(e: knots_store::Error) -> Self {
        match e {
            knots_store::Error::Invalid(f) => AppError::Invalid(vec![f]),
            knots_store::Error::Conflict(m) => AppError::field("record", m),
            knots_store::Error::NotFound { kind, key } => {
                AppError::NotFound(format!("no {kind} with id {key}"))
            }
            knots_store::Error::Open { .. } | knots_store::Error::Busy { .. } => {
                AppError::Unavailable(e.to_string())
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<knots_app::Error> for AppError {
    fn from(e: knots_app::Error) -> Self {
        match e {
            knots_app::Error::Invalid(f) => AppError::Invalid(vec![f]),
            knots_app::Error::Unusual { field, reason } => AppError::field(
                &field,
                format!("{reason}: send \"force\": true to store it anyway"),
            ),
            knots_app::Error::NotFound { kind, id } => {
                AppError::NotFound(format!("no {kind} with id {id}"))
            }
            knots_app::Error::Conflict(m) => AppError::Conflict(m),
            knots_app::Error::Store(e) => e.into(),
        }
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(vec![e])
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Invalid(errors) => {
                let list: Vec<serde_json::Value> = errors
                    .iter()
                    .map(|e| serde_json::json!({ "field": e.field, "message": e.message }))
                    .collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    axum::Json(serde_json::json!({ "errors": list })),
                )
                    .into_response()
            }
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, m).into_response(),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m).into_response(),
            AppError::NotOwner(m) => (StatusCode::FORBIDDEN, m).into_response(),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m).into_response(),
            AppError::Conflict(m) => (StatusCode::CONFLICT, m).into_response(),
            AppError::Unavailable(cause) => {
                eprintln!("knots-web: journal unavailable: {cause}");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(axum::http::header::RETRY_AFTER, "1")],
                    "journal busy or unreachable: retry",
                )
                    .into_response()
            }
            AppError::Internal(cause) => {
                eprintln!("knots-web: internal error: {cause}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }
}
