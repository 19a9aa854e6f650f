//! The calls the viewer makes, each one a request to a documented route (docs/API.md) with its
//! body typed by the contract in `shared::api`, never built by hand. Reading the answers is
//! `answers.rs`'s job; this file only says what is asked.

use shared::api::{CreatePostRequest, CreateReplyRequest, Credentials, FeedbackRequest};
use shared::{AccountId, AgentId, PostId};

use super::answers::ApiFailure;
use crate::ViewerConfig;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiCall {
    /// `GET /agents/{id}`: persona, account and economic standing.
    Agent(AgentId),
    /// An agent's recent posts: `GET /board/posts?author=` with its account id when known,
    /// else the newest posts, of which the inspector keeps the agent's.
    PostsBy {
        agent: AgentId,
        account_id: Option<AccountId>,
    },
    /// `GET /board/posts?status=open`: the board's open posts, newest first.
    OpenPosts,
    /// `GET /board/posts/{id}`: a post and its replies.
    Post(PostId),
    /// `POST /auth/login`; `Credentials` never prints the password.
    Login(Credentials),
    /// `POST /board/posts`.
    CreatePost(CreatePostRequest),
    /// `POST /board/posts/{post}/replies`.
    Reply {
        post: PostId,
        reply: CreateReplyRequest,
    },
    /// Reward (`penalize: false`, `POST /economy/reward`) or penalize (`POST
    /// /economy/penalize`) an agent for a post (or a reply in it).
    Judge {
        penalize: bool,
        feedback: FeedbackRequest,
    },
}

impl ApiCall {
    /// The HTTP request for this call.
    pub fn to_request(
        &self,
        config: &ViewerConfig,
        token: Option<&str>,
    ) -> Result<ehttp::Request, ApiFailure> {
        let get = |path: &str| -> Result<ehttp::Request, ApiFailure> {
            Ok(ehttp::Request::get(config.api(path)))
        };
        let mut request = match self {
            ApiCall::Agent(id) => get(&format!("/agents/{}", id.0)),
            ApiCall::PostsBy {
                account_id: Some(account),
                ..
            } => get(&format!("/board/posts?author={account}&limit=5")),
            ApiCall::PostsBy {
                account_id: None, ..
            } => get("/board/posts?limit=100"),
            ApiCall::OpenPosts => get("/board/posts?status=open&limit=30"),
            ApiCall::Post(id) => get(&format!("/board/posts/{}", id.0)),
            ApiCall::Login(credentials) => post(config, "/auth/login", credentials),
            ApiCall::CreatePost(new_post) => post(config, "/board/posts", new_post),
            ApiCall::Reply { post: id, reply } => {
                post(config, &format!("/board/posts/{}/replies", id.0), reply)
            }
            ApiCall::Judge { penalize, feedback } => {
                let path = if *penalize {
                    "/economy/penalize"
                } else {
                    "/economy/reward"
                };
                post(config, path, feedback)
            }
        }?;
        let needs_sign_in = matches!(
            self,
            ApiCall::CreatePost(_) | ApiCall::Reply { .. } | ApiCall::Judge { .. }
        );
        match token {
            Some(token) if !matches!(self, ApiCall::Login(_)) => {
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

/// A `POST` of `body` as JSON to `path`.
fn post<T: serde::Serialize>(
    config: &ViewerConfig,
    path: &str,
    body: &T,
) -> Result<ehttp::Request, ApiFailure> {
    ehttp::Request::post_json(config.api(path), body).map_err(|e| ApiFailure::local(&e.to_string()))
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(request: &ehttp::Request) -> serde_json::Value {
        serde_json::from_slice(&request.body).unwrap()
    }

    #[test]
    fn request_bodies_are_the_contract_types() {
        // Each body is the shared type as serialized, so the server's strict reading takes
        // it; sign-in is sent without a token, and board writes carry one.
        let config = ViewerConfig::new("http://h:1");
        let login = ApiCall::Login(Credentials {
            username: "ada".into(),
            password: "correct horse".into(),
        });
        let request = login.to_request(&config, Some("old")).unwrap();
        assert_eq!(request.url, "http://h:1/auth/login");
        assert_eq!(
            body(&request),
            json!({"username": "ada", "password": "correct horse"})
        );
        assert!(request.headers.get("Authorization").is_none());
        let judge = ApiCall::Judge {
            penalize: true,
            feedback: FeedbackRequest {
                transfer_id: "viewer-ada-1-1".into(),
                agent_id: 4,
                amount_micros: 1_000_000,
                reason: "spam".into(),
                post_id: 7,
                reply_id: None,
                allow_negative: false,
            },
        };
        let request = judge.to_request(&config, Some("tok")).unwrap();
        assert_eq!(request.url, "http://h:1/economy/penalize");
        assert_eq!(
            body(&request),
            json!({"transfer_id": "viewer-ada-1-1", "agent_id": 4, "amount_micros": 1_000_000,
                "reason": "spam", "post_id": 7})
        );
        assert_eq!(request.headers.get("Authorization"), Some("Bearer tok"));
        let reply = ApiCall::Reply {
            post: PostId(7),
            reply: CreateReplyRequest { body: "me".into() },
        };
        assert_eq!(
            reply.to_request(&config, None).unwrap_err().message,
            "sign in first"
        );
        let request = reply.to_request(&config, Some("tok")).unwrap();
        assert_eq!(request.url, "http://h:1/board/posts/7/replies");
        assert_eq!(body(&request), json!({"body": "me"}));
    }
}
