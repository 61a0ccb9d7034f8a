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

/// A person under a unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Person {
    pub key: String,
    pub name: String,
    pub unit_key: String,
    pub post: String,
}

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

    pub async fn create_person(&self, x: &Person, actor: &str, at_ms: i64) -> Result<()> {
        let audit = NewAudit::new(at_ms, actor, "create", "person", &x.key).after(x);
        write_tx!(self, tx => {
            sqlx::query("INSERT INTO people (key, name, unit_key, post) VALUES ($1, $2, $3, $4)")
                .bind(&x.key).bind(&x.name).bind(&x.unit_key).bind(&x.post)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("person '{}'", x.key)))?;
            tx.audit(&audit).await?;
        });
        Ok(())
    }

    pub async fn people(&self, unit: Option<&str>) -> Result<Vec<Person>> {
        Ok(on_db!(self, p => match unit {
            Some(u) => sqlx::query_as("SELECT key, name, unit_key, post FROM people WHERE unit_key = $1 ORDER BY key").bind(u).fetch_all(p).await?,
            None => sqlx::query_as("SELECT key, name, unit_key, post FROM people ORDER BY unit_key, key").fetch_all(p).await?,
        }))
    }
}

const UNIT_SELECT_ONE: &str = "SELECT key, name, category_key, area_key, static_level, active <> 0 AS active FROM units WHERE key = $1";
