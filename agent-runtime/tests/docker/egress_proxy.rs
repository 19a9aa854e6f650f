//! Egress end to end on the real engine: the launcher's egress setup makes the internal
//! network and runs the proxy on its gateway; an egress-tier container placed by the reconciler
//! reaches a destination on another network only through the proxy with its own credential
//! (the fetch tool's very command), not by itself, and is refused without the credential; the
//! host's firewall keeps it from every other service on the host.

use std::io::{Read, Write};
use std::process::Command;

use runtime::backend::ContainerBackend;
use runtime::egress::firewall::{guard_gateway, release_gateway};
use runtime::egress::metrics::EgressMetrics;
use runtime::launcher::egress_setup::{EgressSection, start_egress};
use tokio_util::sync::CancellationToken;

use crate::engine::{TestNetwork, busybox_recipe, engine, fresh_node};
use crate::outside::{DESTINATION_PORT, FirewallRules, Outside, place_egress_agent, shell};

// Two workers: the proxy serves while the test waits on `docker exec`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_egress_tier_reaches_out_only_through_the_proxy_with_its_own_credential() {
    // A web server on another network stands for the outside. Through the proxy with its
    // credential: the server's answer; by itself: nothing (the egress network is internal);
    // through the proxy without the credential: refused.
    let node = fresh_node("egress-proxy");
    let Some(backend) = engine(&node).await else {
        return;
    };
    let image = backend.ensure_image(&busybox_recipe()).await.unwrap();
    let outside = Outside::start(&image);
    let address = outside.address.clone();

    let dir = tempfile::tempdir().unwrap();
    let network = TestNetwork(format!("aivillage-test-proxy-{}", std::process::id()));
    let section = EgressSection {
        enabled: true,
        network: network.0.clone(),
        port: 0,
        key_file: dir.path().join("egress.key"),
        ports: vec![DESTINATION_PORT],
        allowed_ranges: vec![format!("{address}/32")],
        firewall: true,
    };
    let stop = CancellationToken::new();
    let route = start_egress(
        &section,
        std::slice::from_ref(&backend),
        EgressMetrics::default(),
        stop.clone(),
    )
    .await
    .unwrap()
    .expect("egress is on");
    let bridge = backend
        .ensure_internal_network(&network.0)
        .await
        .unwrap()
        .bridge;
    let _rules = FirewallRules(bridge.clone());
    // Internal: the engine forwards nothing from it to any other network or the internet.
    let internal = Command::new("docker")
        .args([
            "network",
            "inspect",
            "--format",
            "{{.Internal}}",
            &network.0,
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&internal.stdout).trim(), "true");
    let (agent, _clean) = place_egress_agent(&backend, image, &route).await;

    // The fetch tool's command for an image without curl (busybox `timeout` bounds each try).
    let url = outside.url();
    let (ok, body) = shell(agent, &format!("timeout 10 wget -q -O- -- '{url}'"));
    assert!(ok, "{body}");
    assert_eq!(body.trim(), "outside-server");
    let (ok, direct) = shell(agent, &format!("timeout 5 wget -Y off -q -O- '{url}' 2>&1"));
    assert!(!ok, "reached the other network without the proxy: {direct}");
    let anonymous = format!("http://{}", route.proxies[&node]);
    let (ok, refused) = shell(
        agent,
        &format!("http_proxy={anonymous} timeout 10 wget -q -O- '{url}' 2>&1"),
    );
    assert!(!ok, "{refused}");
    assert!(refused.contains("407"), "{refused}");

    // The host is closed to the egress network but for the proxy: a service this host runs on
    // the gateway's address answers the test, not the container.
    let gateway = route.proxies[&node].rsplit_once(':').unwrap().0.to_string();
    let host_service = std::net::TcpListener::bind(format!("{gateway}:0")).unwrap();
    let service = host_service.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in host_service.incoming().map_while(Result::ok) {
            // Read the request first: closing with it unread would reset the connection.
            let _ = stream.read(&mut [0u8; 1024]);
            let _ = stream.write_all(b"HTTP/1.0 200 OK\r\n\r\nhost-service");
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    });
    let mut answer = String::new();
    let mut probe = std::net::TcpStream::connect(service).unwrap();
    probe.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    probe.read_to_string(&mut answer).unwrap();
    assert!(answer.ends_with("host-service"), "{answer}");
    let reach_host = || {
        shell(
            agent,
            &format!("timeout 5 wget -Y off -q -O- 'http://{service}/' 2>&1"),
        )
    };
    let (ok, reached) = reach_host();
    assert!(!ok, "the container reached a host service: {reached}");
    assert!(!reached.contains("host-service"), "{reached}");
    // The control: without the rules the same request gets through; with them again, not.
    let rules_of = |tool: &str| {
        let listed = Command::new(tool).args(["-S", "INPUT"]).output().unwrap();
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .filter(|line| line.contains(&bridge))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(rules_of("iptables").len(), 2, "{:?}", rules_of("iptables"));
    // Over IPv6 (the bridge's link-local addresses) everything is dropped.
    assert!(
        rules_of("ip6tables")
            .iter()
            .any(|rule| rule.contains("-j DROP")),
        "{:?}",
        rules_of("ip6tables")
    );
    release_gateway(&bridge).unwrap();
    assert!(rules_of("iptables").is_empty() && rules_of("ip6tables").is_empty());
    let (_, reached) = reach_host();
    assert!(reached.contains("host-service"), "{reached}");
    let proxy_port = route.proxies[&node]
        .rsplit_once(':')
        .unwrap()
        .1
        .parse()
        .unwrap();
    guard_gateway(&bridge, &gateway, proxy_port).unwrap();
    let (ok, reached) = reach_host();
    assert!(!ok, "the container reached a host service: {reached}");
    stop.cancel();
}
