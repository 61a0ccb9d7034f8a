//! The monthly cycle (M7): deadlines per period and source, and each unit's submission —
//! submitted by its leader (late after the deadline), accepted or returned with a reason,
//! submitted again after a return. A submitted or accepted submission locks the unit's
//! values of the period (checked inside the value write's transaction).

use serde::{Deserialize, Serialize};

use crate::{AuditTx, Db, NewAudit, Result, StorageError, classify, on_db, write_tx};

/// A deadline: `source` '' is the units' own figures, else an indicator source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Deadline {
    pub source: String,
    pub due_ms: i64,
    pub set_ms: i64,
    pub set_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Submission {
    pub unit_key: String,
    /// `submitted`, `returned` or `accepted`.
    pub status: String,
    /// The last submission's moment and author.
    pub submitted_ms: i64,
    pub submitted_by: String,
    /// Whether the first submission came after the units' deadline.
    pub late: bool,
    /// How many times it was submitted (returns send it back).
    pub times: i64,
    pub decided_ms: Option<i64>,
    pub decided_by: Option<String>,
    /// Why it was returned (or the accepting note).
    pub reason: Option<String>,
}

const SUB_COLS: &str = "unit_key, status, submitted_ms, submitted_by, late <> 0 AS late, times, decided_ms, decided_by, reason";

/// What a decision on a submitted submission is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Return,
}

fn refused(code: &'static str, zh: String, en: String) -> StorageError {
    StorageError::Refused { code, zh, en }
}

/// Inserts one occurrence (count 1) recorded by the cycle itself, with its audit row.
macro_rules! insert_occurrence {
    ($tx:ident, $plan:expr, $period:expr, $unit:expr, $item:expr, $reason:expr, $actor:expr, $at:expr) => {{
        let id: i64 = sqlx::query_scalar("INSERT INTO occurrences (plan_key, period, subject, indicator, field, amount, reason, recorded_ms, recorded_by) VALUES ($1, $2, $3, $4, 'count', '1', $5, $6, $7) RETURNING id")
            .bind($plan).bind($period).bind($unit).bind($item).bind($reason).bind($at).bind($actor)
            .fetch_one(&mut *$tx).await?;
        let o = crate::values::OccurrenceInput { indicator: $item.to_string(), field: "count".into(), amount: Some("1".into()), reason: $reason.to_string() };
        $tx.audit(&NewAudit::new($at, $actor, "create", "occurrence", format!("{}/{}/{}/{id}", $plan, $period, $unit)).after(&o)).await?;
    }};
}

