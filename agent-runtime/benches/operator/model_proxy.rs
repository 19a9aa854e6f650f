//! A recording proxy between the server's LLM gateway and the model server: every
//! `POST /v1/chat/completions` is passed on unchanged and its answer passed back unchanged
//! (read whole first), and the bench keeps, per call, the tokens the model server reported
//! (`usage.prompt_tokens`, `completion_tokens`, and `prompt_tokens_details.cached_tokens` or
//! llama.cpp's `timings.cache_n`), how long it took, and whom it served: the task whose chat
//! title or opening words the prompt quotes, else the agent whose name the system prompt
//! gives. The gateway itself exposes only the total of tokens (`village_llm_tokens`) and each
//! agent's latest model, so this is where the per-task figures come from. It also reads the
//! model server's own `/metrics` (prefix-cache counters). Loopback only.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Longest one model call may take through the proxy (the gateway gives up sooner).
const CALL_TIMEOUT: Duration = Duration::from_secs(600);

/// One call as the model server answered it.
#[derive(Debug, Clone)]
pub struct ModelCall {
    /// The attribution key: a task's key, `life:<agent>` or `unknown`.
    pub key: String,
    /// The model server's HTTP status; 0 when the gateway hung up before the answer.
    pub status: u16,
    pub took: Duration,
    /// When the call came, from the proxy's start (the prompt's size over the run).
    pub at: Duration,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Prompt tokens served from the model server's prefix cache.
    pub cached_tokens: u64,
}

/// Who a prompt may belong to: a key and the texts that identify it.
#[derive(Debug, Clone)]
struct Needle {
    key: String,
    texts: Vec<String>,
    /// A task's needle stops matching once the task is over (an agent's later prompts may
    /// still quote it).
    active: bool,
}

#[derive(Default)]
struct Book {
    tasks: Vec<Needle>,
    agents: Vec<Needle>,
    calls: Vec<ModelCall>,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    client: reqwest::Client,
    book: Arc<Mutex<Book>>,
    born: Instant,
}

/// The running proxy.
pub struct ModelProxy {
    /// The `/v1` base to give the gateway.
    pub url: String,
    book: Arc<Mutex<Book>>,
    stop: CancellationToken,
}

/// Whitespace collapsed to single spaces (prompts quote messages on one line).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl ModelProxy {
    /// Starts a proxy to `upstream` (a `/v1` base) on 127.0.0.1.
    pub async fn start(upstream: &str) -> ModelProxy {
        let book = Arc::new(Mutex::new(Book::default()));
        let proxy = Proxy {
            upstream: upstream.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .timeout(CALL_TIMEOUT)
                .build()
                .expect("a plain HTTP client builds"),
            book: book.clone(),
            born: Instant::now(),
        };
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(forward))
            .with_state(proxy);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            let serve =
                axum::serve(listener, app).with_graceful_shutdown(stopped.cancelled_owned());
            if let Err(error) = serve.await {
                eprintln!("the model proxy stopped: {error}");
            }
        });
        ModelProxy {
            url: format!("http://{addr}/v1"),
            book,
            stop,
        }
    }

    /// Calls whose prompt quotes `title` or the start of `body` count for task `key`.
    pub fn expect_task(&self, key: &str, title: &str, body: &str) {
        let opening: String = one_line(body).chars().take(60).collect();
        let needle = Needle {
            key: key.to_string(),
            texts: vec![one_line(title), opening],
            active: true,
        };
        self.book.lock().expect("not poisoned").tasks.push(needle);
    }

    /// Calls whose prompt names `name` (and no task) count for the agent's own life.
    pub fn expect_agent(&self, label: &str, name: &str) {
        let needle = Needle {
            key: format!("life:{label}"),
            texts: vec![name.to_string()],
            active: true,
        };
        self.book.lock().expect("not poisoned").agents.push(needle);
    }

    /// Task `key` is over: later prompts quoting it count for the agent's life.
    pub fn task_over(&self, key: &str) {
        let mut book = self.book.lock().expect("not poisoned");
        for needle in book.tasks.iter_mut().filter(|n| n.key == key) {
            needle.active = false;
        }
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<ModelCall> {
        self.book.lock().expect("not poisoned").calls.clone()
    }
}

