//! After submission: evidence files (M7), corrections of accepted values (M8) and appeals
//! of published results (M11). Every change is one transaction with its audit row; nothing
//! here is ever deleted — a file is withdrawn, a correction keeps the old value beside the
//! new one, a deduction found wrong on appeal is withdrawn with the reason.

use serde::{Deserialize, Serialize};

use crate::values::ValueInput;
use crate::{AuditTx, Db, NewAudit, Result, StorageError, classify, on_db, write_tx};

fn refused(code: &'static str, zh: String, en: String) -> StorageError {
    StorageError::Refused { code, zh, en }
}

fn invalid(code: &'static str, zh: &str, en: &str) -> StorageError {
    StorageError::Invalid { code, zh: zh.into(), en: en.into() }
}

/// Trims a reason and checks it is given and at most 500 characters.
pub fn reason(text: &str) -> Result<&str> {
    let t = text.trim();
    if t.is_empty() {
        return Err(invalid("reason_required", "须写明原因", "a reason is required"));
    }
    if t.chars().count() > 500 {
        return Err(invalid("reason_too_long", "原因不超过 500 字", "a reason is at most 500 characters"));
    }
    Ok(t)
}

/// The days after a publication during which its units may appeal, when the office set none.
pub const DEFAULT_APPEAL_DAYS: i64 = 7;
const DAY_MS: i64 = 86_400_000;

// ---------------------------------------------------------------------------
// Evidence.

/// A stored evidence file's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Evidence {
    pub id: i64,
    pub plan_key: String,
    pub period: String,
    pub unit_key: String,
    pub indicator: String,
    pub appeal_id: Option<i64>,
    pub file_name: String,
    /// What the content was found to be (`pdf`, `png`, `jpeg`, `xlsx`, …).
    pub kind: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_ms: i64,
    pub uploaded_by: String,
    pub withdrawn_ms: Option<i64>,
    pub withdrawn_by: Option<String>,
}

const EV_COLS: &str = "id, plan_key, period, unit_key, indicator, appeal_id, file_name, kind, size, sha256, uploaded_ms, uploaded_by, withdrawn_ms, withdrawn_by";

/// A file to record (its bytes are already stored under its hash).
#[derive(Clone, Debug)]
pub struct NewEvidence<'a> {
    pub plan_key: &'a str,
    pub period: &'a str,
    pub unit: &'a str,
    pub indicator: &'a str,
    pub appeal_id: Option<i64>,
    pub file_name: &'a str,
    pub kind: &'a str,
    pub size: i64,
    pub sha256: &'a str,
}

/// Refuses a change to a unit's data of a period that is closed, submitted or accepted:
/// the same rule as a value write, checked inside the transaction.
macro_rules! check_unlocked {
    ($tx:ident, $plan:expr, $period:expr, $unit:expr) => {{
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM periods WHERE plan_key = $1 AND period = $2").bind($plan).bind($period).fetch_optional(&mut *$tx).await?;
        match status.as_deref() {
            None => return Err(StorageError::NotFound(format!("period '{}' of plan '{}'", $period, $plan))),
            Some("open") => {}
            Some(_) => return Err(refused("period_not_open", format!("期间 {} 未开放填报", $period), format!("the period {} is not open for data", $period))),
        }
        let sub: Option<String> = sqlx::query_scalar("SELECT status FROM submissions WHERE plan_key = $1 AND period = $2 AND unit_key = $3")
            .bind($plan).bind($period).bind($unit).fetch_optional(&mut *$tx).await?;
        if let Some(st) = sub.filter(|s| s != "returned") {
            return Err(refused(
                "values_locked",
                format!("{} 的 {} 数据{}，已锁定；如需修改，请先退回", $unit, $period, crate::cycle::status_zh(&st)),
                format!("the {} data of {} is {st} and locked; it must be returned before it can change", $period, $unit),
            ));
        }
    }};
}

