//! The subjects file (CSV): `key,name,kind,parent,category,static_level`.

use rustc_hash::FxHashMap;
use yardstick_engine::model::{Subject, SubjectKind};

use crate::{Msg, Place, Problem};

/// A subject as read, before its parent and category are resolved.
#[derive(Clone, Debug)]
pub struct RawSubject {
    pub line: Option<usize>,
    pub key: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
    pub category: Option<String>,
    pub static_level: Option<String>,
}

const COLUMNS: [&str; 6] = ["key", "name", "kind", "parent", "category", "static_level"];

/// Reads subject rows from CSV text; columns may come in any order, `key` and `name` are required.
pub fn read_csv(text: &str, file: &str, problems: &mut Vec<Problem>) -> Vec<RawSubject> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(Problem {
                place: Place { file: file.into(), line: Some(1), ..Place::default() },
                msg: Msg::new(format!("无法读取表头：{e}"), format!("cannot read the header: {e}")),
            });
            return Vec::new();
        }
    };
    let mut col = [None; 6];
    for (i, h) in headers.iter().enumerate() {
        match COLUMNS.iter().position(|c| *c == h.trim()) {
            Some(k) => col[k] = Some(i),
            None => problems.push(Problem {
                place: Place { file: file.into(), line: Some(1), column: Some(h.to_string()), ..Place::default() },
                msg: Msg::new(
                    format!("未知的列，可用的列：{}", COLUMNS.join("、")),
                    format!("unknown column; the columns are {}", COLUMNS.join(", ")),
                ),
            }),
        }
    }
    for (k, name) in COLUMNS.iter().enumerate().take(2) {
        if col[k].is_none() {
            problems.push(Problem {
                place: Place { file: file.into(), line: Some(1), column: Some(name.to_string()), ..Place::default() },
                msg: Msg::new("缺少必需的列", "a required column is missing"),
            });
        }
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                problems.push(Problem {
                    place: Place { file: file.into(), line, ..Place::default() },
                    msg: Msg::new(format!("无法读取此行：{e}"), format!("cannot read this row: {e}")),
                });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |k: usize| col[k].and_then(|i| rec.get(i)).map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        out.push(RawSubject {
            line,
            key: get(0).unwrap_or_default(),
            name: get(1).unwrap_or_default(),
            kind: get(2).unwrap_or_else(|| "unit".into()),
            parent: get(3),
            category: get(4),
            static_level: get(5),
        });
    }
    out
}

/// Resolves parents, categories and kinds, reporting every problem.
pub fn resolve(
    raw: &[RawSubject],
    file: &str,
    categories: &FxHashMap<String, u32>,
    static_levels: usize,
    problems: &mut Vec<Problem>,
) -> Vec<Subject> {
    let mut index: FxHashMap<&str, u32> = FxHashMap::default();
    let place = |r: &RawSubject, column: &str| Place {
        file: file.into(),
        line: r.line,
        column: Some(column.into()),
        sheet: None,
        field: None,
    };
    for (i, r) in raw.iter().enumerate() {
        if r.key.is_empty() {
            problems.push(Problem { place: place(r, "key"), msg: Msg::new("缺少单位编码", "the key is missing") });
        } else if index.insert(&r.key, i as u32).is_some() {
            problems.push(Problem {
                place: place(r, "key"),
                msg: Msg::new(format!("编码“{}”重复", r.key), format!("duplicate key '{}'", r.key)),
            });
        }
    }
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        if r.name.is_empty() {
            problems.push(Problem { place: place(r, "name"), msg: Msg::new("缺少名称", "the name is missing") });
        }
        let kind = SubjectKind::parse(&r.kind).unwrap_or_else(|| {
            problems.push(Problem {
                place: place(r, "kind"),
                msg: Msg::new(
                    format!("未知的类型“{}”（可用：area、unit、section、post、person、team、cadre）", r.kind),
                    format!("unknown kind '{}' (area, unit, section, post, person, team, cadre)", r.kind),
                ),
            });
            SubjectKind::Unit
        });
        let parent = r.parent.as_deref().and_then(|p| {
            let found = index.get(p).copied();
            if found.is_none() {
                problems.push(Problem {
                    place: place(r, "parent"),
                    msg: Msg::new(format!("上级“{p}”不存在"), format!("parent '{p}' does not exist")),
                });
            }
            found
        });
        let category = r.category.as_deref().and_then(|c| {
            let found = categories.get(c).copied();
            if found.is_none() {
                problems.push(Problem {
                    place: place(r, "category"),
                    msg: Msg::new(format!("类别“{c}”未在方案中定义"), format!("category '{c}' is not defined in the plan")),
                });
            }
            found
        });
        let static_level = r.static_level.as_deref().and_then(|l| match l.parse::<u8>() {
            Ok(v) if v >= 1 && usize::from(v) <= static_levels => Some(v),
            _ if static_levels == 0 => {
                problems.push(Problem {
                    place: place(r, "static_level"),
                    msg: Msg::new("方案没有定义静态系数档次（coefficients.static_levels）", "the plan defines no static coefficient levels (coefficients.static_levels)"),
                });
                None
            }
            _ => {
                problems.push(Problem {
                    place: place(r, "static_level"),
                    msg: Msg::new(
                        format!("静态系数档次“{l}”无效（应为 1–{static_levels}）"),
                        format!("static coefficient level '{l}' is invalid (1–{static_levels})"),
                    ),
                });
                None
            }
        });
        out.push(Subject { key: r.key.clone(), name: r.name.clone(), kind, parent, category, static_level });
    }
    // A parent chain must end: no subject may be its own ancestor.
    for (i, r) in raw.iter().enumerate() {
        let mut cur = out[i].parent;
        let mut steps = 0;
        while let Some(p) = cur {
            steps += 1;
            if p as usize == i || steps > out.len() {
                problems.push(Problem {
                    place: place(r, "parent"),
                    msg: Msg::new("上级关系形成了循环", "the parent chain loops back on itself"),
                });
                break;
            }
            cur = out[p as usize].parent;
        }
    }
    out
}
