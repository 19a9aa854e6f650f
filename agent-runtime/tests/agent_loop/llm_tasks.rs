//! Tasks worked on by the LLM brain in the real loop against the real server, with a fake
//! OpenAI-compatible upstream on loopback playing the model by the prompt it gets: a post
//! addressed to the agent that needs a clarifying question (asked at the board, answered by
//! the person in the thread, then done with a command), and a chat task the agent reports
//! progress on and finishes in a later turn without being asked again, and a chat task opened
//! with a plan (one forced answer before any work) and delivered after the agent checked its
//! answer. The task book in the workspace holds each task's state and work.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent::llm_brain::LlmBrain;
use agent::memory::Memory;
use agent::run_loop::{self, LoopSettings};
use agent::task_book::TaskBook;
use agent::task_desk::TaskDesk;
use agent::tools::Toolbox;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::api::notebook::{TaskSource, TaskState};
use shared::{ChatId, PostId};
use tokio_util::sync::CancellationToken;
use village_server::llm::ToolCallMode;

use crate::llm_chats::{self, small_model, tool_call_answer};

use crate::server::{TestAgent, TestServer, WAIT};

/// The fake model: reads the turn's prompt (and a tool result, if one came back) and calls
/// one tool, as a model following the operator prompt would.
async fn fake_completion(
    State(seen): State<Arc<Mutex<Vec<Value>>>>,
    Json(request): Json<Value>,
) -> Response {
    seen.lock().unwrap().push(request.clone());
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let prompt = messages[1]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if prompt.contains("Wait for me forever") {
        // A model that never answers: the brain's call times out.
        std::future::pending::<()>().await;
    }
    let result = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .and_then(|m| m["content"].as_str().map(str::to_string));
    let answer = |text: String, status: &str| ("answer", json!({"text": text, "status": status}));
    let count = || {
        let result = result.clone().unwrap_or_default();
        result.lines().last().unwrap_or_default().trim().to_string()
    };
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default();
    let forced = request["tool_choice"]["function"]["name"] == "answer";
    let (name, arguments) = if prompt.contains("Multiply six by seven") {
        if last_user.starts_with("You already made that call") {
            answer("It is 42.".into(), "done")
        } else if forced && prompt.contains("Before any work") {
            answer("I will multiply them with expr.".into(), "progress")
        } else {
            ("shell", json!({"command": "false"}))
        }
    } else if prompt.contains("Tally the words") {
        if last_user.starts_with("Before this goes to") {
            answer(format!("Checked: notes.txt has {} words.", count()), "done")
        } else if forced && prompt.contains("Before any work") {
            answer(PLAN.into(), "progress")
        } else if result.is_some() {
            answer(format!("notes.txt has {} words.", count()), "done")
        } else {
            ("shell", json!({"command": "wc -w < notes.txt"}))
        }
    } else if let Some(result) = result {
        let count = result.lines().last().unwrap_or_default().trim().to_string();
        answer(format!("notes.txt has {count} words (wc -w)."), "done")
    } else if prompt.contains("Count the words") && prompt.contains("hana: notes.txt") {
        ("shell", json!({"command": "wc -w < notes.txt"}))
    } else if prompt.contains("Count the words") {
        answer("Which file should I count?".into(), "question")
    } else if prompt.contains("Go on with the work") {
        answer("Part two done: the report is finished.".into(), "done")
    } else if prompt.contains("two-part report") {
        answer("Part one done; I go on with part two.".into(), "progress")
    } else {
        answer("I do not know what to do.".into(), "failed")
    };
    tool_call_answer(name, &arguments)
}

/// The brain's limit on one model call: the fake model answers at once, or never (a request
/// quoting "Wait for me forever").
const CALL_TIMEOUT: Duration = Duration::from_millis(1_500);

/// What the agent says it will do when it opens the tally task.
const PLAN: &str = "I will count the words in notes.txt with wc -w.";

