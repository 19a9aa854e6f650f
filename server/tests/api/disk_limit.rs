//! The disk limit (ADR 0013): a runtime report whose disk is over the agent's tier pauses the
//! agent with the figures as the hold's reason, audited; an agent already held is left as an
//! admin set it; a count cut short is over any limit; reports without a disk change nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;

use crate::helpers::{TestApp, assert_error, spawn_app};

const MIB: u64 = 1 << 20;
/// `disk_mib` of the first tier in `tests/support/roomy_tiers.toml`.
const SEEDLING_DISK_MIB: u64 = 1024;

fn report(agent: AgentId, disk: Option<(u64, bool)>) -> Value {
    let mut report = json!({"agent": agent.0, "node": "sparky1", "state": "running",
        "restarts": 0, "exit_code": null, "oom_killed": false, "memory_bytes": 1048576,
        "cpu_millicores": null});
    if let Some((bytes, complete)) = disk {
        report["disk"] = json!({"bytes": bytes, "entries": 1234, "complete": complete});
    }
    report
}

/// Sends one batch as the runtime; the agents it paused.
async fn send(app: &TestApp, runtime: &str, reports: Vec<Value>) -> Value {
    let batch = json!({ "reports": reports });
    let taken = app
        .post_json_as(Some(runtime), "/runtime/reports", &batch)
        .await;
    assert_eq!(
        taken["accepted"],
        batch["reports"].as_array().unwrap().len()
    );
    taken["paused"].clone()
}

async fn control(app: &TestApp, agent: AgentId) -> Value {
    app.get_json(&format!("/admin/agents/{agent}/control"))
        .await
}

#[tokio::test]
async fn an_agent_over_its_disk_is_paused_with_the_figures_and_audited() {
    let app = spawn_app().await;
    let (_, runtime) = app.account("launcher", "runtime").await;
    let ada = app.create_agent("Ada", None).await;
    let bo = app.create_agent("Bo", None).await;
    let limit = SEEDLING_DISK_MIB * MIB;

    // At the limit, and a report from a runtime that does not measure: nothing happens.
    let paused = send(
        &app,
        &runtime,
        vec![report(ada, Some((limit, true))), report(bo, None)],
    )
    .await;
    assert_eq!(paused, json!([]));
    assert_eq!(control(&app, ada).await["hold"], Value::Null);
    let perception = format!("/agents/{ada}/perception");
    let token = app.agent_token(ada);
    // She perceives her measured disk beside her tier's limit.
    let seen = app.door_get_as(Some(&token), &perception).await;
    assert_eq!(seen.status(), StatusCode::OK);
    let seen: Value = seen.json().await.unwrap();
    assert_eq!(seen["disk"]["bytes"], limit, "{seen}");
    assert_eq!(
        seen["economy"]["entitlements"]["disk_mib"],
        SEEDLING_DISK_MIB
    );

    // One byte over: paused, the figures in the reason, no admin named, the container wanted
    // paused, the token refused, the measurement shown with the report.
    let paused = send(&app, &runtime, vec![report(ada, Some((limit + 1, true)))]).await;
    assert_eq!(paused, json!([ada.0]));
    let view = control(&app, ada).await;
    assert_eq!(view["hold"], "pause", "{view}");
    assert_eq!(view["container"], "paused");
    assert_eq!(view["updated_by"], Value::Null);
    let reason = view["reason"].as_str().unwrap();
    assert!(reason.contains("1025 MiB used"), "{reason}");
    assert!(reason.contains("1024 MiB of tier seedling"), "{reason}");
    assert_eq!(
        view["container_report"]["report"]["disk"]["bytes"],
        limit + 1
    );
    let refused = app.door_get_as(Some(&token), &perception).await;
    assert_error(refused, StatusCode::LOCKED, "agent_held").await;
    let audit = app
        .get_json("/admin/audit?action=disk_limit.agent_pause")
        .await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["target"], format!("agent:{ada}"));
    assert_eq!(entries[0]["actor_role"], "runtime");

    // Reported again while paused: left as it is, no second entry.
    let paused = send(&app, &runtime, vec![report(ada, Some((limit * 2, true)))]).await;
    assert_eq!(paused, json!([]));
    let audit = app
        .get_json("/admin/audit?action=disk_limit.agent_pause")
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1);

    // An admin resumes her without anyone freeing the disk: the next report pauses her again.
    let resume = json!({"action": "resume", "reason": "let us see"});
    let resumed = app
        .post(&format!("/admin/agents/{ada}/control"), &resume)
        .await;
    assert_eq!(resumed.status(), StatusCode::OK);
    assert_eq!(control(&app, ada).await["hold"], Value::Null);
    let paused = send(&app, &runtime, vec![report(ada, Some((limit + MIB, true)))]).await;
    assert_eq!(paused, json!([ada.0]));
    app.stop().await;
}

#[tokio::test]
async fn a_count_cut_short_pauses_and_an_admins_hold_is_never_replaced() {
    let app = spawn_app().await;
    let (_, runtime) = app.account("launcher", "runtime").await;
    let cy = app.create_agent("Cy", None).await;
    let di = app.create_agent("Di", None).await;

    // A handful of MiB but more files than the runtime could walk: over.
    let paused = send(&app, &runtime, vec![report(cy, Some((3 * MIB, false)))]).await;
    assert_eq!(paused, json!([cy.0]));
    let reason = control(&app, cy).await["reason"].clone();
    assert!(
        reason
            .as_str()
            .unwrap()
            .contains("more files than the runtime can count"),
        "{reason}"
    );

    // Di is stopped by an admin, then found over: still stopped, the admin's reason kept.
    let stop = json!({"action": "stop", "reason": "looking into it"});
    let stopped = app
        .post(&format!("/admin/agents/{di}/control"), &stop)
        .await;
    assert_eq!(stopped.status(), StatusCode::OK);
    let over = Some((SEEDLING_DISK_MIB * MIB * 3, true));
    let paused = send(&app, &runtime, vec![report(di, over)]).await;
    assert_eq!(paused, json!([]));
    let view = control(&app, di).await;
    assert_eq!(view["hold"], "stop");
    assert_eq!(view["reason"], "looking into it");
    app.stop().await;
}
