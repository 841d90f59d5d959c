//! CRM import files and the HubSpot push: what a CRM admin imports (or syncs) to set the persona
//! field on every contact record, the last step of the data path.
//!
//! Every run writes, into its `crm/run_date=<date>/` partition:
//! - `generic_full.csv`: every contact with the persona the CRM should hold, the snapshot the
//!   next run's delta is computed against ([`generic`]);
//! - `hubspot_import.csv` (split past the row limit) and `hubspot_persona_options.csv`
//!   ([`hubspot`]), `salesforce_update.csv` and `salesforce_picklist_values.csv`
//!   ([`salesforce`]), and `generic_import.csv`, holding by default only the contacts whose
//!   persona changed since the latest earlier published run ([`delta`]).
//!
//! Contacts whose persona is flagged too small to trust get an empty persona or the configured
//! fallback label, never a made-up persona. [`push()`] sends the same change set to HubSpot's batch
//! API and records every record that failed in the `crm_failures` table ([`failures`]).

mod client;
pub mod delta;
pub mod failures;
pub mod generic;
pub mod hubspot;
pub mod push;
pub mod salesforce;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use tracing::info;

use crate::config::CrmConfig;
use crate::error::{Error, Result};
use crate::features::FeatureTable;
use crate::profile::Persona;

pub use push::{push, PushMode, PushReport};

/// Full snapshot of every contact's CRM persona (always written; the delta baseline).
pub const GENERIC_FULL: &str = "generic_full.csv";
/// Generic import file (delta or full).
pub const GENERIC_IMPORT: &str = "generic_import.csv";
/// First HubSpot import file; further parts are `hubspot_import-2.csv`, ...
pub const HUBSPOT_IMPORT: &str = "hubspot_import.csv";
/// HubSpot property options: label and internal value of every persona.
pub const HUBSPOT_OPTIONS: &str = "hubspot_persona_options.csv";
/// Salesforce Data Loader / Bulk API 2.0 update file.
pub const SALESFORCE_UPDATE: &str = "salesforce_update.csv";
/// Salesforce picklist values: label and API name of every persona.
pub const SALESFORCE_PICKLIST: &str = "salesforce_picklist_values.csv";
/// Table (folder under the output folder) of the CRM partitions.
pub const CRM_TABLE: &str = "crm";

/// Everything the CRM writers need from a run.
#[derive(Debug, Clone, Copy)]
pub struct CrmContext<'a> {
    /// Folder of the run's CRM partition in staging (`crm/run_date=<date>/`).
    pub dir: &'a Path,
    /// The pipeline's output folder, where earlier runs' outputs are published.
    pub output_dir: &'a Path,
    /// Logical date of the run.
    pub run_date: NaiveDate,
    /// The contacts, in the order of `primary`.
    pub table: &'a FeatureTable,
    /// Each contact's persona for the CRM, an index into `personas` (`None`: in no bucket).
    pub primary: &'a [Option<usize>],
    /// The run's personas.
    pub personas: &'a [Persona],
}

/// One contact as the CRM should hold it: a row of the generic files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmRow {
    /// CRM id (HubSpot Record ID, Salesforce Id, or the mapped id).
    pub contact_id: String,
    /// Email (empty when the CRM has none).
    pub email: String,
    /// Persona id (`persona_3`), the fallback value, or empty.
    pub persona_id: String,
    /// Persona name, the fallback label, or empty.
    pub persona_name: String,
    /// The persona's bucket (`all`, `buyer`, `user`); empty without a persona.
    pub bucket: String,
    /// Whether the persona is a negative persona; `None` without a persona.
    pub is_negative: Option<bool>,
}

impl CrmRow {
    /// The value a CRM field holds: the persona's name in a text field, else its id (the
    /// option value).
    pub fn value(&self, text_field: bool) -> &str {
        if text_field {
            &self.persona_name
        } else {
            &self.persona_id
        }
    }
}

/// One option of an enumeration or picklist field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaOption {
    /// Internal value / API name (`persona_1`).
    pub value: String,
    /// Label shown to users (the persona's name).
    pub label: String,
}

/// Write every CRM file of the run into `ctx.dir` with the default `[crm]` settings; returns
/// the files written. See [`write_crm_files_with`].
pub fn write_crm_files(ctx: &CrmContext<'_>) -> Result<Vec<PathBuf>> {
    write_crm_files_with(ctx, &CrmConfig::default())
}

