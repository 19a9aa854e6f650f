//! Running a change to credentials (a token issued or revoked, a role changed, a session
//! ended) so that the database and the in-memory lists of [`crate::auth::Credentials`] never
//! disagree: in a task of its own (a cancelled request cannot stop it between the commit and
//! the memory update) and under `credential_changes` (two changes cannot interleave).

use std::future::Future;

use super::error::ApiError;
use crate::state::AppState;

/// Runs `change` on its own task, holding the credential lock.
pub async fn credential_change<T, F, Fut>(state: &AppState, change: F) -> Result<T, ApiError>
where
    F: FnOnce(AppState) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
    T: Send + 'static,
{
    let state = state.clone();
    tokio::spawn(async move {
        let _serial = state.credential_changes.lock().await;
        let changed = change(state.clone()).await;
        // Tokens, holds, agents and roles are what the runtime acts on: wake it (a change
        // that failed or concerns a person costs it one pass, no more).
        state.runtime_changes.bump();
        changed
    })
    .await
    .map_err(ApiError::internal)?
}
