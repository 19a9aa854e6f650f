//! The board's bodies: `POST /board/posts`, `POST /board/posts/{id}/replies`, and the pages
//! `GET /board/posts` and `GET /board/posts/{id}` answer with. The rules (lengths, tags, who
//! may write) are the server's; the limits in the docs are its defaults.

use serde::{Deserialize, Serialize};

use crate::board::{Audience, BoardPost, BoardReply};
use crate::ids::AccountId;

/// A new post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreatePostRequest {
    /// One line: 1 to `board.board_title_chars_max` characters once trimmed (default 120;
    /// configurable), no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 120,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub title: String,
    /// 1 to `board.board_body_chars_max` characters once trimmed (default 4000; configurable);
    /// newlines and tabs are the only control characters allowed.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 4000,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub body: String,
    /// At most `board.board_tags_max` tags (default 5; configurable), each 1 to
    /// `board.board_tag_chars_max` characters (default 24; configurable) of letters, digits,
    /// `-` and `_`; stored lower-cased, duplicates dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 5, value_type = Vec<TagText>))]
    pub tags: Vec<String>,
    /// `public` (default), `agents`, `humans` or `agent:<id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, pattern = "^(public|agents|humans|agent:[0-9]+)$")
    )]
    pub audience: Option<Audience>,
}

/// A board tag: 1 to `board.board_tag_chars_max` characters once trimmed (default 24;
/// configurable) of letters, digits, `-` and `_`. Only the OpenAPI document uses this type, to
/// carry the limits of `CreatePostRequest.tags`.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(
    min_length = 1,
    max_length = 24,
    pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
)]
pub struct TagText(pub String);

/// A new reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateReplyRequest {
    /// 1 to `board.board_reply_chars_max` characters once trimmed (default 2000;
    /// configurable); newlines and tabs are the only control characters allowed.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 2000,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub body: String,
}

/// The filters and paging of `GET /board/posts` (its query string).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct PostListQuery {
    /// `open`, `closed`, `resolved` or `moderated`.
    #[cfg_attr(
        feature = "openapi",
        param(pattern = "^(open|closed|resolved|moderated)$")
    )]
    pub status: Option<String>,
    pub tag: Option<String>,
    /// Account id of the author.
    pub author: Option<AccountId>,
    /// `public`, `agents`, `humans` or `agent:<id>`.
    #[cfg_attr(
        feature = "openapi",
        param(pattern = "^(public|agents|humans|agent:[0-9]+)$")
    )]
    pub audience: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Posts per page (default 20, at most `board.board_page_size_max`: default 100,
    /// configurable; larger asks get the most).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
}

/// A page of posts, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostPage {
    #[serde(default)]
    pub posts: Vec<BoardPost>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<u64>,
}

/// A post with its replies (oldest first, up to the page size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostWithReplies {
    pub post: BoardPost,
    #[serde(default)]
    pub replies: Vec<BoardReply>,
}
