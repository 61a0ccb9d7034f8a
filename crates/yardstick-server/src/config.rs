//! Settings, from lowest to highest precedence: built-in defaults, a TOML file
//! (`--config FILE`, `YARDSTICK_CONFIG`, or `yardstick.toml` in the working directory),
//! `YARDSTICK_…` environment variables, command-line flags. The binary resolves the last two
//! with clap and passes them as [`Overrides`].

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Folder of the embedded SQLite database and of the evidence files (`evidence/`).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `sqlite://<data_dir>/yardstick.db`.
    pub database_url: Option<String>,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// How long a browser session lasts.
    pub session_hours: u64,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Largest accepted evidence file.
    pub max_evidence_bytes: usize,
    /// Largest accepted workbook or CSV file to import.
    pub max_import_bytes: usize,
    pub login_failures_per_user: usize,
    pub login_failures_per_address: usize,
    pub login_window_secs: u64,
    /// How long a checked session is trusted without asking the database again.
    pub session_cache_secs: u64,
    /// An SMTP relay for e-mail reminders before a deadline (none: reminders only in the UI).
    /// Plain SMTP without TLS, for an office's internal relay.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    /// The sender of reminders.
    pub smtp_from: String,
    /// How many hours before the units' deadline a unit that has not submitted is reminded.
    pub reminder_hours: u64,
    /// The fonts of exported workbooks (body, titles): the names Chinese offices have.
    pub export_body_font: String,
    pub export_title_font: String,
    /// The font of printed PDFs (body text, tables): a TrueType/OpenType font or collection
    /// with Chinese characters; in a collection the Simplified Chinese face is used.
    pub pdf_font: PathBuf,
    /// The bold font of printed PDFs (title, headings, table headers); may be `pdf_font`.
    pub pdf_font_bold: PathBuf,
    /// The address raters' phones reach this server at (`https://kh.example.gov.cn`), printed
    /// in the QR codes of democratic evaluations; default: the address the office used.
    pub public_url: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            secure_cookies: false,
            session_hours: 12,
            max_body_bytes: 2 * 1024 * 1024,
            max_evidence_bytes: 20 * 1024 * 1024,
            max_import_bytes: 32 * 1024 * 1024,
            login_failures_per_user: 5,
            login_failures_per_address: 50,
            login_window_secs: 900,
            session_cache_secs: 5,
            smtp_host: None,
            smtp_port: 25,
            smtp_from: "yardstick@localhost".into(),
            reminder_hours: 48,
            export_body_font: "宋体".into(),
            export_title_font: "黑体".into(),
            // Debian's fonts-noto-cjk.
            pdf_font: PathBuf::from("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
            pdf_font_bold: PathBuf::from("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
            public_url: None,
        }
    }
}

/// Values given on the command line or in the environment.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub secure_cookies: Option<bool>,
}

impl Config {
    /// Defaults, then the file (if any), then the overrides.
    pub fn resolve(file: Option<&Path>, o: Overrides) -> anyhow::Result<Config> {
        let default_file = Path::new("yardstick.toml");
        let file = file.or_else(|| default_file.exists().then_some(default_file));
        let mut c = match file {
            Some(f) => {
                let text = std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("cannot read the configuration file {}: {e}", f.display()))?;
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("configuration file {}: {e}", f.display()))?
            }
            None => Config::default(),
        };
        if let Some(v) = o.listen {
            c.listen = v;
        }
        if let Some(v) = o.data_dir {
            c.data_dir = v;
        }
        if let Some(v) = o.database_url {
            c.database_url = Some(v);
        }
        if let Some(v) = o.secure_cookies {
            c.secure_cookies = v;
        }
        Ok(c)
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("yardstick.db").display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_default_file_override() {
        let dir = std::env::temp_dir().join(format!("ys-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("y.toml");
        std::fs::write(&f, "listen = \"0.0.0.0:9000\"\nsession_hours = 4\n").unwrap();
        let c = Config::resolve(Some(&f), Overrides::default()).unwrap();
        assert_eq!((c.listen.as_str(), c.session_hours, c.max_body_bytes), ("0.0.0.0:9000", 4, Config::default().max_body_bytes));
        let c = Config::resolve(Some(&f), Overrides { listen: Some("127.0.0.1:1".into()), ..Overrides::default() }).unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
        assert_eq!(c.database_url(), "sqlite://data/yardstick.db");
        std::fs::write(&f, "lisen = 1\n").unwrap();
        assert!(Config::resolve(Some(&f), Overrides::default()).unwrap_err().to_string().contains("lisen"), "unknown keys are named");
    }
}
