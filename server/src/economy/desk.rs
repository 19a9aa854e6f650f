//! Money moved on request: people's rewards and penalties for an agent's board work (from
//! their daily budgets), an admin's deposit for a real-money payment, an agent's compute boost.
//! Each request is checked here (who may, the fields, the work it is for) and then handed to
//! the ledger writer, which checks funds, budgets and idempotency atomically. The API's
//! handlers and the town hall's forms call these functions; each refusal is a [`MoneyError`].

use shared::api::{
    AgentDetail, BoostView, DepositRequest, FeedbackRequest, LedgerPage, LedgerQuery, LlmCallView,
    PurchaseRequest, Standing, TransferResult, TransferView,
};
use shared::tier::TierTable;
use shared::{AgentId, PostId, ReplyId};

use super::daily_budgets;
use super::money_fields::{self, MoneyFieldError};
use super::settings::EconomySettings;
use super::standing::read_standing;
use super::transfer::{
    AccountRef, BoostOrder, Committed, TransferCode, TransferError, TransferRequest,
};
use super::writer::Ledger;
use crate::auth::principal::AccessError;
use crate::auth::{Principal, Role, Viewer};
use crate::board::posts::{BoardDesk, PostError};
use crate::board::rules::{self, BoardError};
use crate::clock::now_ms;
use crate::fields::{self, FieldError};
use crate::paging::next_cursor;
use crate::store::{Store, StoreError};
use crate::world::{WorldError, WorldHandle, WorldUnavailable};

