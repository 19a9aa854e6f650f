//! Egress tiers on the real engine: with a route, an egress agent's container is made on the
//! route's internal network, labelled, with its own proxy URL; when its tier loses egress the
//! next pass replaces it with a container that has no network at all; an agent without egress
//! never joins the network.

use std::process::Command;
use std::time::Instant;

use runtime::backend::ContainerBackend;
use runtime::egress::{EgressRoute, ProxyKey};
use runtime::plan::{Action, Removal, Want};
use runtime::reconcile::Reconciler;
use runtime::spec::{LABEL_EGRESS, container_name};

use crate::engine::{
    CAPACITY, CleanUp, SEEDLING, TestNetwork, busybox_recipe, container_env, desired, engine,
    fresh_agent, fresh_node, launch,
};

#[tokio::test]
async fn an_egress_tier_joins_the_route_network_and_leaves_it_when_the_tier_changes() {
    // Placed with egress: the route's network, the egress label, the agent's own proxy URL;
    // the same pass leaves an agent without egress on no network. Egress lost: removed and
    // placed again with no network, no label, no proxy.
    let node = fresh_node("egress");
    let Some(backend) = engine(&node).await else {
        return;
    };
    let network = TestNetwork(format!("aivillage-test-egress-{}", std::process::id()));
    let created = Command::new("docker")
        .args(["network", "create", "--internal", &network.0])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let image = backend.ensure_image(&busybox_recipe()).await.unwrap();
    let key = ProxyKey::new(vec![5; 32]).unwrap();
    let mut launch = launch(image);
    launch.egress = Some(EgressRoute {
        network: network.0.clone(),
        proxies: [(node.clone(), "10.0.0.1:3128".to_string())].into(),
        key: key.clone(),
    });
    let mut reconciler = Reconciler::new(vec![(backend.clone(), CAPACITY)], launch);
    let (out, home) = (fresh_agent(), fresh_agent());
    let _clean = CleanUp(vec![out, home]);
    let mut going_out = desired(out, Want::Running, SEEDLING);
    going_out.egress = true;
    let staying = desired(home, Want::Running, SEEDLING);

    let report = reconciler
        .pass(&[going_out.clone(), staying.clone()], Instant::now())
        .await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let found = backend
        .inspect(&container_name(out))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.network_mode, network.0);
    assert_eq!(found.info.labels[LABEL_EGRESS], "true");
    let url = key.proxy_url(out, "10.0.0.1:3128");
    assert!(
        container_env(out).contains(&format!("HTTPS_PROXY={url}")),
        "{}",
        container_env(out)
    );
    let stays = backend
        .inspect(&container_name(home))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stays.network_mode, "none");
    assert_eq!(stays.info.labels[LABEL_EGRESS], "false");
    assert!(
        !container_env(home).contains("PROXY"),
        "{}",
        container_env(home)
    );

    going_out.egress = false;
    let report = reconciler.pass(&[going_out, staying], Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(
        report.done.iter().any(|a| matches!(
            a,
            Action::Remove {
                why: Removal::EgressChanged,
                ..
            }
        )),
        "{:?}",
        report.done
    );
    let replaced = backend
        .inspect(&container_name(out))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replaced.network_mode, "none");
    assert_eq!(replaced.info.labels[LABEL_EGRESS], "false");
    assert!(
        !container_env(out).contains("PROXY"),
        "{}",
        container_env(out)
    );
}
