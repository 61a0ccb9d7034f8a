//! The `yardstick` command line: score, explain, check-plan, gen, bench.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use yardstick::r#gen::Scale;
use yardstick::load::{self, Project};
use yardstick::{bench, render};
use yardstick_engine::{Period, Scorer};
use yardstick_formats::{Lang, Problem};

#[derive(Parser)]
#[command(name = "yardstick", version, about = "Yardstick (标尺): performance appraisal for public bodies")]
struct Cli {
    /// Language of messages and tables: zh (default) or en.
    #[arg(long, global = true, default_value = "zh", value_parser = parse_lang)]
    lang: Lang,
    #[command(subcommand)]
    command: Command,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("unknown language '{s}' (zh, en)"))
}

fn parse_period(s: &str) -> Result<Period, String> {
    Period::parse(s).ok_or_else(|| format!("'{s}' is not a period (2026-03, 2026-Q1, 2026-H1, 2026)"))
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

#[derive(clap::Args)]
struct Inputs {
    /// The plan file (TOML).
    #[arg(long)]
    plan: PathBuf,
    /// Data files (CSV); repeat for several.
    #[arg(long, required = true)]
    data: Vec<PathBuf>,
    /// A subjects file (CSV) instead of the one the plan names.
    #[arg(long)]
    subjects: Option<PathBuf>,
    /// The period: 2026-03, 2026-Q1, 2026-H1 or 2026.
    #[arg(long, value_parser = parse_period)]
    period: Period,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user. Without --password-stdin a random password is generated and printed once.
    CreateUser {
        #[arg(long)]
        username: String,
        /// admin, staff, reporter, unit_leader, department, expert, surveyor, viewer, auditor
        #[arg(long, default_value = "admin")]
        role: String,
        /// The unit a reporter, unit leader or department belongs to.
        #[arg(long)]
        unit: Option<String>,
        /// The name shown in the UI (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, env = "YARDSTICK_DATABASE_URL", default_value = "sqlite://data/yardstick.db")]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Areas, categories, units, people and users from a workbook with sheets 地区, 类别,
    /// 单位, 人员, 用户 (any of them), or a CSV file of one of them.
    Registry {
        /// The .xlsx, .xls or .csv file.
        file: PathBuf,
        /// Check everything and say what would change, without writing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, env = "YARDSTICK_DATABASE_URL", default_value = "sqlite://data/yardstick.db")]
        database_url: String,
    },
    /// A period's data in the long form (docs/workbooks.md): a raw-data export, a filled
    /// template, or the office's own sheet.
    Data {
        file: PathBuf,
        /// The plan's key.
        #[arg(long)]
        plan: String,
        /// The month, e.g. 2026-03.
        #[arg(long, value_parser = parse_period)]
        period: Period,
        #[arg(long)]
        dry_run: bool,
        #[arg(long, env = "YARDSTICK_DATABASE_URL", default_value = "sqlite://data/yardstick.db")]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain and report the first row changed or missing.
    Verify {
        /// sqlite://FILE or postgres://…
        #[arg(long, env = "YARDSTICK_DATABASE_URL", default_value = "sqlite://data/yardstick.db")]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (API, OpenAPI viewer and web UI) on an embedded SQLite file or PostgreSQL.
    Serve {
        /// A TOML settings file (default: ./yardstick.toml if present).
        #[arg(long, env = "YARDSTICK_CONFIG")]
        config: Option<PathBuf>,
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "YARDSTICK_LISTEN")]
        listen: Option<String>,
        /// Folder for the embedded database [default: data].
        #[arg(long, env = "YARDSTICK_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// sqlite://FILE or postgres://… [default: sqlite://<data-dir>/yardstick.db].
        #[arg(long, env = "YARDSTICK_DATABASE_URL")]
        database_url: Option<String>,
        /// Mark cookies Secure (when served over HTTPS).
        #[arg(long, env = "YARDSTICK_SECURE_COOKIES")]
        secure_cookies: Option<bool>,
        /// Load the demo county (about 90 units, a year of data, one user per role) first.
        #[arg(long)]
        demo: bool,
        /// The demo's size: county (≈90 units) or province (10,000 units, for benchmarks).
        #[arg(long, value_enum, default_value = "county", requires = "demo")]
        demo_scale: Scale,
    },
    /// Score, rank and grade every category for a period.
    Score {
        #[command(flatten)]
        inputs: Inputs,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Explain one subject's score step by step.
    Explain {
        #[command(flatten)]
        inputs: Inputs,
        /// The subject's key.
        #[arg(long)]
        subject: String,
        /// Print the explanation as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a plan and report every problem at once.
    CheckPlan {
        plan: PathBuf,
        #[arg(long)]
        subjects: Option<PathBuf>,
    },
    /// Accounts: create the first administrator (and other users) from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Import a workbook (.xlsx, .xls, .csv) into the database, all or nothing, as the office.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// The audit log: check that no row was changed or deleted behind the system's back.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a synthetic plan and data set: plan.toml, subjects.csv, data-2026-01.csv …
    Gen {
        /// county (90 units), province (10,000) or country (300,000).
        #[arg(long, value_enum)]
        scale: Scale,
        /// The directory to write into (created if needed).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// How many months of data, from January.
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u8).range(1..=12))]
        months: u8,
    },
    /// Generate a synthetic data set in memory and time scoring, explaining and a full year.
    Bench {
        #[arg(long, value_enum)]
        scale: Scale,
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u8).range(1..=12))]
        months: u8,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// How many times the one-month score is repeated (each on a fresh scorer).
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// How many times the full year is scored (each on a fresh scorer).
        #[arg(long, default_value_t = 1)]
        year_runs: u32,
    },
}