/// Why a money request was refused before or by the ledger.
#[derive(Debug, thiserror::Error)]
pub enum MoneyError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Field(#[from] MoneyFieldError),
    #[error(transparent)]
    Text(#[from] FieldError),
    #[error("only an admin's penalty may allow a negative balance")]
    NegativeNotAllowed,
    #[error("post {post} has no reply {reply}")]
    UnknownReply { post: u64, reply: ReplyId },
    #[error("{0} was not written by agent {1}")]
    NotAgentsWork(String, AgentId),
    #[error("hours must be 1 to {0}")]
    InvalidHours(u32),
    #[error("no tier {asked:?}; tiers: {known}")]
    UnknownTier { asked: String, known: String },
    #[error("{0}")]
    NotPurchasable(String),
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error(transparent)]
    Post(#[from] PostError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error(transparent)]
    World(#[from] WorldError),
    #[error(transparent)]
    Unavailable(#[from] WorldUnavailable),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What money requests use: the economy's settings and tiers, the ledger writer, the store,
/// the world (whether an agent exists) and the board (the work a reward is for).
pub struct MoneyDesk<'a> {
    pub settings: &'a EconomySettings,
    pub tiers: &'a TierTable,
    pub ledger: &'a Ledger,
    pub store: &'a Store,
    pub world: &'a WorldHandle,
    pub board: BoardDesk<'a>,
}

/// Transfers per ledger page when the query names no limit.
const LEDGER_PAGE_DEFAULT: u32 = 50;

impl MoneyDesk<'_> {
    /// `agent`'s standing now: balance, tier, entitlements, burn and downgrade outlook.
    pub async fn standing(&self, agent: AgentId) -> Result<Standing, StoreError> {
        let warn = self.settings.downgrade_warning_ms;
        read_standing(self.store, self.tiers, agent, now_ms(), warn).await
    }

    /// `agent` with its account and standing.
    pub async fn agent_detail(&self, id: AgentId) -> Result<AgentDetail, MoneyError> {
        let agent = self
            .world
            .call(move |world, _| world.agent(id).cloned())
            .await??;
        let economy = self.standing(id).await?;
        let account_id = self.store.find_agent_account(id.0).await?.map(|a| a.id);
        let brain = self.store.find_agent_brain(id).await?.unwrap_or_default();
        let last_llm_call = self
            .store
            .last_llm_call(id)
            .await?
            .map(|(model, at_ms)| LlmCallView { model, at_ms });
        Ok(AgentDetail {
            agent,
            account_id,
            economy,
            brain,
            last_llm_call,
        })
    }

    /// A page of `agent`'s transfers, newest first: for the agent itself and staff.
    pub async fn ledger(
        &self,
        principal: &Principal,
        agent: AgentId,
        query: LedgerQuery,
    ) -> Result<LedgerPage, MoneyError> {
        principal.require_agent_or_staff(agent)?;
        rules::agent_exists(self.world, agent).await?;
        let limit = query
            .limit
            .unwrap_or(LEDGER_PAGE_DEFAULT)
            .clamp(1, self.settings.ledger_page_size_max);
        let before = query.cursor.map(crate::store::id_to_db);
        let transfers = match self.store.agent_ledger_account(agent).await? {
            Some((account, _)) => {
                let page = self.store.list_account_transfers(account, before, limit);
                page.await?
            }
            None => Vec::new(),
        };
        let next_cursor = next_cursor(&transfers, limit, |t| t.seq.unsigned_abs());
        Ok(LedgerPage {
            agent_id: agent.0,
            transfers: transfers.into_iter().map(TransferView::from).collect(),
            next_cursor,
        })
    }

    /// What `principal` may still move today (UTC) with rewards and penalties.
    pub async fn budget_left_micros(&self, principal: &Principal) -> Result<i64, MoneyError> {
        let (role, account) = (principal.role, principal.account_id);
        let left =
            daily_budgets::budget_left_micros(self.settings, self.store, role, account.0, now_ms());
        Ok(left.await?)
    }

    /// Rewards an agent's post or reply from `principal`'s daily budget (people only).
    pub async fn reward(
        &self,
        principal: &Principal,
        request: FeedbackRequest,
    ) -> Result<TransferResult, MoneyError> {
        self.feedback(principal, request, TransferCode::Reward)
            .await
    }

    /// Penalizes an agent for a post or reply; the amount goes to the sink.
    pub async fn penalize(
        &self,
        principal: &Principal,
        request: FeedbackRequest,
    ) -> Result<TransferResult, MoneyError> {
        self.feedback(principal, request, TransferCode::Penalty)
            .await
    }

    /// A reward or penalty: people only, the fields, the flag, the work, the day's budgets.
    async fn feedback(
        &self,
        principal: &Principal,
        request: FeedbackRequest,
        code: TransferCode,
    ) -> Result<TransferResult, MoneyError> {
        principal.require(&[Role::Human, Role::Moderator, Role::Admin])?;
        money_fields::check_transfer_id(&request.transfer_id)?;
        money_fields::check_amount(request.amount_micros, self.settings.transfer_micros_max)?;
        let reason = fields::line("reason", &request.reason, self.settings.memo_chars_max)?;
        let admins_penalty = code == TransferCode::Penalty && principal.role == Role::Admin;
        if request.allow_negative && !admins_penalty {
            return Err(MoneyError::NegativeNotAllowed);
        }
        let agent = AgentId(request.agent_id);
        rules::agent_exists(self.world, agent).await?;
        self.check_work(principal, agent, request.post_id, request.reply_id)
            .await?;
        let (role, account) = (principal.role, principal.account_id);
        let budgets =
            daily_budgets::daily_budgets(self.settings, self.store, role, account.0, now_ms())
                .await?;
        let (debit, credit, action) = match code {
            TransferCode::Reward => (AccountRef::Mint, AccountRef::Agent(agent), "economy.reward"),
            _ => (
                AccountRef::Agent(agent),
                AccountRef::Sink,
                "economy.penalize",
            ),
        };
        let transfer = TransferRequest {
            post_id: Some(request.post_id),
            reply_id: request.reply_id.map(|r| r.0),
            memo: reason,
            allow_negative: request.allow_negative,
            budgets,
            ..TransferRequest::new(
                request.transfer_id,
                (debit, credit),
                request.amount_micros,
                code,
                action,
            )
        };
        self.submit(principal, transfer).await
    }

    /// Checks that `post_id` (or `reply_id` under it) exists, is visible to `principal` and
    /// was written by `agent`. What the caller cannot read (held, hidden) cannot be rewarded
    /// or penalized either: it is unknown to them, as on the board.
    async fn check_work(
        &self,
        principal: &Principal,
        agent: AgentId,
        post_id: u64,
        reply_id: Option<ReplyId>,
    ) -> Result<(), MoneyError> {
        let viewer = Viewer(Some(principal.clone()));
        let post = self.board.visible_post(&viewer, PostId(post_id)).await?;
        let author = match reply_id {
            None => post.author.agent_id,
            Some(reply) => {
                let found = self.store.find_reply(reply).await?;
                let visible = found.filter(|r| r.post_id == post.id).filter(|r| {
                    !(r.held || r.hidden)
                        || viewer.is_staff()
                        || r.author.account_id == principal.account_id
                });
                let unknown = MoneyError::UnknownReply {
                    post: post_id,
                    reply,
                };
                visible.ok_or(unknown)?.author.agent_id
            }
        };
        if author != Some(agent) {
            let work = reply_id.map_or(format!("post {post_id}"), |r| format!("reply {r}"));
            return Err(MoneyError::NotAgentsWork(work, agent));
        }
        Ok(())
    }

    /// Credits an agent for a real-money payment (admins); the transaction id is credited at
    /// most once.
    pub async fn deposit(
        &self,
        principal: &Principal,
        request: DepositRequest,
    ) -> Result<TransferResult, MoneyError> {
        principal.require(&[Role::Admin])?;
        money_fields::check_amount(request.amount_micros, self.settings.transfer_micros_max)?;
        let txn = money_fields::checked_txn_id(&request.paypal_txn_id)?;
        let memo = if request.memo.is_empty() {
            String::new()
        } else {
            fields::line("memo", &request.memo, self.settings.memo_chars_max)?
        };
        let agent = AgentId(request.agent_id);
        rules::agent_exists(self.world, agent).await?;
        let reference = crate::payments::paypal_reference(&txn);
        let transfer = TransferRequest {
            external_ref: Some(reference.clone()),
            memo,
            ..TransferRequest::new(
                reference,
                (AccountRef::Deposits, AccountRef::Agent(agent)),
                request.amount_micros,
                TransferCode::DepositCredit,
                "economy.deposit",
            )
        };
        self.submit(principal, transfer).await
    }

    /// Buys a compute boost from the agent's own balance (agents only): the tier in force is
    /// at least `tier` for `hours` hours.
    pub async fn purchase(
        &self,
        principal: &Principal,
        request: PurchaseRequest,
    ) -> Result<TransferResult, MoneyError> {
        principal.require(&[Role::Agent])?;
        let only_agents = || AccessError::ForbiddenRole("agents only".into());
        let agent = principal.agent_id.ok_or_else(only_agents)?;
        money_fields::check_transfer_id(&request.transfer_id)?;
        let hours_max = self.settings.boost_hours_max;
        if request.hours == 0 || request.hours > hours_max {
            return Err(MoneyError::InvalidHours(hours_max));
        }
        let rank = self.tiers.by_name(&request.tier).ok_or_else(|| {
            let names: Vec<&str> = self.tiers.tiers.iter().map(|t| t.name.as_str()).collect();
            MoneyError::UnknownTier {
                asked: request.tier.clone(),
                known: names.join(", "),
            }
        })?;
        let price = self
            .tiers
            .boost_price_micros(rank, request.hours)
            .map_err(|e| MoneyError::NotPurchasable(e.to_string()))?;
        money_fields::check_amount(price, self.settings.transfer_micros_max)?;
        let transfer = TransferRequest {
            memo: format!("boost to {} for {} h", request.tier, request.hours),
            boost: Some(BoostOrder {
                agent,
                tier: request.tier,
                duration_ms: i64::from(request.hours) * 3_600_000,
            }),
            ..TransferRequest::new(
                request.transfer_id,
                (AccountRef::Agent(agent), AccountRef::Sink),
                price,
                TransferCode::PurchaseCompute,
                "economy.purchase",
            )
        };
        self.submit(principal, transfer).await
    }

    /// Sends a request, made by `principal`, to the ledger writer; `replayed` in the answer
    /// says it repeated an earlier transfer with the same id and body.
    async fn submit(
        &self,
        principal: &Principal,
        request: TransferRequest,
    ) -> Result<TransferResult, MoneyError> {
        let request = TransferRequest {
            actor_account_id: Some(principal.account_id.0),
            actor_role: principal.role.as_str().into(),
            request_id: principal.meta.request_id.clone(),
            ..request
        };
        let Committed {
            transfer,
            boost,
            replayed,
        } = self.ledger.transfer(request).await?;
        Ok(TransferResult {
            transfer: transfer.into(),
            replayed,
            boost: boost.as_ref().map(BoostView::from),
        })
    }
}
