//! Reading the server's answers: a 2xx body decodes into the `shared::api` type the call's
//! route answers with ([`ApiAnswer`]); a refusal into the server's [`ErrorBody`]; anything else
//! is a failure. Answers are read leniently (the contract types ignore fields they do not
//! know), so a newer server does not break the viewer. Nothing here is read by string keys.

use serde::de::DeserializeOwned;
use shared::api::{
    AgentDetail, ErrorBody, PostPage, PostWithReplies, TokenResponse, TransferResult,
};
use shared::{BoardPost, BoardReply};

use super::calls::ApiCall;

/// What a call's route answered with, one variant per answer type.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiAnswer {
    /// [`ApiCall::Agent`].
    Agent(AgentDetail),
    /// [`ApiCall::PostsBy`] and [`ApiCall::OpenPosts`].
    Posts(PostPage),
    /// [`ApiCall::Post`].
    Thread(PostWithReplies),
    /// [`ApiCall::Login`].
    Tokens(TokenResponse),
    /// [`ApiCall::CreatePost`]: the post as stored.
    Posted(BoardPost),
    /// [`ApiCall::Reply`]: the reply as stored.
    Replied(BoardReply),
    /// [`ApiCall::Judge`]: the transfer made.
    Transfer(TransferResult),
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
    pub result: Result<ApiAnswer, ApiFailure>,
}

/// Reads the answer to `call`: a 2xx body is decoded as the type its route answers with;
/// anything else is a failure with the server's words.
pub fn read_response(
    call: &ApiCall,
    result: ehttp::Result<ehttp::Response>,
) -> Result<ApiAnswer, ApiFailure> {
    let response =
        result.map_err(|e| ApiFailure::local(&format!("the server did not answer: {e}")))?;
    if response.ok {
        return decode_answer(call, &response.bytes).map_err(|error| ApiFailure {
            status: Some(response.status),
            code: "bad_body".into(),
            message: if error.is_data() {
                format!("the server's answer did not fit: {error}")
            } else {
                "the server's answer was not JSON".into()
            },
        });
    }
    Err(match serde_json::from_slice::<ErrorBody>(&response.bytes) {
        Ok(ErrorBody { error }) => ApiFailure {
            status: Some(response.status),
            code: error.code,
            message: error.message,
        },
        Err(_) => ApiFailure {
            status: Some(response.status),
            code: "http_error".into(),
            message: response.status_text.clone(),
        },
    })
}

/// Decodes a 2xx body as the answer of `call`'s route.
fn decode_answer(call: &ApiCall, bytes: &[u8]) -> Result<ApiAnswer, serde_json::Error> {
    fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
    Ok(match call {
        ApiCall::Agent(_) => ApiAnswer::Agent(read(bytes)?),
        ApiCall::PostsBy { .. } | ApiCall::OpenPosts => ApiAnswer::Posts(read(bytes)?),
        ApiCall::Post(_) => ApiAnswer::Thread(read(bytes)?),
        ApiCall::Login(_) => ApiAnswer::Tokens(read(bytes)?),
        ApiCall::CreatePost(_) => ApiAnswer::Posted(read(bytes)?),
        ApiCall::Reply { .. } => ApiAnswer::Replied(read(bytes)?),
        ApiCall::Judge { .. } => ApiAnswer::Transfer(read(bytes)?),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shared::api::{CreatePostRequest, ErrorDetail};
    use shared::{AccountId, AgentId, Audience, Author, PostId, PostStatus};

    use super::*;

    fn response(status: u16, body: &[u8]) -> ehttp::Result<ehttp::Response> {
        Ok(ehttp::Response {
            url: "http://test/".into(),
            ok: (200..300).contains(&status),
            status,
            status_text: "Bad Gateway".into(),
            headers: ehttp::Headers::default(),
            bytes: body.to_vec(),
        })
    }

    fn post(id: u64) -> BoardPost {
        BoardPost {
            id: PostId(id),
            author: Author {
                account_id: AccountId(9),
                role: "agent".into(),
                agent_id: Some(AgentId(4)),
                name: "Agent 4".into(),
            },
            audience: Audience::Public,
            title: "maps wanted".into(),
            body: "who draws maps?".into(),
            tags: Vec::new(),
            status: PostStatus::Open,
            reply_count: 0,
            moderation_reason: None,
            created_at_ms: 1,
            updated_at_ms: 1,
            held: false,
            labels: Vec::new(),
        }
    }

    #[test]
    fn each_call_reads_the_type_its_route_answers_with() {
        // A 2xx body becomes the call's answer type, and a field the viewer does not know yet
        // (a newer server's) is ignored rather than refused.
        let mut page = serde_json::to_value(PostPage {
            posts: vec![post(7)],
            next_cursor: None,
        })
        .unwrap();
        page["posts"][0]["pinned"] = json!(true);
        page["total"] = json!(1);
        let body = serde_json::to_vec(&page).unwrap();
        let read = read_response(&ApiCall::OpenPosts, response(200, &body)).unwrap();
        assert_eq!(
            read,
            ApiAnswer::Posts(PostPage {
                posts: vec![post(7)],
                next_cursor: None
            })
        );
        let created = ApiCall::CreatePost(CreatePostRequest {
            title: "maps wanted".into(),
            body: "who draws maps?".into(),
            tags: Vec::new(),
            audience: None,
        });
        let body = serde_json::to_vec(&post(8)).unwrap();
        assert_eq!(
            read_response(&created, response(201, &body)).unwrap(),
            ApiAnswer::Posted(post(8))
        );
    }

    #[test]
    fn a_body_that_does_not_decode_is_a_bad_body() {
        // Not JSON, or JSON of another shape than the route's answer, is `bad_body`.
        let not_json = read_response(&ApiCall::OpenPosts, response(200, b"<html>")).unwrap_err();
        assert_eq!(not_json.code, "bad_body");
        assert_eq!(not_json.status, Some(200));
        assert_eq!(not_json.message, "the server's answer was not JSON");
        let body = serde_json::to_vec(&post(8)).unwrap();
        let wrong = read_response(&ApiCall::Post(PostId(8)), response(200, &body)).unwrap_err();
        assert_eq!(wrong.code, "bad_body");
    }

    #[test]
    fn a_refusal_is_told_in_the_servers_words() {
        // An error answer gives the server's code and message; one without the error body
        // gives the HTTP status text.
        let refusal = ErrorBody {
            error: ErrorDetail {
                code: "board_closed".into(),
                message: "the post is closed".into(),
            },
        };
        let body = serde_json::to_vec(&refusal).unwrap();
        let failure = read_response(&ApiCall::Post(PostId(1)), response(409, &body)).unwrap_err();
        assert_eq!(failure.status, Some(409));
        assert_eq!(failure.code, "board_closed");
        assert_eq!(failure.to_string(), "the post is closed (409 board_closed)");
        let bare = read_response(&ApiCall::OpenPosts, response(502, b"oops")).unwrap_err();
        assert_eq!(bare.code, "http_error");
        assert_eq!(bare.message, "Bad Gateway");
        let gone = read_response(&ApiCall::OpenPosts, Err("refused".into())).unwrap_err();
        assert_eq!(gone.status, None);
        assert_eq!(gone.message, "the server did not answer: refused");
    }
}
