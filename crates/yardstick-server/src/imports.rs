//! Imports from workbooks (.xlsx, .xls, .csv): the registry (areas, categories, units,
//! people, users) and a period's data (the long form of docs/workbooks.md, which is also the
//! layout of the fill-in templates and of the raw-data export).
//!
//! An import is checked completely first — every row of every sheet, against the file
//! itself, the registry, the plan and the caller's rights — and every problem is reported
//! at once with its sheet, row and column. Nothing is written unless everything is valid,
//! and then everything is written in one transaction. Rows equal to what is stored are not
//! written, so importing the same file again changes nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use yardstick_formats::{Msg, Problem};
use yardstick_sheets::read::{Book, Col, Row, Table};
use yardstick_storage::accounts::Role;
use yardstick_storage::imports::{ImportUser, RegistryImport, UnitData};
use yardstick_storage::registry::{Area, Category, Person, Unit};
use yardstick_storage::values::{OccurrenceInput, ValueInput};

use crate::authz::Scope;

/// A problem at a cell of a table.
fn at(book: &Book, t: &Table, row: usize, key: Option<&str>, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem { place: t.place(book, row, key), msg: Msg::new(zh, en) }
}

fn cell_text(book: &Book, t: &Table, r: &Row, key: &str, problems: &mut Vec<Problem>) -> String {
    match r.get(key).text() {
        Ok(s) => s.trim().to_string(),
        Err(msg) => {
            problems.push(Problem { place: t.place(book, r.row, Some(key)), msg });
            String::new()
        }
    }
}

/// Checks a table's columns: every header must be one of `cols` (or `note`/备注, ignored).
fn unknown_columns(book: &Book, t: &Table, cols: &[Col], problems: &mut Vec<Problem>) {
    let known: Vec<String> = cols.iter().map(|c| c.names.first().map_or(c.key.to_string(), |n| format!("{n}({})", c.key))).collect();
    for (c, key, header) in &t.columns {
        if !cols.iter().any(|x| x.key == key) && !["note", "备注", "说明"].contains(&key.as_str()) {
            problems.push(Problem {
                place: book.place(t.sheet, t.header_row, Some((*c, header))),
                msg: Msg::new(format!("未知的列“{header}”，可用的列：{}", known.join("、")), format!("unknown column '{header}'; the columns are {}", known.join(", "))),
            });
        }
    }
}

/// Reports keys given twice in a table; returns the rows to keep (the first of each key).
fn first_of_each(book: &Book, t: &Table, rows: &[(usize, &str)], what_zh: &str, what_en: &str, key: &str, problems: &mut Vec<Problem>) -> BTreeMap<String, usize> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for &(row, k) in rows {
        if let Some(first) = seen.get(k) {
            problems.push(at(book, t, row, Some(key), format!("{what_zh}“{k}”重复（第{}行已有）", first + 1), format!("{what_en} '{k}' given twice (first in row {})", first + 1)));
        } else {
            seen.insert(k.to_string(), row);
        }
    }
    seen
}

// ---------------------------------------------------------------------------
// The registry.

const AREA_COLS: &[Col] = &[Col { key: "key", names: &["地区编码", "编码"] }, Col { key: "name", names: &["地区名称", "名称"] }, Col { key: "parent", names: &["上级地区", "上级"] }];
const CATEGORY_COLS: &[Col] = &[
    Col { key: "key", names: &["类别编码", "编码"] },
    Col { key: "name", names: &["类别名称", "名称"] },
    Col { key: "series", names: &["系列"] },
    Col { key: "sort", names: &["排序", "顺序"] },
];
const UNIT_COLS: &[Col] = &[
    Col { key: "key", names: &["单位编码", "编码"] },
    Col { key: "name", names: &["单位名称", "名称"] },
    Col { key: "category", names: &["类别", "所属类别", "类别编码"] },
    Col { key: "area", names: &["地区", "所属地区", "地区编码"] },
    Col { key: "static_level", names: &["静态系数档次", "系数档次"] },
    Col { key: "active", names: &["参加考核", "是否参加考核", "启用"] },
];
const PEOPLE_COLS: &[Col] = &[
    Col { key: "key", names: &["人员编码", "编码", "工号"] },
    Col { key: "name", names: &["姓名"] },
    Col { key: "unit", names: &["所在单位", "单位", "单位编码"] },
    Col { key: "post", names: &["职务", "岗位", "职务岗位"] },
    Col { key: "kind", names: &["类型", "人员类型"] },
    Col { key: "category", names: &["考核类别", "类别"] },
    Col { key: "section", names: &["科室"] },
    Col { key: "section_head", names: &["科室负责人"] },
];
const USER_COLS: &[Col] = &[
    Col { key: "username", names: &["用户名", "账号"] },
    Col { key: "name", names: &["姓名", "显示名称"] },
    Col { key: "role", names: &["角色"] },
    Col { key: "unit", names: &["所属单位", "单位", "单位编码"] },
    Col { key: "email", names: &["电子邮箱", "邮箱"] },
];

/// The registry as stored, to resolve references and check names.
pub struct Registry {
    pub areas: Vec<Area>,
    pub categories: Vec<Category>,
    pub units: Vec<Unit>,
}


/// A key or a name resolved to a key among (key, name) pairs.
fn resolve<'a>(pairs: &'a [(String, String)], s: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == s).or_else(|| pairs.iter().find(|(_, n)| n == s)).map(|(k, _)| k.as_str())
}

fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "是" | "y" | "yes" | "true" | "1" | "参加" | "启用" => Some(true),
        "否" | "n" | "no" | "false" | "0" | "不参加" | "停用" => Some(false),
        _ => None,
    }
}

