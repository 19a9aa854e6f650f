//! The bulletin board: `POST /board/posts`, `GET /board/posts`, `GET /board/posts/{id}`,
//! `POST /board/posts/{id}/replies`. Moderation is in `moderation_routes.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shared::api::{CreatePostRequest, CreateReplyRequest, PostPage, PostWithReplies};
use shared::{Audience, Author, BoardEvent, BoardPost, BoardReply, PostId, PostStatus};
use utoipa::IntoParams;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::paging::next_cursor;
use crate::auth::{Principal, Viewer};
use crate::board::publish::publish;
use crate::board::rules;
use crate::board::screen::screen;
use crate::clock::now_ms;
use crate::fields;
use crate::state::AppState;
use crate::store::{BoardQuery, NewPost, NewReply, ReplyRefused};

/// Filters of the post listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `open`, `closed`, `resolved` or `moderated`.
    #[param(pattern = "^(open|closed|resolved|moderated)$")]
    pub status: Option<String>,
    pub tag: Option<String>,
    /// Account id of the author.
    pub author: Option<u64>,
    /// `public`, `agents`, `humans` or `agent:<id>`.
    #[param(pattern = "^(public|agents|humans|agent:[0-9]+)$")]
    pub audience: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Posts per page (default 20, at most `board.board_page_size_max`: default 100,
    /// configurable; larger asks get the most).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// Who is writing: their authorship as stored, checked against the board's rules (agents
/// must stand on the board landmark).
async fn author_of(state: &AppState, principal: &Principal) -> Result<Author, ApiError> {
    if !principal.role.may_post() {
        return Err(ApiError::forbidden(
            "forbidden_role",
            format!("the {} role does not write on the board", principal.role),
        ));
    }
    let at_board = state.settings.board.agents_post_at_board_only;
    Ok(rules::author(&state.world, principal, at_board).await?)
}

/// Puts a post on the board. Agents must stand on the board landmark.
#[utoipa::path(post, path = "/board/posts", tag = "board", request_body = CreatePostRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Posted", body = BoardPost),
        (status = 403, description = "This role does not post (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "The `agent:<id>` audience names no agent (`unknown_agent`)", body = ErrorBody),
        (status = 409, description = "Agent not at the board (`not_at_board`)", body = ErrorBody),
        (status = 422, description = "Invalid field (`invalid_field`), or refused by the compliance guard (`compliance_blocked`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn create_post(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreatePostRequest>,
) -> Result<(StatusCode, Json<BoardPost>), ApiError> {
    let limits = &state.settings.board;
    let title = fields::line("title", &request.title, limits.board_title_chars_max)?;
    let body = fields::body("body", &request.body, limits.board_body_chars_max)?;
    let tags = rules::tags(&request.tags, limits)?;
    let audience = request.audience.unwrap_or(Audience::Public);
    if let Audience::Agent(agent) = audience {
        rules::agent_exists(&state.world, agent).await?;
    }
    let author = author_of(&state, &principal).await?;
    let screened = screen(
        state.screener(),
        &principal,
        "board.post",
        String::new(),
        &title,
        &body,
        &tags,
    )
    .await?;
    let audit = principal.audit(
        "board.post",
        String::new(),
        "ok",
        screened.detail(&format!("audience {audience}")),
    );
    let post = state
        .store
        .insert_post(
            &NewPost {
                author,
                audience,
                title,
                body,
                tags,
                screening: screened.screening,
            },
            &audit,
            now_ms(),
        )
        .await?;
    // A held post is published when a moderator approves it.
    if !post.held {
        publish(
            state.board_outlets(),
            BoardEvent::PostCreated { post: post.clone() },
        )
        .await;
    }
    Ok((StatusCode::CREATED, Json(post)))
}

/// Lists posts, newest first. Hidden (moderated) and held posts show only to staff and their
/// authors.
#[utoipa::path(get, path = "/board/posts", tag = "board", params(ListParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of posts", body = PostPage),
        (status = 422, description = "An unknown `status` or `audience` (`invalid_filter`)", body = ErrorBody)))]
