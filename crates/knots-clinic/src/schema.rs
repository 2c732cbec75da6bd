//! The operator's side (`knots clinic …`): the clinic schema and roles, clinics, users and the
//! audit trail, over a direct connection as the schema owner (the `--db` URL).

use crate::auth;
use knots_store::PostgresStore;
use postgres::{Client, NoTls};

/// The role the server acts as (`SET ROLE` after connecting): it owns no table, cannot bypass
/// row-level security, and may only read the audit trail.
pub const APP_ROLE: &str = "knots_app";

/// The clinic migrations, in order, applied after the journal's (`knots-store`).
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261127_0006_clinic",
        include_str!("../sql/20261127_0006_clinic.sql"),
    ),
    (
        "20261127_0007_client_list",
        include_str!("../sql/20261127_0007_client_list.sql"),
    ),
    (
        "20261127_0008_clinic_reactions",
        include_str!("../sql/20261127_0008_clinic_reactions.sql"),
    ),
    (
        "20261127_0009_clinic_originals",
        include_str!("../sql/20261127_0009_clinic_originals.sql"),
    ),
    (
        "20261127_0010_clinic_sync",
        include_str!("../sql/20261127_0010_clinic_sync.sql"),
    ),
    (
        "20261127_0011_clinic_programs",
        include_str!("../sql/20261127_0011_clinic_programs.sql"),
    ),
    (
        "20261127_0012_replays",
        include_str!("../sql/20261127_0012_replays.sql"),
    ),
    (
        "20261127_0013_record_versions",
        include_str!("../sql/20261127_0013_record_versions.sql"),
    ),
];

/// The advisory lock the schema set-up holds ("clinic" in ASCII).
const SETUP_LOCK: i64 = 0x636c_696e_6963;

/// Errors of the operator's commands.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Db(String),
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// Not there.
    #[error("{0}")]
    NotFound(String),
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        Error::Db(match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => e.to_string(),
        })
    }
}

impl From<knots_store::Error> for Error {
    fn from(e: knots_store::Error) -> Error {
        Error::Db(e.to_string())
    }
}

/// A role in a clinic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages users; sees every client of the clinic and the audit trail.
    Admin,
    /// Sees and treats the clients in their care.
    Therapist,
    /// Sees their own record.
    Runner,
}

impl Role {
    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Therapist => "therapist",
            Role::Runner => "runner",
        }
    }

    /// The role a stored word names.
    ///
    /// # Errors
    /// For any other word.
    pub fn parse(word: &str) -> Result<Role, Error> {
        match word {
            "admin" => Ok(Role::Admin),
            "therapist" => Ok(Role::Therapist),
            "runner" => Ok(Role::Runner),
            other => Err(Error::Invalid(format!(
                "no role `{other}`: admin, therapist or runner"
            ))),
        }
    }
}

/// A user as `knots clinic user list` shows them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Clinic name.
    pub clinic: String,
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
}

/// One row of the audit trail.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditRow {
    /// Id (the order of events).
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who (a user id; none for the operator's own commands).
    pub user: Option<i64>,
    /// `insert`, `update`, `delete` or `read`.
    pub action: String,
    /// The table (`record` for a read of the record).
    pub table: String,
    /// The row's id.
    pub row: Option<i64>,
    /// The row before (updates and deletes).
    pub old: Option<serde_json::Value>,
    /// The row after (inserts and updates).
    pub new: Option<serde_json::Value>,
}

/// A connection as the schema owner.
pub struct Operator {
    client: Client,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator").finish_non_exhaustive()
    }
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// An email as stored: trimmed, lower case, and roughly an address.
///
/// # Errors
/// When it has no `@` or is too long.
pub fn normal_email(email: &str) -> Result<String, Error> {
    let e = email.trim().to_lowercase();
    if e.len() > 254 || !e.contains('@') || e.starts_with('@') || e.ends_with('@') {
        return Err(Error::Invalid("not an email address".into()));
    }
    Ok(e)
}

impl Operator {
    /// Connects to `url` and brings the journal's and the clinic's schema up to date (creating
    /// the app role on first use).
    ///
    /// # Errors
    /// When the server refuses, or the login may not create roles on a new database.
    pub fn connect(url: &str) -> Result<Operator, Error> {
        drop(PostgresStore::open(url)?);
        let mut client = Client::connect(url, NoTls)?;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SETUP_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS clinic_migrations (\
             name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )?;
        let done: Vec<String> = tx
            .query("SELECT name FROM clinic_migrations", &[])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if done.len() < MIGRATIONS.len() {
            // Roles are the server's, not the database's: another clinic database on the same
            // server may have made it already.
            tx.batch_execute(&format!(
                "DO $$ BEGIN CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB \
                 NOCREATEROLE; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; \
                 GRANT {APP_ROLE} TO CURRENT_USER"
            ))?;
        }
        for (name, sql) in MIGRATIONS {
            if !done.iter().any(|d| d == name) {
                tx.batch_execute(sql)?;
                tx.execute("INSERT INTO clinic_migrations (name) VALUES ($1)", &[name])?;
            }
        }
        tx.commit()?;
        Ok(Operator { client })
    }

