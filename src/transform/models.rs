//! The SQL models of a project: every `.sql` file under `sql/` (the file name is the model's
//! name, its folder the layer), what each reads (every other model it names, outside comments
//! and strings), how it is materialised, and the order they run in.
//!
//! A model is a view when it is in `staging/` and a table held in memory otherwise, unless it
//! says otherwise the dbt way, before its SQL: `{{ config(materialized='view') }}` (or
//! `'table'`). A view is planned into each model reading it, computed again for each, and the
//! tables it reads stay held until it is released: right for a model read once, as
//! `int_contacts_joined` is, whose rows then stream into its reader instead of being held.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::error::{Error, Result};

/// One SQL model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Table name (the file stem).
    pub name: String,
    /// The `.sql` file.
    pub path: PathBuf,
    /// Folder under `sql/` (`staging`, `intermediate`, `marts`).
    pub layer: String,
    /// The SQL text as written, less its `config(...)` line.
    pub sql: String,
    /// Models this one reads.
    pub depends_on: BTreeSet<String>,
    /// How the model is materialised.
    pub materialized: Materialized,
}

/// How a model is materialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Materialized {
    /// A view: planned into each model that reads it, nothing held.
    View,
    /// A table held in memory until the last model reading it has run.
    Table,
}

/// The model's `{{ config(materialized='...') }}`, if it has one before any SQL (after blank
/// lines and comments, as dbt writes it), removed from `sql`; else the default of its layer
/// (views in `staging/`). A config anywhere else, a second one, or one that says something
/// else is an error naming the file.
fn materialization(sql: &mut String, layer: &str, path: &Path) -> Result<Materialized> {
    static CONFIG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\{\{\s*config\s*\(").expect("a valid regex"));
    static SETTING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"^\{\{\s*config\s*\(\s*materialized\s*=\s*(?:'(\w+)'|"(\w+)")\s*\)\s*\}\}"#)
            .expect("a valid regex")
    });
    let bad = |reason: String| Error::BadInput {
        file: path.display().to_string(),
        reason,
    };
    let start = leading_comments(sql);
    let mut materialized = if layer == "staging" {
        Materialized::View
    } else {
        Materialized::Table
    };
    if CONFIG.find(&sql[start..]).is_some_and(|m| m.start() == 0) {
        let Some(setting) = SETTING.captures(&sql[start..]) else {
            let line = sql[start..].lines().next().unwrap_or_default();
            return Err(bad(format!(
                "unknown model config `{line}`: the one setting is \
                 {{{{ config(materialized='view') }}}} or 'table'"
            )));
        };
        materialized = match setting.get(1).or(setting.get(2)).map(|v| v.as_str()) {
            Some("view") => Materialized::View,
            Some("table") => Materialized::Table,
            other => {
                return Err(bad(format!(
                    "unknown materialization '{}': a model is a 'view' or a 'table'",
                    other.unwrap_or_default()
                )))
            }
        };
        let end = start + setting.get(0).map_or(0, |m| m.end());
        sql.replace_range(start..end, "");
    }
    if CONFIG.is_match(&sql[start..]) {
        return Err(bad(
            "a model's `{{ config(...) }}` comes once, before its SQL (after comments only)".into(),
        ));
    }
    Ok(materialized)
}

/// Where the SQL text starts: past blank space, `--` comment lines and `/* */` comments.
fn leading_comments(sql: &str) -> usize {
    let mut at = 0;
    loop {
        let rest = &sql[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if trimmed.starts_with("--") {
            at += trimmed.find('\n').map_or(trimmed.len(), |n| n + 1);
        } else if trimmed.starts_with("/*") {
            at += trimmed.find("*/").map_or(trimmed.len(), |n| n + 2);
        } else {
            return at;
        }
    }
}

/// Find every model under `sql_dir` and order them so each runs after what it reads.
pub fn discover(sql_dir: &Path) -> Result<Vec<Model>> {
    let mut files = Vec::new();
    collect_sql_files(sql_dir, &mut files)?;
    if files.is_empty() {
        return Err(Error::BadInput {
            file: sql_dir.display().to_string(),
            reason: "no .sql models found".into(),
        });
    }
    let mut models = BTreeMap::new();
    for path in files {
        let mut sql = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let layer = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let materialized = materialization(&mut sql, &layer, &path)?;
        if let Some(prev) = models.insert(
            name.clone(),
            Model {
                name: name.clone(),
                path: path.clone(),
                layer,
                sql,
                depends_on: BTreeSet::new(),
                materialized,
            },
        ) {
            return Err(Error::BadInput {
                file: path.display().to_string(),
                reason: format!("model `{name}` is also defined in {}", prev.path.display()),
            });
        }
    }
    let names: BTreeSet<String> = models.keys().cloned().collect();
    for m in models.values_mut() {
        m.depends_on = identifiers(&m.sql)
            .into_iter()
            .filter(|id| names.contains(id) && *id != m.name)
            .collect();
    }
    order(models)
}

fn collect_sql_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            collect_sql_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
    Ok(())
}

/// Topological order, depth first: of the models whose dependencies have run, the next is the
/// one reading the most recently built model (ties broken by name, so the order is stable).
/// A model's readers then run soon after it, and it is released from memory (see
/// [`super::run`])
/// before unrelated models build their own tables beside it.
fn order(mut models: BTreeMap<String, Model>) -> Result<Vec<Model>> {
    let mut built: HashMap<String, usize> = HashMap::new();
    let mut ordered = Vec::with_capacity(models.len());
    while !models.is_empty() {
        let ready = models
            .values()
            .filter(|m| m.depends_on.iter().all(|d| built.contains_key(d)))
            // the latest dependency's position, +1 so a model reading nothing ranks lowest
            .map(|m| {
                let latest = m.depends_on.iter().map(|d| built[d] + 1).max();
                (latest.unwrap_or(0), std::cmp::Reverse(m.name.clone()))
            })
            .max();
        let Some((_, std::cmp::Reverse(name))) = ready else {
            let stuck: Vec<String> = models.keys().cloned().collect();
            let first = models
                .values()
                .next()
                .map(|m| m.path.display().to_string())
                .unwrap_or_default();
            return Err(Error::BadInput {
                file: first,
                reason: format!(
                    "SQL models depend on each other in a cycle: {}",
                    stuck.join(", ")
                ),
            });
        };
        if let Some(m) = models.remove(&name) {
            built.insert(name, ordered.len());
            ordered.push(m);
        }
    }
    Ok(ordered)
}

/// Identifiers in SQL text, outside comments and string literals.
fn identifiers(sql: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'\'' => {
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                ids.insert(sql[start..i].to_ascii_lowercase());
            }
            _ => i += 1,
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_skip_comments_and_strings() {
        let ids = identifiers("-- from stg_a\nselect x from stg_b where y = 'stg_c' /* stg_d */");
        assert!(ids.contains("stg_b"));
        assert!(!ids.contains("stg_a"));
        assert!(!ids.contains("stg_c"));
        assert!(!ids.contains("stg_d"));
    }

    #[test]
    fn cycle_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.sql"), "select * from b").unwrap();
        std::fs::write(dir.path().join("b.sql"), "select * from a").unwrap();
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("cycle"), "{err}");
    }

    #[test]
    fn bundled_models_are_ordered() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
        let models = discover(&dir).unwrap();
        let pos = |n: &str| models.iter().position(|m| m.name == n).unwrap();
        assert!(pos("stg_hubspot__contacts") < pos("int_contacts_joined"));
        assert!(pos("int_contacts_joined") < pos("int_contact_features"));
    }

    fn parsed(sql: &str, layer: &str) -> Result<(Materialized, String)> {
        let mut sql = sql.to_string();
        let m = materialization(&mut sql, layer, Path::new("sql/x.sql"))?;
        Ok((m, sql))
    }

    #[test]
    fn a_model_says_how_it_is_materialised_the_dbt_way() {
        let (m, sql) = parsed(
            "{{ config(materialized='view') }}\nselect 1",
            "intermediate",
        )
        .unwrap();
        assert_eq!((m, sql.as_str()), (Materialized::View, "\nselect 1"));
        let (m, _) = parsed("{{ config(materialized = \"table\") }} select 1", "staging").unwrap();
        assert_eq!(m, Materialized::Table);
        assert_eq!(parsed("select 1", "staging").unwrap().0, Materialized::View);
        assert_eq!(parsed("select 1", "marts").unwrap().0, Materialized::Table);
        let err = parsed("{{ config(materialized='incremental') }}", "marts").unwrap_err();
        assert!(err.to_string().contains("sql/x.sql"), "{err}");
        assert!(err.to_string().contains("incremental"), "{err}");
        // dbt's other spellings: no spaces, over several lines, after comments
        let (m, sql) = parsed("{{config(materialized='view')}}\nselect 1", "marts").unwrap();
        assert_eq!((m, sql.trim()), (Materialized::View, "select 1"));
        let several =
            "-- why\n/* more */\n{{\n  config(\n    materialized = 'view'\n  )\n}}\nselect 1";
        assert_eq!(parsed(several, "marts").unwrap().0, Materialized::View);
        // malformed, misplaced or repeated: an error, never silently ignored
        for sql in [
            "{{ config(materialized view) }} select 1",
            "{{ config(materialized='view\") }} select 1",
            "{{ config(materialized='view') }} {{ config(materialized='table') }} select 1",
            "select 1 {{ config(materialized='view') }}",
        ] {
            let err = parsed(sql, "marts").unwrap_err().to_string();
            assert!(
                err.contains("sql/x.sql") && err.contains("config"),
                "{sql}: {err}"
            );
        }
        // a template variable first is not a config
        assert_eq!(
            parsed("{{ run_date }}", "marts").unwrap().0,
            Materialized::Table
        );
    }

    #[test]
    fn a_models_readers_run_right_after_it() {
        let dir = tempfile::tempdir().unwrap();
        for (name, sql) in [
            ("a", "select 1 as x"),
            ("b", "select 2 as x"),
            ("a_reader", "select * from a"),
            ("c", "select * from a_reader union all select * from b"),
        ] {
            std::fs::write(dir.path().join(format!("{name}.sql")), sql).unwrap();
        }
        let names: Vec<String> = discover(dir.path())
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["a", "a_reader", "b", "c"]);
    }
}