fn role_of(s: &str) -> Option<Role> {
    let s = s.trim();
    Role::parse(s).or_else(|| Role::ALL.into_iter().find(|r| r.name_zh() == s || r.key().eq_ignore_ascii_case(s)))
}

/// Finds the sheet of one kind of registry row: by its name, or, in a book without any
/// registry sheet name (a CSV file), the first sheet if its header fits.
fn registry_table<'a>(book: &'a Book, names: &[&str], cols: &[Col], required: &[&str], problems: &mut Vec<Problem>) -> Option<Table<'a>> {
    if let Some(sheet) = book.sheet(names) {
        return match Table::find(book, sheet, cols, required) {
            Ok(t) => Some(t),
            Err(p) => {
                problems.push(p);
                None
            }
        };
    }
    let any_named = book.sheet(&["地区", "areas", "类别", "categories", "单位", "units", "人员", "people", "用户", "users"]).is_some();
    if any_named {
        return None;
    }
    let sheet = book.data_sheet(&[])?;
    Table::find(book, sheet, cols, required).ok()
}

/// Checks a registry workbook against itself and the stored registry.
pub fn check_registry(book: &Book, reg: &Registry, may_manage_users: bool) -> Result<RegistryImport, Vec<Problem>> {
    let mut p = Vec::new();
    let mut out = RegistryImport::default();
    let areas_t = registry_table(book, &["地区", "areas"], AREA_COLS, &["key", "name"], &mut p);
    let cats_t = registry_table(book, &["类别", "categories"], CATEGORY_COLS, &["key", "name"], &mut p);
    let units_t = registry_table(book, &["单位", "units"], UNIT_COLS, &["key", "name"], &mut p);
    let people_t = registry_table(book, &["人员", "people"], PEOPLE_COLS, &["key", "name", "unit"], &mut p);
    let users_t = registry_table(book, &["用户", "users"], USER_COLS, &["username", "role"], &mut p);
    if [&areas_t, &cats_t, &units_t, &people_t, &users_t].iter().all(|t| t.is_none()) && p.is_empty() {
        return Err(vec![Problem {
            place: yardstick_formats::Place { file: book.file.clone(), ..Default::default() },
            msg: Msg::new(
                "工作簿中没有名录工作表：应有“地区”“类别”“单位”“人员”“用户”中的一个或几个，各有其表头",
                "the workbook has no registry sheet: it needs one or more of 地区 (areas), 类别 (categories), 单位 (units), 人员 (people), 用户 (users), each with its header",
            ),
        }]);
    }
    for (t, cols) in [(&areas_t, AREA_COLS), (&cats_t, CATEGORY_COLS), (&units_t, UNIT_COLS), (&people_t, PEOPLE_COLS), (&users_t, USER_COLS)] {
        if let Some(t) = t {
            unknown_columns(book, t, cols, &mut p);
            p.extend(t.merge_problems(book));
        }
    }

    // Areas.
    let mut area_pairs: Vec<(String, String)> = reg.areas.iter().map(|a| (a.key.clone(), a.name.clone())).collect();
    if let Some(t) = &areas_t {
        let rows: Vec<_> = t.rows().map(|r| (r.row, cell_text(book, t, &r, "key", &mut p), cell_text(book, t, &r, "name", &mut p), cell_text(book, t, &r, "parent", &mut p))).collect();
        for (row, key, name, _) in &rows {
            if key.is_empty() {
                p.push(at(book, t, *row, Some("key"), "缺少地区编码", "the area's key is missing"));
            }
            if name.is_empty() {
                p.push(at(book, t, *row, Some("name"), "缺少地区名称", "the area's name is missing"));
            }
        }
        let keys: Vec<(usize, &str)> = rows.iter().filter(|r| !r.1.is_empty()).map(|r| (r.0, r.1.as_str())).collect();
        let kept = first_of_each(book, t, &keys, "地区编码", "area key", "key", &mut p);
        for (_, key, name, _) in &rows {
            if !area_pairs.iter().any(|(k, _)| k == key) {
                area_pairs.push((key.clone(), name.clone()));
            }
        }
        for (row, key, name, parent) in &rows {
            if kept.get(key.as_str()) != Some(row) {
                continue;
            }
            let parent_key = if parent.is_empty() {
                None
            } else {
                match resolve(&area_pairs, parent) {
                    Some(k) if k == key => {
                        p.push(at(book, t, *row, Some("parent"), "地区不能是自己的上级", "an area cannot be its own parent"));
                        None
                    }
                    Some(k) => Some(k.to_string()),
                    None => {
                        p.push(at(book, t, *row, Some("parent"), format!("上级地区“{parent}”不存在"), format!("the parent area '{parent}' does not exist")));
                        None
                    }
                }
            };
            out.areas.push(Area { key: key.clone(), name: name.clone(), parent_key });
        }
        // Parents first, so that each insert finds its parent.
        out.areas = order_parents_first(std::mem::take(&mut out.areas));
    }

    // Categories.
    let mut cat_pairs: Vec<(String, String)> = reg.categories.iter().map(|c| (c.key.clone(), c.name.clone())).collect();
    if let Some(t) = &cats_t {
        let mut keys = Vec::new();
        let rows: Vec<_> = t.rows().collect();
        let mut parsed = Vec::new();
        for r in &rows {
            let key = cell_text(book, t, r, "key", &mut p);
            let name = cell_text(book, t, r, "name", &mut p);
            let series = cell_text(book, t, r, "series", &mut p);
            let sort = match r.get("sort").number() {
                Ok(None) => 0,
                Ok(Some(n)) => match n.parse::<i64>() {
                    Ok(v) => v,
                    Err(_) => {
                        p.push(at(book, t, r.row, Some("sort"), format!("排序“{n}”应为整数"), format!("the order '{n}' must be a whole number")));
                        0
                    }
                },
                Err(msg) => {
                    p.push(Problem { place: t.place(book, r.row, Some("sort")), msg });
                    0
                }
            };
            if key.is_empty() {
                p.push(at(book, t, r.row, Some("key"), "缺少类别编码", "the category's key is missing"));
            }
            if name.is_empty() {
                p.push(at(book, t, r.row, Some("name"), "缺少类别名称", "the category's name is missing"));
            }
            parsed.push((r.row, key, name, series, sort));
        }
        for x in &parsed {
            if !x.1.is_empty() {
                keys.push((x.0, x.1.as_str()));
            }
        }
        let kept = first_of_each(book, t, &keys, "类别编码", "category key", "key", &mut p);
        let names: Vec<(usize, &str)> = parsed.iter().filter(|x| !x.2.is_empty()).map(|x| (x.0, x.2.as_str())).collect();
        first_of_each(book, t, &names, "类别名称", "category name", "name", &mut p);
        for (row, key, name, series, sort) in &parsed {
            if kept.get(key.as_str()) != Some(row) {
                continue;
            }
            if let Some(other) = reg.categories.iter().find(|c| &c.name == name && &c.key != key) {
                p.push(at(book, t, *row, Some("name"), format!("类别名称“{name}”已由类别“{}”使用", other.key), format!("the category name '{name}' is already used by '{}'", other.key)));
            }
            out.categories.push(Category { key: key.clone(), name: name.clone(), series: series.clone(), sort: *sort });
            if let Some(x) = cat_pairs.iter_mut().find(|(k, _)| k == key) {
                x.1 = name.clone();
            } else {
                cat_pairs.push((key.clone(), name.clone()));
            }
        }
    }

    // Units.
    let mut unit_pairs: Vec<(String, String)> = reg.units.iter().map(|u| (u.key.clone(), u.name.clone())).collect();
    if let Some(t) = &units_t {
        let mut parsed = Vec::new();
        for r in t.rows() {
            let key = cell_text(book, t, &r, "key", &mut p);
            let name = cell_text(book, t, &r, "name", &mut p);
            let category = cell_text(book, t, &r, "category", &mut p);
            let area = cell_text(book, t, &r, "area", &mut p);
            let active = cell_text(book, t, &r, "active", &mut p);
            if key.is_empty() {
                p.push(at(book, t, r.row, Some("key"), "缺少单位编码", "the unit's key is missing"));
            }
            if name.is_empty() {
                p.push(at(book, t, r.row, Some("name"), "缺少单位名称", "the unit's name is missing"));
            }
            let category_key = if category.is_empty() {
                None
            } else {
                match resolve(&cat_pairs, &category) {
                    Some(k) => Some(k.to_string()),
                    None => {
                        p.push(at(book, t, r.row, Some("category"), format!("类别“{category}”不存在"), format!("the category '{category}' does not exist")));
                        None
                    }
                }
            };
            let area_key = if area.is_empty() {
                None
            } else {
                match resolve(&area_pairs, &area) {
                    Some(k) => Some(k.to_string()),
                    None => {
                        p.push(at(book, t, r.row, Some("area"), format!("地区“{area}”不存在"), format!("the area '{area}' does not exist")));
                        None
                    }
                }
            };
            let static_level = match r.get("static_level").number() {
                Ok(None) => None,
                Ok(Some(n)) => match n.parse::<i64>() {
                    Ok(v) if (1..=6).contains(&v) => Some(v),
                    _ => {
                        p.push(at(book, t, r.row, Some("static_level"), format!("静态系数档次“{n}”无效（应为 1–6 的整数）"), format!("the static coefficient level '{n}' is invalid (a whole number 1–6)")));
                        None
                    }
                },
                Err(msg) => {
                    p.push(Problem { place: t.place(book, r.row, Some("static_level")), msg });
                    None
                }
            };
            let active = match yes_no(&active) {
                Some(b) => b,
                None => {
                    p.push(at(book, t, r.row, Some("active"), format!("“{active}”应为“是”或“否”"), format!("'{active}' must be 是 (yes) or 否 (no)")));
                    true
                }
            };
            parsed.push((r.row, Unit { key, name, category_key, area_key, static_level, active }));
        }
        let keys: Vec<(usize, &str)> = parsed.iter().filter(|x| !x.1.key.is_empty()).map(|x| (x.0, x.1.key.as_str())).collect();
        let kept = first_of_each(book, t, &keys, "单位编码", "unit key", "key", &mut p);
        let names: Vec<(usize, &str)> = parsed.iter().filter(|x| !x.1.name.is_empty()).map(|x| (x.0, x.1.name.as_str())).collect();
        first_of_each(book, t, &names, "单位名称", "unit name", "name", &mut p);
        for (row, u) in parsed {
            if kept.get(u.key.as_str()) != Some(&row) {
                continue;
            }
            if let Some(other) = reg.units.iter().find(|x| x.name == u.name && x.key != u.key) {
                p.push(at(book, t, row, Some("name"), format!("单位名称“{}”已由单位“{}”使用", u.name, other.key), format!("the unit name '{}' is already used by '{}'", u.name, other.key)));
            }
            if let Some(x) = unit_pairs.iter_mut().find(|(k, _)| *k == u.key) {
                x.1 = u.name.clone();
            } else {
                unit_pairs.push((u.key.clone(), u.name.clone()));
            }
            out.units.push(u);
        }
    }

    // People.
    if let Some(t) = &people_t {
        let mut parsed = Vec::new();
        for r in t.rows() {
            let key = cell_text(book, t, &r, "key", &mut p);
            let name = cell_text(book, t, &r, "name", &mut p);
            let unit = cell_text(book, t, &r, "unit", &mut p);
            let post = cell_text(book, t, &r, "post", &mut p);
            let kind_text = cell_text(book, t, &r, "kind", &mut p);
            let category = cell_text(book, t, &r, "category", &mut p);
            let section = cell_text(book, t, &r, "section", &mut p);
            let head = cell_text(book, t, &r, "section_head", &mut p);
            if key.is_empty() {
                p.push(at(book, t, r.row, Some("key"), "缺少人员编码", "the person's key is missing"));
            }
            let kind = match kind_text.as_str() {
                "" | "person" | "个人" | "工作人员" => "person",
                "cadre" | "领导干部" | "干部" => "cadre",
                "team" | "领导班子" | "班子" => "team",
                other => {
                    p.push(at(book, t, r.row, Some("kind"), format!("类型“{other}”无效（个人、领导干部、领导班子）"), format!("the kind '{other}' is not valid (person, cadre, team)")));
                    "person"
                }
            };
            let category_key = if category.is_empty() {
                None
            } else {
                match resolve(&cat_pairs, &category) {
                    Some(k) => Some(k.to_string()),
                    None => {
                        p.push(at(book, t, r.row, Some("category"), format!("类别“{category}”不存在"), format!("the category '{category}' does not exist")));
                        None
                    }
                }
            };
            let section_head = match head.as_str() {
                "" | "否" | "no" | "0" | "false" => false,
                "是" | "yes" | "1" | "true" => true,
                other => {
                    p.push(at(book, t, r.row, Some("section_head"), format!("“{other}”应为 是 或 否"), format!("'{other}' should be yes or no")));
                    false
                }
            };
            if name.is_empty() {
                p.push(at(book, t, r.row, Some("name"), "缺少姓名", "the name is missing"));
            }
            let unit_key = match resolve(&unit_pairs, &unit) {
                Some(k) => k.to_string(),
                None => {
                    p.push(at(book, t, r.row, Some("unit"), format!("单位“{unit}”不存在"), format!("the unit '{unit}' does not exist")));
                    String::new()
                }
            };
            parsed.push((r.row, Person { key, name, unit_key, post, kind: kind.into(), category_key, section, section_head, static_level: None }));
        }
        let keys: Vec<(usize, &str)> = parsed.iter().filter(|x| !x.1.key.is_empty()).map(|x| (x.0, x.1.key.as_str())).collect();
        let kept = first_of_each(book, t, &keys, "人员编码", "person key", "key", &mut p);
        out.people = parsed.into_iter().filter(|(row, x)| kept.get(x.key.as_str()) == Some(row)).map(|(_, x)| x).collect();
    }

    // Users.
    if let Some(t) = &users_t {
        if !may_manage_users {
            p.push(Problem {
                place: yardstick_formats::Place { file: book.file.clone(), sheet: Some(t.sheet.name.clone()), ..Default::default() },
                msg: Msg::new("只有系统管理员可以导入用户", "only an administrator may import users"),
            });
        }
        let mut parsed = Vec::new();
        for r in t.rows() {
            let username = cell_text(book, t, &r, "username", &mut p);
            let name = cell_text(book, t, &r, "name", &mut p);
            let role = cell_text(book, t, &r, "role", &mut p);
            let unit = cell_text(book, t, &r, "unit", &mut p);
            let email = cell_text(book, t, &r, "email", &mut p);
            if username.is_empty() || username.len() > 64 || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
                p.push(at(book, t, r.row, Some("username"), "用户名不能为空、不能含空格，最长64个字符", "the user name must be 1–64 characters without spaces"));
            }
            let role_v = role_of(&role);
            if role_v.is_none() {
                let all: Vec<String> = Role::ALL.iter().map(|r| format!("{}({})", r.name_zh(), r.key())).collect();
                p.push(at(book, t, r.row, Some("role"), format!("未知的角色“{role}”，可用：{}", all.join("、")), format!("unknown role '{role}'; the roles are {}", all.join(", "))));
            }
            let unit_key = if unit.is_empty() {
                None
            } else {
                match resolve(&unit_pairs, &unit) {
                    Some(k) => Some(k.to_string()),
                    None => {
                        p.push(at(book, t, r.row, Some("unit"), format!("单位“{unit}”不存在"), format!("the unit '{unit}' does not exist")));
                        None
                    }
                }
            };
            if let Some(role) = role_v
                && role.needs_unit()
                && unit.is_empty()
            {
                p.push(at(book, t, r.row, Some("unit"), format!("角色“{}”须填写所属单位", role.name_zh()), format!("the role '{}' needs a unit", role.key())));
            }
            if !email.is_empty() && (email.len() > 254 || !email.contains('@') || email.chars().any(|c| c.is_whitespace() || c.is_control())) {
                p.push(at(book, t, r.row, Some("email"), format!("电子邮箱“{email}”无效"), format!("the e-mail address '{email}' is not valid")));
            }
            let display_name = if name.is_empty() { username.clone() } else { name };
            parsed.push((r.row, username, display_name, role_v, unit_key, (!email.is_empty()).then_some(email)));
        }
        let keys: Vec<(usize, &str)> = parsed.iter().filter(|x| !x.1.is_empty()).map(|x| (x.0, x.1.as_str())).collect();
        let kept = first_of_each(book, t, &keys, "用户名", "user name", "username", &mut p);
        for (row, username, display_name, role, unit_key, email) in parsed {
            let (Some(role), true) = (role, kept.get(username.as_str()) == Some(&row)) else { continue };
            out.users.push(ImportUser { username, display_name, role, unit_key, email, password_hash: String::new() });
        }
    }
    if !p.is_empty() {
        return Err(p);
    }
    Ok(out)
}

