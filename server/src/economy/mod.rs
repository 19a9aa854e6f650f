//! The aiDollar economy: the ledger writer (the one task that moves money), the requests it
//! takes and the checks before them (`desk`: rewards, penalties, deposits, boosts), the
//! compute tier table, and the economy's settings. HTTP handlers (`http::economy_routes`) and
//! the town hall's forms call `desk`; SQL lives in `store::ledger`. Nothing here touches the world: the
//! tier watcher's changes reach it (and the agent runtime) through the announcer `startup`
//! wires (`crate::tier_announce`).

pub mod daily_budgets;
pub mod desk;
pub mod money_fields;
pub mod request_limits;
pub mod settings;
pub mod standing;
pub mod tier_book;
pub mod tier_watch;
pub mod tiers;
pub mod transfer;
pub mod writer;

pub use request_limits::TierRequestLimits;
pub use settings::{DailyBudgets, EconomySettings};
pub use tier_book::TierBook;
pub use transfer::{
    AccountRef, BoostOrder, Budget, BudgetKey, Committed, TransferCode, TransferError,
    TransferRequest,
};
pub use writer::{BalanceChange, Ledger, WriterSettings};
