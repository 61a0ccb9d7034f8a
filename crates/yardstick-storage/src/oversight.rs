//! Monitoring and rectification (M14, M15): notices (warnings made by the plan's rules and
//! notices issued by hand), rectification tasks (open → reported by the unit → closed by
//! the office, or reopened), and follow-ups proposed by the consequence rules (proposed →
//! confirmed or dismissed by the office). Every write and its audit row share one
//! transaction; generation skips what an earlier run already made.

use serde::{Deserialize, Serialize};

use crate::{AuditTx, Db, NewAudit, Result, StorageError, classify, on_db, write_tx};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Notice {
    pub id: i64,
    pub period: String,
    pub unit_key: String,
    /// `warning` (预警通知单, made by a rule) or `notice` (通知单, issued by hand).
    pub kind: String,
    /// The indicator and measure a warning is about ('' for a notice by hand).
    pub indicator: String,
    pub measure: String,
    pub title: String,
    pub body: String,
    pub issued_ms: i64,
    pub issued_by: String,
    /// When the unit acknowledged it.
    pub read_ms: Option<i64>,
    pub read_by: Option<String>,
}

const NOTICE_COLS: &str = "id, period, unit_key, kind, indicator, measure, title, body, issued_ms, issued_by, read_ms, read_by";

/// A notice to issue; `dedup` names a rule-made warning so that it is made once.
#[derive(Clone, Debug)]
pub struct NewNotice {
    pub unit_key: String,
    pub kind: &'static str,
    pub indicator: String,
    pub measure: String,
    pub title: String,
    pub body: String,
    pub dedup: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Task {
    pub id: i64,
    pub period: String,
    pub unit_key: String,
    /// `deduction`, `veto`, `finding` (a falsified figure), `grade` or `notice`.
    pub source: String,
    /// What in the source it comes from (an occurrence id, a spot check, a grade).
    pub source_ref: String,
    pub problem: String,
    /// What the unit's report must cover.
    pub required: String,
    pub deadline_ms: i64,
    pub opened_ms: i64,
    pub opened_by: String,
    /// `open`, `reported` or `closed`; a reopened task is `open` again with the office's note.
    pub status: String,
    pub report: Option<String>,
    pub reported_ms: Option<i64>,
    pub reported_by: Option<String>,
    pub decided_ms: Option<i64>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
}

const TASK_COLS: &str = "id, period, unit_key, source, source_ref, problem, required, deadline_ms, opened_ms, opened_by, status, report, reported_ms, reported_by, decided_ms, decided_by, note";

impl Task {
    /// Past its deadline and not closed; a report filed after the deadline stays flagged.
    pub fn overdue(&self, now_ms: i64) -> bool {
        match self.status.as_str() {
            "closed" => false,
            "reported" => self.reported_ms.is_some_and(|r| r > self.deadline_ms),
            _ => now_ms > self.deadline_ms,
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewTask {
    pub unit_key: String,
    pub source: &'static str,
    pub source_ref: String,
    pub problem: String,
    pub required: String,
    pub deadline_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub id: i64,
    /// The last period that triggered it.
    pub period: String,
    pub subject: String,
    pub action: String,
    /// The rule, in words.
    pub rule: String,
    /// Every period that triggered it, oldest first.
    pub periods: Vec<String>,
    /// `proposed`, `confirmed` or `dismissed`.
    pub status: String,
    pub created_ms: i64,
    pub created_by: String,
    pub decided_ms: Option<i64>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
}

type FollowUpRow = (i64, String, String, String, String, String, String, i64, String, Option<i64>, Option<String>, Option<String>);
const FOLLOW_COLS: &str = "id, period, subject, action, rule, periods_json, status, created_ms, created_by, decided_ms, decided_by, note";

fn follow_up(r: FollowUpRow) -> Result<FollowUp> {
    let (id, period, subject, action, rule, periods_json, status, created_ms, created_by, decided_ms, decided_by, note) = r;
    let periods = serde_json::from_str(&periods_json).map_err(|e| StorageError::Corrupt(format!("follow-up {id}: {e}")))?;
    Ok(FollowUp { id, period, subject, action, rule, periods, status, created_ms, created_by, decided_ms, decided_by, note })
}

#[derive(Clone, Debug)]
pub struct NewFollowUp {
    pub subject: String,
    pub action: String,
    pub rule: String,
    pub periods: Vec<String>,
}

/// What one generation run made (nothing that an earlier run had made).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Generated {
    pub notices: Vec<Notice>,
    pub tasks: Vec<Task>,
    pub follow_ups: Vec<FollowUp>,
}

fn refused(code: &'static str, zh: String, en: String) -> StorageError {
    StorageError::Refused { code, zh, en }
}

/// A note or report: trimmed, 1–`max` characters (or absent when optional).
fn text(code: &'static str, (zh, en): (&str, &str), v: Option<&str>, required: bool, max: usize) -> Result<Option<String>> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    match v {
        None if required => Err(StorageError::Invalid { code, zh: format!("须填写{zh}"), en: format!("{en} is required") }),
        Some(s) if s.chars().count() > max => Err(StorageError::Invalid { code, zh: format!("{zh}不超过 {max} 字"), en: format!("{en} is at most {max} characters") }),
        v => Ok(v.map(str::to_string)),
    }
}

impl Db {
    /// Writes what a generation run found, skipping anything made before (by `dedup` for
    /// warnings, by source for tasks, by subject and action for follow-ups); one audit row
    /// per item made.
    #[allow(clippy::too_many_arguments)]
    pub async fn generate_oversight(&self, plan_key: &str, period: &str, notices: &[NewNotice], tasks: &[NewTask], follow_ups: &[NewFollowUp], actor: &str, at_ms: i64) -> Result<Generated> {
        let nsql = format!(
            "INSERT INTO notices (plan_key, period, unit_key, kind, indicator, measure, title, body, issued_ms, issued_by, dedup) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING {NOTICE_COLS}"
        );
        let tsql = format!(
            "INSERT INTO rectifications (plan_key, period, unit_key, source, source_ref, problem, required, deadline_ms, opened_ms, opened_by, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open') ON CONFLICT DO NOTHING RETURNING {TASK_COLS}"
        );
        let fsql = format!(
            "INSERT INTO follow_ups (plan_key, period, subject, action, rule, periods_json, status, created_ms, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, 'proposed', $7, $8) ON CONFLICT DO NOTHING RETURNING {FOLLOW_COLS}"
        );
        let g = write_tx!(self, tx => {
            let mut g = Generated::default();
            for n in notices {
                let made: Option<Notice> = sqlx::query_as(sqlx::AssertSqlSafe(nsql.clone()))
                    .bind(plan_key).bind(period).bind(&n.unit_key).bind(n.kind).bind(&n.indicator).bind(&n.measure).bind(&n.title).bind(&n.body).bind(at_ms).bind(actor).bind(&n.dedup)
                    .fetch_optional(&mut *tx).await.map_err(|e| classify(e, || format!("unit '{}'", n.unit_key)))?;
                if let Some(made) = made {
                    tx.audit(&NewAudit::new(at_ms, actor, "issue", "notice", format!("{plan_key}/{period}/{}", made.id)).after(&made)).await?;
                    g.notices.push(made);
                }
            }
            for t in tasks {
                let made: Option<Task> = sqlx::query_as(sqlx::AssertSqlSafe(tsql.clone()))
                    .bind(plan_key).bind(period).bind(&t.unit_key).bind(t.source).bind(&t.source_ref).bind(&t.problem).bind(&t.required).bind(t.deadline_ms).bind(at_ms).bind(actor)
                    .fetch_optional(&mut *tx).await.map_err(|e| classify(e, || format!("unit '{}'", t.unit_key)))?;
                if let Some(made) = made {
                    tx.audit(&NewAudit::new(at_ms, actor, "open", "rectification", format!("{plan_key}/{period}/{}", made.id)).after(&made)).await?;
                    g.tasks.push(made);
                }
            }
            for f in follow_ups {
                let periods = serde_json::to_string(&f.periods).expect("strings serialise");
                let made: Option<FollowUpRow> = sqlx::query_as(sqlx::AssertSqlSafe(fsql.clone()))
                    .bind(plan_key).bind(period).bind(&f.subject).bind(&f.action).bind(&f.rule).bind(&periods).bind(at_ms).bind(actor)
                    .fetch_optional(&mut *tx).await?;
                if let Some(made) = made {
                    let made = follow_up(made)?;
                    tx.audit(&NewAudit::new(at_ms, actor, "propose", "follow_up", format!("{plan_key}/{period}/{}", made.id)).after(&made)).await?;
                    g.follow_ups.push(made);
                }
            }
            g
        });
        Ok(g)
    }