/// Orders areas so that each comes after its parent (a loop is left in file order and is
/// refused by the database's reference check).
fn order_parents_first(areas: Vec<Area>) -> Vec<Area> {
    let keys: BTreeSet<String> = areas.iter().map(|a| a.key.clone()).collect();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(areas.len());
    let mut left = areas;
    while !left.is_empty() {
        let before = left.len();
        let (ready, rest): (Vec<Area>, Vec<Area>) =
            left.into_iter().partition(|a| a.parent_key.as_ref().is_none_or(|p| !keys.contains(p) || placed.contains(p)));
        for a in &ready {
            placed.insert(a.key.clone());
        }
        out.extend(ready);
        left = rest;
        if left.len() == before {
            out.extend(left);
            break;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Period data.

/// The columns of the long form (docs/workbooks.md); field columns are any other key.
pub const DATA_COLS: &[Col] = &[
    Col { key: "period", names: &["期间", "月份"] },
    Col { key: "subject", names: &["单位编码", "对象编码"] },
    Col { key: "indicator", names: &["指标编码"] },
    Col { key: "reason", names: &["原因", "事由"] },
    Col { key: "actual", names: &["实际值", "完成值"] },
    Col { key: "target", names: &["目标值"] },
    Col { key: "growth", names: &["增速", "增长率"] },
    Col { key: "target_growth", names: &["目标增速"] },
    Col { key: "value", names: &["数值"] },
    Col { key: "count", names: &["次数"] },
    Col { key: "level", names: &["等级"] },
    Col { key: "grade", names: &["等次"] },
    Col { key: "subject_name", names: &["单位名称"] },
    Col { key: "indicator_name", names: &["指标名称"] },
    Col { key: "measure", names: &["计量单位"] },
    Col { key: "last_year", names: &["上年同期"] },
    Col { key: "note", names: &["备注", "说明"] },
];

const INFO_COLS: &[&str] = &["subject_name", "indicator_name", "measure", "last_year", "note"];
const TEXT_FIELDS: &[&str] = &["level", "grade"];

/// Who imports data, and what they may write.
pub struct DataCaller {
    /// The scope of the caller's right to write values.
    pub scope: Scope,
    /// The caller's unit (a unit user's own; a department's unit).
    pub unit: Option<String>,
    /// For a department: the source name it supplies (its unit's name).
    pub supplies: Option<String>,
    /// Whether the caller may record occurrences (the office).
    pub may_record: bool,
}

/// What the check needs to know of the plan and the stored state.
pub struct DataContext<'a> {
    pub plan_key: &'a str,
    pub period: &'a str,
    /// Unit key → (name, category key).
    pub units: &'a HashMap<String, (String, Option<String>)>,
    /// Indicator key → its source (responsible department), for the plan in force.
    pub sources: &'a HashMap<String, Option<String>>,
    /// Units whose data is locked by a submission (submitted or accepted).
    pub locked: &'a BTreeSet<String>,
    /// Stored values of the period: (unit, indicator, field) → value.
    pub stored: &'a HashMap<(String, String, String), String>,
    pub own_category: Option<&'a str>,
}

/// A checked data import, ready for the plan's loader and then for writing.
pub struct DataPlan {
    pub units: Vec<UnitData>,
    /// The rows as the data CSV the plan's loader reads, and for each of its lines (from
    /// line 2) the sheet row it came from.
    pub csv: String,
    pub lines: Vec<usize>,
    /// Field key → sheet column, for naming the loader's problems.
    pub sheet: String,
    pub header_row: usize,
    pub columns: Vec<(usize, String, String)>,
    /// Values that differ from the stored ones.
    pub values_changing: usize,
    pub values_total: usize,
}

/// Whether a stored value and an imported one say the same: the same text, or the same
/// number however it was typed (`１,０２３.５０` and `1023.5`).
fn same_value(stored: &str, new: &str) -> bool {
    if stored == new {
        return true;
    }
    let norm = |s: &str| {
        yardstick_formats::numtext::parse_number(s).ok().map(|d| {
            let t = d.to_string();
            if t.contains('.') { t.trim_end_matches('0').trim_end_matches('.').to_string() } else { t }
        })
    };
    matches!((norm(stored), norm(new)), (Some(a), Some(b)) if a == b)
}

/// Reads and checks the data sheet of a workbook for one plan and period.
/// Rows refused: the problems of the file, and the rows the caller may not write at all.
#[derive(Debug, Default)]
pub struct DataRefusal {
    pub problems: Vec<Problem>,
    pub forbidden: Vec<Problem>,
}

pub fn check_data(book: &Book, cx: &DataContext, caller: &DataCaller) -> Result<DataPlan, DataRefusal> {
    let mut p = Vec::new();
    let mut forbidden = Vec::new();
    let whole = |zh: String, en: String| Problem { place: yardstick_formats::Place { file: book.file.clone(), ..Default::default() }, msg: Msg::new(zh, en) };
    let meta: BTreeMap<String, String> = book.meta().into_iter().collect();
    if let Some(plan) = meta.get("plan").filter(|s| !s.is_empty())
        && plan != cx.plan_key
    {
        p.push(whole(format!("此文件属于方案“{plan}”，不能导入方案“{}”", cx.plan_key), format!("this file belongs to the plan '{plan}', not '{}'", cx.plan_key)));
    }
    if let Some(period) = meta.get("period").filter(|s| !s.is_empty())
        && period != cx.period
    {
        p.push(whole(format!("此文件是 {period} 的数据，不能导入 {}", cx.period), format!("this file holds the data of {period}, not of {}", cx.period)));
    }
    let meta_unit = meta.get("unit").filter(|s| !s.is_empty()).cloned();
    let Some(sheet) = book.data_sheet(&["数据", "data", "填报", "entry"]) else {
        p.push(whole("工作簿中没有工作表".into(), "the workbook has no worksheet".into()));
        return Err(DataRefusal { problems: p, forbidden });
    };
    let t = match Table::find(book, sheet, DATA_COLS, &["indicator"]) {
        Ok(t) => t,
        Err(e) => {
            p.push(e);
            return Err(DataRefusal { problems: p, forbidden });
        }
    };
    p.extend(t.merge_problems(book));
    if t.column("subject").is_none() && meta_unit.is_none() {
        p.push(Problem {
            place: book.place(sheet, t.header_row, None),
            msg: Msg::new("缺少“单位编码(subject)”列", "the column 单位编码 (subject) is missing"),
        });
    }
    let mut seen_cols: BTreeMap<&str, usize> = BTreeMap::new();
    for (c, key, header) in &t.columns {
        if let Some(first) = seen_cols.insert(key.as_str(), *c) {
            p.push(Problem {
                place: book.place(sheet, t.header_row, Some((*c, header))),
                msg: Msg::new(format!("列“{header}”与第{}列重复", yardstick_sheets::read::column_name(first)), format!("the column '{header}' repeats column {}", yardstick_sheets::read::column_name(first))),
            });
        }
    }
    let fields: Vec<&str> = t
        .columns
        .iter()
        .map(|(_, k, _)| k.as_str())
        .filter(|k| !["period", "subject", "indicator", "reason"].contains(k) && !INFO_COLS.contains(k))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let name_to_key: HashMap<&str, &str> = cx.units.iter().map(|(k, (n, _))| (n.as_str(), k.as_str())).collect();

    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["period", "subject", "indicator", "reason"];
    header.extend(&fields);
    let _ = w.write_record(&header);
    let mut lines = Vec::new();
    let mut by_unit: BTreeMap<String, UnitData> = BTreeMap::new();
    let mut values_changing = 0;
    let mut values_total = 0;
    for r in t.rows() {
        let row = r.row;
        // Period: the column, else the target period.
        match r.get("period").month() {
            Ok(Some(m)) if m != cx.period => p.push(at(book, &t, row, Some("period"), format!("期间 {m} 与导入的期间 {} 不符", cx.period), format!("the period {m} is not the period imported, {}", cx.period))),
            Ok(_) => {}
            Err(msg) => p.push(Problem { place: t.place(book, row, Some("period")), msg }),
        }
        let subject_raw = match r.get("subject").text() {
            Ok(s) if !s.trim().is_empty() => s.trim().to_string(),
            Ok(_) => meta_unit.clone().unwrap_or_default(),
            Err(msg) => {
                p.push(Problem { place: t.place(book, row, Some("subject")), msg });
                continue;
            }
        };
        let subject = if cx.units.contains_key(&subject_raw) {
            subject_raw.clone()
        } else if let Some(k) = name_to_key.get(subject_raw.as_str()) {
            (*k).to_string()
        } else {
            if subject_raw.is_empty() {
                p.push(at(book, &t, row, Some("subject"), "缺少单位编码", "the unit's key is missing"));
            } else {
                p.push(at(book, &t, row, Some("subject"), format!("单位“{subject_raw}”不存在"), format!("the unit '{subject_raw}' does not exist")));
            }
            continue;
        };
        if let Some(mu) = &meta_unit
            && mu != &subject
        {
            p.push(at(book, &t, row, Some("subject"), format!("此模板属于单位“{mu}”，不能填写单位“{subject}”"), format!("this template belongs to '{mu}', not to '{subject}'")));
        }
        let category = cx.units.get(&subject).and_then(|(_, c)| c.as_deref());
        let reachable = match caller.scope {
            Scope::All => true,
            Scope::OwnUnit => caller.unit.as_deref() == Some(subject.as_str()),
            Scope::OwnCategory => caller.unit.as_deref() == Some(subject.as_str()) || (category.is_some() && category == cx.own_category),
        };
        if !reachable {
            forbidden.push(at(book, &t, row, Some("subject"), format!("无权填报单位“{subject}”的数据"), format!("you may not write the data of '{subject}'")));
            continue;
        }
        let indicator = match r.get("indicator").text() {
            Ok(s) => s.trim().to_string(),
            Err(msg) => {
                p.push(Problem { place: t.place(book, row, Some("indicator")), msg });
                continue;
            }
        };
        if indicator.is_empty() {
            p.push(at(book, &t, row, Some("indicator"), "缺少指标编码", "the indicator's key is missing"));
            continue;
        }
        if let Some(dept) = &caller.supplies {
            let source = cx.sources.get(&indicator).cloned().flatten();
            if source.as_deref() != Some(dept.as_str()) {
                let owner = source.unwrap_or_else(|| "各单位".into());
                forbidden.push(at(book, &t, row, Some("indicator"), format!("“{dept}”只能填报本部门负责的指标；{indicator} 由“{owner}”负责"), format!("'{dept}' supplies only its own indicators; {indicator} is supplied by '{owner}'")));
                continue;
            }
        }
        let reason = match r.get("reason").text() {
            Ok(s) => s.trim().to_string(),
            Err(msg) => {
                p.push(Problem { place: t.place(book, row, Some("reason")), msg });
                String::new()
            }
        };
        let mut cells: Vec<(&str, String)> = Vec::new();
        for f in &fields {
            let cell = r.get(f);
            let v = if TEXT_FIELDS.contains(f) {
                cell.text().map(|s| (!s.trim().is_empty()).then(|| s.trim().to_string()))
            } else {
                cell.number()
            };
            match v {
                Ok(Some(v)) => cells.push((f, v)),
                Ok(None) => {}
                Err(msg) => p.push(Problem { place: t.place(book, row, Some(f)), msg }),
            }
        }
        let unit = by_unit.entry(subject.clone()).or_insert_with(|| UnitData { unit: subject.clone(), ..UnitData::default() });
        if !reason.is_empty() {
            if !caller.may_record {
                forbidden.push(at(book, &t, row, Some("reason"), "只有考评办可以登记扣分、加分、否决等事项", "only the office may record deductions, bonus items, vetoes and demotions"));
                continue;
            }
            let (field, amount) = match cells.as_slice() {
                [] => ("count".to_string(), None),
                [(f, v)] => ((*f).to_string(), Some(v.clone())),
                _ => {
                    p.push(at(book, &t, row, Some("reason"), "一行事项只能填写次数或数值中的一项", "an occurrence row gives either a count or a value, not several fields"));
                    continue;
                }
            };
            unit.occurrences.push(OccurrenceInput { indicator: indicator.clone(), field: field.clone(), amount: amount.clone(), reason: reason.clone() });
            let mut rec = vec![cx.period.to_string(), subject.clone(), indicator.clone(), reason.clone()];
            rec.extend(fields.iter().map(|f| if *f == field { amount.clone().unwrap_or_default() } else { String::new() }));
            let _ = w.write_record(&rec);
            lines.push(row);
            continue;
        }
        if cells.is_empty() {
            // A row of an indicator with nothing filled in (a template's untouched row).
            continue;
        }
        let locked = cx.locked.contains(&subject);
        for (f, v) in &cells {
            values_total += 1;
            let stored = cx.stored.get(&(subject.clone(), indicator.clone(), (*f).to_string()));
            if stored.is_some_and(|s| same_value(s, v)) {
                continue;
            }
            values_changing += 1;
            // A target already set is the office's (a template shows it locked): a unit
            // re-importing an old template must not undo a target changed since.
            if caller.scope == Scope::OwnUnit && ["target", "target_growth"].contains(f) && stored.is_some() {
                forbidden.push(at(book, &t, row, Some(f), format!("目标值已由考评办下达（{}），单位不能修改", stored.map_or("", |s| s.as_str())), format!("the target is set by the office ({}); a unit cannot change it", stored.map_or("", |s| s.as_str()))));
                continue;
            }
            if locked {
                p.push(at(book, &t, row, Some(f), format!("单位“{subject}”本期数据已报送，已锁定，不能修改（原值 {}）", stored.map_or("空", |s| s.as_str())), format!("the data of '{subject}' is submitted and locked; it cannot change (stored: {})", stored.map_or("none", |s| s.as_str()))));
            }
        }
        // Only the values that change are written (a unit whose data is locked may
        // re-import the very file it submitted).
        unit.values.extend(
            cells
                .iter()
                .filter(|(f, v)| !cx.stored.get(&(subject.clone(), indicator.clone(), (*f).to_string())).is_some_and(|s| same_value(s, v)))
                .map(|(f, v)| ValueInput { indicator: indicator.clone(), field: (*f).to_string(), value: v.clone() }),
        );
        let mut rec = vec![cx.period.to_string(), subject.clone(), indicator.clone(), String::new()];
        rec.extend(fields.iter().map(|f| cells.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone()).unwrap_or_default()));
        let _ = w.write_record(&rec);
        lines.push(row);
    }
    if by_unit.is_empty() && p.is_empty() && forbidden.is_empty() {
        p.push(Problem { place: book.place(sheet, t.header_row, None), msg: Msg::new("表中没有数据行", "the table has no data rows") });
    }
    if !p.is_empty() || !forbidden.is_empty() {
        return Err(DataRefusal { problems: p, forbidden });
    }
    let csv = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    Ok(DataPlan {
        units: by_unit.into_values().collect(),
        csv,
        lines,
        sheet: sheet.name.clone(),
        header_row: t.header_row,
        columns: t.columns.clone(),
        values_changing,
        values_total,
    })
}

impl DataPlan {
    /// Names a problem of the plan's loader (reported against the CSV it was given) by the
    /// sheet, row and column it came from.
    pub fn locate(&self, book: &Book, mut pr: Problem) -> Problem {
        if pr.place.file != "import" {
            return pr;
        }
        let row = pr.place.line.and_then(|l| l.checked_sub(2)).and_then(|i| self.lines.get(i).copied());
        let col = pr.place.column.as_deref().and_then(|c| self.columns.iter().find(|(_, k, _)| k == c)).map(|(c, _, h)| (*c, h.clone()));
        pr.place.file = book.file.clone();
        pr.place.sheet = Some(self.sheet.clone());
        pr.place.line = Some(row.map_or(self.header_row, |r| r) + 1);
        pr.place.column = col.map(|(c, h)| format!("{}（{h}）", yardstick_sheets::read::column_name(c)));
        pr
    }
}

// ---------------------------------------------------------------------------
// Running an import: check, then write (or, for a dry run, say what would change).

use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// A new user's one-time password, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewPassword {
    pub username: String,
    pub password: String,
}

