//! The launcher's agent image on the real engine: on an empty base it carries busybox as its
//! shell; on a root filesystem archive it keeps the base's files, adds the agent, and the agent
//! runs on the base's own libraries. A base without a library the agent loads is refused
//! before any build.

use std::path::Path;
use std::process::Command;

use runtime::backend::ContainerBackend;
use runtime::image_base::ImageBase;
use runtime::launcher::agent_image::{AgentImageError, agent_recipe};

use crate::engine::{BUSYBOX, engine, fresh_node};

/// Runs `script` with the image's `/bin/sh`, no network; its stdout and exit status.
fn run_shell(image: &str, script: &str) -> (bool, String) {
    let output = Command::new("docker")
        .args([
            "run",
            "--rm",
            "--network",
            "none",
            image,
            "/bin/sh",
            "-c",
            script,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("Unable to find image"), "{stderr}");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn remove_image(image: &str) {
    let _ = Command::new("docker").args(["rmi", "-f", image]).output();
}

/// The libraries `ldd` lists for the agent binary, as absolute paths.
fn agent_libraries() -> Vec<String> {
    let output = Command::new("ldd")
        .arg(crate::village_server::agent_binary())
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let path = line
                .split_once("=>")
                .map_or(line, |(_, right)| right)
                .trim();
            let path = path.split_whitespace().next()?;
            path.starts_with('/').then(|| path.to_string())
        })
        .collect()
}

/// A base archive: busybox as its shell, a marker file, and the given host files at their
/// own paths.
fn base_archive(dir: &Path, host_files: &[String]) -> std::path::PathBuf {
    let path = dir.join("base.tar");
    let mut tar = tar::Builder::new(std::fs::File::create(&path).unwrap());
    let mut add = |inside: &str, contents: &[u8], mode: u32| {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        tar.append_data(&mut header, inside, contents).unwrap();
    };
    let busybox = std::fs::read(BUSYBOX).unwrap();
    add("bin/sh", &busybox, 0o755);
    add("etc/base-marker", b"from the base archive\n", 0o644);
    for file in host_files {
        // `/lib/x86_64-linux-gnu/...` is a link into /usr on this machine: read through it.
        let contents = std::fs::read(file).unwrap();
        add(file.trim_start_matches('/'), &contents, 0o755);
    }
    tar.finish().unwrap();
    path
}

#[tokio::test]
async fn on_an_empty_base_the_image_has_busybox_as_its_shell() {
    // The shell tool's `/bin/sh` is there and its applets run without links.
    let Some(backend) = engine(&fresh_node("images")).await else {
        return;
    };
    let recipe = agent_recipe(
        "aivillage-agent-test-empty",
        &crate::village_server::agent_binary(),
        None,
    )
    .unwrap();
    let image = backend.ensure_image(&recipe).await.unwrap();
    let (ok, out) = run_shell(&image, "uname -s; ls /usr/local/bin");
    remove_image(&image);
    assert!(ok, "{out}");
    assert_eq!(out, "Linux\nvillage-agent\n");
}

#[tokio::test]
async fn on_a_base_archive_the_agent_runs_on_the_bases_own_libraries() {
    // The image keeps the base's files and adds only the agent, which starts (and, with no
    // settings, exits 78) on the base's libraries; the tag follows the base's bytes.
    let Some(backend) = engine(&fresh_node("images")).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let base = ImageBase::open(&base_archive(dir.path(), &agent_libraries())).unwrap();
    let recipe = agent_recipe(
        "aivillage-agent-test-base",
        &crate::village_server::agent_binary(),
        Some(base),
    )
    .unwrap();
    assert_eq!(recipe.files.len(), 1, "only the agent goes on a base");
    let image = backend.ensure_image(&recipe).await.unwrap();
    let (ok, out) = run_shell(
        &image,
        "cat /etc/base-marker; ls /usr/local/bin; /usr/local/bin/village-agent 2>/dev/null; echo \"exit $?\"",
    );
    remove_image(&image);
    assert!(ok, "{out}");
    assert_eq!(out, "from the base archive\nvillage-agent\nexit 78\n");
    let plain = agent_recipe(
        "aivillage-agent-test-base",
        &crate::village_server::agent_binary(),
        None,
    )
    .unwrap();
    assert_ne!(plain.tag(), recipe.tag());
}

#[test]
fn a_base_without_the_agents_libraries_is_refused() {
    // The launcher names the base and the library it lacks, before building anything.
    let libraries = agent_libraries();
    if libraries.is_empty() {
        return; // A static agent binary loads nothing, so any base serves it.
    }
    let dir = tempfile::tempdir().unwrap();
    let base = ImageBase::open(&base_archive(dir.path(), &[])).unwrap();
    let error = agent_recipe(
        "aivillage-agent-test-base",
        &crate::village_server::agent_binary(),
        Some(base),
    )
    .unwrap_err();
    assert!(
        matches!(error, AgentImageError::BaseLacks { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("base.tar"), "{error}");
}