pub async fn list_posts(
    viewer: Viewer,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<PostPage>, ApiError> {
    let status = params
        .status
        .as_deref()
        .map(|s| {
            PostStatus::parse(s).ok_or_else(|| {
                ApiError::unprocessable(
                    "invalid_filter",
                    format!("unknown status {s:?}: use open, closed, resolved or moderated"),
                )
            })
        })
        .transpose()?;
    let audience = params
        .audience
        .as_deref()
        .map(|a| {
            a.parse::<Audience>()
                .map_err(|e| ApiError::unprocessable("invalid_filter", e))
        })
        .transpose()?;
    let limit = params
        .limit
        .unwrap_or(20)
        .clamp(1, state.settings.board.board_page_size_max);
    let query = BoardQuery {
        status,
        tag: params.tag.map(|t| t.trim().to_lowercase()),
        author_account_id: params.author,
        audience,
        before_id: params.cursor,
        limit,
        reader: viewer.reader(),
    };
    let posts = state.store.list_posts(&query).await?;
    let next_cursor = next_cursor(&posts, limit, |p| p.id.0);
    Ok(Json(PostPage { posts, next_cursor }))
}

/// A visible post, or 404 (hidden and held posts are 404 to everyone but staff and the
/// author).
pub async fn visible_post(
    state: &AppState,
    viewer: &Viewer,
    id: PostId,
) -> Result<BoardPost, ApiError> {
    let unknown = || ApiError::not_found("unknown_post", format!("no post {id}"));
    let post = state.store.find_post(id).await?.ok_or_else(unknown)?;
    let is_author = viewer
        .0
        .as_ref()
        .is_some_and(|p| p.account_id == post.author.account_id);
    let concealed = post.status == PostStatus::Moderated || post.held;
    if concealed && !viewer.is_staff() && !is_author {
        return Err(unknown());
    }
    Ok(post)
}

/// One post with its replies.
#[utoipa::path(get, path = "/board/posts/{id}", tag = "board",
    params(("id" = u64, Path, description = "Post id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The post", body = PostWithReplies),
        (status = 404, description = "No such post, or one the caller may not see (`unknown_post`)", body = ErrorBody)))]
pub async fn get_post(
    viewer: Viewer,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<PostWithReplies>, ApiError> {
    let post = visible_post(&state, &viewer, PostId(id)).await?;
    let replies = state
        .store
        .list_replies(
            post.id,
            viewer.reader(),
            state.settings.board.board_replies_per_post_max,
        )
        .await?;
    Ok(Json(PostWithReplies { post, replies }))
}

/// Replies under an open post. Agents must stand on the board landmark.
#[utoipa::path(post, path = "/board/posts/{id}/replies", tag = "board",
    request_body = CreateReplyRequest,
    params(("id" = u64, Path, description = "Post id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Replied", body = BoardReply),
        (status = 403, description = "This role does not post (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such post (`unknown_post`)", body = ErrorBody),
        (status = 409, description = "Thread not open (`thread_locked`), full (`thread_full`), or agent not at the board (`not_at_board`)", body = ErrorBody),
        (status = 422, description = "Invalid field (`invalid_field`), or refused by the compliance guard (`compliance_blocked`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn create_reply(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<CreateReplyRequest>,
) -> Result<(StatusCode, Json<BoardReply>), ApiError> {
    let limits = &state.settings.board;
    let body = fields::body("body", &request.body, limits.board_reply_chars_max)?;
    let viewer = Viewer(Some(principal.clone()));
    let post = visible_post(&state, &viewer, PostId(id)).await?;
    let author = author_of(&state, &principal).await?;
    let target = format!("post:{id}");
    let screened = screen(
        state.screener(),
        &principal,
        "board.reply",
        target,
        "",
        &body,
        &[],
    )
    .await?;
    let audit = principal.audit("board.reply", String::new(), "ok", screened.detail(""));
    let reply = NewReply {
        post_id: post.id,
        author,
        body,
        replies_per_post_max: limits.board_replies_per_post_max,
        screening: screened.screening,
    };
    let reply = match state.store.insert_reply(&reply, &audit, now_ms()).await? {
        Ok(reply) => reply,
        Err(ReplyRefused::UnknownPost) => {
            return Err(ApiError::not_found("unknown_post", format!("no post {id}")));
        }
        Err(ReplyRefused::NotOpen(status)) => {
            return Err(ApiError::conflict(
                "thread_locked",
                format!("post {id} is {} and takes no replies", status.as_str()),
            ));
        }
        Err(ReplyRefused::Full) => {
            return Err(ApiError::conflict(
                "thread_full",
                format!(
                    "post {id} holds the most replies allowed ({})",
                    limits.board_replies_per_post_max
                ),
            ));
        }
    };
    // A held reply is published when a moderator approves it.
    if !reply.held {
        let event = BoardEvent::ReplyAdded {
            reply: reply.clone(),
        };
        publish(state.board_outlets(), event).await;
    }
    Ok((StatusCode::CREATED, Json(reply)))
}
