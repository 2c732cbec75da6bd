//! `knots clinic …` (the operator's commands on a clinic database) and `knots serve --clinic`.
//! The work is `knots_clinic`'s; this module reads arguments and passwords and prints.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use knots_clinic::{Operator, Role};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// `knots clinic …`.
#[derive(Debug, Subcommand)]
pub enum ClinicCmd {
    /// Create a clinic and its first admin (the first call also creates the clinic schema and the
    /// `knots_app` role the server acts as). `clinic init` is the same command.
    #[command(visible_alias = "init")]
    Create {
        /// The clinic's name.
        name: String,
        /// The first admin's email.
        #[arg(long)]
        admin_email: String,
        /// A file holding the admin's password (first line); without it, a terminal prompt.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Therapist and admin accounts (runners join with an invitation code).
    #[command(subcommand)]
    User(UserCmd),
    /// A client's audit trail: every insert, update, delete and read, oldest first.
    Audit {
        /// The client's id.
        #[arg(long)]
        client: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `knots clinic user …`.
#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a therapist or an admin.
    Add {
        /// The clinic's name.
        #[arg(long)]
        clinic: String,
        /// `therapist` or `admin`.
        #[arg(long)]
        role: String,
        /// Their email (their login).
        #[arg(long)]
        email: String,
        /// A file holding the password (first line); without it, a terminal prompt.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// List the accounts.
    List {
        /// Only this clinic's.
        #[arg(long)]
        clinic: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable an account (it can no longer log in; its sessions end).
    Disable {
        /// The account's email.
        email: String,
    },
    /// Enable a disabled account again (its failed-login count and lock are cleared).
    Enable {
        /// The account's email.
        email: String,
    },
}

/// The clinic flags of `knots serve`.
#[derive(Debug, Args)]
pub struct ClinicServe {
    /// Serve clinic mode (accounts, clients, programs) from the PostgreSQL `--db`.
    #[arg(long)]
    pub clinic: bool,
    /// A reverse proxy terminates TLS in front of this server: allow a non-loopback address and
    /// mark cookies `Secure`.
    #[arg(long, requires = "clinic")]
    pub behind_proxy: bool,
    /// Serve HTTPS with this certificate chain (PEM), for a practice without a reverse proxy;
    /// needs --tls-key. Cookies are then `Secure`.
    #[arg(long, value_name = "PEM", requires_all = ["clinic", "tls_key"])]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PEM", requires_all = ["clinic", "tls_cert"])]
    pub tls_key: Option<PathBuf>,
}

fn url(db: Option<PathBuf>) -> Result<String> {
    match db.as_deref().and_then(Path::to_str) {
        Some(u) if u.to_ascii_lowercase().starts_with("postgres") => Ok(u.to_string()),
        _ => bail!("clinic mode needs a PostgreSQL database: --db postgres://…"),
    }
}

pub fn password(file: Option<&Path>) -> Result<String> {
    let text = match file {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("reading the password file `{}`", f.display()))?,
        None => {
            if !std::io::stdin().is_terminal() {
                bail!("no terminal to ask for the password: use --password-file");
            }
            eprint!("password: ");
            let quiet = std::process::Command::new("stty").arg("-echo").status();
            let mut line = String::new();
            let read = std::io::stdin().read_line(&mut line);
            if quiet.is_ok() {
                let _ = std::process::Command::new("stty").arg("echo").status();
            }
            eprintln!();
            read.context("reading the password")?;
            line
        }
    };
    Ok(text.lines().next().unwrap_or("").to_string())
}

/// Runs `knots clinic …` on the database `db`.
pub fn run(cmd: ClinicCmd, db: Option<PathBuf>) -> Result<()> {
    let url = url(db)?;
    let mut op = Operator::connect(&url).context("opening the clinic database")?;
    match cmd {
        ClinicCmd::Create {
            name,
            admin_email,
            password_file,
        } => {
            let pw = password(password_file.as_deref())?;
            let id = op.create_clinic(&name, &admin_email, &pw)?;
            println!("clinic `{name}` created (id {id}); admin {admin_email}");
        }
        ClinicCmd::User(UserCmd::Add {
            clinic,
            role,
            email,
            password_file,
        }) => {
            let role = Role::parse(&role)?;
            let pw = password(password_file.as_deref())?;
            let id = op.add_user(&clinic, role, &email, &pw)?;
            println!("{} {email} added to `{clinic}` (id {id})", role.as_str());
        }
        ClinicCmd::User(UserCmd::List { clinic, json }) => {
            let users = op.users(clinic.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for u in users {
                    let off = if u.disabled { " (disabled)" } else { "" };
                    println!(
                        "{}\t{}\t{}\t{}{off}",
                        u.id,
                        u.clinic,
                        u.role.as_str(),
                        u.email
                    );
                }
            }
        }
        ClinicCmd::User(UserCmd::Disable { email }) => {
            op.set_disabled(&email, true)?;
            println!("{email} disabled");
        }
        ClinicCmd::User(UserCmd::Enable { email }) => {
            op.set_disabled(&email, false)?;
            println!("{email} enabled");
        }
        ClinicCmd::Audit { client, json } => {
            let rows = op.audit(client)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in rows {
                    let who = r.user.map_or("operator".into(), |u| format!("user {u}"));
                    let row = r.row.map_or(String::new(), |r| format!(" #{r}"));
                    println!("{}\t{}\t{who}\t{} {}{row}", r.id, r.at, r.action, r.table);
                }
            }
        }
    }
    Ok(())
}

/// `knots serve --clinic`: HTTPS of its own with `--tls-cert`/`--tls-key`; without them,
/// refuses a non-loopback address unless behind a proxy.
pub fn serve(listen: SocketAddr, flags: &ClinicServe, db: Option<PathBuf>) -> Result<()> {
    let url = url(db)?;
    let tls = match (&flags.tls_cert, &flags.tls_key) {
        (Some(cert), Some(key)) => Some(
            knots_clinic::Tls::from_pem_files(cert, key)
                .map_err(|e| anyhow::anyhow!("TLS: {e}"))?,
        ),
        _ => None,
    };
    if tls.is_none() && !listen.ip().is_loopback() && !flags.behind_proxy {
        bail!(
            "clinic mode on {listen} would send passwords and health data unencrypted: pass \
             --tls-cert and --tls-key, or put a TLS-terminating reverse proxy in front and pass \
             --behind-proxy, or listen on 127.0.0.1"
        );
    }
    // Made and dropped outside the runtime: the pool's connections open and close with blocking
    // calls, which may not run on the runtime's threads.
    let state = knots_clinic::Clinic::new(&url, flags.behind_proxy || tls.is_some())
        .map_err(|e| anyhow::anyhow!("opening the clinic database: {e}"))?;
    let runtime = tokio::runtime::Runtime::new().context("starting the web server's runtime")?;
    let served = runtime.block_on(async {
        let state = state.clone();
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        if let Some(tls) = tls {
            let listener = std::net::TcpListener::bind(listen)
                .with_context(|| format!("listening on {listen}"))?;
            eprintln!(
                "knots clinic: open https://{}/ (Ctrl-C to stop)",
                listener.local_addr()?
            );
            return knots_clinic::serve_tls(listener, tls, state, stop)
                .await
                .context("serving");
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        eprintln!(
            "knots clinic: open http://{}/ (Ctrl-C to stop)",
            listener.local_addr()?
        );
        knots_clinic::serve(listener, state, stop)
            .await
            .context("serving")
    });
    drop(runtime);
    drop(state);
    served
}
