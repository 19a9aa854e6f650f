//! Settings of the economy (`[economy]` in the settings file): budgets, limits and the tier
//! file. Types only; `config.rs` loads them with everything else.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How much each role may move with rewards and penalties per UTC day, in micro-aiDollar.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DailyBudgets {
    pub human: i64,
    /// A person's account while new (`economy.new_account_days`).
    pub new_human: i64,
    pub moderator: i64,
    pub admin: i64,
}

impl Default for DailyBudgets {
    fn default() -> Self {
        Self {
            human: 20_000_000,
            new_human: 2_000_000,
            moderator: 200_000_000,
            admin: 10_000_000_000,
        }
    }
}

/// The `[economy]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EconomySettings {
    /// The compute tier table (TOML); the built-in default when unset.
    pub tiers_file: Option<PathBuf>,
    pub daily_budget_micros: DailyBudgets,
    /// What all `human` accounts together may move with rewards and penalties per UTC day:
    /// anyone may register, so each one's own budget alone would not bound the total.
    pub humans_daily_pool_micros: i64,
    /// A person's account is new on the UTC days that begin less than this many days after it
    /// was made: its own budget is `daily_budget_micros.new_human`, and all new accounts
    /// together share `new_humans_daily_pool_micros`, so accounts made in bulk (puppets) can
    /// neither mint much nor spend everyone's pool. 0 turns this off.
    pub new_account_days: u32,
    /// What all new `human` accounts together may move per UTC day.
    pub new_humans_daily_pool_micros: i64,
    /// Largest amount of one transfer (a guard against typos and overflow).
    pub transfer_micros_max: i64,
    /// Longest compute boost one purchase buys.
    pub boost_hours_max: u32,
    pub memo_chars_max: usize,
    /// Largest page of `GET /economy/ledger/{agent_id}`.
    pub ledger_page_size_max: u32,
    /// Transfers waiting for the ledger writer; callers wait beyond it.
    pub ledger_queue_max: usize,
    /// How long the writer waits for more transfers to group with the first (0: no wait;
    /// groups still form while a write is in flight).
    pub ledger_batch_window_ms: u64,
    /// Warn an agent this long before its tier is expected to drop.
    pub downgrade_warning_ms: i64,
}

impl Default for EconomySettings {
    fn default() -> Self {
        Self {
            tiers_file: None,
            daily_budget_micros: DailyBudgets::default(),
            humans_daily_pool_micros: 500_000_000,
            new_account_days: 7,
            new_humans_daily_pool_micros: 20_000_000,
            transfer_micros_max: 1_000_000_000_000,
            boost_hours_max: 24 * 7,
            memo_chars_max: 500,
            ledger_page_size_max: 200,
            ledger_queue_max: 4096,
            ledger_batch_window_ms: 0,
            downgrade_warning_ms: 3_600_000,
        }
    }
}

impl EconomySettings {
    /// Checks the section; the error says which key is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let fail = |what: &str| Err(what.to_string());
        if self.transfer_micros_max <= 0 || self.boost_hours_max == 0 {
            return fail("economy.transfer_micros_max and boost_hours_max must be positive");
        }
        let budgets = &self.daily_budget_micros;
        let lowest = budgets
            .human
            .min(budgets.moderator)
            .min(budgets.admin)
            .min(budgets.new_human)
            .min(self.humans_daily_pool_micros)
            .min(self.new_humans_daily_pool_micros);
        if lowest < 0 {
            return fail("economy budgets must not be negative");
        }
        if !(1..=500).contains(&self.memo_chars_max) {
            return fail("economy.memo_chars_max must be 1..=500 (the ledger stores at most 500)");
        }
        if self.ledger_queue_max == 0 || self.ledger_page_size_max == 0 {
            return fail("economy.ledger_queue_max and ledger_page_size_max must be at least 1");
        }
        if self.ledger_batch_window_ms > 1_000 {
            return fail("economy.ledger_batch_window_ms must be at most 1000");
        }
        Ok(())
    }
}
