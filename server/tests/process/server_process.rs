//! Runs the real `village` binary on 127.0.0.1:0 and learns its address from its JSON logs.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The admin the process tests create with `village admin create`.
pub const ADMIN_USER: &str = "process-admin";
pub const ADMIN_PASSWORD: &str = "process admin password";
/// Request limits out of the tests' way: hundreds of anonymous connections come from
/// 127.0.0.1 (ws_memory), and R1's clients write as fast as they can.
const ROOMY_REQUEST_LIMITS: [(&str, &str); 6] = [
    (
        "VILLAGE__AUTH__ANONYMOUS_REQUESTS_PER_MINUTE_PER_IP",
        "1000000",
    ),
    ("VILLAGE__AUTH__ANONYMOUS_REQUEST_BURST_PER_IP", "100000"),
    ("VILLAGE__AUTH__REQUESTS_PER_MINUTE_PER_ACCOUNT", "1000000"),
    ("VILLAGE__AUTH__REQUEST_BURST_PER_ACCOUNT", "100000"),
    ("VILLAGE__AUTH__WRITES_PER_SECOND_PER_ACCOUNT", "100000"),
    ("VILLAGE__AUTH__WRITE_BURST_PER_ACCOUNT", "100000"),
];

/// Longest a test waits for the server to start or stop.
pub const START_WAIT: Duration = Duration::from_secs(30);

pub fn village() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_village"));
    command.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    command
}

/// Runs `village admin create` on `data_dir` with `password` on standard input; returns
/// whether it succeeded and what it printed (stdout, stderr).
pub fn admin_create(data_dir: &Path, username: &str, password: &str) -> (bool, String, String) {
    admin_create_with(data_dir, username, password, &[])
}

/// [`admin_create`] with more flags (e.g. `--database-url`).
pub fn admin_create_with(
    data_dir: &Path,
    username: &str,
    password: &str,
    extra_args: &[&str],
) -> (bool, String, String) {
    use std::io::Write;
    let mut child = village()
        .args([
            "admin",
            "create",
            "--username",
            username,
            "--password-stdin",
            "--data-dir",
        ])
        .arg(data_dir)
        .args(extra_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{password}").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub struct ServerProcess {
    /// Taken by `wait`.
    child: Option<Child>,
    pid: u32,
    pub addr: SocketAddr,
    /// Log lines after start-up.
    /// Kept open (never read) so the log reader thread keeps draining the pipe.
    _logs: mpsc::Receiver<String>,
}

impl ServerProcess {
    /// Starts `village serve` on `data_dir` and waits for its "serving" log line.
    pub fn start(data_dir: &Path) -> ServerProcess {
        ServerProcess::start_with(data_dir, &[])
    }

    /// [`ServerProcess::start`] with more `serve` flags (e.g. `--database-url`).
    pub fn start_with(data_dir: &Path, extra_args: &[&str]) -> ServerProcess {
        ServerProcess::start_with_env(data_dir, extra_args, &[])
    }

    /// [`ServerProcess::start_with`] with settings from the environment
    /// (`VILLAGE__SECTION__KEY`).
    // The child is waited for by `wait` or on drop.
    #[allow(clippy::zombie_processes)]
    pub fn start_with_env(
        data_dir: &Path,
        extra_args: &[&str],
        env: &[(&str, &str)],
    ) -> ServerProcess {
        let mut child = village()
            .args([
                "--log-format",
                "json",
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(data_dir)
            .args(extra_args)
            .env("RUST_LOG", "info")
            .envs(ROOMY_REQUEST_LIMITS)
            .envs(env.iter().copied())
            // Agents driven by these tests must not meet the seedling tier's request limit.
            .env(
                "VILLAGE__ECONOMY__TIERS_FILE",
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/roomy_tiers.toml"),
            )
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, logs) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            let line = logs
                .recv_timeout(START_WAIT)
                .expect("the server logs that it is serving");
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if entry["message"] == "serving" {
                let addr = entry["addr"].as_str().unwrap().parse().unwrap();
                return ServerProcess {
                    pid: child.id(),
                    child: Some(child),
                    addr,
                    _logs: logs,
                };
            }
        }
    }

    /// Signs in as the admin made by [`admin_create`]; returns the access token.
    pub async fn admin_token(&self) -> String {
        let response = reqwest::Client::new()
            .post(self.url("/auth/login"))
            .json(&serde_json::json!({ "username": ADMIN_USER, "password": ADMIN_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to end (bounded) and returns whether it exited successfully.
    pub fn wait(mut self) -> bool {
        let mut child = self.child.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        rx.recv_timeout(START_WAIT)
            .expect("the server stops in time")
            .unwrap()
            .success()
    }

    /// Resident memory of the server process, in bytes.
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib * 1024
    }

    /// An anonymous GET of `path`, as JSON (it must answer 200).
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = reqwest::get(self.url(path)).await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// A request as `token` (with a JSON body when given): the status and the JSON answer
    /// (`null` when the answer is not JSON).
    pub async fn call_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = reqwest::Client::new()
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