/// Writes to standard output; a closed pipe (`yardstick score … | head`) is not worth a panic.
fn emit(text: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
}

#[allow(clippy::too_many_arguments)]
fn create_user(url: &str, username: &str, role: &str, unit: Option<String>, name: Option<String>, password_stdin: bool, lang: Lang) -> ExitCode {
    use yardstick_storage::accounts::hash_password;
    use yardstick_storage::{Db, NewUser, Role};
    let fail = |zh: String, en: String| {
        eprintln!("{}", lang.pick(&zh, &en));
        ExitCode::from(1)
    };
    let Some(role) = Role::parse(role) else {
        let keys: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
        return fail(format!("角色“{role}”不存在（可用：{}）", keys.join("、")), format!("unknown role '{role}' (one of {})", keys.join(", ")));
    };
    if username.trim().is_empty() {
        return fail("用户名不能为空".into(), "the username cannot be empty".into());
    }
    if role.needs_unit() != unit.is_some() {
        return fail(
            format!("角色“{}”{}", role.name_zh(), if role.needs_unit() { "须指定 --unit" } else { "不属于单位，不能指定 --unit" }),
            format!("role '{}' {}", role.key(), if role.needs_unit() { "needs --unit" } else { "belongs to no unit: drop --unit" }),
        );
    }
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line).is_err() || line.trim_end_matches(['\r', '\n']).len() < 8 {
            return fail("请在标准输入的第一行给出至少8个字符的密码".into(), "give a password of at least 8 characters on the first line of standard input".into());
        }
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    } else {
        match random_password() {
            Ok(p) => (p, true),
            Err(e) => return fail(format!("无法生成随机密码：{e}"), format!("cannot generate a random password: {e}")),
        }
    };
    let hash = match hash_password(&password) {
        Ok(h) => h,
        Err(e) => return fail(e.clone(), e),
    };
    let user = NewUser { username: username.to_string(), display_name: name.unwrap_or_else(|| username.to_string()), password_hash: hash, role, unit_key: unit };
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let run = async {
        if let Some(dir) = url.strip_prefix("sqlite://").and_then(|p| std::path::Path::new(p).parent()) {
            if !dir.as_os_str().is_empty() {
                let _ = std::fs::create_dir_all(dir);
            }
        }
        let db = Db::connect(url).await?;
        db.create_user(&user, "command line", now_ms).await
    };
    let result = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(run),
        Err(e) => return fail(e.to_string(), e.to_string()),
    };
    match result {
        Ok(id) => {
            emit(&match lang {
                Lang::Zh => format!("已创建用户 {username}（{}，编号 {id}）\n", role.name_zh()),
                Lang::En => format!("created user {username} ({}, id {id})\n", role.key()),
            });
            if generated {
                emit(&format!("{}{password}\n", lang.pick("初始密码（只显示这一次）：", "initial password (shown only once): ")));
            }
            ExitCode::SUCCESS
        }
        Err(yardstick_storage::StorageError::Conflict(_)) => fail(format!("用户名“{username}”已被使用"), format!("the username '{username}' is already taken")),
        Err(e) => fail(e.to_string(), e.to_string()),
    }
}

/// 16 characters from the operating system's random source, without look-alike letters.
fn random_password() -> std::io::Result<String> {
    use std::io::Read;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect())
}

