//! The one error type of the HTTP API: a status code and `{"error":{"code","message"}}`.
//! Server-side failures (5xx) are logged with their detail and answered with a generic message.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::principal::AccessError;
use crate::board::posts::PostError;
use crate::board::rules::BoardError;
use crate::board::screen::ComplianceRefusal;
use crate::economy::TransferError;
use crate::fields::FieldError;
use crate::store::StoreError;
use crate::world::{WorldError, WorldUnavailable};

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds for a `Retry-After` header (429 and 503).
    pub retry_after_secs: Option<u64>,
}

/// The JSON body of an error: the contract's type.
pub use shared::api::{ErrorBody, ErrorDetail};

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 429 with a `Retry-After` of `wait` rounded up to whole seconds.
    pub fn too_many_requests(
        code: &'static str,
        message: impl Into<String>,
        wait: std::time::Duration,
    ) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, code, message)
            .retry_after(wait.as_millis().div_ceil(1000).try_into().unwrap_or(60))
    }

    /// Adds a `Retry-After` of `secs` (at least 1 is sent).
    pub fn retry_after(self, secs: u64) -> Self {
        Self {
            retry_after_secs: Some(secs),
            ..self
        }
    }

    /// A server-side failure: the detail is logged, the client gets a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}

impl From<WorldError> for ApiError {
    fn from(error: WorldError) -> Self {
        let message = error.to_string();
        match error {
            WorldError::UnknownAgent(_) => Self::not_found("unknown_agent", message),
            WorldError::DuplicateAgent(_) => {
                Self::new(StatusCode::CONFLICT, "duplicate_agent", message)
            }
            WorldError::OutOfBounds { .. } => Self::unprocessable("out_of_bounds", message),
            WorldError::NotWalkable(_) => Self::unprocessable("not_walkable", message),
            WorldError::UnknownLandmark { .. } => Self::unprocessable("unknown_landmark", message),
            WorldError::Unreachable { .. } => Self::unprocessable("unreachable", message),
            WorldError::LandmarkFull { .. } => {
                Self::conflict("landmark_full", message).retry_after(1)
            }
            WorldError::NotAllowed(_) => {
                Self::new(StatusCode::CONFLICT, "agent_not_active", message)
            }
            WorldError::WrongPlace { .. } => {
                Self::new(StatusCode::CONFLICT, "wrong_place", message)
            }
            WorldError::TalkTooSoon { retry_after_ms } => Self::too_many_requests(
                "talk_rate_limited",
                message,
                std::time::Duration::from_millis(retry_after_ms),
            ),
            WorldError::Invalid(_) => Self::unprocessable("invalid_input", message),
            WorldError::Full(_) | WorldError::NoFreeTile => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "world_full", message).retry_after(60)
            }
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        Self::unprocessable("invalid_field", error.0)
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::ForbiddenRole(message) => Self::forbidden("forbidden_role", message),
            AccessError::NotYourAgent(message) => Self::forbidden("not_your_agent", message),
        }
    }
}

impl From<ComplianceRefusal> for ApiError {
    fn from(refusal: ComplianceRefusal) -> Self {
        Self::unprocessable("compliance_blocked", refusal.0)
    }
}

impl From<BoardError> for ApiError {
    fn from(error: BoardError) -> Self {
        match error {
            BoardError::Field(error) => error.into(),
            BoardError::NotAtBoard => {
                Self::conflict("not_at_board", BoardError::NotAtBoard.to_string())
            }
            BoardError::World(error) => error.into(),
            BoardError::Unavailable(error) => error.into(),
        }
    }
}

impl From<PostError> for ApiError {
    fn from(error: PostError) -> Self {
        let message = error.to_string();
        match error {
            PostError::RoleMayNotWrite(_) => Self::forbidden("forbidden_role", message),
            PostError::UnknownPost(_) => Self::not_found("unknown_post", message),
            PostError::ThreadLocked { .. } => Self::conflict("thread_locked", message),
            PostError::ThreadFull { .. } => Self::conflict("thread_full", message),
            PostError::InvalidFilter(_) => Self::unprocessable("invalid_filter", message),
            PostError::Board(error) => error.into(),
            PostError::Field(error) => error.into(),
            PostError::Refused(refusal) => refusal.into(),
            PostError::Store(error) => error.into(),
        }
    }
}

impl From<WorldUnavailable> for ApiError {
    fn from(error: WorldUnavailable) -> Self {
        // 503 for all: busy (not queued), late (queued, may still happen) and stopped.
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "world_unavailable",
            error.to_string(),
        )
        .retry_after(1)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => Self::new(StatusCode::CONFLICT, "conflict", message),
            other => Self::internal(other),
        }
    }
}

impl From<TransferError> for ApiError {
    fn from(error: TransferError) -> Self {
        let message = error.to_string();
        match error {
            TransferError::IdReused(_) => Self::conflict("transfer_id_reused", message),
            TransferError::ExternalRefUsed(..) => Self::conflict("already_credited", message),
            TransferError::InsufficientFunds { .. } => {
                Self::unprocessable("insufficient_funds", message)
            }
            TransferError::BudgetExceeded { .. } => {
                // The budget is per UTC day: retry after midnight.
                let now_s = crate::clock::now_ms().div_euclid(1000);
                let wait = 86_400 - now_s.rem_euclid(86_400);
                Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "daily_budget_exceeded",
                    message,
                )
                .retry_after(u64::try_from(wait).unwrap_or(1))
            }
            TransferError::Overflow => Self::unprocessable("balance_overflow", message),
            TransferError::UnknownAgent(_) => Self::not_found("unknown_agent", message),
            TransferError::Refused(_) => {
                Self::unprocessable("transfer_refused", "the ledger refused this transfer")
            }
            TransferError::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ledger_unavailable",
                message,
            )
            .retry_after(1),
            TransferError::Store(error) => error.into(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::BAD_REQUEST => "malformed_json",
            _ => "invalid_body",
        };
        Self::new(status, code, rejection.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    /// A raw body that could not be read: over the body limit (413), else 400.
    fn from(rejection: BytesRejection) -> Self {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "unreadable_body"
        };
        Self::new(status, code, rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            rejection.body_text(),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            rejection.body_text(),
        )
    }
}