/// Write every CRM file of the run into `ctx.dir`: the full snapshot, and the import files
/// `cfg` asks for, each holding the contacts whose persona changed since the latest published
/// run before `ctx.run_date` (delta mode; every contact when there is none) or every contact
/// (full mode). Returns the files written.
pub fn write_crm_files_with(ctx: &CrmContext<'_>, cfg: &CrmConfig) -> Result<Vec<PathBuf>> {
    cfg.check().map_err(|message| Error::Config {
        path: PathBuf::from("[crm]"),
        message,
    })?;
    let rows = crm_rows(ctx, cfg)?;
    let baseline = delta::latest_before(ctx.output_dir, ctx.run_date, |_| true)?;
    let selected: Vec<&CrmRow> = match (&baseline, cfg.mode.is_full()) {
        (Some(b), false) => delta::changed(&rows, &b.rows),
        _ => rows.iter().collect(),
    };
    let options = persona_options(ctx.personas, cfg);
    let date = ctx.run_date.to_string();
    let mut written = Vec::new();
    let full = ctx.dir.join(GENERIC_FULL);
    generic::write(&full, rows.iter(), &date)?;
    written.push(full);
    if cfg.writes_generic() {
        let path = ctx.dir.join(GENERIC_IMPORT);
        generic::write(&path, selected.iter().copied(), &date)?;
        written.push(path);
    }
    if cfg.writes_hubspot() {
        written.extend(hubspot::write_import(ctx.dir, cfg, &selected)?);
        if !cfg.hubspot.property_type.is_text() {
            let path = ctx.dir.join(HUBSPOT_OPTIONS);
            hubspot::write_options(&path, &options)?;
            written.push(path);
        }
    }
    if cfg.writes_salesforce() {
        let path = ctx.dir.join(SALESFORCE_UPDATE);
        salesforce::write_update(&path, cfg, &selected)?;
        written.push(path);
        if !cfg.salesforce.field_type.is_text() {
            let path = ctx.dir.join(SALESFORCE_PICKLIST);
            salesforce::write_picklist(&path, &options)?;
            written.push(path);
        }
    }
    info!(
        contacts = rows.len(),
        changed = selected.len(),
        baseline = %baseline.as_ref().map_or("none".to_string(), |b| b.run_date.to_string()),
        full = cfg.mode.is_full(),
        "Wrote CRM files."
    );
    Ok(written)
}

/// Every contact's CRM row: its persona when publishable, else the fallback or nothing. Fails
/// on a contact id seen twice (an import would update one record with two values).
pub fn crm_rows(ctx: &CrmContext<'_>, cfg: &CrmConfig) -> Result<Vec<CrmRow>> {
    let t = ctx.table;
    if t.emails.len() != t.len() || ctx.primary.len() != t.len() {
        return Err(Error::BadInput {
            file: "crm export".into(),
            reason: format!(
                "{} contact ids, {} emails and {} persona assignments do not line up",
                t.len(),
                t.emails.len(),
                ctx.primary.len()
            ),
        });
    }
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(t.len());
    let mut rows = Vec::with_capacity(t.len());
    for (i, ((id, email), primary)) in t
        .contact_ids
        .iter()
        .zip(&t.emails)
        .zip(ctx.primary)
        .enumerate()
    {
        if let Some(first) = seen.insert(id.as_str(), i) {
            return Err(Error::BadInput {
                file: "crm export".into(),
                reason: format!(
                    "contact id `{id}` appears twice (contacts {} and {}): the CRM import would set two personas on one record",
                    first + 1,
                    i + 1
                ),
            });
        }
        let persona = match primary {
            Some(p) => Some(ctx.personas.get(*p).ok_or_else(|| Error::BadInput {
                file: "crm export".into(),
                reason: format!(
                    "contact `{id}` is assigned persona {p}, but the run has {} personas",
                    ctx.personas.len()
                ),
            })?),
            None => None,
        };
        let (persona_id, persona_name, bucket, is_negative) = match persona {
            Some(p) if p.publishable() => (
                p.id.clone(),
                p.name.clone(),
                p.bucket.clone(),
                Some(p.negative),
            ),
            _ => match &cfg.fallback_label {
                Some(label) => (
                    cfg.fallback_value.clone(),
                    label.clone(),
                    String::new(),
                    None,
                ),
                None => Default::default(),
            },
        };
        rows.push(CrmRow {
            contact_id: id.clone(),
            email: email.clone().unwrap_or_default(),
            persona_id,
            persona_name,
            bucket,
            is_negative,
        });
    }
    Ok(rows)
}

