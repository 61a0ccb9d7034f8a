//! E-mail reminders before a deadline (M7): users' addresses, and which unit was reminded of
//! which deadline (once each). Sending is the server's; this only records.

use serde::{Deserialize, Serialize};

use crate::{AuditTx, Db, NewAudit, Result, StorageError, on_db, write_tx};

/// A unit still to hand in a month whose units' deadline falls within the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Due {
    pub plan_key: String,
    pub period: String,
    pub unit_key: String,
    pub unit_name: String,
    pub due_ms: i64,
}

impl Db {
    /// Sets (or, with an empty address, removes) a user's e-mail address for reminders.
    pub async fn set_user_email(&self, user_id: i64, email: &str, actor: &str, at_ms: i64) -> Result<()> {
        let email = email.trim();
        if !email.is_empty() && (email.len() > 254 || !email.contains('@') || email.chars().any(|c| c.is_whitespace() || c.is_control())) {
            return Err(StorageError::Invalid { code: "bad_email", zh: "电子邮箱地址无效".into(), en: "the e-mail address is not valid".into() });
        }
        write_tx!(self, tx => {
            let before: Option<String> = sqlx::query_scalar("SELECT email FROM user_emails WHERE user_id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
            if email.is_empty() {
                sqlx::query("DELETE FROM user_emails WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            } else {
                sqlx::query("INSERT INTO user_emails (user_id, email, set_ms, set_by) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, set_ms = excluded.set_ms, set_by = excluded.set_by")
                    .bind(user_id).bind(email).bind(at_ms).bind(actor).execute(&mut *tx).await
                    .map_err(|e| crate::classify(e, || format!("user {user_id}")))?;
            }
            tx.audit(&NewAudit::new(at_ms, actor, "set", "user_email", user_id.to_string()).before(before.map(|e| serde_json::json!({ "email": e }))).after(serde_json::json!({ "email": email }))).await?;
        });
        Ok(())
    }

    pub async fn user_email(&self, user_id: i64) -> Result<Option<String>> {
        Ok(on_db!(self, p => sqlx::query_scalar("SELECT email FROM user_emails WHERE user_id = $1").bind(user_id).fetch_optional(p).await?))
    }

    /// Units that have not submitted (or were returned) an open period whose units' deadline
    /// is between `from_ms` and `to_ms`, and were not yet reminded of that deadline.
    pub async fn due_reminders(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Due>> {
        Ok(on_db!(self, p => sqlx::query_as(
            "SELECT d.plan_key, d.period, u.key AS unit_key, u.name AS unit_name, d.due_ms FROM deadlines d \
             JOIN periods p ON p.plan_key = d.plan_key AND p.period = d.period AND p.status = 'open' \
             JOIN units u ON u.active <> 0 AND u.category_key IS NOT NULL \
             WHERE d.source = '' AND d.due_ms > $1 AND d.due_ms <= $2 \
             AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.plan_key = d.plan_key AND s.period = d.period AND s.unit_key = u.key AND s.status <> 'returned') \
             AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.plan_key = d.plan_key AND r.period = d.period AND r.unit_key = u.key AND r.due_ms = d.due_ms) \
             ORDER BY d.plan_key, d.period, u.key")
            .bind(from_ms).bind(to_ms).fetch_all(p).await?))
    }

    /// The addresses of a unit's active reporters and leaders.
    pub async fn unit_emails(&self, unit: &str) -> Result<Vec<String>> {
        Ok(on_db!(self, p => sqlx::query_scalar(
            "SELECT e.email FROM user_emails e JOIN users u ON u.id = e.user_id \
             WHERE u.unit_key = $1 AND u.role IN ('reporter', 'unit_leader') AND u.disabled = FALSE ORDER BY e.email")
            .bind(unit).fetch_all(p).await?))
    }

    /// Records that a unit was reminded of a deadline (once; a second record is ignored).
    pub async fn record_reminder(&self, d: &Due, recipients: &[String], at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            let n = sqlx::query("INSERT INTO reminders (plan_key, period, unit_key, due_ms, sent_ms, recipients) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
                .bind(&d.plan_key).bind(&d.period).bind(&d.unit_key).bind(d.due_ms).bind(at_ms).bind(recipients.join(", "))
                .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                tx.audit(&NewAudit::new(at_ms, "system", "remind", "submission", format!("{}/{}/{}", d.plan_key, d.period, d.unit_key))
                    .after(serde_json::json!({ "due_ms": d.due_ms, "recipients": recipients }))).await?;
            }
        });
        Ok(())
    }
}