    /// Creates a clinic and its first admin; returns the clinic's id.
    ///
    /// # Errors
    /// A taken clinic name or email.
    pub fn create_clinic(
        &mut self,
        name: &str,
        admin_email: &str,
        password: &str,
    ) -> Result<i64, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("the clinic needs a name".into()));
        }
        let mut tx = self.client.transaction()?;
        if tx
            .query_opt("SELECT 1 FROM clinics WHERE name = $1", &[&name])?
            .is_some()
        {
            return Err(Error::Invalid(format!("a clinic named `{name}` exists")));
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO clinics (name, created_s) VALUES ($1, $2) RETURNING id",
                &[&name, &now_s()],
            )?
            .get(0);
        add_user_in(&mut tx, id, Role::Admin, admin_email, password)?;
        tx.commit()?;
        Ok(id)
    }

    /// Adds a therapist or admin to the clinic named `clinic`; returns the user's id. Runners
    /// join by invitation.
    ///
    /// # Errors
    /// An unknown clinic, a taken email, a weak password, or the role `runner`.
    pub fn add_user(
        &mut self,
        clinic: &str,
        role: Role,
        email: &str,
        password: &str,
    ) -> Result<i64, Error> {
        if role == Role::Runner {
            return Err(Error::Invalid(
                "runners join with an invitation code from their therapist".into(),
            ));
        }
        let mut tx = self.client.transaction()?;
        let id: i64 = tx
            .query_opt("SELECT id FROM clinics WHERE name = $1", &[&clinic])?
            .ok_or_else(|| Error::NotFound(format!("no clinic `{clinic}`")))?
            .get(0);
        let user = add_user_in(&mut tx, id, role, email, password)?;
        tx.commit()?;
        Ok(user)
    }

    /// The users, of one clinic or all.
    ///
    /// # Errors
    /// The database's.
    pub fn users(&mut self, clinic: Option<&str>) -> Result<Vec<UserRow>, Error> {
        let rows = self.client.query(
            "SELECT u.id, c.name, u.email, u.role, u.disabled FROM users u \
             JOIN clinics c ON c.id = u.clinic_id WHERE $1::text IS NULL OR c.name = $1 \
             ORDER BY u.id",
            &[&clinic],
        )?;
        rows.iter()
            .map(|r| {
                Ok(UserRow {
                    id: r.get(0),
                    clinic: r.get(1),
                    email: r.get(2),
                    role: Role::parse(r.get(3))?,
                    disabled: r.get(4),
                })
            })
            .collect()
    }

    /// Disables the account of `email` and ends its sessions, or enables it again (clearing its
    /// failed logins and lock).
    ///
    /// # Errors
    /// An unknown email.
    pub fn set_disabled(&mut self, email: &str, disabled: bool) -> Result<(), Error> {
        let email = normal_email(email)?;
        let mut tx = self.client.transaction()?;
        let n = tx.execute(
            "UPDATE users SET disabled = $2, \
             failed = CASE WHEN $2 THEN failed ELSE 0 END, \
             locked_until = CASE WHEN $2 THEN locked_until ELSE 0 END WHERE email = $1",
            &[&email, &disabled],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("no user `{email}`")));
        }
        tx.execute(
            "DELETE FROM login_sessions WHERE user_id = (SELECT id FROM users WHERE email = $1)",
            &[&email],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The audit trail of one client, oldest first.
    ///
    /// # Errors
    /// The database's.
    pub fn audit(&mut self, client: i64) -> Result<Vec<AuditRow>, Error> {
        let rows = self.client.query(
            "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), \
             user_id, action, tbl, row_id, old::text, new::text \
             FROM audit WHERE client_id = $1 ORDER BY id",
            &[&client],
        )?;
        rows.iter()
            .map(|r| {
                let json = |i: usize| -> Result<Option<serde_json::Value>, Error> {
                    r.get::<_, Option<String>>(i)
                        .map(|t| serde_json::from_str(&t).map_err(|e| Error::Db(e.to_string())))
                        .transpose()
                };
                Ok(AuditRow {
                    id: r.get(0),
                    at: r.get(1),
                    user: r.get(2),
                    action: r.get(3),
                    table: r.get(4),
                    row: r.get(5),
                    old: json(6)?,
                    new: json(7)?,
                })
            })
            .collect()
    }
}

fn add_user_in(
    tx: &mut postgres::Transaction<'_>,
    clinic: i64,
    role: Role,
    email: &str,
    password: &str,
) -> Result<i64, Error> {
    let email = normal_email(email)?;
    auth::check_password_strength(password).map_err(Error::Invalid)?;
    if tx
        .query_opt("SELECT 1 FROM users WHERE email = $1", &[&email])?
        .is_some()
    {
        return Err(Error::Invalid(format!("`{email}` has an account")));
    }
    let hash = auth::hash_password(password).map_err(Error::Db)?;
    Ok(tx
        .query_one(
            "INSERT INTO users (clinic_id, email, role, password_hash, created_s) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&clinic, &email, &role.as_str(), &hash, &now_s()],
        )?
        .get(0))
}
