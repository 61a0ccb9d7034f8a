//! Expert panels (专家评审组, M13): a panel of experts scores one indicator of a plan for a
//! set of units in one period, after site visits. Ties between an expert and a unit exclude
//! the expert from that unit; scores can change until the panel is closed; closing fixes
//! the result per unit (computed by the caller from the scores read inside the closing
//! transaction); applying writes the results as the indicator's values through the same
//! value write as any other (`put_values`), all or nothing.
//!
//! Every score and tie first bumps the panel's `revision` where the panel is open, and
//! closing first sets the status where it is open: both take the panel's row, so no score
//! slips in after the result was computed (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the row
//! lock). Each step writes its audit row in its own transaction.

use serde::{Deserialize, Serialize};

use crate::imports::ValuesTx;
use crate::values::{ValueInput, ValuesJob};
use crate::{AuditTx, Db, NewAudit, Result, StorageError, classify, on_db, write_tx};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Panel {
    pub key: String,
    pub name: String,
    pub plan_key: String,
    pub period: String,
    pub indicator: String,
    /// The indicator's input field the result is written to (`value`).
    pub field: String,
    /// The highest score an expert may give, as written (`10`, `12.5`).
    pub max_score: String,
    /// With at least this many scores for a unit, its highest and lowest are dropped.
    pub trim_from: i64,
    /// A unit is flagged when the highest score minus the lowest exceeds this.
    pub spread_flag: String,
    /// `open` (experts score), `closed` (results fixed) or `applied` (written as values).
    pub status: String,
    pub revision: i64,
    /// The results fixed at closing (the server's JSON).
    pub results_json: Option<String>,
    pub created_ms: i64,
    pub created_by: String,
    pub closed_ms: Option<i64>,
    pub closed_by: Option<String>,
    pub applied_ms: Option<i64>,
    pub applied_by: Option<String>,
}

const COLS: &str = "key, name, plan_key, period, indicator, field, max_score, trim_from, spread_flag, status, revision, results_json, created_ms, created_by, closed_ms, closed_by, applied_ms, applied_by";

/// A tie: the expert may not score the unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Tie {
    pub username: String,
    pub unit_key: String,
    pub reason: String,
    pub declared_by: String,
    pub declared_ms: i64,
}

/// An expert's score of a unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PanelScore {
    pub username: String,
    pub unit_key: String,
    pub score: String,
    pub comment: String,
    pub updated_ms: i64,
}

/// A panel to create (checked by the caller against the plan, the registry and the users).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewPanel {
    pub key: String,
    pub name: String,
    pub plan_key: String,
    pub period: String,
    pub indicator: String,
    pub field: String,
    pub max_score: String,
    pub trim_from: i64,
    pub spread_flag: String,
    pub members: Vec<String>,
    pub units: Vec<String>,
    /// (expert, unit, reason).
    pub ties: Vec<(String, String, String)>,
}

/// Everything stored about a panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelState {
    pub panel: Panel,
    pub members: Vec<String>,
    pub units: Vec<String>,
    pub ties: Vec<Tie>,
    pub scores: Vec<PanelScore>,
}

fn one() -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM expert_panels WHERE key = $1"))
}

fn refused(code: &'static str, zh: String, en: String) -> StorageError {
    StorageError::Refused { code, zh, en }
}

/// Why a panel takes no more scores or ties.
pub fn not_open(p: &Panel) -> StorageError {
    refused("panel_closed", format!("评审组“{}”已结束评分，不能再修改", p.name), format!("the panel '{}' is closed; nothing can change any more", p.name))
}

fn tied(p: &Panel, unit: &str) -> StorageError {
    refused(
        "expert_tied",
        format!("您与单位 {unit} 存在关联（回避），不能为其评分（评审组“{}”）", p.name),
        format!("you have a tie with the unit {unit} and must stand aside: you cannot score it (panel '{}')", p.name),
    )
}

