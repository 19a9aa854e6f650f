//! Egress on a second node: the launcher's setup makes the egress network on both engines and
//! gives an agent placed on sparky2 sparky2's own proxy address; the proxy that node's
//! `village-node` serves there (the same code, key file and port, on that engine's network)
//! carries the agent's fetch to the outside, and counts it.

use runtime::backend::ContainerBackend;
use runtime::egress::metrics::EgressMetrics;
use runtime::launcher::egress_setup::{EgressSection, serve_local_proxy, start_egress};
use runtime::spec::container_name;
use tokio_util::sync::CancellationToken;

use crate::engine::TestNetwork;
use crate::outside::{DESTINATION_PORT, FirewallRules, Outside, place_egress_agent};
use crate::second_engine::TwoEngines;

/// A port free on this host now (both proxies listen on it, on their own gateways).
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    probe.local_addr().unwrap().port()
}

// Two workers: the proxies serve while the test waits on `docker exec`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_on_the_second_node_goes_out_through_that_node_s_proxy() {
    // The route names each node's gateway; the agent on sparky2 gets sparky2's, fetches the
    // outside server through it, and sparky2's proxy counts the request.
    let Some(TwoEngines {
        node2,
        sparky1,
        sparky2,
        second,
        image,
        ..
    }) = TwoEngines::start("egress2").await
    else {
        return;
    };
    let outside = Outside::start(&image);

    let dir = tempfile::tempdir().unwrap();
    let network = TestNetwork(format!("aivillage-test-egress2-{}", std::process::id()));
    let section = EgressSection {
        enabled: true,
        network: network.0.clone(),
        port: free_port(),
        key_file: dir.path().join("egress.key"),
        ports: vec![DESTINATION_PORT],
        allowed_ranges: vec![format!("{}/32", outside.address)],
        firewall: true,
    };
    let stop = CancellationToken::new();
    let route = start_egress(
        &section,
        &[sparky1.clone(), sparky2.clone()],
        EgressMetrics::default(),
        stop.clone(),
    )
    .await
    .unwrap()
    .expect("egress is on");
    let one = sparky1.ensure_internal_network(&network.0).await.unwrap();
    let two = sparky2.ensure_internal_network(&network.0).await.unwrap();
    let (_rules_one, _rules_two) = (FirewallRules(one.bridge), FirewallRules(two.bridge));
    assert_ne!(one.gateway, two.gateway);
    assert_eq!(
        route.proxies[&node2],
        format!("{}:{}", two.gateway, section.port)
    );

    // What sparky2's village-node does at its start.
    let counted = EgressMetrics::default();
    let local = serve_local_proxy(&section, &sparky2, counted.clone(), stop.clone())
        .await
        .unwrap();
    assert_eq!(local.listen, route.proxies[&node2]);
    assert_eq!(local.key, route.key, "one key file, one key");

    // Only sparky2 to place on: the agent must land there.
    let (agent, _clean) = place_egress_agent(&sparky2, image, &route).await;

    let script = format!("timeout 10 wget -q -O- -- '{}'", outside.url());
    let (ok, body) = second.exec(&container_name(agent), &["sh", "-c", &script]);
    assert!(ok, "{body}");
    assert_eq!(body.trim(), "outside-server");
    let mut text = String::new();
    let mut registry = prometheus_client::registry::Registry::default();
    counted.register(&mut registry);
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    assert!(
        text.contains(r#"village_egress_requests_total{method="GET",outcome="allowed"} 1"#),
        "{text}"
    );
    stop.cancel();
    second.cli(&["rm", "-f", &container_name(agent)]);
    second.cli(&["network", "rm", &network.0]);
}