impl Db {
    /// Records an evidence file. A file of a value needs the unit's data open for changes;
    /// a file of an appeal needs the appeal of that unit still unanswered.
    pub async fn add_evidence(&self, e: &NewEvidence<'_>, actor: &str, at_ms: i64) -> Result<Evidence> {
        let sql = sqlx::AssertSqlSafe(format!("INSERT INTO evidence (plan_key, period, unit_key, indicator, appeal_id, file_name, kind, size, sha256, uploaded_ms, uploaded_by) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {EV_COLS}"));
        let row = write_tx!(self, tx => {
            match e.appeal_id {
                None => check_unlocked!(tx, e.plan_key, e.period, e.unit),
                Some(id) => {
                    let a: Option<(String, String, String, String)> = sqlx::query_as("SELECT plan_key, period, unit_key, status FROM appeals WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
                    match a {
                        Some((p, per, u, st)) if p == e.plan_key && per == e.period && u == e.unit => {
                            if st == "upheld" || st == "corrected" {
                                return Err(refused("appeal_answered", format!("申诉 {id} 已答复，不能再附材料"), format!("appeal {id} is answered; no more files can be attached")));
                            }
                        }
                        _ => return Err(StorageError::NotFound(format!("appeal {id} of {} in {}", e.unit, e.period))),
                    }
                }
            }
            let row: Evidence = sqlx::query_as(sql)
                .bind(e.plan_key).bind(e.period).bind(e.unit).bind(e.indicator).bind(e.appeal_id).bind(e.file_name).bind(e.kind).bind(e.size).bind(e.sha256).bind(at_ms).bind(actor)
                .fetch_one(&mut *tx).await.map_err(|err| classify(err, || format!("unit '{}'", e.unit)))?;
            tx.audit(&NewAudit::new(at_ms, actor, "upload", "evidence", format!("{}/{}/{}/{}", e.plan_key, e.period, e.unit, row.id)).after(&row)).await?;
            row
        });
        Ok(row)
    }

    /// The evidence of a unit in a period (withdrawn files too, marked), oldest first.
    pub async fn evidence_of(&self, plan_key: &str, period: &str, unit: &str) -> Result<Vec<Evidence>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {EV_COLS} FROM evidence WHERE plan_key = $1 AND period = $2 AND unit_key = $3 ORDER BY id"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).bind(unit).fetch_all(p).await?))
    }

    pub async fn evidence(&self, id: i64) -> Result<Option<Evidence>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {EV_COLS} FROM evidence WHERE id = $1"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(id).fetch_optional(p).await?))
    }

    /// Withdraws a value's file while the unit's data may still change.
    pub async fn withdraw_evidence(&self, id: i64, actor: &str, at_ms: i64) -> Result<Evidence> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {EV_COLS} FROM evidence WHERE id = $1"));
        let row = write_tx!(self, tx => {
            let before: Evidence = sqlx::query_as(sql).bind(id).fetch_optional(&mut *tx).await?.ok_or_else(|| StorageError::NotFound(format!("evidence {id}")))?;
            if before.withdrawn_ms.is_some() {
                return Err(refused("already_withdrawn", format!("材料 {id} 已撤回"), format!("evidence {id} is already withdrawn")));
            }
            if before.appeal_id.is_none() {
                check_unlocked!(tx, &before.plan_key, &before.period, &before.unit_key);
            }
            sqlx::query("UPDATE evidence SET withdrawn_ms = $2, withdrawn_by = $3 WHERE id = $1").bind(id).bind(at_ms).bind(actor).execute(&mut *tx).await?;
            let after = Evidence { withdrawn_ms: Some(at_ms), withdrawn_by: Some(actor.into()), ..before.clone() };
            tx.audit(&NewAudit::new(at_ms, actor, "withdraw", "evidence", format!("{}/{}/{}/{id}", before.plan_key, before.period, before.unit_key)).before(&before).after(&after)).await?;
            after
        });
        Ok(row)
    }
}

// ---------------------------------------------------------------------------
// Corrections.

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Correction {
    pub id: i64,
    pub plan_key: String,
    pub period: String,
    pub unit_key: String,
    pub indicator: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: String,
    pub reason: String,
    /// `requested`, `approved` or `rejected`.
    pub status: String,
    pub requested_ms: i64,
    pub requested_by: String,
    pub decided_ms: Option<i64>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub appeal_id: Option<i64>,
}