/// Takes the panel's row where it is open (or reports why not).
macro_rules! take_open {
    ($tx:ident, $key:expr) => {{
        let n = sqlx::query("UPDATE expert_panels SET revision = revision + 1 WHERE key = $1 AND status = 'open'").bind($key).execute(&mut *$tx).await?;
        let p: Option<Panel> = sqlx::query_as(one()).bind($key).fetch_optional(&mut *$tx).await?;
        let Some(p) = p else { return Err(StorageError::NotFound(format!("expert panel '{}'", $key))) };
        if n.rows_affected() == 0 {
            return Err(not_open(&p));
        }
        p
    }};
}

impl Db {
    /// Creates a panel with its members, units and ties, in one transaction with its audit row.
    pub async fn create_panel(&self, n: &NewPanel, actor: &str, at_ms: i64) -> Result<Panel> {
        let p = write_tx!(self, tx => {
            sqlx::query("INSERT INTO expert_panels (key, name, plan_key, period, indicator, field, max_score, trim_from, spread_flag, status, revision, created_ms, created_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', 0, $10, $11)")
                .bind(&n.key).bind(&n.name).bind(&n.plan_key).bind(&n.period).bind(&n.indicator).bind(&n.field).bind(&n.max_score).bind(n.trim_from).bind(&n.spread_flag).bind(at_ms).bind(actor)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("expert panel '{}'", n.key)))?;
            for m in &n.members {
                sqlx::query("INSERT INTO expert_panel_members (panel_key, username) VALUES ($1, $2)").bind(&n.key).bind(m)
                    .execute(&mut *tx).await.map_err(|e| classify(e, || format!("the member '{m}'")))?;
            }
            for u in &n.units {
                sqlx::query("INSERT INTO expert_panel_units (panel_key, unit_key) VALUES ($1, $2)").bind(&n.key).bind(u)
                    .execute(&mut *tx).await.map_err(|e| classify(e, || format!("the unit '{u}'")))?;
            }
            for (m, u, reason) in &n.ties {
                sqlx::query("INSERT INTO expert_panel_ties (panel_key, username, unit_key, reason, declared_by, declared_ms) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(&n.key).bind(m).bind(u).bind(reason).bind(actor).bind(at_ms)
                    .execute(&mut *tx).await.map_err(|e| classify(e, || format!("the tie of '{m}' with '{u}'")))?;
            }
            tx.audit(&NewAudit::new(at_ms, actor, "create", "expert_panel", &n.key).after(n)).await?;
            let p: Panel = sqlx::query_as(one()).bind(&n.key).fetch_one(&mut *tx).await?;
            p
        });
        Ok(p)
    }

    /// Every panel, newest first.
    pub async fn panels(&self) -> Result<Vec<Panel>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM expert_panels ORDER BY created_ms DESC, key"));
        Ok(on_db!(self, p => sqlx::query_as(sql).fetch_all(p).await?))
    }

    /// The panels an expert is a member of, newest first.
    pub async fn panels_of(&self, username: &str) -> Result<Vec<Panel>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM expert_panels WHERE key IN (SELECT panel_key FROM expert_panel_members WHERE username = $1) ORDER BY created_ms DESC, key"
        ));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(username).fetch_all(p).await?))
    }

    pub async fn panel(&self, key: &str) -> Result<Option<Panel>> {
        Ok(on_db!(self, p => sqlx::query_as(one()).bind(key).fetch_optional(p).await?))
    }

    /// A panel with its members, units, ties and every score (the caller decides who sees what).
    pub async fn panel_state(&self, key: &str) -> Result<Option<PanelState>> {
        let Some(panel) = self.panel(key).await? else { return Ok(None) };
        let (members, units, ties, scores) = on_db!(self, p => {
            let members: Vec<String> = sqlx::query_scalar("SELECT username FROM expert_panel_members WHERE panel_key = $1 ORDER BY username").bind(key).fetch_all(p).await?;
            let units: Vec<String> = sqlx::query_scalar("SELECT unit_key FROM expert_panel_units WHERE panel_key = $1 ORDER BY unit_key").bind(key).fetch_all(p).await?;
            let ties: Vec<Tie> = sqlx::query_as("SELECT username, unit_key, reason, declared_by, declared_ms FROM expert_panel_ties WHERE panel_key = $1 ORDER BY username, unit_key").bind(key).fetch_all(p).await?;
            let scores: Vec<PanelScore> = sqlx::query_as("SELECT username, unit_key, score, comment, updated_ms FROM expert_panel_scores WHERE panel_key = $1 ORDER BY unit_key, username").bind(key).fetch_all(p).await?;
            (members, units, ties, scores)
        });
        Ok(Some(PanelState { panel, members, units, ties, scores }))
    }

    /// Records (or changes) an expert's score of a unit while the panel is open. The caller
    /// checked membership, the unit and the number; the tie and the status are checked here,
    /// inside the write.
    pub async fn put_panel_score(&self, key: &str, username: &str, unit: &str, score: &str, comment: &str, at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            let p = take_open!(tx, key);
            let tie: Option<String> = sqlx::query_scalar("SELECT reason FROM expert_panel_ties WHERE panel_key = $1 AND username = $2 AND unit_key = $3")
                .bind(key).bind(username).bind(unit).fetch_optional(&mut *tx).await?;
            if tie.is_some() {
                return Err(tied(&p, unit));
            }
            let before: Option<(String, String)> = sqlx::query_as("SELECT score, comment FROM expert_panel_scores WHERE panel_key = $1 AND username = $2 AND unit_key = $3")
                .bind(key).bind(username).bind(unit).fetch_optional(&mut *tx).await?;
            sqlx::query("INSERT INTO expert_panel_scores (panel_key, username, unit_key, score, comment, updated_ms) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (panel_key, username, unit_key) DO UPDATE SET score = excluded.score, comment = excluded.comment, updated_ms = excluded.updated_ms")
                .bind(key).bind(username).bind(unit).bind(score).bind(comment).bind(at_ms)
                .execute(&mut *tx).await?;
            let mut audit = NewAudit::new(at_ms, username, "score", "expert_panel", key).after(serde_json::json!({ "unit": unit, "score": score, "comment": comment }));
            if let Some((s, c)) = before {
                audit = audit.before(serde_json::json!({ "unit": unit, "score": s, "comment": c }));
            }
            tx.audit(&audit).await?;
        });
        Ok(())
    }

    /// Records a tie of an expert with a unit while the panel is open, and withdraws the
    /// expert's score of that unit, if any (kept in the audit row). A tie already recorded
    /// is refused as a conflict.
    pub async fn declare_tie(&self, key: &str, username: &str, unit: &str, reason: &str, actor: &str, at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            take_open!(tx, key);
            sqlx::query("INSERT INTO expert_panel_ties (panel_key, username, unit_key, reason, declared_by, declared_ms) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(key).bind(username).bind(unit).bind(reason).bind(actor).bind(at_ms)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("the tie of '{username}' with '{unit}'")))?;
            let withdrawn: Option<(String, String)> = sqlx::query_as("SELECT score, comment FROM expert_panel_scores WHERE panel_key = $1 AND username = $2 AND unit_key = $3")
                .bind(key).bind(username).bind(unit).fetch_optional(&mut *tx).await?;
            sqlx::query("DELETE FROM expert_panel_scores WHERE panel_key = $1 AND username = $2 AND unit_key = $3").bind(key).bind(username).bind(unit).execute(&mut *tx).await?;
            let mut audit = NewAudit::new(at_ms, actor, "tie", "expert_panel", key).after(serde_json::json!({ "expert": username, "unit": unit, "reason": reason }));
            if let Some((s, c)) = withdrawn {
                audit = audit.before(serde_json::json!({ "expert": username, "unit": unit, "score": s, "comment": c }));
            }
            tx.audit(&audit).await?;
        });
        Ok(())
    }

    /// Closes an open panel: sets the status (taking the row, so no score comes after),
    /// reads the scores, has `results` compute the result from them, and stores it, with the
    /// audit row, in one transaction.
    pub async fn close_panel<F>(&self, key: &str, actor: &str, at_ms: i64, results: F) -> Result<Panel>
    where
        F: FnOnce(&PanelState) -> Result<serde_json::Value>,
    {
        let p = write_tx!(self, tx => {
            let n = sqlx::query("UPDATE expert_panels SET status = 'closed', closed_ms = $2, closed_by = $3 WHERE key = $1 AND status = 'open'")
                .bind(key).bind(at_ms).bind(actor).execute(&mut *tx).await?;
            let p: Option<Panel> = sqlx::query_as(one()).bind(key).fetch_optional(&mut *tx).await?;
            let Some(panel) = p else { return Err(StorageError::NotFound(format!("expert panel '{key}'"))) };
            if n.rows_affected() == 0 {
                return Err(refused("panel_not_open", format!("评审组“{}”已经结束", panel.name), format!("the panel '{}' is already closed", panel.name)));
            }
            let members: Vec<String> = sqlx::query_scalar("SELECT username FROM expert_panel_members WHERE panel_key = $1 ORDER BY username").bind(key).fetch_all(&mut *tx).await?;
            let units: Vec<String> = sqlx::query_scalar("SELECT unit_key FROM expert_panel_units WHERE panel_key = $1 ORDER BY unit_key").bind(key).fetch_all(&mut *tx).await?;
            let ties: Vec<Tie> = sqlx::query_as("SELECT username, unit_key, reason, declared_by, declared_ms FROM expert_panel_ties WHERE panel_key = $1 ORDER BY username, unit_key").bind(key).fetch_all(&mut *tx).await?;
            let scores: Vec<PanelScore> = sqlx::query_as("SELECT username, unit_key, score, comment, updated_ms FROM expert_panel_scores WHERE panel_key = $1 ORDER BY unit_key, username").bind(key).fetch_all(&mut *tx).await?;
            let state = PanelState { panel, members, units, ties, scores };
            let r = results(&state)?;
            sqlx::query("UPDATE expert_panels SET results_json = $2 WHERE key = $1").bind(key).bind(r.to_string()).execute(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, actor, "close", "expert_panel", key).before(serde_json::json!({ "status": "open" })).after(serde_json::json!({ "status": "closed", "results": r }))).await?;
            let p: Panel = sqlx::query_as(one()).bind(key).fetch_one(&mut *tx).await?;
            p
        });
        Ok(p)
    }

    /// Applies a closed panel's results: writes each unit's value as `put_values` does (the
    /// period open, the unit's data not locked by a submission, one audit row per unit with
    /// the value before and after) and marks the panel applied, all in one transaction with
    /// the panel's own audit row. Returns how many values changed.
    pub async fn apply_panel(&self, key: &str, values: &[(String, String)], actor: &str, at_ms: i64) -> Result<usize> {
        let changed = write_tx!(self, tx => {
            let n = sqlx::query("UPDATE expert_panels SET status = 'applied', applied_ms = $2, applied_by = $3 WHERE key = $1 AND status = 'closed'")
                .bind(key).bind(at_ms).bind(actor).execute(&mut *tx).await?;
            let p: Option<Panel> = sqlx::query_as(one()).bind(key).fetch_optional(&mut *tx).await?;
            let Some(p) = p else { return Err(StorageError::NotFound(format!("expert panel '{key}'"))) };
            if n.rows_affected() == 0 {
                return Err(if p.status == "open" {
                    refused("panel_not_closed", format!("评审组“{}”尚未结束评分，不能应用结果", p.name), format!("the panel '{}' is not closed yet; its results cannot be applied", p.name))
                } else {
                    refused("panel_applied", format!("评审组“{}”的结果已经应用", p.name), format!("the results of the panel '{}' have already been applied", p.name))
                });
            }
            let mut changed = 0;
            for (unit, value) in values {
                let job = ValuesJob {
                    plan_key: p.plan_key.clone(),
                    period: p.period.clone(),
                    subject: unit.clone(),
                    values: vec![ValueInput { indicator: p.indicator.clone(), field: p.field.clone(), value: value.clone() }],
                    actor: actor.into(),
                    at_ms,
                };
                changed += tx.put_job(&job).await?;
            }
            let written: std::collections::BTreeMap<&str, &str> = values.iter().map(|(u, v)| (u.as_str(), v.as_str())).collect();
            tx.audit(&NewAudit::new(at_ms, actor, "apply", "expert_panel", key)
                .before(serde_json::json!({ "status": "closed" }))
                .after(serde_json::json!({ "status": "applied", "plan": p.plan_key, "period": p.period, "indicator": p.indicator, "field": p.field, "values": written }))).await?;
            changed
        });
        Ok(changed)
    }
}
