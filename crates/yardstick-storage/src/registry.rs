//! The office's registry: areas, unit categories, units and people. Every change is
//! audited in the same transaction, with the state before and after.

use serde::{Deserialize, Serialize};

use crate::{AuditTx, Db, NewAudit, Result, StorageError, classify, on_db, write_tx};

/// An area (地区): a province, city, county or new area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Area {
    pub key: String,
    pub name: String,
    pub parent_key: Option<String>,
}

/// A category of units compared only among themselves (同类相比).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Category {
    pub key: String,
    pub name: String,
    /// The series (系列) the category belongs to, if any.
    pub series: String,
    /// Display order.
    pub sort: i64,
}

/// An appraised unit (被考核单位).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Unit {
    pub key: String,
    pub name: String,
    pub category_key: Option<String>,
    pub area_key: Option<String>,
    /// Static coefficient level (1–6) where the category uses coefficients.
    pub static_level: Option<i64>,
    pub active: bool,
}

/// A person under a unit (M1): a person, a leading cadre or a leadership team, compared in
/// a category when a plan appraises them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Person {
    pub key: String,
    pub name: String,
    /// The unit they are posted to now.
    pub unit_key: String,
    pub post: String,
    /// `person`, `cadre` or `team`.
    #[serde(default = "person_kind")]
    #[sqlx(default)]
    pub kind: String,
    /// The category they are compared in (none: no plan appraises them).
    #[serde(default)]
    #[sqlx(default)]
    pub category_key: Option<String>,
    /// Their section (科室) in the unit.
    #[serde(default)]
    #[sqlx(default)]
    pub section: String,
    /// Whether they head their section (they see their section's appraisals).
    #[serde(default)]
    #[sqlx(default)]
    pub section_head: bool,
    /// Their static coefficient level (岗位系数档), 1-based into the plan's static levels.
    #[serde(default)]
    #[sqlx(default)]
    pub static_level: Option<i64>,
}

fn person_kind() -> String {
    "person".into()
}

impl Person {
    /// A person of kind `person` in no category, at a unit and post.
    pub fn new(key: &str, name: &str, unit_key: &str, post: &str) -> Person {
        Person { key: key.into(), name: name.into(), unit_key: unit_key.into(), post: post.into(), kind: person_kind(), category_key: None, section: String::new(), section_head: false, static_level: None }
    }
}

/// A posting (岗位经历): a person at a unit, section and post from a month to a month
/// (inclusive; none: to this day).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Posting {
    pub id: i64,
    pub person_key: String,
    pub unit_key: String,
    pub section: String,
    pub post: String,
    /// `YYYY-MM`.
    pub from_month: String,
    pub to_month: Option<String>,
}

impl Posting {
    /// Whether the posting covers a month (`YYYY-MM`).
    pub fn covers(&self, month: &str) -> bool {
        self.from_month.as_str() <= month && self.to_month.as_deref().is_none_or(|t| month <= t)
    }
}

const PERSON_COLS: &str = "key, name, unit_key, post, kind, category_key, section, section_head <> 0 AS section_head, static_level";

