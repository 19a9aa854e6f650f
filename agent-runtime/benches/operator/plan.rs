//! What the operator benchmark runs: the quick smoke run (`VILLAGE_BENCH_QUICK`) or the full
//! one, with its settings from the environment, and the local model's address. Read once at
//! the start; nothing here runs anything.

use std::time::Duration;

use crate::tasks::{self, TASKS, Task};

/// The LLM agents' names (the model proxy finds an agent's own calls by it).
pub const LLM_NAMES: &[&str] = &[
    "Bench Ada",
    "Bench Bo",
    "Bench Cy",
    "Bench Di",
    "Bench Ed",
    "Bench Fay",
];

/// The run's shape.
pub struct Plan {
    pub quick: bool,
    pub llm_agents: usize,
    pub llm_tasks: Vec<&'static Task>,
    /// Times the LLM agents are given `llm_tasks` (a long run repeats them).
    pub rounds: usize,
    pub scripted_tasks: Vec<&'static Task>,
    pub llm_deadline: Duration,
    pub scripted_deadline: Duration,
    /// Chats the person keeps open at once with the scripted agent (it costs no model).
    pub scripted_parallel: usize,
    pub total: Duration,
}

/// A whole number from the environment, or `default`.
fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    })
}

/// The plan the environment asks for.
pub fn plan() -> Plan {
    let pick = |names: &[&str]| -> Vec<&'static Task> {
        names
            .iter()
            .map(|n| tasks::by_name(n).unwrap_or_else(|| panic!("no task {n}")))
            .collect()
    };
    if std::env::var_os("VILLAGE_BENCH_QUICK").is_some() {
        return Plan {
            quick: true,
            llm_agents: 1,
            llm_tasks: pick(&["kernel"]),
            rounds: 1,
            scripted_tasks: pick(&["kernel", "email_boss"]),
            llm_deadline: Duration::from_secs(150),
            scripted_deadline: Duration::from_secs(40),
            scripted_parallel: 2,
            total: Duration::from_secs(170),
        };
    }
    let chosen = match std::env::var("VILLAGE_BENCH_TASKS") {
        Ok(names) => pick(&names.split(',').map(str::trim).collect::<Vec<_>>()),
        Err(_) => TASKS.iter().collect(),
    };
    let llm_agents = env_number("VILLAGE_BENCH_LLM_AGENTS", 3) as usize;
    assert!(
        (1..=LLM_NAMES.len()).contains(&llm_agents),
        "VILLAGE_BENCH_LLM_AGENTS: 1 to {}",
        LLM_NAMES.len()
    );
    Plan {
        quick: false,
        llm_agents,
        llm_tasks: chosen.clone(),
        rounds: env_number("VILLAGE_BENCH_ROUNDS", 1).max(1) as usize,
        scripted_tasks: chosen,
        llm_deadline: Duration::from_secs(env_number("VILLAGE_BENCH_TASK_S", 480)),
        scripted_deadline: Duration::from_secs(90),
        scripted_parallel: 4,
        total: Duration::from_secs(env_number("VILLAGE_BENCH_TOTAL_S", 3600)),
    }
}

/// The local model's address and name, or `None` (said on stderr); under `CI` a missing one
/// fails, as the real-model tests do.
pub fn local_model() -> Option<(String, Option<String>)> {
    let Ok(url) = std::env::var("VILLAGE_TEST_LLM_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the operator benchmark against the real local model: scripts/test.sh sets VILLAGE_TEST_LLM_URL"
        );
        eprintln!(
            "SKIPPED the LLM agents: no VILLAGE_TEST_LLM_URL (start the local model as this file's header says); only the scripted baseline runs"
        );
        return None;
    };
    Some((url, std::env::var("VILLAGE_TEST_LLM_MODEL").ok()))
}