impl Drop for ModelProxy {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The text of every message of a chat-completions request, one-lined.
fn prompt_text(request: &Value) -> String {
    let mut text = String::new();
    for message in request["messages"].as_array().into_iter().flatten() {
        match &message["content"] {
            Value::String(s) => text.push_str(s),
            Value::Array(parts) => {
                for part in parts {
                    text.push_str(part["text"].as_str().unwrap_or_default());
                }
            }
            _ => {}
        }
        text.push(' ');
    }
    one_line(&text)
}

fn attribute(book: &Book, prompt: &str) -> String {
    let found = |needles: &[Needle]| {
        needles
            .iter()
            .filter(|n| n.active)
            .find(|n| {
                n.texts
                    .iter()
                    .any(|t| !t.is_empty() && prompt.contains(t.as_str()))
            })
            .map(|n| n.key.clone())
    };
    found(&book.tasks)
        .or_else(|| found(&book.agents))
        .unwrap_or_else(|| "unknown".into())
}

/// The usage of a whole answer, or of the last event of a stream that reports one:
/// (prompt, completion, cached).
fn usage(body: &[u8]) -> (u64, u64, u64) {
    let read = |answer: &Value| {
        let usage = &answer["usage"];
        let n = |v: &Value| v.as_u64().unwrap_or(0);
        let cached = usage["prompt_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap_or_else(|| n(&answer["timings"]["cache_n"]));
        (
            n(&usage["prompt_tokens"]),
            n(&usage["completion_tokens"]),
            cached,
        )
    };
    if let Ok(answer) = serde_json::from_slice::<Value>(body) {
        return read(&answer);
    }
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .rfind(|event| event["usage"].is_object())
        .map_or((0, 0, 0), |event| read(&event))
}

/// Records its call when dropped: at the end of the handler, or when the gateway hangs up
/// first and the handler is dropped mid-call (then with status 0 and no tokens; the model
/// server may still have done the work, which its own `/metrics` count).
struct Recorder {
    book: Arc<Mutex<Book>>,
    started: Instant,
    call: ModelCall,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let mut call = self.call.clone();
        call.took = self.started.elapsed();
        if let Ok(mut book) = self.book.lock() {
            book.calls.push(call);
        }
    }
}

async fn forward(State(proxy): State<Proxy>, body: Bytes) -> Response {
    let prompt = serde_json::from_slice::<Value>(&body)
        .map(|request| prompt_text(&request))
        .unwrap_or_default();
    let key = attribute(&proxy.book.lock().expect("not poisoned"), &prompt);
    let mut recorder = Recorder {
        book: proxy.book.clone(),
        started: Instant::now(),
        call: ModelCall {
            key,
            status: 0,
            took: Duration::ZERO,
            at: proxy.born.elapsed(),
            prompt_tokens: 0,
            completion_tokens: 0,
            cached_tokens: 0,
        },
    };
    let answer = proxy
        .client
        .post(format!("{}/chat/completions", proxy.upstream))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    let (status, content_type, bytes) = match answer {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
            match answer.bytes().await {
                Ok(bytes) => (status, content_type, bytes),
                Err(_) => (502, None, Bytes::from_static(b"the model server broke off")),
            }
        }
        Err(_) => (
            502,
            None,
            Bytes::from_static(b"the model server did not answer"),
        ),
    };
    let (prompt_tokens, completion_tokens, cached_tokens) = usage(&bytes);
    recorder.call.status = status;
    recorder.call.prompt_tokens = prompt_tokens;
    recorder.call.completion_tokens = completion_tokens;
    recorder.call.cached_tokens = cached_tokens;
    drop(recorder);
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        bytes,
    )
        .into_response();
    let content_type = content_type.unwrap_or(HeaderValue::from_static("application/json"));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

/// The model server's prefix-cache counters from its `/metrics` (llama.cpp):
/// (prompt tokens computed, prompt tokens served from the cache).
pub async fn cache_counters(v1_base: &str) -> Option<(f64, f64)> {
    let root = v1_base.trim_end_matches('/').trim_end_matches("/v1");
    let text = reqwest::get(format!("{root}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let computed = super::api::prometheus_value(&text, "llamacpp:prompt_tokens_total")?;
    let cached = super::api::prometheus_value(&text, "llamacpp:prompt_tokens_cached_total")?;
    Some((computed, cached))
}
