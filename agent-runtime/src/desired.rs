//! The server's answer (`GET /runtime/agents`) as the reconcile pass's input: one
//! [`DesiredAgent`] per agent, its container limits from its tier's entitlements.

use shared::runtime::{ContainerWant, RuntimeAgent};

use crate::plan::{DesiredAgent, Want};
use crate::spec::Limits;

/// The desired state of each agent the server lists.
pub fn desired_agents(agents: &[RuntimeAgent]) -> Vec<DesiredAgent> {
    agents
        .iter()
        .map(|agent| DesiredAgent {
            agent: agent.id,
            want: match agent.want {
                ContainerWant::Running => Want::Running,
                ContainerWant::Paused => Want::Paused,
                ContainerWant::Stopped => Want::Stopped,
                ContainerWant::Killed => Want::Killed,
            },
            tier: agent.tier.clone(),
            limits: Limits::from_entitlements(&agent.entitlements),
            brain: agent.brain,
            // The reconciler keeps it only where the runtime has an egress route.
            egress: agent.entitlements.egress,
            // The reconciler sets it from its settings for the tier.
            oci_runtime: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use shared::runtime::RuntimeAgents;
    use shared::tier::GpuShare;
    use shared::{AgentId, AgentStatus};

    use super::*;

    #[test]
    fn the_servers_json_becomes_wants_and_limits() {
        // A document as the server writes it: the want and the tier's container limits carry
        // over, the other entitlements are the server's business.
        let json = r#"{"agents": [{"id": 7, "account_id": 3, "status": "paused",
            "want": "paused", "hold": "pause", "revoked": false, "frozen": false, "tier": "worker",
            "entitlements": {"requests_per_minute": 30, "request_burst": 10,
                "concurrent_tool_runs": 2, "llm_models": ["village-small"],
                "llm_tokens_per_hour": 100000, "cpu_millicores": 1000, "memory_mib": 1024,
                "pids_max": 128, "disk_mib": 4096, "gpu": "shared", "egress": true}}]}"#;
        let answer: RuntimeAgents = serde_json::from_str(json).unwrap();
        assert_eq!(answer.agents[0].status, AgentStatus::Paused);
        let desired = desired_agents(&answer.agents);
        assert_eq!(desired.len(), 1);
        assert_eq!(desired[0].agent, AgentId(7));
        assert_eq!(desired[0].want, Want::Paused);
        assert_eq!(desired[0].tier, "worker");
        assert_eq!(
            desired[0].limits,
            Limits {
                cpu_millicores: 1000,
                memory_mib: 1024,
                pids_max: 128,
                gpu: GpuShare::Shared
            }
        );
    }
}