impl Db {
    /// Sets (or moves) a deadline of a period.
    pub async fn set_deadline(&self, plan_key: &str, period: &str, source: &str, due_ms: i64, actor: &str, at_ms: i64) -> Result<Deadline> {
        let d = Deadline { source: source.into(), due_ms, set_ms: at_ms, set_by: actor.into() };
        write_tx!(self, tx => {
            let before: Option<Deadline> = sqlx::query_as("SELECT source, due_ms, set_ms, set_by FROM deadlines WHERE plan_key = $1 AND period = $2 AND source = $3")
                .bind(plan_key).bind(period).bind(source).fetch_optional(&mut *tx).await?;
            sqlx::query("INSERT INTO deadlines (plan_key, period, source, due_ms, set_ms, set_by) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (plan_key, period, source) DO UPDATE SET due_ms = excluded.due_ms, set_ms = excluded.set_ms, set_by = excluded.set_by")
                .bind(plan_key).bind(period).bind(source).bind(due_ms).bind(at_ms).bind(actor)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("period '{period}' of plan '{plan_key}'")))?;
            tx.audit(&NewAudit::new(at_ms, actor, "set", "deadline", format!("{plan_key}/{period}/{source}")).before(before.as_ref()).after(&d)).await?;
        });
        Ok(d)
    }

    /// The deadlines of a period, by source ('' first).
    pub async fn deadlines(&self, plan_key: &str, period: &str) -> Result<Vec<Deadline>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT source, due_ms, set_ms, set_by FROM deadlines WHERE plan_key = $1 AND period = $2 ORDER BY source")
            .bind(plan_key).bind(period).fetch_all(p).await?))
    }

    /// The units' deadline ('' source) of every period of a plan that has one: (period, due).
    pub async fn unit_deadlines(&self, plan_key: &str) -> Result<Vec<(String, i64)>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT period, due_ms FROM deadlines WHERE plan_key = $1 AND source = '' ORDER BY period")
            .bind(plan_key).fetch_all(p).await?))
    }

    /// Every submission of a period, by unit.
    pub async fn submissions(&self, plan_key: &str, period: &str) -> Result<Vec<Submission>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {SUB_COLS} FROM submissions WHERE plan_key = $1 AND period = $2 ORDER BY unit_key"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).fetch_all(p).await?))
    }

    pub async fn submission(&self, plan_key: &str, period: &str, unit: &str) -> Result<Option<Submission>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {SUB_COLS} FROM submissions WHERE plan_key = $1 AND period = $2 AND unit_key = $3"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).bind(unit).fetch_optional(p).await?))
    }

    /// Submits a unit's values of a period (the unit leader's approval). Refused while the
    /// period is not open or the submission is already submitted or accepted. Late when
    /// the first submission comes after the units' deadline ('' source).
    pub async fn submit(&self, plan_key: &str, period: &str, unit: &str, actor: &str, at_ms: i64) -> Result<Submission> {
        self.submit_recording(plan_key, period, unit, &[], "", actor, at_ms).await
    }

    /// [`Db::submit`], and when the first submission is late, records an occurrence with
    /// `late_reason` on each of `late_items` (the plan's `auto = "late_submission"` items),
    /// in the same transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_recording(&self, plan_key: &str, period: &str, unit: &str, late_items: &[String], late_reason: &str, actor: &str, at_ms: i64) -> Result<Submission> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {SUB_COLS} FROM submissions WHERE plan_key = $1 AND period = $2 AND unit_key = $3"));
        let s = write_tx!(self, tx => {
            let status: Option<String> = sqlx::query_scalar("SELECT status FROM periods WHERE plan_key = $1 AND period = $2").bind(plan_key).bind(period).fetch_optional(&mut *tx).await?;
            if status.as_deref() != Some("open") {
                return Err(refused("period_not_open", format!("期间 {period} 未开放填报"), format!("the period {period} is not open for data")));
            }
            let before: Option<Submission> = sqlx::query_as(sql).bind(plan_key).bind(period).bind(unit).fetch_optional(&mut *tx).await?;
            if let Some(b) = before.as_ref().filter(|b| b.status != "returned") {
                return Err(refused("already_submitted", format!("{unit} 的 {period} 数据已报送（{}），退回后才能再次报送", status_zh(&b.status)), format!("{unit} has already submitted {period} ({}); it can submit again only after a return", b.status)));
            }
            let due: Option<i64> = sqlx::query_scalar("SELECT due_ms FROM deadlines WHERE plan_key = $1 AND period = $2 AND source = ''").bind(plan_key).bind(period).fetch_optional(&mut *tx).await?;
            // Lateness is the first submission's: a unit returned for a correction is not late again.
            let late = match &before {
                Some(b) => b.late,
                None => due.is_some_and(|d| at_ms > d),
            };
            let s = Submission { unit_key: unit.into(), status: "submitted".into(), submitted_ms: at_ms, submitted_by: actor.into(), late, times: before.as_ref().map_or(1, |b| b.times + 1), decided_ms: None, decided_by: None, reason: None };
            sqlx::query("INSERT INTO submissions (plan_key, period, unit_key, status, submitted_ms, submitted_by, late, times, decided_ms, decided_by, reason) \
                         VALUES ($1, $2, $3, 'submitted', $4, $5, $6, $7, NULL, NULL, NULL) \
                         ON CONFLICT (plan_key, period, unit_key) DO UPDATE SET status = 'submitted', submitted_ms = excluded.submitted_ms, submitted_by = excluded.submitted_by, \
                         times = excluded.times, decided_ms = NULL, decided_by = NULL, reason = NULL")
                .bind(plan_key).bind(period).bind(unit).bind(at_ms).bind(actor).bind(i64::from(late)).bind(s.times)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("unit '{unit}'")))?;
            tx.audit(&NewAudit::new(at_ms, actor, "submit", "submission", format!("{plan_key}/{period}/{unit}")).before(before.as_ref()).after(&s)).await?;
            if late && before.is_none() {
                for item in late_items {
                    insert_occurrence!(tx, plan_key, period, unit, item, late_reason, actor, at_ms);
                }
            }
            s
        });
        Ok(s)
    }

    /// Records an occurrence with `reason` on each of `items` for every active unit of a
    /// category that has not submitted the period (the plan's `auto = "missing_submission"`
    /// items), once: a unit that already has one with the same reason is left alone.
    /// Returns how many were recorded.
    pub async fn record_missing(&self, plan_key: &str, period: &str, items: &[String], reason: &str, actor: &str, at_ms: i64) -> Result<usize> {
        if items.is_empty() {
            return Ok(0);
        }
        let n = write_tx!(self, tx => {
            let missing: Vec<String> = sqlx::query_scalar(
                "SELECT u.key FROM units u WHERE u.active <> 0 AND u.category_key IS NOT NULL                  AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.plan_key = $1 AND s.period = $2 AND s.unit_key = u.key) ORDER BY u.key")
                .bind(plan_key).bind(period).fetch_all(&mut *tx).await?;
            let mut n = 0;
            for unit in &missing {
                for item in items {
                    let done: Option<i64> = sqlx::query_scalar("SELECT id FROM occurrences WHERE plan_key = $1 AND period = $2 AND subject = $3 AND indicator = $4 AND reason = $5 LIMIT 1")
                        .bind(plan_key).bind(period).bind(unit).bind(item).bind(reason).fetch_optional(&mut *tx).await?;
                    if done.is_none() {
                        insert_occurrence!(tx, plan_key, period, unit, item, reason, actor, at_ms);
                        n += 1;
                    }
                }
            }
            n
        });
        Ok(n)
    }

    /// Accepts or returns a submitted submission; a return needs a reason.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_submission(&self, plan_key: &str, period: &str, unit: &str, decision: Decision, reason: Option<&str>, actor: &str, at_ms: i64) -> Result<Submission> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {SUB_COLS} FROM submissions WHERE plan_key = $1 AND period = $2 AND unit_key = $3"));
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if decision == Decision::Return && reason.is_none() {
            return Err(StorageError::Invalid { code: "reason_required", zh: "退回须写明原因".into(), en: "a return needs a reason".into() });
        }
        if reason.is_some_and(|r| r.chars().count() > 500) {
            return Err(StorageError::Invalid { code: "reason_too_long", zh: "原因不超过 500 字".into(), en: "a reason is at most 500 characters".into() });
        }
        let s = write_tx!(self, tx => {
            let before: Option<Submission> = sqlx::query_as(sql).bind(plan_key).bind(period).bind(unit).fetch_optional(&mut *tx).await?;
            let Some(before) = before.filter(|b| b.status == "submitted") else {
                return Err(refused("not_submitted", format!("{unit} 的 {period} 数据未处于已报送状态"), format!("{unit} has no submitted data for {period} awaiting a decision")));
            };
            let status = if decision == Decision::Accept { "accepted" } else { "returned" };
            let s = Submission { status: status.into(), decided_ms: Some(at_ms), decided_by: Some(actor.into()), reason: reason.map(str::to_string), ..before.clone() };
            sqlx::query("UPDATE submissions SET status = $4, decided_ms = $5, decided_by = $6, reason = $7 WHERE plan_key = $1 AND period = $2 AND unit_key = $3")
                .bind(plan_key).bind(period).bind(unit).bind(status).bind(at_ms).bind(actor).bind(reason)
                .execute(&mut *tx).await?;
            let action = if decision == Decision::Accept { "accept" } else { "return" };
            tx.audit(&NewAudit::new(at_ms, actor, action, "submission", format!("{plan_key}/{period}/{unit}")).before(&before).after(&s)).await?;
            s
        });
        Ok(s)
    }
}