impl Db {
    pub async fn create_area(&self, a: &Area, actor: &str, at_ms: i64) -> Result<()> {
        let audit = NewAudit::new(at_ms, actor, "create", "area", &a.key).after(a);
        write_tx!(self, tx => {
            sqlx::query("INSERT INTO areas (key, name, parent_key) VALUES ($1, $2, $3)")
                .bind(&a.key).bind(&a.name).bind(&a.parent_key)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("area '{}'", a.key)))?;
            tx.audit(&audit).await?;
        });
        Ok(())
    }

    pub async fn areas(&self) -> Result<Vec<Area>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT key, name, parent_key FROM areas ORDER BY key").fetch_all(p).await?))
    }

    pub async fn create_category(&self, c: &Category, actor: &str, at_ms: i64) -> Result<()> {
        let audit = NewAudit::new(at_ms, actor, "create", "category", &c.key).after(c);
        write_tx!(self, tx => {
            sqlx::query("INSERT INTO categories (key, name, series, sort) VALUES ($1, $2, $3, $4)")
                .bind(&c.key).bind(&c.name).bind(&c.series).bind(c.sort)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("category '{}' / '{}'", c.key, c.name)))?;
            tx.audit(&audit).await?;
        });
        Ok(())
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT key, name, series, sort FROM categories ORDER BY sort, key").fetch_all(p).await?))
    }

    pub async fn category(&self, key: &str) -> Result<Option<Category>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT key, name, series, sort FROM categories WHERE key = $1").bind(key).fetch_optional(p).await?))
    }

    /// Renames or re-sorts a category (its key stays).
    pub async fn update_category(&self, c: &Category, actor: &str, at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            let before: Option<Category> = sqlx::query_as("SELECT key, name, series, sort FROM categories WHERE key = $1").bind(&c.key).fetch_optional(&mut *tx).await?;
            let before = before.ok_or_else(|| StorageError::NotFound(format!("category '{}'", c.key)))?;
            sqlx::query("UPDATE categories SET name = $2, series = $3, sort = $4 WHERE key = $1")
                .bind(&c.key).bind(&c.name).bind(&c.series).bind(c.sort)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("category name '{}'", c.name)))?;
            tx.audit(&NewAudit::new(at_ms, actor, "update", "category", &c.key).before(&before).after(c)).await?;
        });
        Ok(())
    }

    pub async fn create_unit(&self, u: &Unit, actor: &str, at_ms: i64) -> Result<()> {
        let audit = NewAudit::new(at_ms, actor, "create", "unit", &u.key).after(u);
        write_tx!(self, tx => {
            sqlx::query("INSERT INTO units (key, name, category_key, area_key, static_level, active) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&u.key).bind(&u.name).bind(&u.category_key).bind(&u.area_key).bind(u.static_level).bind(i64::from(u.active))
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("unit '{}' / '{}'", u.key, u.name)))?;
            tx.audit(&audit).await?;
        });
        Ok(())
    }

    /// Changes a unit's name, category, area, coefficient level or activity (its key stays).
    pub async fn update_unit(&self, u: &Unit, actor: &str, at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            let before: Option<Unit> = sqlx::query_as(UNIT_SELECT_ONE).bind(&u.key).fetch_optional(&mut *tx).await?;
            let before = before.ok_or_else(|| StorageError::NotFound(format!("unit '{}'", u.key)))?;
            sqlx::query("UPDATE units SET name = $2, category_key = $3, area_key = $4, static_level = $5, active = $6 WHERE key = $1")
                .bind(&u.key).bind(&u.name).bind(&u.category_key).bind(&u.area_key).bind(u.static_level).bind(i64::from(u.active))
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("unit '{}' / '{}'", u.key, u.name)))?;
            tx.audit(&NewAudit::new(at_ms, actor, "update", "unit", &u.key).before(&before).after(u)).await?;
        });
        Ok(())
    }

    /// Units ordered by category order and key; `category` narrows to one category.
    pub async fn units(&self, category: Option<&str>) -> Result<Vec<Unit>> {
        Ok(on_db!(self, p => match category {
            Some(c) => sqlx::query_as(concat!("SELECT u.key, u.name, u.category_key, u.area_key, u.static_level, u.active <> 0 AS active FROM units u WHERE u.category_key = $1 ORDER BY u.key")).bind(c).fetch_all(p).await?,
            None => sqlx::query_as("SELECT u.key, u.name, u.category_key, u.area_key, u.static_level, u.active <> 0 AS active FROM units u LEFT JOIN categories c ON c.key = u.category_key ORDER BY c.sort, u.category_key, u.key").fetch_all(p).await?,
        }))
    }

    /// The names of the units named (unknown keys are left out).
    pub async fn unit_names(&self, keys: &[String]) -> Result<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for chunk in keys.chunks(500) {
            let rows: Vec<(String, String)> = on_db!(self, p => {
                let mut q = sqlx::QueryBuilder::new("SELECT key, name FROM units WHERE key IN (");
                let mut list = q.separated(", ");
                for k in chunk {
                    list.push_bind(k);
                }
                q.push(")");
                q.build_query_as().fetch_all(p).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    pub async fn unit(&self, key: &str) -> Result<Option<Unit>> {
        Ok(on_db!(self, p => sqlx::query_as(UNIT_SELECT_ONE).bind(key).fetch_optional(p).await?))
    }

    /// Adds a person; with `from_month`, their first posting (at their unit, section and post).
    pub async fn create_person(&self, x: &Person, from_month: Option<&str>, actor: &str, at_ms: i64) -> Result<()> {
        let audit = NewAudit::new(at_ms, actor, "create", "person", &x.key).after(x);
        write_tx!(self, tx => {
            let unit_clash: Option<String> = sqlx::query_scalar("SELECT key FROM units WHERE key = $1").bind(&x.key).fetch_optional(&mut *tx).await?;
            if unit_clash.is_some() {
                return Err(StorageError::Conflict(format!("the key '{}' (a unit's)", x.key)));
            }
            sqlx::query("INSERT INTO people (key, name, unit_key, post, kind, category_key, section, section_head, static_level) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(&x.key).bind(&x.name).bind(&x.unit_key).bind(&x.post).bind(&x.kind).bind(&x.category_key).bind(&x.section).bind(i64::from(x.section_head)).bind(x.static_level)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("person '{}'", x.key)))?;
            tx.audit(&audit).await?;
            if let Some(from) = from_month {
                sqlx::query("INSERT INTO postings (person_key, unit_key, section, post, from_month, to_month) VALUES ($1, $2, $3, $4, $5, NULL)")
                    .bind(&x.key).bind(&x.unit_key).bind(&x.section).bind(&x.post).bind(from)
                    .execute(&mut *tx).await.map_err(|e| classify(e, || format!("posting of '{}'", x.key)))?;
            }
        });
        Ok(())
    }

    pub async fn people(&self, unit: Option<&str>) -> Result<Vec<Person>> {
        let sql = |w: &str| sqlx::AssertSqlSafe(format!("SELECT {PERSON_COLS} FROM people {w}"));
        Ok(on_db!(self, p => match unit {
            Some(u) => sqlx::query_as(sql("WHERE unit_key = $1 ORDER BY key")).bind(u).fetch_all(p).await?,
            None => sqlx::query_as(sql("ORDER BY unit_key, key")).fetch_all(p).await?,
        }))
    }

    pub async fn person(&self, key: &str) -> Result<Option<Person>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {PERSON_COLS} FROM people WHERE key = $1"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(key).fetch_optional(p).await?))
    }

    /// A person's postings, oldest first.
    pub async fn postings(&self, person: &str) -> Result<Vec<Posting>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT id, person_key, unit_key, section, post, from_month, to_month FROM postings WHERE person_key = $1 ORDER BY from_month, id").bind(person).fetch_all(p).await?))
    }

    /// Every posting of every person, by person and month.
    pub async fn all_postings(&self) -> Result<Vec<Posting>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT id, person_key, unit_key, section, post, from_month, to_month FROM postings ORDER BY person_key, from_month, id").fetch_all(p).await?))
    }

    /// Moves a person from `from_month` on: their open posting ends the month before, a new
    /// one begins at `unit` (section, post), and the person is now of that unit. Audited.
    pub async fn move_person(&self, person: &str, unit: &str, section: &str, post: &str, from_month: &str, actor: &str, at_ms: i64) -> Result<Posting> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {PERSON_COLS} FROM people WHERE key = $1"));
        let p = write_tx!(self, tx => {
            let before: Option<Person> = sqlx::query_as(sql).bind(person).fetch_optional(&mut *tx).await?;
            let Some(before) = before else { return Err(StorageError::NotFound(format!("person '{person}'"))) };
            let open: Vec<Posting> = sqlx::query_as("SELECT id, person_key, unit_key, section, post, from_month, to_month FROM postings WHERE person_key = $1 ORDER BY from_month, id").bind(person).fetch_all(&mut *tx).await?;
            if open.iter().any(|x| x.from_month.as_str() >= from_month) {
                return Err(StorageError::Refused {
                    code: "posting_order",
                    zh: format!("{} 的岗位经历在 {from_month} 或之后已有记录", before.name),
                    en: format!("{} already has a posting from {from_month} or later", before.name),
                });
            }
            let previous = previous_month(from_month);
            sqlx::query("UPDATE postings SET to_month = $2 WHERE person_key = $1 AND to_month IS NULL").bind(person).bind(&previous).execute(&mut *tx).await?;
            let id: i64 = sqlx::query_scalar("INSERT INTO postings (person_key, unit_key, section, post, from_month, to_month) VALUES ($1, $2, $3, $4, $5, NULL) RETURNING id")
                .bind(person).bind(unit).bind(section).bind(post).bind(from_month)
                .fetch_one(&mut *tx).await.map_err(|e| classify(e, || format!("the unit '{unit}'")))?;
            sqlx::query("UPDATE people SET unit_key = $2, section = $3, post = $4 WHERE key = $1").bind(person).bind(unit).bind(section).bind(post).execute(&mut *tx).await?;
            let posting = Posting { id, person_key: person.into(), unit_key: unit.into(), section: section.into(), post: post.into(), from_month: from_month.into(), to_month: None };
            tx.audit(&NewAudit::new(at_ms, actor, "move", "person", person).before(&before).after(&posting)).await?;
            posting
        });
        Ok(p)
    }

    /// Links a user account to the person it is (they then see their own appraisal).
    pub async fn link_person(&self, user_id: i64, person: Option<&str>, actor: &str, at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            let before: Option<Option<String>> = sqlx::query_scalar("SELECT person_key FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
            let Some(before) = before else { return Err(StorageError::NotFound(format!("user {user_id}"))) };
            sqlx::query("UPDATE users SET person_key = $2 WHERE id = $1").bind(user_id).bind(person)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("person '{}'", person.unwrap_or_default())))?;
            tx.audit(&NewAudit::new(at_ms, actor, "link_person", "user", user_id.to_string()).before(serde_json::json!({ "person": before })).after(serde_json::json!({ "person": person }))).await?;
        });
        Ok(())
    }

    /// The person a user account is, if linked.
    pub async fn person_of_user(&self, user_id: i64) -> Result<Option<Person>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {PERSON_COLS} FROM people WHERE key = (SELECT person_key FROM users WHERE id = $1)"));
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(user_id).fetch_optional(p).await?))
    }
}

/// The month before `YYYY-MM`.
fn previous_month(m: &str) -> String {
    let (y, mm) = m.split_once('-').and_then(|(y, mm)| Some((y.parse::<i32>().ok()?, mm.parse::<u32>().ok()?))).unwrap_or((0, 1));
    if mm <= 1 { format!("{}-12", y - 1) } else { format!("{y}-{:02}", mm - 1) }
}

const UNIT_SELECT_ONE: &str = "SELECT key, name, category_key, area_key, static_level, active <> 0 AS active FROM units WHERE key = $1";
