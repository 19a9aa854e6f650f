//! Whose daily budgets a person's rewards and penalties count against (UTC days): their own
//! (by role, smaller while their account is new), the pool every person shares, and the pool
//! every new account shares, so that accounts made in bulk can neither mint much nor spend
//! everyone's pool (docs/ECONOMY.md, "Puppet accounts"). It only names the budgets and reads
//! what was spent; the ledger writer checks them atomically with each transfer.

use super::settings::EconomySettings;
use super::transfer::{Budget, BudgetKey};
use crate::auth::Role;
use crate::store::{Store, StoreError};

/// A day, in ms.
pub const DAY_MS: i64 = 86_400_000;

/// The start (UTC midnight) of the day holding `now_ms`.
pub fn day_start_ms(now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(DAY_MS)
}

/// Accounts made at or after this are new on the day holding `now_ms`; `None` when the
/// settings do not tell new accounts apart (`new_account_days` is 0).
fn new_accounts_since(settings: &EconomySettings, now_ms: i64) -> Option<i64> {
    let days = i64::from(settings.new_account_days);
    (days > 0).then(|| day_start_ms(now_ms).saturating_sub(days.saturating_mul(DAY_MS)))
}

/// The budgets the account `account_id` of `role` draws on today; the account's own first.
pub async fn daily_budgets(
    settings: &EconomySettings,
    store: &Store,
    role: Role,
    account_id: u64,
    now_ms: i64,
) -> Result<Vec<Budget>, StoreError> {
    let limits = &settings.daily_budget_micros;
    let mut own = match role {
        Role::Admin => limits.admin,
        Role::Moderator => limits.moderator,
        _ => limits.human,
    };
    let mut pools = Vec::with_capacity(2);
    if role == Role::Human {
        // Anyone may register a human account: together they share one pool per day.
        pools.push(Budget {
            key: BudgetKey::Role(Role::Human.as_str().into()),
            limit_micros: settings.humans_daily_pool_micros,
        });
        if let Some(created_since_ms) = new_accounts_since(settings, now_ms)
            && let Some(account) = store.find_account(account_id).await?
            && account.created_at_ms >= created_since_ms
        {
            own = own.min(limits.new_human);
            pools.push(Budget {
                key: BudgetKey::NewAccounts { created_since_ms },
                limit_micros: settings.new_humans_daily_pool_micros,
            });
        }
    }
    let mut budgets = vec![Budget {
        key: BudgetKey::Account(account_id),
        limit_micros: own,
    }];
    budgets.append(&mut pools);
    Ok(budgets)
}

/// What the account may still move today with rewards and penalties: the least left of its
/// budgets, as committed transfers show it.
pub async fn budget_left_micros(
    settings: &EconomySettings,
    store: &Store,
    role: Role,
    account_id: u64,
    now_ms: i64,
) -> Result<i64, StoreError> {
    let day = day_start_ms(now_ms);
    let mut left = i64::MAX;
    for budget in daily_budgets(settings, store, role, account_id, now_ms).await? {
        let spent = budget.key.spent_since(store, day).await?;
        left = left.min(budget.limit_micros.saturating_sub(spent).max(0));
    }
    Ok(left)
}

impl BudgetKey {
    /// What was moved against this budget since `since_ms`, as committed transfers show it.
    pub async fn spent_since(&self, store: &Store, since_ms: i64) -> Result<i64, StoreError> {
        match self {
            BudgetKey::Account(account) => store.budget_spent_since(*account, since_ms).await,
            BudgetKey::Role(role) => store.role_budget_spent_since(role, since_ms).await,
            BudgetKey::NewAccounts { created_since_ms } => {
                store
                    .new_accounts_budget_spent_since(*created_since_ms, since_ms)
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_utc_midnight_and_new_accounts_count_back_whole_days() {
        // A time's day starts at the midnight before it; with 2 new-account days an account
        // made 2 days before today's midnight is still new today, and 0 days turns it off.
        let noon = 3 * DAY_MS + DAY_MS / 2;
        assert_eq!(day_start_ms(noon), 3 * DAY_MS);
        assert_eq!(day_start_ms(3 * DAY_MS), 3 * DAY_MS);
        let two_days = EconomySettings {
            new_account_days: 2,
            ..EconomySettings::default()
        };
        assert_eq!(new_accounts_since(&two_days, noon), Some(DAY_MS));
        let off = EconomySettings {
            new_account_days: 0,
            ..EconomySettings::default()
        };
        assert_eq!(new_accounts_since(&off, noon), None);
    }
}
