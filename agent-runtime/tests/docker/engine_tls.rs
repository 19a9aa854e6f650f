//! A node's engine over mutual TLS: a second engine listening on `tcp://127.0.0.1` with
//! `--tlsverify` and a certificate from the test's own CA answers the launcher that shows its
//! client certificate from that CA, even one that started while the engine was away; the same
//! port refuses a client without TLS, and one whose certificate another CA signed.

use std::path::{Path, PathBuf};
use std::process::Command;

use runtime::backend::docker::DockerBackend;
use runtime::backend::{BackendError, ContainerBackend, EngineTls};

use crate::engine::{CALL_TIMEOUT, fresh_node};
use crate::second_engine::SecondEngine;

/// Runs openssl in `dir`; fails the test with its message.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA named `name` in `dir`: `{name}.pem` and `{name}-key.pem`.
fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}-key.pem"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

/// A certificate `{name}-cert.pem` (key `{name}-key.pem`) signed by CA `ca`, with the
/// extensions in `extensions` (one per line).
fn make_cert(dir: &Path, ca: &str, name: &str, extensions: &str) {
    std::fs::write(dir.join(format!("{name}.ext")), extensions).unwrap();
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}-key.pem"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-days",
            "1",
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}-key.pem"),
            "-CAcreateserial",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}-cert.pem"),
        ],
    );
}

fn tls(dir: &Path, ca: &str, client: &str) -> EngineTls {
    let file = |name: String| -> PathBuf { dir.join(name) };
    EngineTls {
        ca: file(format!("{ca}.pem")),
        cert: file(format!("{client}-cert.pem")),
        key: file(format!("{client}-key.pem")),
    }
}

#[tokio::test]
async fn the_launcher_reaches_an_engine_over_mutual_tls_once_it_answers_and_nothing_else_does() {
    // With the village CA's client certificate the engine answers (version negotiated, a
    // listing), also to a backend made before it started; without TLS, or with another CA's
    // certificate, the connection is refused.
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path();
    make_ca(certs, "village-ca");
    make_cert(
        certs,
        "village-ca",
        "engine",
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    );
    make_cert(
        certs,
        "village-ca",
        "launcher",
        "extendedKeyUsage=clientAuth\n",
    );
    make_ca(certs, "other-ca");
    make_cert(
        certs,
        "other-ca",
        "stranger",
        "extendedKeyUsage=clientAuth\n",
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let path = |name: &str| certs.join(name).display().to_string();
    let extra = vec![
        "-H".to_string(),
        format!("tcp://{listen}"),
        "--tlsverify".into(),
        "--tlscacert".into(),
        path("village-ca.pem"),
        "--tlscert".into(),
        path("engine-cert.pem"),
        "--tlskey".into(),
        path("engine-key.pem"),
    ];
    let node = fresh_node("tls");
    let endpoint = format!("tcp://{listen}");
    let trusted = tls(certs, "village-ca", "launcher");
    // A launcher starting while the engine is away still gets its backend; the node counts
    // as unreachable until the engine answers.
    let early = DockerBackend::connect_or_defer(&node, &endpoint, Some(&trusted), CALL_TIMEOUT)
        .await
        .expect("a node away at start does not stop the launcher");
    let away = early.list().await;
    assert!(
        matches!(away, Err(BackendError::Unreachable { .. })),
        "{away:?}"
    );

    let Some(mut second) =
        SecondEngine::start_with(extra, &format!("API listen on {listen}")).await
    else {
        return;
    };
    second.wait_ready().await;
    assert!(
        early.list().await.unwrap().is_empty(),
        "the engine answers once it is up"
    );

    let engine = DockerBackend::connect_with(&node, &endpoint, Some(&trusted), CALL_TIMEOUT)
        .await
        .expect("the engine answers the village's client certificate");
    engine.ping().await.unwrap();
    assert!(engine.list().await.unwrap().is_empty());

    let plain = DockerBackend::connect(&node, &endpoint, CALL_TIMEOUT).await;
    assert!(
        matches!(plain, Err(BackendError::Unreachable { .. })),
        "{plain:?}"
    );
    let stranger = tls(certs, "village-ca", "stranger");
    let refused =
        DockerBackend::connect_with(&node, &endpoint, Some(&stranger), CALL_TIMEOUT).await;
    assert!(
        matches!(refused, Err(BackendError::Unreachable { .. })),
        "{refused:?}"
    );
    let unix =
        DockerBackend::connect_with(&node, &second.endpoint(), Some(&trusted), CALL_TIMEOUT).await;
    assert!(
        matches!(&unix, Err(error) if error.to_string().contains("TLS needs tcp://")),
        "{unix:?}"
    );
}
