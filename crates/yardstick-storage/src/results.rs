//! Computed result sets and their publication. A result set is stored whole and never
//! changed; publishing names a result set as the period's version N with a reason, and a
//! later publication supersedes it. Only the office sees a result set before publication.

use serde::{Deserialize, Serialize};

use crate::{AuditTx, Db, NewAudit, Result, StorageError, on_db, write_tx};

/// One subject's row in a computed result set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ResultRow {
    pub subject: String,
    pub category: String,
    /// Order within the category (0 first).
    pub position: i64,
    /// The published score, two decimals; `None` for a directly graded subject.
    pub score: Option<String>,
    pub rank: Option<i64>,
    pub tied: bool,
    pub grade: Option<String>,
    pub vetoed: bool,
    /// The points lost, two decimals (full marks minus score, never below 0).
    pub lost: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ResultSetInfo {
    pub id: i64,
    pub plan_key: String,
    pub period: String,
    pub plan_version: i64,
    pub computed_ms: i64,
    pub computed_by: String,
    pub row_count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Publication {
    pub plan_key: String,
    pub period: String,
    pub version: i64,
    pub set_id: i64,
    pub published_ms: i64,
    pub published_by: String,
    pub reason: String,
}

/// A subject's explanation as stored: DEFLATE-compressed JSON (about a sixth of its size).
/// Made where the explanations are computed, so that compression runs in parallel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation(Vec<u8>);

impl Explanation {
    /// Compresses an explanation's JSON text.
    pub fn pack(json: &str) -> Explanation {
        use std::io::Write;
        let mut z = flate2::write::DeflateEncoder::new(Vec::with_capacity(json.len() / 4), flate2::Compression::fast());
        z.write_all(json.as_bytes()).expect("writing to memory");
        Explanation(z.finish().expect("writing to memory"))
    }

    /// The JSON text of an explanation read by [`Db::result_explanations`].
    pub fn json(&self) -> Result<String> {
        Explanation::unpack(true, &self.0)
    }

    /// The JSON text of a stored explanation (`packed`: compressed, else plain UTF-8).
    fn unpack(packed: bool, body: &[u8]) -> Result<String> {
        let bad = |e: String| StorageError::Corrupt(format!("a stored explanation cannot be read: {e}"));
        if !packed {
            return String::from_utf8(body.to_vec()).map_err(|e| bad(e.to_string()));
        }
        use std::io::Read;
        let mut out = String::with_capacity(body.len() * 6);
        flate2::read::DeflateDecoder::new(body).read_to_string(&mut out).map_err(|e| bad(e.to_string()))?;
        Ok(out)
    }
}

const ROW_COLS: &str = "subject, category, position, score, rank, tied <> 0 AS tied, grade, vetoed <> 0 AS vetoed, lost";

impl Db {
    /// Stores a computed result set with each row's explanation and returns its id.
    pub async fn save_result_set(&self, plan_key: &str, period: &str, plan_version: i64, rows: &[(ResultRow, Explanation)], actor: &str, at_ms: i64) -> Result<i64> {
        let id = write_tx!(self, tx => {
            let id: i64 = sqlx::query_scalar("INSERT INTO result_sets (plan_key, period, plan_version, computed_ms, computed_by, row_count) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(plan_key).bind(period).bind(plan_version).bind(at_ms).bind(actor).bind(rows.len() as i64)
                .fetch_one(&mut *tx).await?;
            for chunk in rows.chunks(1000) {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO result_rows (set_id, subject, category, position, score, rank, tied, grade, vetoed, lost) ");
                q.push_values(chunk, |mut b, (r, _)| {
                    b.push_bind(id).push_bind(&r.subject).push_bind(&r.category).push_bind(r.position).push_bind(&r.score).push_bind(r.rank)
                        .push_bind(i64::from(r.tied)).push_bind(&r.grade).push_bind(i64::from(r.vetoed)).push_bind(&r.lost);
                });
                q.build().execute(&mut *tx).await?;
                let mut q = sqlx::QueryBuilder::new("INSERT INTO result_explanations (set_id, subject, packed, body) ");
                q.push_values(chunk, |mut b, (r, explain)| {
                    b.push_bind(id).push_bind(&r.subject).push_bind(1_i64).push_bind(&explain.0);
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.audit(&NewAudit::new(at_ms, actor, "compute", "result_set", format!("{plan_key}/{period}/{id}"))
                .after(serde_json::json!({ "plan_version": plan_version, "rows": rows.len() }))).await?;
            id
        });
        Ok(id)
    }

    pub async fn result_set(&self, id: i64) -> Result<Option<ResultSetInfo>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT id, plan_key, period, plan_version, computed_ms, computed_by, row_count FROM result_sets WHERE id = $1").bind(id).fetch_optional(p).await?))
    }

    /// The latest computed set of a period (published or not).
    pub async fn latest_result_set(&self, plan_key: &str, period: &str) -> Result<Option<ResultSetInfo>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT id, plan_key, period, plan_version, computed_ms, computed_by, row_count FROM result_sets WHERE plan_key = $1 AND period = $2 ORDER BY id DESC LIMIT 1").bind(plan_key).bind(period).fetch_optional(p).await?))
    }

    /// The latest computed set of each period of a plan (published or not), by period.
    pub async fn latest_result_sets(&self, plan_key: &str) -> Result<Vec<ResultSetInfo>> {
        Ok(on_db!(self, p => sqlx::query_as(
            "SELECT id, plan_key, period, plan_version, computed_ms, computed_by, row_count FROM result_sets \
             WHERE id IN (SELECT MAX(id) FROM result_sets WHERE plan_key = $1 GROUP BY period) ORDER BY period")
            .bind(plan_key).fetch_all(p).await?))
    }

    /// Rows of a set in category order, optionally one category, paged.
    pub async fn result_rows(&self, set_id: i64, category: Option<&str>, offset: i64, limit: i64) -> Result<Vec<ResultRow>> {
        Ok(on_db!(self, p => match category {
            Some(c) => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ROW_COLS} FROM result_rows WHERE set_id = $1 AND category = $2 ORDER BY position LIMIT $3 OFFSET $4")))
                .bind(set_id).bind(c).bind(limit).bind(offset).fetch_all(p).await?,
            None => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ROW_COLS} FROM result_rows WHERE set_id = $1 ORDER BY category, position LIMIT $2 OFFSET $3")))
                .bind(set_id).bind(limit).bind(offset).fetch_all(p).await?,
        }))
    }

    /// Per category of a set: (category, scored rows, sum of scores in cents, top score in
    /// cents). Scores are two-decimal text; the cents are exact integers.
    pub async fn category_stats(&self, set_id: i64) -> Result<Vec<(String, i64, i64, i64)>> {
        Ok(match self {
            // The text is read as a double, which is within 1e-12 of the two-decimal value,
            // so ROUND gives the exact cents.
            Db::Sqlite(p) => sqlx::query_as(
                "SELECT category, COUNT(*), SUM(c), MAX(c) FROM (SELECT category, CAST(ROUND(CAST(score AS REAL) * 100) AS INTEGER) AS c FROM result_rows \
                 WHERE set_id = $1 AND score IS NOT NULL) GROUP BY category ORDER BY category")
                .bind(set_id).fetch_all(p).await?,
            Db::Postgres(p) => sqlx::query_as(
                "SELECT category, COUNT(*), CAST(SUM(c) AS BIGINT), MAX(c) FROM (SELECT category, CAST(CAST(score AS NUMERIC) * 100 AS BIGINT) AS c FROM result_rows \
                 WHERE set_id = $1 AND score IS NOT NULL) s GROUP BY category ORDER BY category")
                .bind(set_id).fetch_all(p).await?,
        })
    }

    /// One subject's row and its explanation (JSON text).
    pub async fn result_row(&self, set_id: i64, subject: &str) -> Result<Option<(ResultRow, String)>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {ROW_COLS} FROM result_rows WHERE set_id = $1 AND subject = $2"));
        let row: Option<(ResultRow, Option<(i64, Vec<u8>)>)> = on_db!(self, p => {
            let row: Option<ResultRow> = sqlx::query_as(sql).bind(set_id).bind(subject).fetch_optional(p).await?;
            match row {
                Some(row) => {
                    let e: Option<(i64, Vec<u8>)> = sqlx::query_as("SELECT packed, body FROM result_explanations WHERE set_id = $1 AND subject = $2")
                        .bind(set_id).bind(subject).fetch_optional(p).await?;
                    Some((row, e))
                }
                None => None,
            }
        });
        match row {
            None => Ok(None),
            Some((row, Some((packed, body)))) => Ok(Some((row, Explanation::unpack(packed != 0, &body)?))),
            Some((row, None)) => Err(StorageError::Corrupt(format!("the result row of {} in set {set_id} has no explanation", row.subject))),
        }
    }

    /// Every row's explanation of a set (of one category, or all), as stored, in the rows'
    /// order: one query, so that an export of a province's month need not read 10,000 rows
    /// one by one; the caller unpacks them ([`Explanation::json`]), in parallel if it likes.
    pub async fn result_explanations(&self, set_id: i64, category: Option<&str>) -> Result<Vec<(String, Explanation)>> {
        let rows: Vec<(String, i64, Vec<u8>)> = on_db!(self, p => match category {
            Some(c) => sqlx::query_as("SELECT e.subject, e.packed, e.body FROM result_explanations e JOIN result_rows r ON r.set_id = e.set_id AND r.subject = e.subject \
                 WHERE e.set_id = $1 AND r.category = $2 ORDER BY r.position")
                .bind(set_id).bind(c).fetch_all(p).await?,
            None => sqlx::query_as("SELECT e.subject, e.packed, e.body FROM result_explanations e JOIN result_rows r ON r.set_id = e.set_id AND r.subject = e.subject \
                 WHERE e.set_id = $1 ORDER BY r.category, r.position")
                .bind(set_id).fetch_all(p).await?,
        });
        rows.into_iter()
            .map(|(s, packed, body)| if packed != 0 { Ok((s, Explanation(body))) } else { Ok((s, Explanation::pack(&Explanation::unpack(false, &body)?))) })
            .collect()
    }

    /// Publishes a computed set as the period's next version, with the reason.
    pub async fn publish(&self, set_id: i64, reason: &str, actor: &str, at_ms: i64) -> Result<Publication> {
        let p = write_tx!(self, tx => {
            let set: Option<(String, String)> = sqlx::query_as("SELECT plan_key, period FROM result_sets WHERE id = $1").bind(set_id).fetch_optional(&mut *tx).await?;
            let (plan_key, period) = set.ok_or_else(|| StorageError::NotFound(format!("result set {set_id}")))?;
            let last: Option<(i64, i64)> = sqlx::query_as("SELECT version, set_id FROM publications WHERE plan_key = $1 AND period = $2 ORDER BY version DESC LIMIT 1")
                .bind(&plan_key).bind(&period).fetch_optional(&mut *tx).await?;
            if last.is_some_and(|(_, s)| s == set_id) {
                return Err(StorageError::Conflict(format!("result set {set_id} is already the published version")));
            }
            let version = last.map_or(1, |(v, _)| v + 1);
            sqlx::query("INSERT INTO publications (plan_key, period, version, set_id, published_ms, published_by, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&plan_key).bind(&period).bind(version).bind(set_id).bind(at_ms).bind(actor).bind(reason)
                .execute(&mut *tx).await?;
            let p = Publication { plan_key, period, version, set_id, published_ms: at_ms, published_by: actor.into(), reason: reason.into() };
            tx.audit(&NewAudit::new(at_ms, actor, "publish", "publication", format!("{}/{}/v{}", p.plan_key, p.period, p.version))
                .before(last.map(|(v, s)| serde_json::json!({ "version": v, "set_id": s })))
                .after(&p)).await?;
            p
        });
        Ok(p)
    }

    /// Every publication of a period, oldest first (the last is in force).
    pub async fn publications(&self, plan_key: &str, period: Option<&str>) -> Result<Vec<Publication>> {
        Ok(on_db!(self, p => match period {
            Some(per) => sqlx::query_as("SELECT plan_key, period, version, set_id, published_ms, published_by, reason FROM publications WHERE plan_key = $1 AND period = $2 ORDER BY version")
                .bind(plan_key).bind(per).fetch_all(p).await?,
            None => sqlx::query_as("SELECT plan_key, period, version, set_id, published_ms, published_by, reason FROM publications WHERE plan_key = $1 ORDER BY period, version")
                .bind(plan_key).fetch_all(p).await?,
        }))
    }

    /// The publication in force for a period.
    pub async fn current_publication(&self, plan_key: &str, period: &str) -> Result<Option<Publication>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT plan_key, period, version, set_id, published_ms, published_by, reason FROM publications WHERE plan_key = $1 AND period = $2 ORDER BY version DESC LIMIT 1")
            .bind(plan_key).bind(period).fetch_optional(p).await?))
    }

    /// A subject's published score in every period in force (for trends): (period, score, rank).
    pub async fn published_trend(&self, plan_key: &str, subject: &str) -> Result<Vec<(String, Option<String>, Option<i64>)>> {
        Ok(on_db!(self, p => sqlx::query_as(
            "SELECT pub.period, r.score, r.rank FROM publications pub JOIN result_rows r ON r.set_id = pub.set_id AND r.subject = $2 \
             WHERE pub.plan_key = $1 AND pub.version = (SELECT MAX(version) FROM publications q WHERE q.plan_key = pub.plan_key AND q.period = pub.period) ORDER BY pub.period")
            .bind(plan_key).bind(subject).fetch_all(p).await?))
    }
}
