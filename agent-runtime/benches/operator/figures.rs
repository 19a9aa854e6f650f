//! The operator benchmark's printed figures: one line per task, then per brain and model the
//! tasks solved and answered, false success claims, times to first answer and to delivery,
//! model calls and tokens per task, aiDollar spent, then the model server's prefix-cache hits
//! and the goals of issue 20 (A1 in docs/PERFORMANCE.md) with their verdicts. It prints what
//! the run measured; it decides nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::model_proxy::ModelCall;
use crate::person::Outcome;
use crate::report::{percentile, verdict};

/// Figures of the run besides the outcomes.
pub struct RunFacts {
    /// Model calls the proxy saw (empty without a model).
    pub calls: Vec<ModelCall>,
    /// Per agent label: the gateway's model name of its latest call.
    pub models: BTreeMap<String, String>,
    /// The upstream model's name (`VILLAGE_TEST_LLM_MODEL`).
    pub upstream_model: String,
    /// Per agent label: micro-aiDollar its balance dropped by.
    pub spent_micros: BTreeMap<String, i64>,
    /// The model server's prefix-cache counters over the run: (computed, cached).
    pub cache: Option<(f64, f64)>,
    /// The gateway's `village_llm_tokens` over the run.
    pub gateway_tokens: Option<f64>,
    pub took: Duration,
}

