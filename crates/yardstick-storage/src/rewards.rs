//! Rewards (奖励, M12, M14): allocations of a period's bonus pool under a reward rule of the
//! plan, each kept with its lines (who gets how much, and how it was reached). Allocating a
//! rule's period again makes a new allocation that takes the old one's place in the lists
//! (the latest by id); nothing is updated or deleted. Each allocation is written with its
//! audit row in one transaction.

use serde::{Deserialize, Serialize};

use crate::{AuditTx, Db, NewAudit, Result, on_db, write_tx};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Allocation {
    pub id: i64,
    pub plan_key: String,
    pub period: String,
    pub rule_key: String,
    pub rule_name: String,
    pub rule_words: String,
    pub set_id: i64,
    pub pool_cents: Option<i64>,
    pub total_cents: i64,
    pub note: String,
    pub created_ms: i64,
    pub created_by: String,
}

const COLS: &str = "id, plan_key, period, rule_key, rule_name, rule_words, set_id, pool_cents, total_cents, note, created_ms, created_by";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RewardLine {
    pub allocation_id: i64,
    pub position: i64,
    pub subject: String,
    pub subject_name: String,
    pub kind: String,
    pub unit_key: String,
    pub category: String,
    pub grade: String,
    pub score: Option<String>,
    pub worth: String,
    pub coefficient: Option<String>,
    pub amount_cents: i64,
    pub working: String,
}

const LINE_COLS: &str = "allocation_id, position, subject, subject_name, kind, unit_key, category, grade, score, worth, coefficient, amount_cents, working";

#[derive(Clone, Debug, Serialize)]
pub struct NewRewardLine {
    pub subject: String,
    pub subject_name: String,
    pub kind: String,
    pub unit_key: String,
    pub category: String,
    pub grade: String,
    pub score: Option<String>,
    pub worth: String,
    pub coefficient: Option<String>,
    pub amount_cents: i64,
    pub working: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct NewAllocation {
    pub plan_key: String,
    pub period: String,
    pub rule_key: String,
    pub rule_name: String,
    pub rule_words: String,
    pub set_id: i64,
    pub pool_cents: Option<i64>,
    pub total_cents: i64,
    pub note: String,
    pub lines: Vec<NewRewardLine>,
}

impl Db {
    /// Records an allocation with its lines and its audit row (which lists every line's
    /// subject and amount), in one transaction.
    pub async fn create_allocation(
        &self,
        n: &NewAllocation,
        actor: &str,
        at_ms: i64,
    ) -> Result<Allocation> {
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO reward_allocations (plan_key, period, rule_key, rule_name, rule_words, set_id, pool_cents, total_cents, note, created_ms, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLS}"
        ));
        let a = write_tx!(self, tx => {
            let a: Allocation = sqlx::query_as(sql)
                .bind(&n.plan_key).bind(&n.period).bind(&n.rule_key).bind(&n.rule_name).bind(&n.rule_words).bind(n.set_id)
                .bind(n.pool_cents).bind(n.total_cents).bind(&n.note).bind(at_ms).bind(actor)
                .fetch_one(&mut *tx).await?;
            for (i, l) in n.lines.iter().enumerate() {
                sqlx::query("INSERT INTO reward_lines (allocation_id, position, subject, subject_name, kind, unit_key, category, grade, score, worth, coefficient, amount_cents, working) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
                    .bind(a.id).bind(i as i64).bind(&l.subject).bind(&l.subject_name).bind(&l.kind).bind(&l.unit_key).bind(&l.category)
                    .bind(&l.grade).bind(&l.score).bind(&l.worth).bind(&l.coefficient).bind(l.amount_cents).bind(&l.working)
                    .execute(&mut *tx).await?;
            }
            let paid: Vec<(&str, i64)> = n.lines.iter().map(|l| (l.subject.as_str(), l.amount_cents)).collect();
            let after = serde_json::json!({ "allocation": &a, "lines": paid });
            tx.audit(&NewAudit::new(at_ms, actor, "allocate", "reward", format!("{}/{}/{}/{}", n.plan_key, n.period, n.rule_key, a.id)).after(after)).await?;
            a
        });
        Ok(a)
    }

    /// The allocations of a plan (of one period, or all), oldest first; with `current` only
    /// the latest of each period and rule.
    pub async fn allocations(
        &self,
        plan_key: &str,
        period: Option<&str>,
        current: bool,
    ) -> Result<Vec<Allocation>> {
        let latest = if current {
            " AND id = (SELECT MAX(b.id) FROM reward_allocations b WHERE b.plan_key = a.plan_key AND b.period = a.period AND b.rule_key = a.rule_key)"
        } else {
            ""
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM reward_allocations a WHERE plan_key = $1 AND ($2 IS NULL OR period = $2){latest} ORDER BY id"
        ));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).fetch_all(p).await?))
    }

    pub async fn allocation(&self, id: i64) -> Result<Option<Allocation>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM reward_allocations WHERE id = $1"
        ));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(id).fetch_optional(p).await?))
    }

    /// The lines of an allocation, in order; only those of a unit (the unit and the people
    /// who served in it) or of one subject when asked.
    pub async fn reward_lines(
        &self,
        allocation_id: i64,
        unit: Option<&str>,
        subject: Option<&str>,
    ) -> Result<Vec<RewardLine>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {LINE_COLS} FROM reward_lines WHERE allocation_id = $1 AND ($2 IS NULL OR unit_key = $2) AND ($3 IS NULL OR subject = $3) ORDER BY position"
        ));
        Ok(
            on_db!(self, p => sqlx::query_as(sql).bind(allocation_id).bind(unit).bind(subject).fetch_all(p).await?),
        )
    }
}
