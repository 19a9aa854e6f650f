//! The accounts of people (not agents) for the admin panel, oldest first, a page at a time.

use super::accounts::{ACCOUNT_COLUMNS, AccountRecord};
use super::{Store, StoreError, id_to_db, with_pool};

impl Store {
    /// Accounts that are not agents' with an id above `after_id`, oldest first, at most
    /// `limit`.
    pub async fn list_people_accounts(
        &self,
        after_id: u64,
        limit: u32,
    ) -> Result<Vec<AccountRecord>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE role <> 'agent' AND id > $1 \
             ORDER BY id LIMIT $2"
        );
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(after_id))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        }))
    }
}