fn secs(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".into(), |d| format!("{:.1} s", d.as_secs_f64()))
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The answer on one line, at most 200 characters.
fn clip(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let clipped: String = line.chars().take(200).collect();
    if clipped.len() < line.len() {
        format!("{clipped}...")
    } else {
        clipped
    }
}

/// The calls of `key`: (count, prompt, completion, cached).
fn usage_of(calls: &[ModelCall], key: &str) -> (u64, u64, u64, u64) {
    calls
        .iter()
        .filter(|c| c.key == key)
        .fold((0, 0, 0, 0), |t, c| {
            (
                t.0 + 1,
                t.1 + c.prompt_tokens,
                t.2 + c.completion_tokens,
                t.3 + c.cached_tokens,
            )
        })
}

fn median_p90(values: &[u64]) -> String {
    if values.is_empty() {
        return "none".into();
    }
    let s = |ms: u64| ms as f64 / 1000.0;
    format!(
        "median {:.1} s, p90 {:.1} s (n={})",
        s(percentile(values, 50.0)),
        s(percentile(values, 90.0)),
        values.len()
    )
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Prints every figure.
pub fn print(outcomes: &[Outcome], facts: &RunFacts) {
    println!("A1 operator benchmark, per task (times from the chat's opening message):");
    for o in outcomes {
        let a = &o.assignment;
        let (calls, prompt, completion, _) = usage_of(&facts.calls, &a.key);
        let state = o.state.map_or("-", |s| s.as_str());
        println!(
            "  {:<9} {:<20} {:<10} solved {:<3} answered {:<3} false-claim {:<3} asked-first {:<3} first {:>8} delivered {:>8} stop {:<11} state {:<10} calls {calls} prompt {prompt} completion {completion}",
            a.label,
            a.task.name,
            a.task.kind.as_str(),
            yes(o.solved),
            yes(o.answered),
            yes(o.false_claim),
            yes(o.asked_first),
            secs(o.first_answer),
            secs(o.delivered),
            o.stop.as_str(),
            state,
        );
        println!("            answer: {:?}", clip(&o.answer));
        if !o.note.is_empty() {
            println!("            harness note: {}", clip(&o.note));
        }
    }
    let mut groups: BTreeMap<String, Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes {
        let a = &o.assignment;
        let group = match facts.models.get(&a.label) {
            Some(model) => format!("{} / {model} -> {}", a.brain, facts.upstream_model),
            None => a.brain.to_string(),
        };
        groups.entry(group).or_default().push(o);
    }
    println!(
        "A1 per brain and model ({:.0} s in all):",
        facts.took.as_secs_f64()
    );
    for (group, list) in &groups {
        print_group(group, list, facts);
    }
    print_model_server(facts);
    print_prompt_over_time(&facts.calls);
    print_rounds(outcomes);
    print_goals(outcomes, facts);
}

fn print_group(group: &str, list: &[&Outcome], facts: &RunFacts) {
    let n = list.len();
    let count = |f: fn(&Outcome) -> bool| list.iter().filter(|o| f(o)).count();
    let solved = count(|o| o.solved);
    let firsts: Vec<u64> = list
        .iter()
        .filter_map(|o| o.first_answer.map(millis))
        .collect();
    let delivered: Vec<u64> = list
        .iter()
        .filter_map(|o| o.delivered.map(millis))
        .collect();
    let (mut calls, mut prompt, mut completion) = (0, 0, 0);
    for o in list {
        let (c, p, k, _) = usage_of(&facts.calls, &o.assignment.key);
        calls += c;
        prompt += p;
        completion += k;
    }
    let per = |v: u64| v as f64 / n.max(1) as f64;
    let mut labels: Vec<&str> = list.iter().map(|o| o.assignment.label.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    let spent: i64 = labels
        .iter()
        .filter_map(|l| facts.spent_micros.get(*l))
        .sum();
    println!(
        "  {group}: solved {solved}/{n} ({:.0} %), answered {}/{n}, false success claims {}, clarifying question first {}/{} clarify tasks",
        100.0 * solved as f64 / n.max(1) as f64,
        count(|o| o.answered),
        count(|o| o.false_claim),
        count(|o| o.asked_first && o.assignment.task.follow_up.is_some()),
        count(|o| o.assignment.task.follow_up.is_some()),
    );
    println!("    time to first answer: {}", median_p90(&firsts));
    println!("    time to delivery:     {}", median_p90(&delivered));
    println!(
        "    per task: {:.1} model calls, {:.0} prompt tokens, {:.0} completion tokens (the proxy's counts, calls whose prompt quotes the task)",
        per(calls),
        per(prompt),
        per(completion)
    );
    println!(
        "    aiDollar spent: {:.6} aiD ({spent} micro-aiD) by agents {}",
        spent as f64 / 1e6,
        labels.join(", ")
    );
}

fn print_model_server(facts: &RunFacts) {
    if facts.calls.is_empty() && facts.cache.is_none() {
        return;
    }
    let calls = &facts.calls;
    let prompt: u64 = calls.iter().map(|c| c.prompt_tokens).sum();
    let completion: u64 = calls.iter().map(|c| c.completion_tokens).sum();
    let cached: u64 = calls.iter().map(|c| c.cached_tokens).sum();
    let life = calls.iter().filter(|c| c.key.starts_with("life:")).count();
    let unknown = calls.iter().filter(|c| c.key == "unknown").count();
    let failed = calls.iter().filter(|c| c.status >= 400).count();
    let abandoned = calls.iter().filter(|c| c.status == 0).count();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for call in calls.iter().filter(|c| c.status >= 400) {
        *statuses.entry(call.status).or_default() += 1;
    }
    let answered: Vec<&ModelCall> = calls.iter().filter(|c| c.status == 200).collect();
    let prompts: Vec<u64> = answered.iter().map(|c| c.prompt_tokens).collect();
    let took: Vec<u64> = answered.iter().map(|c| millis(c.took)).collect();
    println!(
        "A1 model calls through the gateway: {} ({life} for the agents' own life, {unknown} unattributed, {failed} failed {statuses:?}, {abandoned} abandoned by the gateway before the answer); prompt tokens {prompt}, completion tokens {completion}",
        calls.len()
    );
    println!(
        "  answered calls: prompt tokens a call median {}, p90 {}, max {}; call time {}",
        percentile(&prompts, 50.0),
        percentile(&prompts, 90.0),
        prompts.iter().max().copied().unwrap_or(0),
        median_p90(&took)
    );
    if let Some(tokens) = facts.gateway_tokens {
        println!(
            "  the gateway's village_llm_tokens over the run: {tokens:.0} (the proxy saw {})",
            prompt + completion
        );
    }
    println!(
        "  prefix cache, per-response usage.prompt_tokens_details.cached_tokens: {cached} of {prompt} prompt tokens ({:.0} %)",
        100.0 * cached as f64 / prompt.max(1) as f64
    );
    match facts.cache {
        Some((computed, from_cache)) => println!(
            "  prefix cache, the model server's /metrics (llamacpp:prompt_tokens_cached_total over cached + prompt_tokens_total, change over the run): {from_cache:.0} of {:.0} ({:.0} %)",
            computed + from_cache,
            100.0 * from_cache / (computed + from_cache).max(1.0)
        ),
        None => println!("  prefix cache, the model server's /metrics: not readable"),
    }
}

/// Minutes of one row of the prompt-size table.
const WINDOW_MIN: u64 = 10;

/// Prompt tokens of the answered calls, window by window: memory that stays bounded keeps the
/// median and the largest flat however long the agents have lived.
fn print_prompt_over_time(calls: &[ModelCall]) {
    let mut windows: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut call_ms: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for call in calls.iter().filter(|c| c.status == 200) {
        let window = call.at.as_secs() / (WINDOW_MIN * 60);
        windows.entry(window).or_default().push(call.prompt_tokens);
        call_ms.entry(window).or_default().push(millis(call.took));
    }
    if windows.is_empty() {
        return;
    }
    println!("A1 prompt tokens a call over the run, {WINDOW_MIN}-minute windows:");
    for (window, prompts) in &windows {
        println!(
            "  minutes {:>3}-{:<3} calls {:>4}  median {:>5}  p90 {:>5}  max {:>5}  call time median {:.1} s",
            window * WINDOW_MIN,
            (window + 1) * WINDOW_MIN,
            prompts.len(),
            percentile(prompts, 50.0),
            percentile(prompts, 90.0),
            prompts.iter().max().copied().unwrap_or(0),
            percentile(&call_ms[window], 50.0) as f64 / 1000.0
        );
    }
}

/// The round of a task's key (`llm-1/kernel#3`), 1 without a suffix.
fn round_of(key: &str) -> u32 {
    key.rsplit_once('#')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(1)
}

/// The LLM agents' figures round by round, when the run repeated the tasks: a village that
/// keeps working answers and solves as many in its last round as in its first.
fn print_rounds(outcomes: &[Outcome]) {
    let mut rounds: BTreeMap<u32, Vec<&Outcome>> = BTreeMap::new();
    for outcome in outcomes.iter().filter(|o| o.assignment.brain == "llm") {
        let round = round_of(&outcome.assignment.key);
        rounds.entry(round).or_default().push(outcome);
    }
    if rounds.len() < 2 {
        return;
    }
    println!("A1 the LLM agents round by round:");
    for (round, of) in &rounds {
        let count = |f: fn(&Outcome) -> bool| of.iter().filter(|o| f(o)).count();
        let firsts: Vec<u64> = of
            .iter()
            .filter_map(|o| o.first_answer.map(millis))
            .collect();
        println!(
            "  round {round:>2}: {} tasks, {} not started, {} answered, {} solved, {} false claims, first answer median {}",
            of.len(),
            count(|o| o.stop == crate::person::Stop::NotStarted),
            count(|o| o.answered),
            count(|o| o.solved),
            count(|o| o.false_claim),
            if firsts.is_empty() {
                "-".to_string()
            } else {
                format!("{:.1} s", percentile(&firsts, 50.0) as f64 / 1000.0)
            }
        );
    }
}

fn print_goals(outcomes: &[Outcome], facts: &RunFacts) {
    let llm: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.assignment.brain == "llm")
        .collect();
    if llm.is_empty() {
        println!("A1 goals: no LLM agent ran (no model): no verdicts");
        return;
    }
    let n = llm.len();
    let answered = llm.iter().filter(|o| o.answered).count();
    let solved = llm.iter().filter(|o| o.solved).count();
    let false_claims = llm.iter().filter(|o| o.false_claim).count();
    let firsts: Vec<u64> = llm
        .iter()
        .filter_map(|o| o.first_answer.map(millis))
        .collect();
    let first_median = (firsts.len() == n).then(|| percentile(&firsts, 50.0));
    let prompt_max = facts
        .calls
        .iter()
        .map(|c| c.prompt_tokens)
        .max()
        .unwrap_or(0);
    // The model server's own counters when it exposes them; else what each answer reported
    // (llama.cpp's `/metrics` has no cached-token counter in every version).
    let prompt: u64 = facts.calls.iter().map(|c| c.prompt_tokens).sum();
    let cached: u64 = facts.calls.iter().map(|c| c.cached_tokens).sum();
    let hits = facts
        .cache
        .map(|(computed, cached)| cached / (computed + cached).max(1.0))
        .or_else(|| (prompt > 0).then(|| cached as f64 / prompt as f64));
    println!("A1 goals (issue 20), LLM agents:");
    println!(
        "  every task answered: {answered}/{n}: {}",
        verdict(answered == n)
    );
    println!(
        "  0 false success claims: {false_claims}: {}",
        verdict(false_claims == 0)
    );
    println!(
        "  >= 50 % solved: {:.0} %: {}",
        100.0 * solved as f64 / n as f64,
        verdict(2 * solved >= n)
    );
    println!(
        "  first answer <= 60 s median: {}: {}",
        first_median.map_or_else(
            || "not every task answered".into(),
            |ms| format!("{:.1} s", ms as f64 / 1000.0)
        ),
        verdict(first_median.is_some_and(|ms| ms <= 60_000))
    );
    println!(
        "  <= 4,000 prompt tokens a decision (largest call): {prompt_max}: {}",
        verdict(prompt_max <= 4_000)
    );
    println!(
        "  >= 80 % prefix-cache hits: {}: {}",
        hits.map_or_else(|| "not readable".into(), |h| format!("{:.0} %", 100.0 * h)),
        verdict(hits.is_some_and(|h| h >= 0.8))
    );
}
