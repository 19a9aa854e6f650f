//! `ApiClient`: the agent's small HTTP/1.1 JSON client for the server's API, over TCP or over
//! the API's unix socket (agent containers have no network; the API is a mounted socket). One
//! connection per request, closed after the answer: an agent makes a handful of requests per
//! step, so pooling would only add state that can go stale across server restarts. Every
//! request has a deadline and a bounded answer size; a non-2xx answer becomes a
//! [`ClientError`] carrying the server's `{"error":{"code","message"}}`. The token goes only
//! into the `Authorization` header (marked sensitive) and never into an error or a log.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::{
    Action, ActionOutcome, AgentNotebook, AgentPerception, ChatList, ChatMessageRequest,
    ChatThread, CreatePostRequest, CreateReplyRequest, MovePlan, MoveRequest, PostWithReplies,
    PurchaseRequest, Standing, TransferResult,
};
use shared::tool_call::{ToolCallRecorded, ToolCallReport};
use shared::{AgentId, BoardPost, BoardReply, ChatId, ChatMessage, PostId, Tick};
use tokio::net::{TcpStream, UnixStream};
use tokio::task::JoinHandle;

use super::client_error::status_error;
pub use super::client_error::{ClientError, ErrorKind};
use super::config::{AgentToken, ServerAddress};
use super::openai::{ChatCompletion, ChatRequest};
use super::request_pace::RequestPace;

/// Longest one request may take, connect to last byte; the server's own limit is 10 s.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read: a perception with two full board feeds (50 posts of 4000 characters
/// and 50 replies of 2000) stays well under it.
pub const RESPONSE_BYTES_MAX: usize = 2 * 1024 * 1024;
/// Aborts a spawned task when dropped, so a timed-out request leaves no connection behind.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The agent's client for the server's API, acting as one agent with its token.
#[derive(Clone)]
pub struct ApiClient {
    address: ServerAddress,
    agent: AgentId,
    token: AgentToken,
    timeout: Duration,
    /// Keeps its requests inside the tier's rate; shared by its clones.
    pace: RequestPace,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("address", &self.address.to_string())
            .field("agent", &self.agent)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    pub fn new(address: ServerAddress, agent: AgentId, token: AgentToken) -> ApiClient {
        ApiClient {
            address,
            agent,
            token,
            timeout: REQUEST_TIMEOUT,
            pace: RequestPace::default(),
        }
    }

    /// Paces this client and its clones by the tier's request rate (from a perception).
    pub fn pace_by(&self, per_minute: u32, burst: u32) {
        self.pace.set(per_minute, burst);
    }

    /// The same client with another per-request deadline.
    pub fn with_timeout(mut self, timeout: Duration) -> ApiClient {
        self.timeout = timeout;
        self
    }

    pub fn agent(&self) -> AgentId {
        self.agent
    }

    /// `GET /agents/{id}/perception`, only speech after `since_tick` and board items after
    /// `board_cursor` (a previous answer's `board.cursor`).
    pub async fn perception(
        &self,
        since_tick: Option<Tick>,
        board_cursor: Option<&str>,
    ) -> Result<AgentPerception, ClientError> {
        let mut query = Vec::new();
        if let Some(tick) = since_tick {
            query.push(format!("since_tick={tick}"));
        }
        // The server makes cursors of letters, digits and `-`; anything else would need
        // escaping and can only be garbage, so it is dropped (the feed restarts from 0).
        if let Some(cursor) =
            board_cursor.filter(|c| c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            query.push(format!("board_cursor={cursor}"));
        }
        let mut path = format!("/agents/{}/perception", self.agent);
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        self.call(Method::GET, path, None::<&()>).await
    }

    /// `POST /agents/{id}/move` to any free tile of `landmark`.
    pub async fn move_to(&self, landmark: &str) -> Result<MovePlan, ClientError> {
        let path = format!("/agents/{}/move", self.agent);
        let landmark = landmark.to_string();
        self.call(
            Method::POST,
            path,
            Some(&MoveRequest::Landmark { landmark }),
        )
        .await
    }

    /// `POST /agents/{id}/action`.
    pub async fn act(&self, action: &Action) -> Result<ActionOutcome, ClientError> {
        let path = format!("/agents/{}/action", self.agent);
        self.call(Method::POST, path, Some(action)).await
    }

    /// `POST /board/posts` (the agent must stand on the board by default).
    pub async fn create_post(&self, post: &CreatePostRequest) -> Result<BoardPost, ClientError> {
        self.call(Method::POST, "/board/posts".to_string(), Some(post))
            .await
    }

    /// `POST /board/posts/{id}/replies`.
    pub async fn reply(&self, post: PostId, body: &str) -> Result<BoardReply, ClientError> {
        let path = format!("/board/posts/{post}/replies");
        let body = body.to_string();
        self.call(Method::POST, path, Some(&CreateReplyRequest { body }))
            .await
    }

    /// `GET /board/posts/{id}`: a post and its replies.
    pub async fn post_thread(&self, post: PostId) -> Result<PostWithReplies, ClientError> {
        self.call(Method::GET, format!("/board/posts/{post}"), None::<&()>)
            .await
    }

    /// `PUT /agents/me/notebook`: publishes its task book for staff.
    pub async fn put_notebook(&self, notebook: &AgentNotebook) -> Result<(), ClientError> {
        let path = "/agents/me/notebook".to_string();
        self.call::<_, serde::de::IgnoredAny>(Method::PUT, path, Some(notebook))
            .await
            .map(drop)
    }

    /// `GET /chats`: the agent's task chats, most recently written first.
    pub async fn chats(&self) -> Result<ChatList, ClientError> {
        self.call(Method::GET, "/chats".to_string(), None::<&()>)
            .await
    }