async fn village() -> (TestServer, TestAgent, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(fake_completion))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = format!("http://{upstream}/v1");
    let model = small_model(url, None, ToolCallMode::Native);
    let server = TestServer::start_with(move |s| s.llm.models = vec![model]).await;
    let agent = server.create_agent("Ada Quill", "home-ash").await;
    (server, agent, seen)
}

/// Runs a fresh brain with a desk in `workspace` until `done` holds (checked after each
/// run of a few steps), as a restarted agent would between runs.
async fn run_until(
    server: &TestServer,
    agent: &TestAgent,
    workspace: &std::path::Path,
    what: &str,
    mut done: impl AsyncFnMut() -> bool,
) {
    let client = llm_chats::client(server, agent);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done().await {
        if tokio::time::Instant::now() >= deadline {
            let read =
                |name: &str| std::fs::read_to_string(workspace.join(name)).unwrap_or_default();
            let memory = read("memory.jsonl");
            let tail: Vec<&str> = memory.lines().rev().take(12).collect();
            panic!(
                "timed out: {what}\ntasks.json: {}\nposts.json: {}\nmemory (newest first): {tail:#?}",
                read("tasks.json"),
                read("posts.json")
            );
        }
        let settings = LoopSettings {
            step: Duration::from_millis(50),
            max_steps: Some(5),
            tools: Toolbox::new(workspace),
        };
        let desk =
            TaskDesk::open(agent.id, workspace).with_poll_interval(Duration::from_millis(10));
        let mut brain = LlmBrain::new(agent.id)
            .with_tasks(desk)
            .with_tools(Toolbox::new(workspace))
            .with_pause_min(Duration::ZERO)
            .with_call_timeout(CALL_TIMEOUT);
        let memory = Memory::new(workspace);
        run_loop::run(
            &client,
            &mut brain,
            &memory,
            &settings,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    }
}

/// A village where "sam" opens a chat (`title`, `body`) with an agent whose workspace holds
/// `notes` as notes.txt (when given), run until the agent wrote `count` messages in it.
async fn chat_until(
    title: &str,
    body: &str,
    notes: Option<&str>,
    count: usize,
) -> (
    TestServer,
    TestAgent,
    Arc<Mutex<Vec<Value>>>,
    tempfile::TempDir,
    u64,
) {
    let (server, agent, seen) = village().await;
    let workspace = tempfile::tempdir().unwrap();
    if let Some(notes) = notes {
        std::fs::write(workspace.path().join("notes.txt"), notes).unwrap();
    }
    let chat_id = sam_opens_chat(&server, &agent, title, body).await;
    let chat = json!(chat_id);
    let what = format!("{count} messages in chat {title}");
    run_until(&server, &agent, workspace.path(), &what, async || {
        llm_chats::agent_messages(&server, &chat).await.len() >= count
    })
    .await;
    (server, agent, seen, workspace, chat_id)
}

/// The person "sam" opens a task chat with `agent`; its id.
async fn sam_opens_chat(server: &TestServer, agent: &TestAgent, title: &str, body: &str) -> u64 {
    let password = server.account("sam", "human").await;
    let sam = server.login("sam", &password).await;
    let opening = json!({"agent_id": agent.id.0, "title": title, "body": body});
    let chat = server
        .post_as(Some(&sam), "/chats", &opening, StatusCode::CREATED)
        .await;
    chat["chat"]["id"].as_u64().unwrap()
}

/// The agent's replies in post `post`'s thread.
async fn agent_replies(server: &TestServer, post: u64) -> Vec<String> {
    let thread = server.get(&format!("/board/posts/{post}")).await;
    thread["replies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["author"]["role"] == "agent")
        .map(|r| r["body"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_post_task_gets_a_question_then_the_work_once_the_person_answers() {
    // The post addressed to the agent is a task: it asks which file (a reply at the board, the
    // task clarifying), the person answers in the thread, and the agent runs `wc` and replies
    // with the count (delivered); the book holds both turns and the command.
    let (server, agent, seen) = village().await;
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("notes.txt"), "one two three four\n").unwrap();
    let password = server.account("hana", "human").await;
    let hana = server.login("hana", &password).await;
    let body = json!({"title": "Word count", "body": "Count the words in my file, please.",
                      "audience": format!("agent:{}", agent.id.0)});
    let post = server
        .post_as(Some(&hana), "/board/posts", &body, StatusCode::CREATED)
        .await;
    let post_id = post["id"].as_u64().unwrap();

    let dir = workspace.path();
    run_until(&server, &agent, dir, "the question", async || {
        !agent_replies(&server, post_id).await.is_empty()
    })
    .await;
    assert_eq!(
        agent_replies(&server, post_id).await,
        ["Which file should I count?"]
    );
    let source = TaskSource::Post(PostId(post_id));
    let book = TaskBook::open(dir);
    assert_eq!(book.task(source).unwrap().state, TaskState::Clarifying);

    let answer = json!({"body": "notes.txt"});
    let path = format!("/board/posts/{post_id}/replies");
    server
        .post_as(Some(&hana), &path, &answer, StatusCode::CREATED)
        .await;
    run_until(&server, &agent, dir, "the count", async || {
        agent_replies(&server, post_id).await.len() == 2
    })
    .await;
    let replies = agent_replies(&server, post_id).await;
    assert_eq!(replies[1], "notes.txt has 4 words (wc -w).");
    let book = TaskBook::open(dir);
    let task = book.task(source).unwrap();
    assert_eq!(task.state, TaskState::Delivered);
    assert_eq!((task.turns, task.tool_calls), (2, 1));
    assert!(
        task.work
            .iter()
            .any(|w| w.starts_with("shell `wc -w < notes.txt` → ok, exit 0")),
        "{:?}",
        task.work
    );
    let asked = seen.lock().unwrap().len();
    // Settled: five more steps ask the model nothing more about it.
    let mut batches = 0;
    run_until(&server, &agent, dir, "five quiet steps", async || {
        batches += 1;
        batches > 1
    })
    .await;
    let about = seen.lock().unwrap()[asked..]
        .iter()
        .filter(|r| {
            r["messages"][1]["content"]
                .as_str()
                .is_some_and(|c| c.contains("Word count"))
        })
        .count();
    assert_eq!(about, 0, "a delivered task was worked on again");
    server.stop().await;
}

#[tokio::test]
async fn a_task_reported_in_progress_is_finished_in_a_later_turn_unasked() {
    // In a chat, the first answer reports progress (the task stays working) and the agent
    // goes on by itself in a later turn, delivering without a new message from the person.
    // The task turns stand for the agent's life calls: the quiet steps after them ask the
    // model nothing (a life call beside a task slows the answer on a shared model).
    let (server, _agent, seen, workspace, chat_id) =
        chat_until("Report", "Please write the two-part report.", None, 2).await;
    let agent_messages = async || llm_chats::agent_messages(&server, &json!(chat_id)).await;
    assert_eq!(
        agent_messages().await,
        [
            "Part one done; I go on with part two.",
            "Part two done: the report is finished."
        ]
    );
    let book = TaskBook::open(workspace.path());
    let task = book.task(TaskSource::Chat(ChatId(chat_id))).unwrap();
    assert_eq!((task.state, task.turns), (TaskState::Delivered, 2));
    let requests = seen.lock().unwrap().clone();
    let life: Vec<&Value> = requests
        .iter()
        .filter(|r| {
            let system = r["messages"][0]["content"].as_str().unwrap_or_default();
            !system.contains("does real work for people")
        })
        .collect();
    assert!(life.is_empty(), "life calls beside the task: {life:?}");
    assert_eq!(requests.len(), 2, "one call a turn");
    server.stop().await;
}

#[tokio::test]
async fn a_new_task_is_opened_with_a_plan_and_the_answer_is_checked_before_it_is_sent() {
    // The first turn on a new chat is one call that must answer (the tools named in
    // tool_choice, not taken away): the person reads the plan after one model call. The next
    // turn works (a shell call), answers done, is asked to check that answer against the
    // request, and sends the checked one. Every call offers the same tools, so the prompt's
    // prefix stays cacheable.
    let (server, _agent, seen, workspace, chat_id) = chat_until(
        "Tally",
        "Tally the words of notes.txt, please.",
        Some("one two three four\n"),
        2,
    )
    .await;
    let agent_messages = async || llm_chats::agent_messages(&server, &json!(chat_id)).await;
    assert_eq!(
        agent_messages().await,
        [PLAN, "Checked: notes.txt has 4 words."]
    );

    // The plan came from the first call alone; the work, the answer and its check after.
    let requests = seen.lock().unwrap().clone();
    let opening = requests[0]["messages"][1]["content"].as_str().unwrap();
    assert!(opening.contains("Before any work"), "{opening}");
    let choices: Vec<&Value> = requests.iter().map(|r| &r["tool_choice"]).collect();
    let forced = json!({"type": "function", "function": {"name": "answer"}});
    assert_eq!(choices, [&forced, &json!("auto"), &json!("auto"), &forced]);
    assert!(
        requests.iter().all(|r| r["tools"] == requests[0]["tools"]),
        "the tools changed between calls"
    );
    let reviews = requests
        .iter()
        .filter(|r| {
            let last = r["messages"].as_array().unwrap().last().unwrap();
            last["content"]
                .as_str()
                .is_some_and(|c| c.starts_with("Before this goes to sam"))
        })
        .count();
    assert_eq!(reviews, 1, "one review, on the last call");
    let book = TaskBook::open(workspace.path());
    let task = book.task(TaskSource::Chat(ChatId(chat_id))).unwrap();
    assert_eq!(
        (task.state, task.turns, task.tool_calls),
        (TaskState::Delivered, 2, 1)
    );
    assert!(
        task.work
            .iter()
            .any(|w| w.starts_with("checked its answer")),
        "{:?}",
        task.work
    );
    server.stop().await;
}

#[tokio::test]
async fn a_repeated_call_is_not_run_again_and_a_done_no_command_backs_is_sent_as_failed() {
    // The model runs a failing command, then asks for the very same call: it is not run
    // again, the model is told to answer, and its `done` (nothing it ran succeeded) goes to
    // the person as failed, with a note saying so.
    let (server, agent, _seen, workspace, chat_id) = chat_until(
        "Product",
        "Multiply six by seven with a command, please.",
        None,
        2,
    )
    .await;
    let agent_messages = async || llm_chats::agent_messages(&server, &json!(chat_id)).await;
    let answers = agent_messages().await;
    assert_eq!(
        answers[1],
        format!("It is 42.\n\n{}", agent::task_turn::UNBACKED_NOTE)
    );
    let book = TaskBook::open(workspace.path());
    let task = book.task(TaskSource::Chat(ChatId(chat_id))).unwrap();
    assert_eq!((task.state, task.tool_calls), (TaskState::Failed, 1));
    assert!(
        task.work
            .iter()
            .any(|w| w.starts_with("called a tool again")),
        "{:?}",
        task.work
    );
    let calls = server
        .get(&format!("/agents/{}/tool-calls", agent.id))
        .await;
    assert_eq!(calls["calls"].as_array().unwrap().len(), 1, "{calls}");
    server.stop().await;
}

#[tokio::test]
async fn a_task_whose_model_calls_keep_failing_is_settled_as_failed_saying_why() {
    // The model never answers this task in time: after the turns allowed in a row, the task
    // is failed and the person is told why, instead of it being tried again and again.
    let (server, _agent, seen, workspace, chat_id) =
        chat_until("Slow", "Wait for me forever, please.", None, 1).await;
    let agent_messages = async || llm_chats::agent_messages(&server, &json!(chat_id)).await;
    let code = "timeout";
    assert_eq!(
        agent_messages().await,
        [agent::llm_brain::gave_up_answer(code)]
    );
    let book = TaskBook::open(workspace.path());
    let task = book.task(TaskSource::Chat(ChatId(chat_id))).unwrap();
    let tries = agent::llm_brain::TASK_FAILED_TURNS_MAX;
    assert_eq!((task.state, task.model_calls), (TaskState::Failed, tries));
    assert_eq!(seen.lock().unwrap().len(), tries as usize);
    server.stop().await;
}