    /// Issues a notice by hand (通知单).
    #[allow(clippy::too_many_arguments)]
    pub async fn issue_notice(&self, plan_key: &str, period: &str, unit: &str, title: &str, body: &str, actor: &str, at_ms: i64) -> Result<Notice> {
        let title = text("bad_title", ("标题", "title"), Some(title), true, 200)?.unwrap_or_default();
        let body = text("bad_body", ("正文", "body"), Some(body), true, 5000)?.unwrap_or_default();
        let n = NewNotice { unit_key: unit.into(), kind: "notice", indicator: String::new(), measure: String::new(), title, body, dedup: None };
        let g = self.generate_oversight(plan_key, period, &[n], &[], &[], actor, at_ms).await?;
        g.notices.into_iter().next().ok_or_else(|| StorageError::Corrupt("a notice without dedup was not inserted".into()))
    }

    /// The notices of a period, of one unit or all, newest first.
    pub async fn notices(&self, plan_key: &str, period: &str, unit: Option<&str>) -> Result<Vec<Notice>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {NOTICE_COLS} FROM notices WHERE plan_key = $1 AND period = $2 AND ($3 IS NULL OR unit_key = $3) ORDER BY id DESC"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).bind(unit).fetch_all(p).await?))
    }

    pub async fn notice(&self, plan_key: &str, period: &str, id: i64) -> Result<Option<Notice>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {NOTICE_COLS} FROM notices WHERE plan_key = $1 AND period = $2 AND id = $3"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).bind(id).fetch_optional(p).await?))
    }

