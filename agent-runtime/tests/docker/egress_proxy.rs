//! Egress end to end on the real engine: the launcher's egress setup makes the internal
//! network and runs the proxy on its gateway; an egress-tier container placed by the reconciler
//! reaches a destination only through the proxy with its own credential (the fetch tool's very
//! command), not by itself, and is refused without the credential.

use std::process::Command;
use std::time::Instant;

use runtime::backend::ContainerBackend;
use runtime::launcher::egress_setup::{EgressSection, start_egress};
use runtime::plan::Want;
use runtime::reconcile::Reconciler;
use runtime::spec::container_name;
use tokio_util::sync::CancellationToken;

use crate::engine::{
    CAPACITY, CleanUp, SEEDLING, TestNetwork, busybox_recipe, desired, engine, fresh_agent,
    fresh_node, launch,
};

/// Runs busybox `script` in the agent's container (with the container's environment).
fn exec(agent: shared::AgentId, script: &str) -> (bool, String) {
    let output = Command::new("docker")
        .args([
            "exec",
            &container_name(agent),
            "/bin/busybox",
            "sh",
            "-c",
            script,
        ])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

// Two workers: the proxy serves while the test waits on `docker exec`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_egress_tier_reaches_out_only_through_the_proxy_with_its_own_credential() {
    // Through the proxy with its credential: the destination's answer; not without the proxy;
    // with the proxy but without the credential: refused.
    let node = fresh_node("egress-proxy");
    let Some(backend) = engine(&node).await else {
        return;
    };
    // The destination: on this machine's loopback, which the container cannot reach itself.
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello from outside" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let destination = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let network = TestNetwork(format!("aivillage-test-proxy-{}", std::process::id()));
    let section = EgressSection {
        enabled: true,
        network: network.0.clone(),
        port: 0,
        key_file: dir.path().join("egress.key"),
        ports: vec![destination.port()],
        allowed_ranges: vec!["127.0.0.0/8".into()],
    };
    let stop = CancellationToken::new();
    let route = start_egress(&section, std::slice::from_ref(&backend), stop.clone())
        .await
        .unwrap()
        .expect("egress is on");
    let image = backend.ensure_image(&busybox_recipe()).await.unwrap();
    let mut launch = launch(image);
    launch.egress = Some(route.clone());
    let mut reconciler = Reconciler::new(vec![(backend.clone(), CAPACITY)], launch);
    let agent = fresh_agent();
    let _clean = CleanUp(vec![agent]);
    let mut wanted = desired(agent, Want::Running, SEEDLING);
    wanted.egress = true;
    let report = reconciler.pass(&[wanted], Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);

    // Not by itself: the destination, on this machine's loopback, is out of its reach.
    let gateway = route.proxy_address.split(':').next().unwrap().to_string();
    let direct = format!("http://{gateway}:{}/", destination.port());
    // busybox `timeout` bounds it: a dropped connection would otherwise wait forever.
    let (ok, answer) = exec(
        agent,
        &format!("timeout 5 wget -Y off -q -O- '{direct}' 2>&1"),
    );
    assert!(!ok, "reached without the proxy: {answer}");
    // The fetch tool's command for an image without curl.
    let url = format!("http://{destination}/");
    let (ok, body) = exec(agent, &format!("timeout 10 wget -q -O- -- '{url}'"));
    assert!(ok, "{body}");
    assert_eq!(body, "hello from outside");
    let anonymous = format!("http://{}", route.proxy_address);
    let (ok, refused) = exec(
        agent,
        &format!("http_proxy={anonymous} timeout 10 wget -q -O- '{url}' 2>&1"),
    );
    assert!(!ok, "{refused}");
    assert!(refused.contains("407"), "{refused}");
    stop.cancel();
}