/// What a registry import did (or, for a dry run, would do).
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryOut {
    pub dry_run: bool,
    #[schema(value_type = Object)]
    pub counts: yardstick_storage::imports::RegistryCounts,
    /// The passwords of the users created: shown this once, never stored in clear.
    pub passwords: Vec<NewPassword>,
}

/// What a data import did (or would do).
#[derive(Debug, Serialize, ToSchema)]
pub struct DataOut {
    pub dry_run: bool,
    pub units: usize,
    pub values: usize,
    pub values_changed: usize,
    pub occurrences_added: usize,
    /// Whether the unit's data was also submitted (a template imported with `submit`).
    pub submitted: bool,
}

fn random_password() -> String {
    // 12 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).expect("the operating system's random source");
    b.iter().map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char).collect()
}

/// Checks and (unless `dry_run`) writes a registry workbook.
pub async fn run_registry(st: &AppState, actor: &str, may_manage_users: bool, book: &Book, dry_run: bool) -> ApiResult<RegistryOut> {
    let reg = Registry { areas: st.db.areas().await?, categories: st.db.categories().await?, units: st.db.units(None).await? };
    let mut import = check_registry(book, &reg, may_manage_users).map_err(ApiError::invalid)?;
    if dry_run {
        // The import's own transaction, rolled back: the counts are exactly what it would do.
        let counts = st.db.import_registry(&import, actor, crate::auth::now_ms(), true).await?;
        return Ok(RegistryOut { dry_run, counts, passwords: Vec::new() });
    }
    let existing: BTreeSet<String> = st.db.users().await?.into_iter().map(|u| u.username).collect();
    let fresh: Vec<usize> = import.users.iter().enumerate().filter(|(_, u)| !existing.contains(&u.username)).map(|(i, _)| i).collect();
    // New users get a random password, hashed (slowly, by design) off the async threads.
    let passwords: Vec<(usize, String)> = fresh.iter().map(|&i| (i, random_password())).collect();
    let hashed = tokio::task::spawn_blocking({
        let passwords = passwords.clone();
        move || {
            use rayon::prelude::*;
            passwords.par_iter().map(|(i, p)| yardstick_storage::accounts::hash_password(p).map(|h| (*i, h))).collect::<Result<Vec<_>, String>>()
        }
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    for (i, h) in hashed {
        import.users[i].password_hash = h;
    }
    let counts = st.db.import_registry(&import, actor, crate::auth::now_ms(), false).await?;
    let passwords = passwords
        .into_iter()
        .filter(|(i, _)| counts.new_users.contains(&import.users[*i].username))
        .map(|(i, password)| NewPassword { username: import.users[i].username.clone(), password })
        .collect();
    Ok(RegistryOut { dry_run, counts, passwords })
}

/// Checks and (unless `dry_run`) writes a period's data workbook. With `submit`, a
/// workbook of a single unit is then submitted as that unit's data (its leader's act).
#[allow(clippy::too_many_arguments)]
pub async fn run_data(st: &AppState, caller: &DataCaller, actor: &str, plan: &str, period: &str, book: &Book, dry_run: bool, submit: Option<&crate::auth::Auth>) -> ApiResult<DataOut> {
    crate::api::open_for_data(st, plan, period).await?;
    let cached = st.models.get(&st.db, plan).await.map_err(crate::api::compute_error)?;
    let units: HashMap<String, (String, Option<String>)> = st.db.units(None).await?.into_iter().map(|u| (u.key, (u.name, u.category_key))).collect();
    let sources: HashMap<String, Option<String>> =
        cached.model.versions.iter().flat_map(|v| &v.indicators).map(|i| (i.key.clone(), i.source.clone())).collect();
    let locked: BTreeSet<String> =
        st.db.submissions(plan, period).await?.into_iter().filter(|s| s.status == "submitted" || s.status == "accepted").map(|s| s.unit_key).collect();
    let stored: HashMap<(String, String, String), String> =
        st.db.values(plan, &[period.to_string()], None).await?.into_iter().map(|v| ((v.subject, v.indicator, v.field), v.value)).collect();
    let own_category = match &caller.unit {
        Some(u) => units.get(u).and_then(|(_, c)| c.clone()),
        None => None,
    };
    let cx = DataContext { plan_key: plan, period, units: &units, sources: &sources, locked: &locked, stored: &stored, own_category: own_category.as_deref() };
    let checked = check_data(book, &cx, caller).map_err(|r| {
        if r.forbidden.is_empty() {
            ApiError::invalid(r.problems)
        } else {
            let mut e = ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden_rows",
                "文件中有您无权填报的行，未导入任何数据",
                "the file has rows you may not write; nothing was imported",
            );
            e.problems = r.forbidden;
            e
        }
    })?;
    // The plan's own checks (fields the method reads, levels, grades, occurrences), as for
    // every other write of values; its problems are named by sheet, row and column.
    let p = yardstick_engine::Period::parse(period).ok_or_else(|| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "bad_period", "期间无效", "invalid period"))?;
    let problems = tokio::task::spawn_blocking({
        let cached = cached.clone();
        let csv = checked.csv.clone();
        move || {
            let loader = yardstick_formats::data::DataLoader::new(&cached.model, cached.roster.clone(), Some(vec![p]));
            loader.add_csv("import", &csv);
            loader.finish().err().unwrap_or_default()
        }
    })
    .await
    .map_err(ApiError::internal)?;
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems.into_iter().map(|pr| checked.locate(book, pr)).collect()));
    }
    let single = (checked.units.len() == 1).then(|| checked.units[0].unit.clone());
    if dry_run {
        let occurrences = checked.units.iter().map(|u| u.occurrences.len()).sum();
        return Ok(DataOut { dry_run, units: checked.units.len(), values: checked.values_total, values_changed: checked.values_changing, occurrences_added: occurrences, submitted: false });
    }
    let counts = st.db.import_values(plan, period, &checked.units, actor, crate::auth::now_ms()).await?;
    let mut submitted = false;
    if let Some(a) = submit {
        let Some(unit) = single else {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "submit_one_unit",
                "数据已导入；只有单个单位的填报表可以同时报送",
                "the data was imported; only a workbook of a single unit can be submitted with it",
            ));
        };
        crate::api::reach_unit(st, a, crate::authz::Perm::Submit, &unit).await?;
        crate::api::submit_unit(st, a, plan, period, &unit).await?;
        submitted = true;
    }
    Ok(DataOut { dry_run, units: checked.units.len(), values: checked.values_total, values_changed: counts.values_changed, occurrences_added: counts.occurrences_added, submitted })
}
