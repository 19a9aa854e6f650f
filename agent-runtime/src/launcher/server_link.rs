//! The launcher's link to the village server: signs in with its `runtime` account, keeps its
//! access token fresh (refreshing before it expires, signing in again when a refresh fails),
//! reads the desired state (`GET /runtime/agents`), waits for it to change
//! (`GET /runtime/changes`), asks for fresh agent tokens (`POST /runtime/agents/{id}/token`),
//! and sends container reports (`POST /runtime/reports`).
//! It decides nothing; the reconcile pass does.

use std::time::{Duration, Instant};

use shared::AgentId;
use shared::api::{AgentToken, Credentials, RefreshRequest, TokenResponse};
use shared::runtime::{
    ContainerReport, ContainerReports, ReportsTaken, RuntimeAgents, RuntimeVersion,
};
use tokio::sync::Mutex;

use crate::reconcile::TokenSource;

/// An access token this close to expiry is refreshed before use.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Why the server could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the server at {url} does not answer: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the server refused {what}: {status} {body}")]
    Refused {
        what: &'static str,
        status: u16,
        body: String,
    },
    #[error("the server's answer to {what} is not what the runtime reads: {reason}")]
    BadAnswer { what: &'static str, reason: String },
}

/// Where the server is and who the launcher signs in as.
#[derive(Clone)]
pub struct LinkConfig {
    /// `http://host:port`, no trailing slash.
    pub url: String,
    pub username: String,
    pub password: String,
    /// Every request's time limit.
    pub timeout: Duration,
}

impl std::fmt::Debug for LinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkConfig")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

struct Session {
    access: String,
    refresh: String,
    expires: Instant,
}

/// Reports per call: the server takes at most 50, and its body limit is 16 KiB; 25 reports
/// with every field at its longest (node and state of 64 characters, every number at its
/// widest, a disk measurement) come to about 8.3 KiB.
pub const REPORTS_PER_CALL: usize = 25;

/// A signed-in client of the server's runtime routes.
pub struct ServerLink {
    config: LinkConfig,
    http: reqwest::Client,
    session: Mutex<Option<Session>>,
}

