//! The calls the viewer makes, each one a request to a documented route (docs/API.md), and the
//! reading of answers: JSON on success, the server's `{ "error": { code, message } }` on
//! refusal, or a transport failure.

use serde_json::{Value, json};
use shared::{AgentId, PostId};

use crate::ViewerConfig;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiCall {
    /// `GET /agents/{id}`: persona, account and economic standing.
    Agent(AgentId),
    /// An agent's recent posts: `GET /board/posts?author=` with its account id when known,
    /// else the newest posts, of which the inspector keeps the agent's.
    PostsBy {
        agent: AgentId,
        account_id: Option<u64>,
    },
    /// `GET /board/posts?status=open`: the board's open posts, newest first.
    OpenPosts,
    /// `GET /board/posts/{id}`: a post and its replies.
    Post(PostId),
    Login {
        username: String,
        password: String,
    },
    CreatePost {
        title: String,
        body: String,
    },
    Reply {
        post: PostId,
        body: String,
    },
    /// Reward (`penalize: false`) or penalize an agent for a post (or a reply in it).
    Judge {
        penalize: bool,
        transfer_id: String,
        agent: AgentId,
        amount_micros: i64,
        reason: String,
        post: PostId,
        reply_id: Option<u64>,
    },
}

/// Why a call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    pub code: String,
    pub message: String,
}

impl ApiFailure {
    pub fn local(message: &str) -> Self {
        Self {
            status: None,
            code: "viewer".into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "{} ({status} {})", self.message, self.code),
            None => write!(f, "{}", self.message),
        }
    }
}

/// A finished call.
#[derive(bevy::prelude::Message, Debug, Clone)]
pub struct ApiReply {
    pub call: ApiCall,
    pub result: Result<Value, ApiFailure>,
}

impl ApiCall {
    /// The HTTP request for this call.
    pub fn to_request(
        &self,
        config: &ViewerConfig,
        token: Option<&str>,
    ) -> Result<ehttp::Request, ApiFailure> {
        let post = |path: &str, body: Value| {
            ehttp::Request::post_json(config.api(path), &body)
                .map_err(|e| ApiFailure::local(&e.to_string()))
        };
        let mut request = match self {
            ApiCall::Agent(id) => ehttp::Request::get(config.api(&format!("/agents/{}", id.0))),
            ApiCall::PostsBy {
                account_id: Some(account),
                ..
            } => ehttp::Request::get(config.api(&format!("/board/posts?author={account}&limit=5"))),
            ApiCall::PostsBy {
                account_id: None, ..
            } => ehttp::Request::get(config.api("/board/posts?limit=100")),
            ApiCall::OpenPosts => {
                ehttp::Request::get(config.api("/board/posts?status=open&limit=30"))
            }
            ApiCall::Post(id) => ehttp::Request::get(config.api(&format!("/board/posts/{}", id.0))),
            ApiCall::Login { username, password } => post(
                "/auth/login",
                json!({ "username": username, "password": password }),
            )?,
            ApiCall::CreatePost { title, body } => {
                post("/board/posts", json!({ "title": title, "body": body }))?
            }
            ApiCall::Reply { post: id, body } => post(
                &format!("/board/posts/{}/replies", id.0),
                json!({ "body": body }),
            )?,
            ApiCall::Judge {
                penalize,
                transfer_id,
                agent,
                amount_micros,
                reason,
                post: id,
                reply_id,
            } => post(
                if *penalize {
                    "/economy/penalize"
                } else {
                    "/economy/reward"
                },
                json!({ "transfer_id": transfer_id, "agent_id": agent.0,
                    "amount_micros": amount_micros, "reason": reason,
                    "post_id": id.0, "reply_id": reply_id }),
            )?,
        };
        let needs_sign_in = matches!(
            self,
            ApiCall::CreatePost { .. } | ApiCall::Reply { .. } | ApiCall::Judge { .. }
        );
        match token {
            Some(token) if !matches!(self, ApiCall::Login { .. }) => {
                request
                    .headers
                    .insert("Authorization", format!("Bearer {token}"));
            }
            None if needs_sign_in => return Err(ApiFailure::local("sign in first")),
            _ => {}
        }
        Ok(request)
    }
}

/// Reads an answer: 2xx JSON is the value; anything else a failure with the server's words.
pub fn read_response(result: ehttp::Result<ehttp::Response>) -> Result<Value, ApiFailure> {
    let response =
        result.map_err(|e| ApiFailure::local(&format!("the server did not answer: {e}")))?;
    let body: Option<Value> = serde_json::from_slice(&response.bytes).ok();
    if response.ok {
        return body.ok_or_else(|| ApiFailure {
            status: Some(response.status),
            code: "bad_body".into(),
            message: "the server's answer was not JSON".into(),
        });
    }
    let error = body.as_ref().map(|b| &b["error"]);
    Err(ApiFailure {
        status: Some(response.status),
        code: error
            .and_then(|e| e["code"].as_str())
            .unwrap_or("http_error")
            .to_string(),
        message: error
            .and_then(|e| e["message"].as_str())
            .map_or_else(|| response.status_text.clone(), str::to_string),
    })
}

/// Wall-clock milliseconds since the Unix epoch (for ids unique across restarts).
pub fn now_ms() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as u64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}