const CO_COLS: &str = "id, plan_key, period, unit_key, indicator, field, old_value, new_value, reason, status, requested_ms, requested_by, decided_ms, decided_by, decision_note, appeal_id";

/// Reads the current value of a field inside a transaction.
macro_rules! current_value {
    ($tx:ident, $plan:expr, $period:expr, $unit:expr, $ind:expr, $field:expr) => {{
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM data_values WHERE plan_key = $1 AND period = $2 AND subject = $3 AND indicator = $4 AND field = $5")
            .bind($plan).bind($period).bind($unit).bind($ind).bind($field).fetch_optional(&mut *$tx).await?;
        v
    }};
}

/// Writes a corrected value inside a transaction, with the value's own audit row.
macro_rules! write_corrected {
    ($tx:ident, $plan:expr, $period:expr, $unit:expr, $ind:expr, $field:expr, $old:expr, $new:expr, $actor:expr, $at:expr, $why:expr) => {{
        sqlx::query("INSERT INTO data_values (plan_key, period, subject, indicator, field, value, updated_ms, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (plan_key, period, subject, indicator, field) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms, updated_by = excluded.updated_by")
            .bind($plan).bind($period).bind($unit).bind($ind).bind($field).bind($new).bind($at).bind($actor)
            .execute(&mut *$tx).await?;
        // The value's own audit row: what it was, what it is, and which correction made it so.
        let name = format!("{}.{}", $ind, $field);
        let before = serde_json::json!({ name.clone(): $old });
        let after = serde_json::json!({ name: $new, "because": $why });
        $tx.audit(&NewAudit::new($at, $actor, "correct", "data_values", format!("{}/{}/{}", $plan, $period, $unit)).before(&before).after(&after)).await?;
    }};
}

impl Db {
    /// Requests a change to a value of an accepted submission; the office decides.
    #[allow(clippy::too_many_arguments)]
    pub async fn request_correction(&self, plan_key: &str, period: &str, unit: &str, v: &ValueInput, why: &str, actor: &str, at_ms: i64) -> Result<Correction> {
        let why = reason(why)?;
        let sql = sqlx::AssertSqlSafe(format!("INSERT INTO corrections (plan_key, period, unit_key, indicator, field, old_value, new_value, reason, status, requested_ms, requested_by) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'requested', $9, $10) RETURNING {CO_COLS}"));
        let row = write_tx!(self, tx => {
            let sub: Option<String> = sqlx::query_scalar("SELECT status FROM submissions WHERE plan_key = $1 AND period = $2 AND unit_key = $3")
                .bind(plan_key).bind(period).bind(unit).fetch_optional(&mut *tx).await?;
            if sub.as_deref() != Some("accepted") {
                return Err(refused("not_accepted", format!("{unit} 的 {period} 数据尚未审核通过，可直接修改或退回后修改，无需更正申请"),
                    format!("the {period} data of {unit} is not accepted: change it directly (or after a return), no correction request is needed")));
            }
            let old = current_value!(tx, plan_key, period, unit, &v.indicator, &v.field);
            if old.as_deref() == Some(v.value.as_str()) {
                return Err(invalid("unchanged", "更正后的数值与现值相同", "the corrected value is the same as the current one"));
            }
            let row: Correction = sqlx::query_as(sql)
                .bind(plan_key).bind(period).bind(unit).bind(&v.indicator).bind(&v.field).bind(&old).bind(&v.value).bind(why).bind(at_ms).bind(actor)
                .fetch_one(&mut *tx).await.map_err(|e| classify(e, || format!("unit '{unit}'")))?;
            tx.audit(&NewAudit::new(at_ms, actor, "request", "correction", format!("{plan_key}/{period}/{unit}/{}", row.id)).after(&row)).await?;
            row
        });
        Ok(row)
    }