    /// `GET /chats/{id}`: one of its chats with its latest messages, oldest first.
    pub async fn chat(&self, chat: ChatId) -> Result<ChatThread, ClientError> {
        self.call(Method::GET, format!("/chats/{chat}"), None::<&()>)
            .await
    }

    /// `POST /chats/{id}/messages`: writes in one of its chats.
    pub async fn send_chat_message(
        &self,
        chat: ChatId,
        body: &str,
    ) -> Result<ChatMessage, ClientError> {
        let path = format!("/chats/{chat}/messages");
        let body = body.to_string();
        self.call(Method::POST, path, Some(&ChatMessageRequest { body }))
            .await
    }

    /// `GET /economy/balance/{id}` of this agent.
    pub async fn balance(&self) -> Result<Standing, ClientError> {
        let path = format!("/economy/balance/{}", self.agent);
        self.call(Method::GET, path, None::<&()>).await
    }

    /// `POST /economy/purchase`: a compute boost from the agent's own balance.
    pub async fn purchase(&self, order: &PurchaseRequest) -> Result<TransferResult, ClientError> {
        self.call(Method::POST, "/economy/purchase".to_string(), Some(order))
            .await
    }

    /// `POST /agents/{id}/tool-calls`: records a tool call in the server's audit; the agent
    /// uses the call's result only once this succeeds.
    pub async fn report_tool_call(
        &self,
        report: &ToolCallReport,
    ) -> Result<ToolCallRecorded, ClientError> {
        let path = format!("/agents/{}/tool-calls", self.agent);
        self.call(Method::POST, path, Some(report)).await
    }

    /// `POST /v1/chat/completions`: one completion through the server's LLM gateway, paid
    /// for by this agent and limited by its tier (`402`, `429`, `503` are refusals).
    pub async fn chat_completion(
        &self,
        request: &ChatRequest<'_>,
    ) -> Result<ChatCompletion, ClientError> {
        let path = "/v1/chat/completions".to_string();
        self.call(Method::POST, path, Some(request)).await
    }

    /// Sends one JSON request and decodes a 2xx answer as `T`.
    async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let fail = |kind| ClientError {
            method: method.clone(),
            path: path.clone(),
            kind,
        };
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| fail(ErrorKind::Decode(e)))?;
        // Waiting for its turn is not part of the request's deadline.
        self.pace.wait().await;
        let exchange = self.exchange(method.clone(), &path, body);
        let (status, headers, bytes) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| fail(ErrorKind::Timeout(self.timeout)))?
            .map_err(fail)?;
        if !status.is_success() {
            return Err(fail(status_error(status, &headers, &bytes)));
        }
        // An empty answer (204) reads as JSON `null`, which `()` accepts.
        let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        serde_json::from_slice(bytes).map_err(|e| fail(ErrorKind::Decode(e)))
    }

    /// Connects, sends the request and reads the whole answer (at most [`RESPONSE_BYTES_MAX`]).
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, HeaderMap, Bytes), ErrorKind> {
        let host = match &self.address {
            ServerAddress::Tcp { authority } => authority.as_str(),
            // HTTP/1.1 needs a Host; the socket has none, and the server does not route on it.
            ServerAddress::Unix { .. } => "localhost",
        };
        let mut bearer = HeaderValue::try_from(format!("Bearer {}", self.token.expose()))
            .map_err(|e| ErrorKind::Request(e.into()))?;
        bearer.set_sensitive(true);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, host)
            .header(header::AUTHORIZATION, bearer)
            .header(header::ACCEPT, "application/json")
            .header(header::CONNECTION, "close");
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let connect_error = |source| ErrorKind::Connect {
            address: self.address.to_string(),
            source,
        };
        match &self.address {
            ServerAddress::Tcp { authority } => {
                let stream = TcpStream::connect(authority.as_str())
                    .await
                    .map_err(connect_error)?;
                send_on(TokioIo::new(stream), request).await
            }
            ServerAddress::Unix { path } => {
                let stream = UnixStream::connect(path).await.map_err(connect_error)?;
                send_on(TokioIo::new(stream), request).await
            }
        }
    }
}

/// Runs one HTTP/1.1 exchange on a fresh connection.
async fn send_on<I>(
    io: I,
    request: Request<Full<Bytes>>,
) -> Result<(StatusCode, HeaderMap, Bytes), ErrorKind>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = http1::handshake(io).await?;
    // The connection must be driven while the answer is read; the guard ends it on any exit.
    let _driver = AbortOnDrop(tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "API connection ended with an error");
        }
    }));
    let (parts, body) = sender.send_request(request).await?.into_parts();
    let bytes = Limited::new(body, RESPONSE_BYTES_MAX)
        .collect()
        .await
        .map_err(|error| {
            if error.is::<http_body_util::LengthLimitError>() {
                ErrorKind::TooLarge
            } else {
                ErrorKind::Body(error.to_string())
            }
        })?
        .to_bytes();
    Ok((parts.status, parts.headers, bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn an_unreachable_server_is_a_connect_error_naming_the_address() {
        // A unix socket that does not exist fails fast with the address in the message.
        let dir = tempfile::tempdir().unwrap();
        let address = ServerAddress::Unix {
            path: dir.path().join("absent.sock"),
        };
        let token = AgentToken::new("avt_secret", "T").unwrap();
        let client = ApiClient::new(address, AgentId(1), token);
        let error = client.balance().await.unwrap_err();
        assert_eq!(error.code(), "connect");
        let text = error.to_string();
        assert!(
            text.contains("absent.sock") && !text.contains("avt_secret"),
            "{text}"
        );
    }
}