/// `yardstick import …`: the same checks and writes as the server's import, as the office
/// (the audit log names the actor `command line`).
fn import(command: ImportCommand, lang: Lang) -> ExitCode {
    use yardstick_server::authz::Scope;
    use yardstick_server::imports::{DataCaller, run_data, run_registry};
    use yardstick_sheets::read::{Limits, read_book};
    let (file, url, dry_run) = match &command {
        ImportCommand::Registry { file, database_url, dry_run } | ImportCommand::Data { file, database_url, dry_run, .. } => (file.clone(), database_url.clone(), *dry_run),
    };
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    let book = match read_book(&name, &bytes, &Limits::default()) {
        Ok(b) => b,
        Err(p) => return report(&p, lang),
    };
    let actor = "command line";
    let run = async {
        let db = yardstick_storage::Db::connect(&url).await.map_err(|e| yardstick_server::error::ApiError::from(e))?;
        let st = yardstick_server::AppState::new(db, yardstick_server::config::Config::default());
        match &command {
            ImportCommand::Registry { .. } => run_registry(&st, actor, true, &book, dry_run).await.map(|out| {
                let mut text = String::new();
                for (zh, en, c) in [("地区", "areas", &out.counts.areas), ("类别", "categories", &out.counts.categories), ("单位", "units", &out.counts.units), ("人员", "people", &out.counts.people), ("用户", "users", &out.counts.users)] {
                    if c.created + c.updated + c.unchanged > 0 {
                        text.push_str(&match lang {
                            Lang::Zh => format!("{zh}：新增 {}，修改 {}，未变 {}\n", c.created, c.updated, c.unchanged),
                            Lang::En => format!("{en}: {} new, {} changed, {} unchanged\n", c.created, c.updated, c.unchanged),
                        });
                    }
                }
                for p in &out.passwords {
                    text.push_str(&format!("{}{} {}\n", lang.pick("初始密码（只显示这一次）：", "first password (shown only once): "), p.username, p.password));
                }
                if out.dry_run {
                    text.insert_str(0, lang.pick("检查通过（未写入）：\n", "no problem found (nothing written):\n"));
                }
                text
            }),
            ImportCommand::Data { plan, period, .. } => {
                let caller = DataCaller { scope: Scope::All, unit: None, supplies: None, may_record: true };
                run_data(&st, &caller, actor, plan, &period.to_string(), &book, dry_run, None).await.map(|out| match lang {
                    Lang::Zh => format!("{}{} 个单位，{} 个数值，其中变化 {} 个；新增事项 {} 条\n", if out.dry_run { "检查通过（未写入）：" } else { "已导入：" }, out.units, out.values, out.values_changed, out.occurrences_added),
                    Lang::En => format!("{}{} units, {} values, {} of them changed; {} occurrences added\n", if out.dry_run { "no problem found (nothing written): " } else { "imported: " }, out.units, out.values, out.values_changed, out.occurrences_added),
                })
            }
        }
    };
    let result = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(run),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    match result {
        Ok(text) => {
            emit(&text);
            ExitCode::SUCCESS
        }
        Err(e) if !e.problems.is_empty() => report(&e.problems, lang),
        Err(e) => {
            eprintln!("{}", e.msg.get(lang));
            ExitCode::from(1)
        }
    }
}

