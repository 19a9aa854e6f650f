//! The LLM gateway's forwarding: an admitted call goes to its model's upstream; a refusal
//! there is passed on, a whole answer is read (bounded) and a stream is passed through as it
//! comes, metered on the way and read to its end even after the client left; then the call is
//! settled (`llm::meter`) and its reservation released. A schema-constrained model's JSON
//! answer becomes a tool call here (`llm::schema_tool_calls`).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::error::ApiError;
use crate::llm::meter::{FinishedCall, settle};
use crate::llm::reservations::Reservation;
use crate::llm::schema_tool_calls::{OfferedTools, read_tool_call};
use crate::llm::usage::{StreamMeter, usage_of};
use crate::llm::{LlmModelSetting, LlmSettings};
use crate::state::AppState;

/// Longest line of an upstream's event stream the meter reads (longer ones are not metered).
const STREAM_LINE_BYTES_MAX: usize = 1 << 20;
/// Chunks of a stream waiting for a slow client before the upstream is read further.
const STREAM_QUEUE_CHUNKS: usize = 16;

/// Forwards one admitted call and settles it; holds its reservation until then.
pub(super) async fn run_call(
    state: AppState,
    setting: LlmModelSetting,
    request: Value,
    call: FinishedCall,
    stream: bool,
    offered: Option<OfferedTools>,
    reservation: Reservation,
) -> Result<Response, ApiError> {
    let limits = &state.settings.llm;
    let response = forward(&state, &setting, &request).await?;
    if !response.status().is_success() {
        return Ok(pass_through(response, limits).await);
    }
    if stream {
        return Ok(stream_back(state.clone(), response, call, reservation));
    }
    let read = read_bounded(response, limits.response_bytes_max).await;
    let parsed = read.and_then(|body| {
        serde_json::from_slice::<Value>(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "upstream_invalid",
                format!("the upstream's answer is not JSON: {e}"),
            )
        })
    });
    let mut answer = match parsed {
        Ok(answer) => answer,
        Err(error) => {
            // The upstream did the work: charge the reserved worst case.
            settle(&state.llm_meter(), call).await;
            drop(reservation);
            return Err(error);
        }
    };
    let tokens = usage_of(&answer);
    if let Some(offered) = &offered {
        let call_id = format!("call_{:016x}", rand::random::<u64>());
        read_tool_call(&mut answer, offered, &call_id);
    }
    if let Some(fields) = answer.as_object_mut() {
        fields.insert("model".into(), json!(call.model));
    }
    settle(&state.llm_meter(), FinishedCall { tokens, ..call }).await;
    drop(reservation);
    Ok(Json(answer).into_response())
}

/// Sends the request to the model's upstream.
async fn forward(
    state: &AppState,
    setting: &LlmModelSetting,
    request: &Value,
) -> Result<reqwest::Response, ApiError> {
    let url = format!(
        "{}/chat/completions",
        setting.upstream_url.trim_end_matches('/')
    );
    let mut call = state.llm_client.post(url).json(request);
    if let Some(key) = &setting.api_key {
        call = call.bearer_auth(key);
    }
    call.send().await.map_err(|error| {
        tracing::warn!(%error, model = %setting.name, "LLM upstream unreachable");
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "upstream_unavailable",
            format!("the upstream of {} did not answer", setting.name),
        )
    })
}

/// Reads an upstream answer whole, up to `max` bytes.
async fn read_bounded(response: reqwest::Response, max: usize) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "upstream_failed",
                "the upstream's answer broke off",
            )
        })?;
        if body.len() + chunk.len() > max {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "upstream_too_large",
                format!("the upstream's answer is over {max} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An upstream refusal, passed on with its status (the client sees the upstream's reason);
/// nothing is charged.
async fn pass_through(response: reqwest::Response, limits: &LlmSettings) -> Response {
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    match read_bounded(response, limits.response_bytes_max).await {
        Ok(body) => {
            let mut answer = Response::new(Body::from(body));
            *answer.status_mut() = status;
            answer.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            answer
        }
        Err(error) => error.into_response(),
    }
}

/// Streams the upstream's events back as they come, metering them on the way; the call is
/// settled when the stream ends, also when the client goes away first.
fn stream_back(
    state: AppState,
    response: reqwest::Response,
    call: FinishedCall,
    reservation: Reservation,
) -> Response {
    let (chunks_tx, chunks_rx) =
        mpsc::channel::<Result<Bytes, std::io::Error>>(STREAM_QUEUE_CHUNKS);
    tokio::spawn(async move {
        let mut meter = StreamMeter::new(STREAM_LINE_BYTES_MAX, call.model.clone());
        let mut upstream = response.bytes_stream();
        let mut client_here = true;
        // Read to the end even after the client left: the usage comes last, and the upstream
        // does the work either way (the client's timeout bounds it).
        while let Some(chunk) = upstream.next().await {
            match chunk {
                Ok(bytes) => {
                    let lines = meter.feed(&bytes);
                    if client_here
                        && !lines.is_empty()
                        && chunks_tx.send(Ok(Bytes::from(lines))).await.is_err()
                    {
                        client_here = false;
                    }
                }
                Err(error) => {
                    if client_here {
                        let _ = chunks_tx.send(Err(std::io::Error::other(error))).await;
                    }
                    break;
                }
            }
        }
        let rest = meter.finish();
        if client_here && !rest.is_empty() {
            let _ = chunks_tx.send(Ok(Bytes::from(rest))).await;
        }
        drop(chunks_tx);
        settle(
            &state.llm_meter(),
            FinishedCall {
                tokens: meter.tokens,
                ..call
            },
        )
        .await;
        drop(reservation);
    });
    let body = futures_util::stream::unfold(chunks_rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut answer = Response::new(Body::from_stream(body));
    let headers = answer.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    answer
}