pub fn status_zh(status: &str) -> &'static str {
    match status {
        "submitted" => "已报送",
        "returned" => "已退回",
        "accepted" => "已审核通过",
        _ => "未报送",
    }
}

/// A spot check's draw with its findings so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotCheck {
    pub id: i64,
    pub seed: String,
    pub size: i64,
    pub population: i64,
    /// The drawn units, in draw order.
    pub units: Vec<String>,
    pub drawn_ms: i64,
    pub drawn_by: String,
    pub findings: Vec<Finding>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Finding {
    pub unit_key: String,
    pub finding: String,
    pub falsified: bool,
    pub recorded_ms: i64,
    pub recorded_by: String,
}

impl Db {
    /// Records a draw (never changed afterwards) and returns its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_spot_check(&self, plan_key: &str, period: &str, seed: &str, size: i64, population: i64, units: &[String], actor: &str, at_ms: i64) -> Result<i64> {
        let units_json = serde_json::to_string(units).expect("strings serialise");
        let id = write_tx!(self, tx => {
            let id: i64 = sqlx::query_scalar("INSERT INTO spot_checks (plan_key, period, seed, size, population, units_json, drawn_ms, drawn_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                .bind(plan_key).bind(period).bind(seed).bind(size).bind(population).bind(&units_json).bind(at_ms).bind(actor)
                .fetch_one(&mut *tx).await.map_err(|e| classify(e, || format!("period '{period}' of plan '{plan_key}'")))?;
            tx.audit(&NewAudit::new(at_ms, actor, "draw", "spot_check", format!("{plan_key}/{period}/{id}"))
                .after(serde_json::json!({ "seed": seed, "size": size, "population": population, "units": units }))).await?;
            id
        });
        Ok(id)
    }