fn audit_verify(url: &str, lang: Lang) -> ExitCode {
    use yardstick_storage::{AuditCheck, AuditProblem, Db};
    let run = async {
        let db = Db::connect(url).await?;
        db.verify_audit().await
    };
    let result = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(run),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    match result {
        Ok(AuditCheck::Intact { rows, last_hash }) => {
            emit(&match lang {
                Lang::Zh => format!("审计日志完整：共 {rows} 条记录，末条哈希 {last_hash}\n"),
                Lang::En => format!("the audit log is intact: {rows} rows, last hash {last_hash}\n"),
            });
            ExitCode::SUCCESS
        }
        Ok(AuditCheck::Broken { seq, problem }) => {
            eprintln!("{}", match (lang, problem) {
                (Lang::Zh, AuditProblem::Altered) => format!("审计日志第 {seq} 条记录被改动过：其内容与哈希不符"),
                (Lang::En, AuditProblem::Altered) => format!("audit row {seq} was changed: its content no longer matches its hash"),
                (Lang::Zh, AuditProblem::Missing { expected_seq }) => format!("审计日志在第 {seq} 条之前缺少记录（应为第 {expected_seq} 条）"),
                (Lang::En, AuditProblem::Missing { expected_seq }) => format!("audit rows are missing before row {seq} (expected row {expected_seq})"),
            });
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

fn report(problems: &[Problem], lang: Lang) -> ExitCode {
    eprintln!("{}", match lang {
        Lang::Zh => format!("发现 {} 个问题：", problems.len()),
        Lang::En => format!("{} problem(s) found:", problems.len()),
    });
    for p in problems {
        eprintln!("  {}", p.render(lang));
    }
    ExitCode::from(1)
}

fn load(inputs: &Inputs, lang: Lang) -> Result<Project, ExitCode> {
    let wanted = load::periods_needed(inputs.period);
    load::load_project(&inputs.plan, inputs.subjects.as_deref(), &inputs.data, Some(wanted)).map_err(|p| report(&p, lang))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli.lang;
    match cli.command {
        Command::Serve { config, listen, data_dir, database_url, secure_cookies, demo, demo_scale } => {
            let overrides = yardstick_server::config::Overrides { listen, data_dir, database_url, secure_cookies };
            let run = || -> anyhow::Result<()> {
                let cfg = yardstick_server::Config::resolve(config.as_deref(), overrides)?;
                tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(yardstick_server::serve(cfg, demo.then_some(demo_scale)))
            };
            match run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("yardstick serve: {e:#}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Gen { scale, out, seed, months } => {
            let t = std::time::Instant::now();
            let syn = yardstick::r#gen::Synthetic::new(scale, seed, months);
            match syn.write_files(&out) {
                Ok(files) => {
                    let total: u64 = files.iter().map(|(_, n)| n).sum();
                    let mut text = String::new();
                    for (path, size) in &files {
                        text.push_str(&format!("{:>14}  {}\n", size, path.display()));
                    }
                    text.push_str(&format!(
                        "{} units in {} categories, {} month(s): {:.1} MB in {:.2} s\n",
                        syn.unit_count(),
                        syn.category_count(),
                        months,
                        total as f64 / 1e6,
                        t.elapsed().as_secs_f64()
                    ));
                    emit(&text);
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e:#}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Bench { scale, months, seed, runs, year_runs } => match bench::run(&bench::Options { scale, months, seed, runs, year_runs }) {
            Ok(report) => {
                emit(&report);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e:#}");
                ExitCode::from(1)
            }
        },
        Command::Audit { command: AuditCommand::Verify { database_url } } => audit_verify(&database_url, lang),
        Command::Import { command } => import(command, lang),
        Command::Admin { command: AdminCommand::CreateUser { username, role, unit, name, password_stdin, database_url } } => {
            create_user(&database_url, &username, &role, unit, name, password_stdin, lang)
        }
        Command::CheckPlan { plan, subjects } => match load::load_model(&plan, subjects.as_deref()) {
            Ok(m) => {
                let n: usize = m.versions.iter().map(|v| v.indicators.len()).sum();
                println!("{}", match lang {
                    Lang::Zh => format!("方案“{}”无误：{} 个类别，{} 个被考核对象，{} 个版本，共 {} 个指标。", m.plan.name, m.categories.len(), m.subjects.len(), m.versions.len(), n),
                    Lang::En => format!("plan '{}' is valid: {} categories, {} subjects, {} versions, {} indicators.", m.plan.key, m.categories.len(), m.subjects.len(), m.versions.len(), n),
                });
                ExitCode::SUCCESS
            }
            Err(p) => report(&p, lang),
        },
        Command::Score { inputs, format } => {
            let project = match load(&inputs, lang) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let scorer = Scorer::new(&project.model, project.roster.clone(), &project.data);
            match scorer.score(inputs.period) {
                Ok(r) => {
                    let out = match format {
                        Format::Table => render::render_table(&project.model, &r, lang),
                        Format::Json => serde_json::to_string_pretty(&render::result_json(&project.model, &r)).unwrap_or_default(),
                        Format::Csv => render::render_csv(&project.model, &r),
                    };
                    emit(&(out + "\n"));
                    ExitCode::SUCCESS
                }
                Err(e) => report(&load::score_problems(&project.model, &e), lang),
            }
        }
        Command::Explain { inputs, subject, json } => {
            let project = match load(&inputs, lang) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let Some(s) = project.model.subject_index(&subject) else {
                eprintln!("{}", match lang {
                    Lang::Zh => format!("被考核对象“{subject}”不存在"),
                    Lang::En => format!("subject '{subject}' does not exist"),
                });
                return ExitCode::from(1);
            };
            let scorer = Scorer::new(&project.model, project.roster.clone(), &project.data);
            let result = scorer.score(inputs.period).and_then(|r| scorer.explain(inputs.period, s).map(|t| (r, t)));
            match result {
                Ok((r, t)) => {
                    if json {
                        emit(&(serde_json::to_string_pretty(&render::explain_json(&project.model, &r, s, &t)).unwrap_or_default() + "\n"));
                    } else {
                        emit(&render::render_explain(&project.model, &r, s, &t, lang));
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => report(&load::score_problems(&project.model, &e), lang),
            }
        }
    }
}