    /// Approves (and writes the value) or rejects a requested correction.
    pub async fn decide_correction(&self, id: i64, approve: bool, note: Option<&str>, actor: &str, at_ms: i64) -> Result<Correction> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if !approve {
            reason(note.unwrap_or(""))?;
        }
        let sql = sqlx::AssertSqlSafe(format!("SELECT {CO_COLS} FROM corrections WHERE id = $1"));
        let row = write_tx!(self, tx => {
            let before: Correction = sqlx::query_as(sql).bind(id).fetch_optional(&mut *tx).await?.ok_or_else(|| StorageError::NotFound(format!("correction {id}")))?;
            if before.status != "requested" {
                return Err(refused("already_decided", format!("更正申请 {id} 已处理"), format!("correction {id} is already decided")));
            }
            let status = if approve { "approved" } else { "rejected" };
            let mut after = Correction { status: status.into(), decided_ms: Some(at_ms), decided_by: Some(actor.into()), decision_note: note.map(str::to_string), ..before.clone() };
            if approve {
                // The value may have moved since the request: the old value recorded is the one replaced now.
                let old = current_value!(tx, &before.plan_key, &before.period, &before.unit_key, &before.indicator, &before.field);
                after.old_value = old.clone();
                write_corrected!(tx, &before.plan_key, &before.period, &before.unit_key, &before.indicator, &before.field, old.as_deref(), &before.new_value, actor, at_ms, &format!("correction {id}"));
            }
            sqlx::query("UPDATE corrections SET status = $2, decided_ms = $3, decided_by = $4, decision_note = $5, old_value = $6 WHERE id = $1")
                .bind(id).bind(status).bind(at_ms).bind(actor).bind(note).bind(&after.old_value).execute(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, actor, if approve { "approve" } else { "reject" }, "correction", format!("{}/{}/{}/{id}", before.plan_key, before.period, before.unit_key)).before(&before).after(&after)).await?;
            after
        });
        Ok(row)
    }

    /// The corrections of a period (of one unit when given), oldest first.
    pub async fn corrections(&self, plan_key: &str, period: &str, unit: Option<&str>) -> Result<Vec<Correction>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {CO_COLS} FROM corrections WHERE plan_key = $1 AND period = $2 AND ($3 IS NULL OR unit_key = $3) ORDER BY id"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).bind(unit).fetch_all(p).await?))
    }

    pub async fn correction(&self, id: i64) -> Result<Option<Correction>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {CO_COLS} FROM corrections WHERE id = $1"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(id).fetch_optional(p).await?))
    }
}

// ---------------------------------------------------------------------------
// Appeals.

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Appeal {
    pub id: i64,
    pub plan_key: String,
    pub period: String,
    pub unit_key: String,
    /// The publication version appealed.
    pub version: i64,
    pub indicator: String,
    /// The recorded deduction (or bonus, veto) appealed, if any.
    pub occurrence_id: Option<i64>,
    pub reason: String,
    /// `filed`, `routed`, `upheld` or `corrected`.
    pub status: String,
    pub filed_ms: i64,
    pub filed_by: String,
    /// The responsible department (a unit) it was routed to.
    pub routed_to: Option<String>,
    pub routed_ms: Option<i64>,
    pub routed_by: Option<String>,
    pub answer: Option<String>,
    pub answered_ms: Option<i64>,
    pub answered_by: Option<String>,
    /// The publication version that carries the correction.
    pub republished: Option<i64>,
}

const AP_COLS: &str = "id, plan_key, period, unit_key, version, indicator, occurrence_id, reason, status, filed_ms, filed_by, routed_to, routed_ms, routed_by, answer, answered_ms, answered_by, republished";

/// An appeal to file.
#[derive(Clone, Debug)]
pub struct NewAppeal<'a> {
    pub plan_key: &'a str,
    pub period: &'a str,
    pub unit: &'a str,
    pub indicator: &'a str,
    pub occurrence_id: Option<i64>,
    pub reason: &'a str,
}

/// The answer to an appeal.
#[derive(Clone, Debug)]
pub enum Outcome<'a> {
    /// The published result stands.
    Upheld,
    /// The result was wrong: these values change and/or the appealed occurrence is withdrawn.
    Corrected { values: &'a [ValueInput], withdraw_occurrence: bool },
}

/// When appeals of a period may be filed: from its latest publication for the window's days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealWindow {
    pub version: i64,
    pub published_ms: i64,
    pub days: i64,
    pub closes_ms: i64,
}

