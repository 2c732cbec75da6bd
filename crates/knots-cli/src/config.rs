//! The runner's preferences: the unit of distance for what is typed and shown, and the default
//! journal. They come from `KNOTS_UNITS` / `--db` / `KNOTS_DB` first, then the config file
//! (`config.toml` in the platform config directory, or the file `KNOTS_CONFIG` names), then the
//! defaults (km; `knots.db` in the platform data directory). `knots config` shows and sets them.

use crate::output::{InputError, print, print_json};
use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use knots_core::units::Unit;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The config file's content.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `km` or `mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<Unit>,
    /// The default journal: a SQLite path or a PostgreSQL URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<PathBuf>,
}

/// `knots config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Show the preferences in force and where each comes from.
    ///
    /// Example: knots config show --json
    Show(crate::args::JsonFlag),
    /// Set a preference in the config file: `units` (km or mi) or `db` (a SQLite path or a
    /// PostgreSQL URL).
    ///
    /// Example: knots config set units mi
    Set(ConfigSetArgs),
    /// Remove a preference from the config file.
    ///
    /// Example: knots config unset db
    Unset(ConfigKeyArg),
}

/// `knots config set KEY VALUE`.
#[derive(Debug, Args)]
pub struct ConfigSetArgs {
    /// The preference.
    #[arg(value_parser = ["units", "db"])]
    pub key: String,
    /// Its value: `km` or `mi` for units; a path or URL for db.
    pub value: String,
}

/// `knots config unset KEY`.
#[derive(Debug, Args)]
pub struct ConfigKeyArg {
    /// The preference.
    #[arg(value_parser = ["units", "db"])]
    pub key: String,
}

static UNIT: OnceLock<Unit> = OnceLock::new();

/// The config file's path: `KNOTS_CONFIG`, else `config.toml` in the platform config directory.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KNOTS_CONFIG") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "knots").map(|d| d.config_dir().join("config.toml"))
}

/// Reads the config file (an absent file is the defaults).
///
/// # Errors
/// A file that cannot be read or is not valid TOML with the known keys, naming the file.
pub fn load() -> Result<Config> {
    let Some(path) = path() else {
        return Ok(Config::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", path.display())),
    };
    toml::from_str(&text).map_err(|e| InputError(format!("`{}`: {e}", path.display())).into())
}

/// Where the unit in force comes from, and the unit.
fn resolve(config: &Config) -> Result<(Unit, &'static str)> {
    if let Some(v) = std::env::var_os("KNOTS_UNITS") {
        let v = v.to_string_lossy();
        let unit = v
            .parse::<Unit>()
            .map_err(|e| InputError(format!("KNOTS_UNITS: {e}")))?;
        return Ok((unit, "KNOTS_UNITS"));
    }
    Ok(match config.units {
        Some(u) => (u, "config file"),
        None => (Unit::Km, "default"),
    })
}

/// Settles the unit preference for this process; called once, before the arguments are parsed
/// (a plain number typed for a distance is in this unit).
///
/// # Errors
/// As [`load`], and a `KNOTS_UNITS` that is neither `km` nor `mi`.
pub fn init(config: &Config) -> Result<()> {
    let (unit, _) = resolve(config)?;
    let _ = UNIT.set(unit);
    Ok(())
}

/// The unit for what is typed and shown (km until [`init`]).
pub fn unit() -> Unit {
    UNIT.get().copied().unwrap_or_default()
}

/// Runs `knots config`.
///
/// # Errors
/// An unreadable or unwritable config file, or a bad value.
pub fn run(cmd: ConfigCmd) -> Result<()> {
    let file = path().context("no home directory to keep the config file in: set KNOTS_CONFIG")?;
    let mut config = load()?;
    match cmd {
        ConfigCmd::Show(f) => {
            let (unit, from) = resolve(&config)?;
            let db_from = if std::env::var_os("KNOTS_DB").is_some() {
                "KNOTS_DB"
            } else if config.db.is_some() {
                "config file"
            } else {
                "default"
            };
            let db =
                crate::commands::db_path(std::env::var_os("KNOTS_DB").map(PathBuf::from), &config)?;
            if f.json {
                return print_json(
                    "config",
                    &serde_json::json!({
                        "file": file,
                        "units": unit,
                        "units_from": from,
                        "db": db,
                        "db_from": db_from,
                    }),
                );
            }
            print(&format!(
                "config file: {}\nunits: {unit} ({from})\ndb: {} ({db_from})",
                file.display(),
                db.display()
            ))
        }
        ConfigCmd::Set(a) => {
            match a.key.as_str() {
                "units" => {
                    config.units = Some(
                        a.value
                            .parse()
                            .map_err(|e| InputError(format!("units: {e}")))?,
                    )
                }
                "db" => config.db = Some(PathBuf::from(&a.value)),
                other => bail!(InputError(format!("unknown key `{other}`"))),
            }
            save(&file, &config)?;
            print(&format!("{} = {} (in {})", a.key, a.value, file.display()))
        }
        ConfigCmd::Unset(a) => {
            match a.key.as_str() {
                "units" => config.units = None,
                _ => config.db = None,
            }
            save(&file, &config)?;
            print(&format!("{} unset (in {})", a.key, file.display()))
        }
    }
}

fn save(file: &std::path::Path, config: &Config) -> Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    }
    std::fs::write(file, toml::to_string(config)?)
        .with_context(|| format!("writing `{}`", file.display()))
}
