//! The operator benchmark's view of the village: the HTTP API as an admin (reading chats,
//! notebooks, agents, balances and metrics) and as the scripted person (opening chats and
//! writing in them), and `docker exec` into an agent's container for the graders. It reads
//! only the HTTP API and the shared types, never the agent's internals; errors are returned
//! as text so one failed read costs a poll, not the run.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;
use shared::api::notebook::AgentNotebook;
use shared::api::{ChatThread, OpenChatRequest};
use shared::{ChatId, ChatMessage};

/// Longest any one request of the bench waits.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest a grader's command in a container may run.
const EXEC_TIMEOUT: Duration = Duration::from_secs(20);

/// What `GET /agents/{id}/notebook` gave.
#[derive(Debug, Clone)]
pub enum NotebookRead {
    /// The agent has published nothing yet.
    NotPublished,
    Book(AgentNotebook),
    /// Anything else (a timeout, an unreadable body): try again at the next poll.
    Failed(String),
}

/// A signed-in client of the test server.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
    /// The bench's admin (an account of its own, so the test server's stays private).
    admin: String,
    /// The scripted person.
    person: String,
}

impl Api {
    pub fn new(base: String, admin: String, person: String) -> Api {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("a plain HTTP client builds");
        Api {
            client,
            base,
            admin,
            person,
        }
    }

    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<(StatusCode, Value), String> {
        let response = request.send().await.map_err(|e| format!("{what}: {e}"))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| format!("{what}: {e}"))?;
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    /// GET as the admin; the status and the JSON body (`null` when it is not JSON).
    pub async fn admin_get(&self, path: &str) -> Result<(StatusCode, Value), String> {
        let request = self.client.get(format!("{}{path}", self.base));
        self.call(request.bearer_auth(&self.admin), path).await
    }

    /// GET as the admin expecting 200.
    pub async fn admin_read(&self, path: &str) -> Result<Value, String> {
        match self.admin_get(path).await? {
            (StatusCode::OK, body) => Ok(body),
            (status, body) => Err(format!("GET {path}: {status} {body}")),
        }
    }

    /// POST as the admin expecting a 2xx.
    pub async fn admin_post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let request = self.client.post(format!("{}{path}", self.base)).json(body);
        match self.call(request.bearer_auth(&self.admin), path).await? {
            (status, answer) if status.is_success() => Ok(answer),
            (status, answer) => Err(format!("POST {path}: {status} {answer}")),
        }
    }

    /// The person opens a task chat with `agent`.
    pub async fn open_chat(
        &self,
        agent: AgentId,
        title: &str,
        body: &str,
    ) -> Result<ChatThread, String> {
        let opening = OpenChatRequest {
            agent_id: agent,
            title: title.to_string(),
            body: body.to_string(),
        };
        let request = self.client.post(format!("{}/chats", self.base));
        let request = request.json(&opening).bearer_auth(&self.person);
        match self.call(request, "POST /chats").await? {
            (StatusCode::CREATED, answer) => {
                serde_json::from_value(answer).map_err(|e| format!("POST /chats: {e}"))
            }
            (status, answer) => Err(format!("POST /chats: {status} {answer}")),
        }
    }

    /// The person writes `body` in chat `chat`.
    pub async fn say(&self, chat: ChatId, body: &str) -> Result<ChatMessage, String> {
        let path = format!("/chats/{chat}/messages");
        let request = self.client.post(format!("{}{path}", self.base));
        let request = request
            .json(&json!({ "body": body }))
            .bearer_auth(&self.person);
        match self.call(request, &path).await? {
            (StatusCode::CREATED, answer) => {
                serde_json::from_value(answer).map_err(|e| format!("{path}: {e}"))
            }
            (status, answer) => Err(format!("{path}: {status} {answer}")),
        }
    }

    /// Approves `message` as the village's moderator would when the compliance guard held it
    /// (a person's task may quote an email address, a link or a long number: held until a
    /// moderator decides, unseen by the agent); true when it was held.
    pub async fn approve_if_held(&self, message: &ChatMessage) -> Result<bool, String> {
        if !message.held {
            return Ok(false);
        }
        let path = format!("/moderation/chat-messages/{}", message.id);
        let body = json!({"action": "approve", "reason": "operator bench: the task is fine"});
        self.admin_post(&path, &body).await.map(|_| true)
    }

    /// Chat `chat` with its messages, as the admin reads it.
    pub async fn chat(&self, chat: ChatId) -> Result<ChatThread, String> {
        let path = format!("/chats/{chat}");
        let body = self.admin_read(&path).await?;
        serde_json::from_value(body).map_err(|e| format!("{path}: {e}"))
    }

    /// The notebook `agent` last published.
    pub async fn notebook(&self, agent: AgentId) -> NotebookRead {
        let path = format!("/agents/{agent}/notebook");
        match self.admin_get(&path).await {
            Ok((StatusCode::OK, body)) => match serde_json::from_value(body) {
                Ok(book) => NotebookRead::Book(book),
                Err(error) => NotebookRead::Failed(format!("{path}: {error}")),
            },
            Ok((StatusCode::NOT_FOUND, body)) if body["error"]["code"] == "no_notebook" => {
                NotebookRead::NotPublished
            }
            Ok((status, body)) => NotebookRead::Failed(format!("{path}: {status} {body}")),
            Err(error) => NotebookRead::Failed(error),
        }
    }

    /// The server's Prometheus text.
    pub async fn metrics(&self) -> Result<String, String> {
        let response = self.client.get(format!("{}/metrics", self.base)).send();
        let response = response.await.map_err(|e| format!("/metrics: {e}"))?;
        response.text().await.map_err(|e| format!("/metrics: {e}"))
    }

    /// The agent's balance in micro-aiDollar.
    pub async fn balance(&self, agent: AgentId) -> Result<i64, String> {
        let body = self
            .admin_read(&format!("/economy/balance/{agent}"))
            .await?;
        body["balance_micros"]
            .as_i64()
            .ok_or_else(|| format!("no balance in {body}"))
    }
}

/// The value of the sample `name` (no labels) in Prometheus text, if present.
pub fn prometheus_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.split_once(' ')?;
            (key == name).then(|| value.trim().parse().ok())?
        })
}

/// Runs `command` with `sh -c` in `/workspace` of container `container`; what it printed
/// (stdout, then stderr) when it ran, or why not.
pub async fn exec_in(container: &str, command: &str) -> Result<String, String> {
    let script = format!(
        "cd /workspace && timeout 10 sh -c '{}'",
        command.replace('\'', r"'\''")
    );
    let mut docker = tokio::process::Command::new("docker");
    docker
        .args(["exec", container, "/bin/sh", "-c", &script])
        .kill_on_drop(true);
    let output = tokio::time::timeout(EXEC_TIMEOUT, docker.output())
        .await
        .map_err(|_| format!("docker exec {command:?} took over {EXEC_TIMEOUT:?}"))?
        .map_err(|e| format!("docker exec: {e}"))?;
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(printed)
}