impl Db {
    /// Sets how many days after publication a period may be appealed.
    pub async fn set_appeal_days(&self, plan_key: &str, period: &str, days: i64, actor: &str, at_ms: i64) -> Result<()> {
        if !(1..=90).contains(&days) {
            return Err(invalid("bad_days", "申诉期为 1 至 90 天", "the appeal window is 1 to 90 days"));
        }
        write_tx!(self, tx => {
            let before: Option<i64> = sqlx::query_scalar("SELECT days FROM appeal_windows WHERE plan_key = $1 AND period = $2").bind(plan_key).bind(period).fetch_optional(&mut *tx).await?;
            sqlx::query("INSERT INTO appeal_windows (plan_key, period, days, set_ms, set_by) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (plan_key, period) DO UPDATE SET days = excluded.days, set_ms = excluded.set_ms, set_by = excluded.set_by")
                .bind(plan_key).bind(period).bind(days).bind(at_ms).bind(actor)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("period '{period}' of plan '{plan_key}'")))?;
            tx.audit(&NewAudit::new(at_ms, actor, "set", "appeal_window", format!("{plan_key}/{period}")).before(before.map(|d| serde_json::json!({ "days": d }))).after(serde_json::json!({ "days": days }))).await?;
        });
        Ok(())
    }

    /// The window of a published period (None before publication).
    pub async fn appeal_window(&self, plan_key: &str, period: &str) -> Result<Option<AppealWindow>> {
        let last: Option<(i64, i64)> = on_db!(self, p => sqlx::query_as("SELECT version, published_ms FROM publications WHERE plan_key = $1 AND period = $2 ORDER BY version DESC LIMIT 1")
            .bind(plan_key).bind(period).fetch_optional(p).await?);
        let days: Option<i64> = on_db!(self, p => sqlx::query_scalar("SELECT days FROM appeal_windows WHERE plan_key = $1 AND period = $2").bind(plan_key).bind(period).fetch_optional(p).await?);
        let days = days.unwrap_or(DEFAULT_APPEAL_DAYS);
        Ok(last.map(|(version, published_ms)| AppealWindow { version, published_ms, days, closes_ms: published_ms + days * DAY_MS }))
    }

    /// Files an appeal of the period's publication in force, within its window.
    pub async fn file_appeal(&self, a: &NewAppeal<'_>, actor: &str, at_ms: i64) -> Result<Appeal> {
        let why = reason(a.reason)?;
        let window = self.appeal_window(a.plan_key, a.period).await?;
        let Some(w) = window else {
            return Err(refused("not_published", format!("{} 的结果尚未发布，无可申诉", a.period), format!("the results of {} are not published; there is nothing to appeal", a.period)));
        };
        if at_ms > w.closes_ms {
            return Err(refused("appeal_window_closed", format!("{} 的申诉期（发布后 {} 天）已过", a.period, w.days), format!("the appeal window of {} ({} days after publication) has closed", a.period, w.days)));
        }
        let sql = sqlx::AssertSqlSafe(format!("INSERT INTO appeals (plan_key, period, unit_key, version, indicator, occurrence_id, reason, status, filed_ms, filed_by) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, 'filed', $8, $9) RETURNING {AP_COLS}"));
        let row = write_tx!(self, tx => {
            if let Some(oid) = a.occurrence_id {
                let o: Option<(String, String, String, Option<i64>)> = sqlx::query_as("SELECT period, subject, indicator, withdrawn_ms FROM occurrences WHERE id = $1 AND plan_key = $2")
                    .bind(oid).bind(a.plan_key).fetch_optional(&mut *tx).await?;
                match o {
                    Some((_, s, i, None)) if s == a.unit && i == a.indicator => {}
                    Some((_, s, i, Some(_))) if s == a.unit && i == a.indicator => return Err(refused("occurrence_withdrawn", format!("记录 {oid} 已撤销"), format!("occurrence {oid} is already withdrawn"))),
                    _ => return Err(StorageError::NotFound(format!("occurrence {oid} of {} on {}", a.unit, a.indicator))),
                }
            }
            let open: Option<i64> = sqlx::query_scalar("SELECT id FROM appeals WHERE plan_key = $1 AND period = $2 AND unit_key = $3 AND indicator = $4 AND status IN ('filed', 'routed') AND COALESCE(occurrence_id, 0) = COALESCE($5, 0) LIMIT 1")
                .bind(a.plan_key).bind(a.period).bind(a.unit).bind(a.indicator).bind(a.occurrence_id).fetch_optional(&mut *tx).await?;
            if let Some(open) = open {
                return Err(refused("appeal_open", format!("同一事项的申诉 {open} 尚未答复"), format!("appeal {open} on the same item is not answered yet")));
            }
            let row: Appeal = sqlx::query_as(sql)
                .bind(a.plan_key).bind(a.period).bind(a.unit).bind(w.version).bind(a.indicator).bind(a.occurrence_id).bind(why).bind(at_ms).bind(actor)
                .fetch_one(&mut *tx).await.map_err(|e| classify(e, || format!("unit '{}'", a.unit)))?;
            tx.audit(&NewAudit::new(at_ms, actor, "file", "appeal", format!("{}/{}/{}/{}", a.plan_key, a.period, a.unit, row.id)).after(&row)).await?;
            row
        });
        Ok(row)
    }

    pub async fn appeal(&self, id: i64) -> Result<Option<Appeal>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {AP_COLS} FROM appeals WHERE id = $1"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(id).fetch_optional(p).await?))
    }

    /// Appeals of a plan, newest first: of a period, a unit or routed to a department when given.
    pub async fn appeals(&self, plan_key: &str, period: Option<&str>, unit: Option<&str>, routed_to: Option<&str>) -> Result<Vec<Appeal>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {AP_COLS} FROM appeals WHERE plan_key = $1 AND ($2 IS NULL OR period = $2) AND ($3 IS NULL OR unit_key = $3) AND ($4 IS NULL OR routed_to = $4) ORDER BY id DESC LIMIT 1000"
        ));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).bind(unit).bind(routed_to).fetch_all(p).await?))
    }

    /// Routes an unanswered appeal to a responsible department (a unit).
    pub async fn route_appeal(&self, id: i64, department: &str, actor: &str, at_ms: i64) -> Result<Appeal> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {AP_COLS} FROM appeals WHERE id = $1"));
        let row = write_tx!(self, tx => {
            let before: Appeal = sqlx::query_as(sql).bind(id).fetch_optional(&mut *tx).await?.ok_or_else(|| StorageError::NotFound(format!("appeal {id}")))?;
            if before.status != "filed" && before.status != "routed" {
                return Err(refused("appeal_answered", format!("申诉 {id} 已答复"), format!("appeal {id} is already answered")));
            }
            let exists: Option<String> = sqlx::query_scalar("SELECT key FROM units WHERE key = $1").bind(department).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                return Err(StorageError::NotFound(format!("unit '{department}'")));
            }
            sqlx::query("UPDATE appeals SET status = 'routed', routed_to = $2, routed_ms = $3, routed_by = $4 WHERE id = $1").bind(id).bind(department).bind(at_ms).bind(actor).execute(&mut *tx).await?;
            let after = Appeal { status: "routed".into(), routed_to: Some(department.into()), routed_ms: Some(at_ms), routed_by: Some(actor.into()), ..before.clone() };
            tx.audit(&NewAudit::new(at_ms, actor, "route", "appeal", format!("{}/{}/{}/{id}", before.plan_key, before.period, before.unit_key)).before(&before).after(&after)).await?;
            after
        });
        Ok(row)
    }

    /// Answers an unanswered appeal. A correction writes the changed values (each kept as an
    /// approved correction beside the old value) and withdraws the appealed occurrence, in
    /// the same transaction; the caller then re-publishes and records the version with
    /// [`Db::set_republished`].
    pub async fn answer_appeal(&self, id: i64, outcome: &Outcome<'_>, why: &str, actor: &str, at_ms: i64) -> Result<Appeal> {
        let why = reason(why)?;
        if let Outcome::Corrected { values, withdraw_occurrence } = outcome
            && values.is_empty()
            && !withdraw_occurrence
        {
            return Err(invalid("nothing_corrected", "更正须改动至少一个数值或撤销被申诉的记录", "a correction must change a value or withdraw the appealed occurrence"));
        }
        let sql = sqlx::AssertSqlSafe(format!("SELECT {AP_COLS} FROM appeals WHERE id = $1"));
        let row = write_tx!(self, tx => {
            let before: Appeal = sqlx::query_as(sql).bind(id).fetch_optional(&mut *tx).await?.ok_or_else(|| StorageError::NotFound(format!("appeal {id}")))?;
            if before.status != "filed" && before.status != "routed" {
                return Err(refused("appeal_answered", format!("申诉 {id} 已答复"), format!("appeal {id} is already answered")));
            }
            let (plan, period, unit) = (&before.plan_key, &before.period, &before.unit_key);
            let status = match outcome {
                Outcome::Upheld => "upheld",
                Outcome::Corrected { values, withdraw_occurrence } => {
                    for v in values.iter() {
                        let old = current_value!(tx, plan, period, unit, &v.indicator, &v.field);
                        if old.as_deref() == Some(v.value.as_str()) {
                            continue;
                        }
                        sqlx::query("INSERT INTO corrections (plan_key, period, unit_key, indicator, field, old_value, new_value, reason, status, requested_ms, requested_by, decided_ms, decided_by, decision_note, appeal_id) \
                                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'approved', $9, $10, $9, $10, $8, $11)")
                            .bind(plan).bind(period).bind(unit).bind(&v.indicator).bind(&v.field).bind(&old).bind(&v.value).bind(why).bind(at_ms).bind(actor).bind(id)
                            .execute(&mut *tx).await?;
                        write_corrected!(tx, plan, period, unit, &v.indicator, &v.field, old.as_deref(), &v.value, actor, at_ms, &format!("appeal {id}"));
                    }
                    if *withdraw_occurrence {
                        let Some(oid) = before.occurrence_id else {
                            return Err(invalid("no_occurrence", "该申诉未针对某条扣分记录，无可撤销", "this appeal names no occurrence to withdraw"));
                        };
                        let n = sqlx::query("UPDATE occurrences SET withdrawn_ms = $2, withdrawn_by = $3, withdrawn_reason = $4 WHERE id = $1 AND withdrawn_ms IS NULL")
                            .bind(oid).bind(at_ms).bind(actor).bind(format!("申诉 {id}: {why}")).execute(&mut *tx).await?.rows_affected();
                        if n == 1 {
                            tx.audit(&NewAudit::new(at_ms, actor, "withdraw", "occurrence", format!("{plan}/{period}/{unit}/{oid}")).after(serde_json::json!({ "appeal": id, "reason": why }))).await?;
                        }
                    }
                    "corrected"
                }
            };
            sqlx::query("UPDATE appeals SET status = $2, answer = $3, answered_ms = $4, answered_by = $5 WHERE id = $1").bind(id).bind(status).bind(why).bind(at_ms).bind(actor).execute(&mut *tx).await?;
            let after = Appeal { status: status.into(), answer: Some(why.into()), answered_ms: Some(at_ms), answered_by: Some(actor.into()), ..before.clone() };
            tx.audit(&NewAudit::new(at_ms, actor, "answer", "appeal", format!("{plan}/{period}/{unit}/{id}")).before(&before).after(&after)).await?;
            after
        });
        Ok(row)
    }

    /// Records the publication version that carries an appeal's correction.
    pub async fn set_republished(&self, id: i64, version: i64, actor: &str, at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            let n = sqlx::query("UPDATE appeals SET republished = $2 WHERE id = $1 AND status = 'corrected' AND republished IS NULL").bind(id).bind(version).execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return Err(refused("not_corrected", format!("申诉 {id} 不是待重新发布的更正"), format!("appeal {id} is not a correction awaiting re-publication")));
            }
            tx.audit(&NewAudit::new(at_ms, actor, "republish", "appeal", format!("{id}")).after(serde_json::json!({ "version": version }))).await?;
        });
        Ok(())
    }
}