    /// The spot checks of a period, oldest first, with their findings.
    pub async fn spot_checks(&self, plan_key: &str, period: &str) -> Result<Vec<SpotCheck>> {
        type Row = (i64, String, i64, i64, String, i64, String);
        let rows: Vec<Row> = on_db!(self, p => sqlx::query_as("SELECT id, seed, size, population, units_json, drawn_ms, drawn_by FROM spot_checks WHERE plan_key = $1 AND period = $2 ORDER BY id")
            .bind(plan_key).bind(period).fetch_all(p).await?);
        let mut out = Vec::new();
        for (id, seed, size, population, units_json, drawn_ms, drawn_by) in rows {
            let findings: Vec<Finding> = on_db!(self, p => sqlx::query_as("SELECT unit_key, finding, falsified <> 0 AS falsified, recorded_ms, recorded_by FROM spot_findings WHERE check_id = $1 ORDER BY unit_key")
                .bind(id).fetch_all(p).await?);
            let units = serde_json::from_str(&units_json).map_err(|e| StorageError::Corrupt(format!("spot check {id}: {e}")))?;
            out.push(SpotCheck { id, seed, size, population, units, drawn_ms, drawn_by, findings });
        }
        Ok(out)
    }

    /// Records the finding of a drawn unit (once; a second finding is refused).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_finding(&self, plan_key: &str, period: &str, check_id: i64, unit: &str, finding: &str, falsified: bool, actor: &str, at_ms: i64) -> Result<Finding> {
        self.record_finding_with(plan_key, period, check_id, unit, finding, falsified, &[], "", actor, at_ms).await
    }

    /// [`Db::record_finding`], and for a falsified finding an occurrence with
    /// `falsified_reason` on each of `falsified_items` (the plan's `auto = "falsified_data"`
    /// items), in the same transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_finding_with(&self, plan_key: &str, period: &str, check_id: i64, unit: &str, finding: &str, falsified: bool, falsified_items: &[String], falsified_reason: &str, actor: &str, at_ms: i64) -> Result<Finding> {
        let f = Finding { unit_key: unit.into(), finding: finding.into(), falsified, recorded_ms: at_ms, recorded_by: actor.into() };
        write_tx!(self, tx => {
            let units: Option<String> = sqlx::query_scalar("SELECT units_json FROM spot_checks WHERE id = $1 AND plan_key = $2 AND period = $3")
                .bind(check_id).bind(plan_key).bind(period).fetch_optional(&mut *tx).await?;
            let units: Vec<String> = match units {
                Some(j) => serde_json::from_str(&j).map_err(|e| StorageError::Corrupt(format!("spot check {check_id}: {e}")))?,
                None => return Err(StorageError::NotFound(format!("spot check {check_id} of {period}"))),
            };
            if !units.iter().any(|u| u == unit) {
                return Err(refused("not_drawn", format!("{unit} 不在第 {check_id} 次抽查的样本中"), format!("{unit} was not drawn in spot check {check_id}")));
            }
            sqlx::query("INSERT INTO spot_findings (check_id, unit_key, finding, falsified, recorded_ms, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(check_id).bind(unit).bind(finding).bind(i64::from(falsified)).bind(at_ms).bind(actor)
                .execute(&mut *tx).await.map_err(|e| match classify(e, || format!("the finding of {unit} in spot check {check_id}")) {
                    StorageError::Conflict(_) => refused("finding_recorded", format!("{unit} 的核查结果已记录"), format!("the finding of {unit} is already recorded")),
                    other => other,
                })?;
            tx.audit(&NewAudit::new(at_ms, actor, "record", "spot_finding", format!("{plan_key}/{period}/{check_id}/{unit}")).after(&f)).await?;
            if falsified {
                for item in falsified_items {
                    insert_occurrence!(tx, plan_key, period, unit, item, falsified_reason, actor, at_ms);
                }
            }
        });
        Ok(f)
    }
}