impl ServerLink {
    pub fn new(config: LinkConfig) -> Result<ServerLink, LinkError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|error| LinkError::Unreachable {
                url: config.url.clone(),
                reason: error.to_string(),
            })?;
        Ok(ServerLink {
            config,
            http,
            session: Mutex::new(None),
        })
    }

    /// Every agent the server wants run, with its wanted state and tier.
    pub async fn desired(&self) -> Result<RuntimeAgents, LinkError> {
        let answer = self
            .send("the runtime's agent list", |http, url| {
                http.get(format!("{url}/runtime/agents"))
            })
            .await?;
        answer.json().await.map_err(|error| LinkError::BadAnswer {
            what: "the runtime's agent list",
            reason: error.to_string(),
        })
    }

    /// The version of what the server wants run: at once without `seen`, else once it differs
    /// from `seen` or after `wait` (which must stay under the link's time limit).
    pub async fn changes_after(&self, seen: Option<u64>, wait: Duration) -> Result<u64, LinkError> {
        let query = match seen {
            Some(seen) => format!("?after={seen}&wait_ms={}", wait.as_millis()),
            None => String::new(),
        };
        let answer = self
            .send("the runtime's changes", |http, url| {
                http.get(format!("{url}/runtime/changes{query}"))
            })
            .await?;
        let answer: RuntimeVersion = answer.json().await.map_err(|error| LinkError::BadAnswer {
            what: "the runtime's changes",
            reason: error.to_string(),
        })?;
        Ok(answer.version)
    }

    /// A fresh token for `agent`'s container; the agent's previous token stops working.
    pub async fn agent_token(&self, agent: AgentId) -> Result<String, LinkError> {
        let answer = self
            .send("a fresh agent token", move |http, url| {
                http.post(format!("{url}/runtime/agents/{agent}/token"))
            })
            .await?;
        let answer: AgentToken = answer.json().await.map_err(|error| LinkError::BadAnswer {
            what: "a fresh agent token",
            reason: error.to_string(),
        })?;
        Ok(answer.token)
    }

    /// Sends container reports, [`REPORTS_PER_CALL`] per call; returns how many the server
    /// kept (reports of agents it no longer knows are dropped there).
    pub async fn send_reports(&self, reports: &[ContainerReport]) -> Result<usize, LinkError> {
        let mut kept = 0;
        for chunk in reports.chunks(REPORTS_PER_CALL) {
            let body = ContainerReports {
                reports: chunk.to_vec(),
            };
            let answer = self
                .send("container reports", |http, url| {
                    http.post(format!("{url}/runtime/reports")).json(&body)
                })
                .await?;
            let taken: ReportsTaken =
                answer.json().await.map_err(|error| LinkError::BadAnswer {
                    what: "container reports",
                    reason: error.to_string(),
                })?;
            kept += taken.accepted;
            for agent in taken.paused {
                tracing::warn!(%agent, "the server paused this agent: over its disk limit");
            }
        }
        Ok(kept)
    }

    /// Sends a request with a valid access token; once more after signing in again when the
    /// server says the token is no longer good (a restart with new keys, a revoked session).
    async fn send(
        &self,
        what: &'static str,
        request: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, LinkError> {
        let mut renew = false;
        loop {
            let access = self.access_token(renew).await?;
            let response = request(&self.http, &self.config.url)
                .bearer_auth(access)
                .send()
                .await
                .map_err(|error| self.unreachable(error))?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && !renew {
                renew = true;
                continue;
            }
            return checked(what, response).await;
        }
    }

    /// The current access token: refreshed when about to expire, or from a new sign-in when
    /// `renew` is set or the refresh fails.
    async fn access_token(&self, renew: bool) -> Result<String, LinkError> {
        let mut session = self.session.lock().await;
        let now = Instant::now();
        if let Some(current) = session.as_ref()
            && !renew
        {
            if current.expires > now + REFRESH_MARGIN {
                return Ok(current.access.clone());
            }
            let body = RefreshRequest {
                refresh_token: current.refresh.clone(),
            };
            if let Ok(tokens) = self.tokens("a token refresh", "/auth/refresh", &body).await {
                let access = tokens.access_token.clone();
                *session = Some(session_of(tokens, now));
                return Ok(access);
            }
        }
        let body = Credentials {
            username: self.config.username.clone(),
            password: self.config.password.clone(),
        };
        let tokens = self
            .tokens("the runtime's sign-in", "/auth/login", &body)
            .await?;
        let access = tokens.access_token.clone();
        *session = Some(session_of(tokens, now));
        Ok(access)
    }

    async fn tokens(
        &self,
        what: &'static str,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<TokenResponse, LinkError> {
        let response = self
            .http
            .post(format!("{}{path}", self.config.url))
            .json(body)
            .send()
            .await
            .map_err(|error| self.unreachable(error))?;
        checked(what, response)
            .await?
            .json()
            .await
            .map_err(|error| LinkError::BadAnswer {
                what,
                reason: error.to_string(),
            })
    }

    fn unreachable(&self, error: reqwest::Error) -> LinkError {
        LinkError::Unreachable {
            url: self.config.url.clone(),
            reason: error.to_string(),
        }
    }
}

fn session_of(tokens: TokenResponse, now: Instant) -> Session {
    Session {
        access: tokens.access_token,
        refresh: tokens.refresh_token,
        expires: now + Duration::from_secs(tokens.expires_in),
    }
}

/// The response when it is a success; otherwise the refusal with the server's error body.
async fn checked(
    what: &'static str,
    response: reqwest::Response,
) -> Result<reqwest::Response, LinkError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    Err(LinkError::Refused {
        what,
        status: status.as_u16(),
        body: body.chars().take(500).collect(),
    })
}

impl TokenSource for ServerLink {
    async fn fresh_token(&self, agent: AgentId) -> Result<Option<String>, String> {
        self.agent_token(agent)
            .await
            .map(Some)
            .map_err(|error| error.to_string())
    }
}