/// The options an enumeration or picklist field needs: every publishable persona, then the
/// fallback when one is configured.
pub fn persona_options(personas: &[Persona], cfg: &CrmConfig) -> Vec<PersonaOption> {
    let mut options: Vec<PersonaOption> = personas
        .iter()
        .filter(|p| p.publishable())
        .map(|p| PersonaOption {
            value: p.id.clone(),
            label: p.name.clone(),
        })
        .collect();
    if let Some(label) = &cfg.fallback_label {
        options.push(PersonaOption {
            value: cfg.fallback_value.clone(),
            label: label.clone(),
        });
    }
    options
}

/// Create `path`'s folder and a CSV writer on it.
/// Write a list of option values (a HubSpot property's options, a Salesforce picklist): one row
/// per option, its label and its value, under `header`.
fn write_option_list(path: &Path, header: [&str; 2], options: &[PersonaOption]) -> Result<()> {
    let mut w = csv_writer(path)?;
    w.write_record(header)?;
    for o in options {
        w.write_record([o.label.as_str(), &o.value])?;
    }
    finish_csv(w, path)
}

fn csv_writer(path: &Path) -> Result<csv::Writer<std::io::BufWriter<std::fs::File>>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    Ok(csv::Writer::from_writer(std::io::BufWriter::new(file)))
}

/// Flush a CSV writer to disk.
fn finish_csv(w: csv::Writer<std::io::BufWriter<std::fs::File>>, path: &Path) -> Result<()> {
    use std::io::Write;
    let mut inner = w
        .into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?;
    inner.flush().map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::INSUFFICIENT_SAMPLE;

    fn persona(n: usize, name: &str) -> Persona {
        Persona {
            id: format!("persona_{n}"),
            name: name.into(),
            bucket: "all".into(),
            negative: false,
            stability: None,
            size: 10,
            share: 0.1,
            share_ci: (0.05, 0.15),
            flags: vec![],
            flag_reasons: vec![],
            description: String::new(),
            top_traits: vec![],
            card: Default::default(),
        }
    }

    fn table(ids: &[&str]) -> FeatureTable {
        FeatureTable {
            contact_ids: ids.iter().map(|s| s.to_string()).collect(),
            emails: ids
                .iter()
                .map(|s| Some(format!("{s}@example.com")))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn flagged_persona_gets_empty_value_or_the_fallback() {
        let mut small = persona(2, "Tiny Tim");
        small.flags.push(INSUFFICIENT_SAMPLE.into());
        let personas = vec![persona(1, "Curious Casey"), small];
        let t = table(&["1", "2", "3"]);
        let primary = [Some(0), Some(1), None];
        let dir = Path::new("unused");
        let ctx = CrmContext {
            dir,
            output_dir: dir,
            run_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            table: &t,
            primary: &primary,
            personas: &personas,
        };
        let rows = crm_rows(&ctx, &CrmConfig::default()).unwrap();
        assert_eq!(rows[0].persona_id, "persona_1");
        assert_eq!(rows[0].is_negative, Some(false));
        assert_eq!((rows[1].value(false), rows[1].value(true)), ("", ""));
        assert_eq!(rows[2].persona_id, "");
        let cfg = CrmConfig {
            fallback_label: Some("Not yet classified".into()),
            ..Default::default()
        };
        let rows = crm_rows(&ctx, &cfg).unwrap();
        assert_eq!(rows[1].value(false), "persona_unassigned");
        assert_eq!(rows[1].value(true), "Not yet classified");
        let options = persona_options(&personas, &cfg);
        let values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["persona_1", "persona_unassigned"]);
    }

    #[test]
    fn duplicate_contact_id_is_refused() {
        let personas = vec![persona(1, "Curious Casey")];
        let t = table(&["7", "8", "7"]);
        let primary = [Some(0), Some(0), Some(0)];
        let dir = Path::new("unused");
        let ctx = CrmContext {
            dir,
            output_dir: dir,
            run_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            table: &t,
            primary: &primary,
            personas: &personas,
        };
        let err = crm_rows(&ctx, &CrmConfig::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`7` appears twice (contacts 1 and 3)"),
            "{err}"
        );
    }
}
