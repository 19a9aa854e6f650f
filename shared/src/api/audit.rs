//! The audit log's query: `GET /admin/audit` (and the town hall's audit page) take the same
//! filters and paging.

use serde::{Deserialize, Serialize};

use crate::ids::AccountId;

/// Which entries of the audit log to read, newest first; every set filter must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Account id of the actor.
    pub actor: Option<AccountId>,
    /// e.g. `board.post`, `auth.login`.
    pub action: Option<String>,
    /// e.g. `post:3`, `account:2`.
    pub target: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub outcome: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Entries per page (default 100, at most 500; larger asks get 500).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub limit: Option<u32>,
}
