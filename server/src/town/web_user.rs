//! A signed-in person on a town hall page. Its own module: the page frame shows it and the
//! session extractors (`session.rs`) make it, so neither has to import the other for it.

use crate::auth::Principal;
use crate::store::WebSession;

/// A signed-in person on a page: their principal (role read from the account now) and session.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub principal: Principal,
    pub session: WebSession,
}
