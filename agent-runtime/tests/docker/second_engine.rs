//! A second Docker engine on its own socket, standing in for sparky2: its own data and exec
//! roots in a temporary folder, no bridge or iptables (agents run with no network), and
//! `live-restore`, so its containers keep running while the engine is stopped — a node that
//! stops answering, not one whose agents died.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use runtime::backend::ContainerBackend;
use runtime::backend::docker::DockerBackend;

use crate::engine::{CALL_TIMEOUT, busybox_recipe, engine, fresh_node};

/// How long the engine may take to answer after it is started.
const START_WAIT: Duration = Duration::from_secs(60);

/// The machine's engine as sparky1 and a second one as sparky2, each with the busybox test
/// image built by itself (no registry between them).
pub struct TwoEngines {
    pub node1: String,
    pub node2: String,
    pub sparky1: DockerBackend,
    pub sparky2: DockerBackend,
    /// The second engine itself, to stop, restart or ask.
    pub second: SecondEngine,
    /// The test image's tag, the same on both.
    pub image: String,
}

impl TwoEngines {
    /// Both engines, their nodes named after `test`; None where either cannot run (said, or
    /// a failure under `CI`).
    pub async fn start(test: &str) -> Option<TwoEngines> {
        let (node1, node2) = (
            fresh_node(&format!("{test}-a")),
            fresh_node(&format!("{test}-b")),
        );
        let sparky1 = engine(&node1).await?;
        let mut second = SecondEngine::start().await?;
        let sparky2 = second.backend(&node2).await;
        let recipe = busybox_recipe();
        let image = sparky1.ensure_image(&recipe).await.unwrap();
        assert_eq!(sparky2.ensure_image(&recipe).await.unwrap(), image);
        Some(TwoEngines {
            node1,
            node2,
            sparky1,
            sparky2,
            second,
            image,
        })
    }
}

pub struct SecondEngine {
    /// Short on purpose: containerd's sockets live under it and unix socket paths are short.
    root: PathBuf,
    daemon: Option<Child>,
    /// Told once the running daemon logs that its API listens.
    ready: Option<mpsc::Receiver<()>>,
    /// More options for dockerd (another listener and its TLS files).
    extra: Vec<String>,
    /// The log line's text that says the engine is ready.
    ready_line: String,
}

impl SecondEngine {
    /// Starts the engine, or None (with the reason printed) where that cannot be done; under
    /// `CI` that fails instead.
    pub async fn start() -> Option<SecondEngine> {
        SecondEngine::start_with(Vec::new(), "API listen on").await
    }

    /// [`start`](Self::start) with more dockerd options, ready once it logs `ready_line`.
    pub async fn start_with(extra: Vec<String>, ready_line: &str) -> Option<SecondEngine> {
        SecondEngine::start_configured(r#"{"live-restore": true}"#, extra, ready_line).await
    }

    /// [`start_with`](Self::start_with) with `daemon_json` as the engine's configuration.
    pub async fn start_configured(
        daemon_json: &str,
        extra: Vec<String>,
        ready_line: &str,
    ) -> Option<SecondEngine> {
        let missing = if Command::new("dockerd").arg("--version").output().is_err() {
            Some("no dockerd binary".to_string())
        } else if !nix_is_root() {
            Some("starting a Docker engine needs root".to_string())
        } else {
            None
        };
        if let Some(reason) = missing {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs the two-engine tests: {reason}"
            );
            eprintln!("SKIPPED: {reason}");
            return None;
        }
        let root = PathBuf::from(format!("/tmp/s2-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("daemon.json"), daemon_json).unwrap();
        let mut engine = SecondEngine {
            root,
            daemon: None,
            ready: None,
            extra,
            ready_line: ready_line.to_string(),
        };
        engine.run_daemon();
        Some(engine)
    }

    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    fn socket(&self) -> PathBuf {
        self.root.join("d.sock")
    }

    /// Starts dockerd; its log goes to `dockerd.log` and a thread watches it for the line
    /// that says the API listens.
    fn run_daemon(&mut self) {
        let root = &self.root;
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.join("dockerd.log"))
            .unwrap();
        let mut child = Command::new("dockerd")
            .arg("-H")
            .arg(format!("unix://{}", self.socket().display()))
            .arg("--data-root")
            .arg(root.join("data"))
            .arg("--exec-root")
            .arg(root.join("x"))
            .arg("--pidfile")
            .arg(root.join("d.pid"))
            .args(["--bridge=none", "--iptables=false", "--ip-masq=false"])
            .args(["--ip6tables=false", "--storage-driver", "vfs"])
            .arg("--cgroup-parent")
            .arg(format!("/sparky2-{}", std::process::id()))
            .arg("--config-file")
            .arg(root.join("daemon.json"))
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dockerd starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let ready_line = self.ready_line.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = writeln!(log, "{line}");
                if line.contains(&ready_line) {
                    let _ = tx.send(());
                }
            }
        });
        self.daemon = Some(child);
        self.ready = Some(rx);
    }

    /// Waits (bounded) until the running daemon's API listens.
    pub async fn wait_ready(&mut self) {
        let Some(ready) = self.ready.take() else {
            return;
        };
        let log = self.root.join("dockerd.log");
        tokio::task::spawn_blocking(move || ready.recv_timeout(START_WAIT))
            .await
            .unwrap()
            .unwrap_or_else(|_| {
                panic!(
                    "the second engine did not listen within {START_WAIT:?}; log: {}",
                    log.display()
                )
            });
    }

    /// Connects as node `node` once the engine's API listens.
    pub async fn backend(&mut self, node: &str) -> DockerBackend {
        self.wait_ready().await;
        DockerBackend::connect(node, &self.endpoint(), CALL_TIMEOUT)
            .await
            .expect("the second engine answers")
    }

    /// Stops the engine (its containers keep running: live-restore) and waits for it to end.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    /// Starts the engine again on the same folders.
    pub fn restart(&mut self) {
        self.stop();
        self.run_daemon();
    }

    /// Runs busybox `command` in `container` on this engine: whether it succeeded, and its
    /// output.
    pub fn exec(&self, container: &str, command: &[&str]) -> (bool, String) {
        crate::engine::exec_with(&["-H", &self.endpoint()], container, command)
    }

    /// Runs the docker CLI against this engine.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new("docker")
            .args(["-H", &self.endpoint()])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for SecondEngine {
    fn drop(&mut self) {
        if self.daemon.is_some() {
            let _ = Command::new("docker")
                .args(["-H", &self.endpoint(), "rm", "-f"])
                .args(self.cli(&["ps", "-aq"]).split_whitespace())
                .output();
        }
        self.stop();
        // With live-restore the engine leaves its containerd running: end everything that
        // runs from this engine's folders.
        let _ = Command::new("pkill")
            .args(["-f", &self.root.display().to_string()])
            .status();
        // A stopped engine can leave mounts under its data root.
        if let Ok(mounts) = std::fs::read_to_string("/proc/mounts") {
            let root = self.root.display().to_string();
            for target in mounts
                .lines()
                .filter_map(|line| line.split_whitespace().nth(1))
                .filter(|target| target.starts_with(&root))
            {
                let _ = Command::new("umount").args(["-l", target]).status();
            }
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}