    /// The unit acknowledges a notice (once).
    pub async fn acknowledge_notice(&self, plan_key: &str, period: &str, id: i64, actor: &str, at_ms: i64) -> Result<Notice> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {NOTICE_COLS} FROM notices WHERE plan_key = $1 AND period = $2 AND id = $3"));
        let n = write_tx!(self, tx => {
            let before: Option<Notice> = sqlx::query_as(sql).bind(plan_key).bind(period).bind(id).fetch_optional(&mut *tx).await?;
            let Some(before) = before else { return Err(StorageError::NotFound(format!("notice {id} of {period}"))) };
            if before.read_ms.is_some() {
                return Err(refused("already_acknowledged", format!("通知 {id} 已签收"), format!("notice {id} is already acknowledged")));
            }
            let n = Notice { read_ms: Some(at_ms), read_by: Some(actor.into()), ..before.clone() };
            sqlx::query("UPDATE notices SET read_ms = $2, read_by = $3 WHERE id = $1").bind(id).bind(at_ms).bind(actor).execute(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, actor, "acknowledge", "notice", format!("{plan_key}/{period}/{id}")).before(&before).after(&n)).await?;
            n
        });
        Ok(n)
    }

    /// The rectification tasks of a period, of one unit or all, oldest first.
    pub async fn tasks(&self, plan_key: &str, period: &str, unit: Option<&str>) -> Result<Vec<Task>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {TASK_COLS} FROM rectifications WHERE plan_key = $1 AND period = $2 AND ($3 IS NULL OR unit_key = $3) ORDER BY id"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).bind(unit).fetch_all(p).await?))
    }

    pub async fn task(&self, plan_key: &str, period: &str, id: i64) -> Result<Option<Task>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {TASK_COLS} FROM rectifications WHERE plan_key = $1 AND period = $2 AND id = $3"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).bind(id).fetch_optional(p).await?))
    }

    /// The unit files its rectification report: only while the task is open.
    pub async fn report_task(&self, plan_key: &str, period: &str, id: i64, report: &str, actor: &str, at_ms: i64) -> Result<Task> {
        let report = text("bad_report", ("整改报告", "report"), Some(report), true, 5000)?;
        let sql = sqlx::AssertSqlSafe(format!("SELECT {TASK_COLS} FROM rectifications WHERE plan_key = $1 AND period = $2 AND id = $3"));
        let t = write_tx!(self, tx => {
            let before: Option<Task> = sqlx::query_as(sql).bind(plan_key).bind(period).bind(id).fetch_optional(&mut *tx).await?;
            let Some(before) = before else { return Err(StorageError::NotFound(format!("rectification {id} of {period}"))) };
            if before.status != "open" {
                return Err(refused("not_open", format!("整改任务 {id} 不在待整改状态（{}）", task_status_zh(&before.status)), format!("rectification {id} is not open ({})", before.status)));
            }
            let t = Task { status: "reported".into(), report: report.clone(), reported_ms: Some(at_ms), reported_by: Some(actor.into()), ..before.clone() };
            sqlx::query("UPDATE rectifications SET status = 'reported', report = $2, reported_ms = $3, reported_by = $4 WHERE id = $1")
                .bind(id).bind(&report).bind(at_ms).bind(actor).execute(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, actor, "report", "rectification", format!("{plan_key}/{period}/{id}")).before(&before).after(&t)).await?;
            t
        });
        Ok(t)
    }

    /// The office closes a reported task (accepting the report) or reopens it with a note
    /// saying what is still missing.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_task(&self, plan_key: &str, period: &str, id: i64, close: bool, note: Option<&str>, actor: &str, at_ms: i64) -> Result<Task> {
        let note = text(if close { "note_too_long" } else { "note_required" }, ("意见", "note"), note, !close, 1000)?;
        let sql = sqlx::AssertSqlSafe(format!("SELECT {TASK_COLS} FROM rectifications WHERE plan_key = $1 AND period = $2 AND id = $3"));
        let t = write_tx!(self, tx => {
            let before: Option<Task> = sqlx::query_as(sql).bind(plan_key).bind(period).bind(id).fetch_optional(&mut *tx).await?;
            let Some(before) = before else { return Err(StorageError::NotFound(format!("rectification {id} of {period}"))) };
            if before.status != "reported" {
                return Err(refused("not_reported", format!("整改任务 {id} 尚未报送整改报告（{}）", task_status_zh(&before.status)), format!("rectification {id} has no report awaiting a decision ({})", before.status)));
            }
            let status = if close { "closed" } else { "open" };
            let t = Task { status: status.into(), decided_ms: Some(at_ms), decided_by: Some(actor.into()), note: note.clone(), ..before.clone() };
            sqlx::query("UPDATE rectifications SET status = $2, decided_ms = $3, decided_by = $4, note = $5 WHERE id = $1")
                .bind(id).bind(status).bind(at_ms).bind(actor).bind(&note).execute(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, actor, if close { "close" } else { "reopen" }, "rectification", format!("{plan_key}/{period}/{id}")).before(&before).after(&t)).await?;
            t
        });
        Ok(t)
    }

    /// The follow-ups of a period, of one subject or all, oldest first.
    pub async fn follow_ups(&self, plan_key: &str, period: &str, subject: Option<&str>) -> Result<Vec<FollowUp>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {FOLLOW_COLS} FROM follow_ups WHERE plan_key = $1 AND period = $2 AND ($3 IS NULL OR subject = $3) ORDER BY id"));
        let rows: Vec<FollowUpRow> = on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).bind(subject).fetch_all(p).await?);
        rows.into_iter().map(follow_up).collect()
    }

    pub async fn follow_up(&self, plan_key: &str, period: &str, id: i64) -> Result<Option<FollowUp>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {FOLLOW_COLS} FROM follow_ups WHERE plan_key = $1 AND period = $2 AND id = $3"));
        let row: Option<FollowUpRow> = on_db!(self, p => sqlx::query_as(sql).bind(plan_key).bind(period).bind(id).fetch_optional(p).await?);
        row.map(follow_up).transpose()
    }

    /// The office confirms a proposed follow-up (it will be carried out) or dismisses it;
    /// a dismissal needs a note saying why.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_follow_up(&self, plan_key: &str, period: &str, id: i64, confirm: bool, note: Option<&str>, actor: &str, at_ms: i64) -> Result<FollowUp> {
        let note = text(if confirm { "note_too_long" } else { "note_required" }, ("意见", "note"), note, !confirm, 1000)?;
        let sql = sqlx::AssertSqlSafe(format!("SELECT {FOLLOW_COLS} FROM follow_ups WHERE plan_key = $1 AND period = $2 AND id = $3"));
        let f = write_tx!(self, tx => {
            let before: Option<FollowUpRow> = sqlx::query_as(sql).bind(plan_key).bind(period).bind(id).fetch_optional(&mut *tx).await?;
            let Some(before) = before.map(follow_up).transpose()? else { return Err(StorageError::NotFound(format!("follow-up {id} of {period}"))) };
            if before.status != "proposed" {
                return Err(refused("already_decided", format!("后续措施 {id} 已处理"), format!("follow-up {id} is already decided ({})", before.status)));
            }
            let status = if confirm { "confirmed" } else { "dismissed" };
            let f = FollowUp { status: status.into(), decided_ms: Some(at_ms), decided_by: Some(actor.into()), note: note.clone(), ..before.clone() };
            sqlx::query("UPDATE follow_ups SET status = $2, decided_ms = $3, decided_by = $4, note = $5 WHERE id = $1")
                .bind(id).bind(status).bind(at_ms).bind(actor).bind(&note).execute(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, actor, if confirm { "confirm" } else { "dismiss" }, "follow_up", format!("{plan_key}/{period}/{id}")).before(&before).after(&f)).await?;
            f
        });
        Ok(f)
    }
}

pub fn task_status_zh(status: &str) -> &'static str {
    match status {
        "open" => "待整改",
        "reported" => "已报送整改报告",
        "closed" => "已销号",
        _ => "未知",
    }
}
