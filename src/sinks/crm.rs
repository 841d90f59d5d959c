//! CRM import files and the HubSpot push: what a CRM admin imports (or syncs) to set the persona
//! field on every contact record, the last step of the data path.
//!
//! Every run writes, into its `crm/run_date=<date>/` partition:
//! - `generic_full.csv`: every contact with the persona the CRM should hold and the CRM its id
//!   comes from, the snapshot later deltas are computed against ([`generic`]);
//! - the import files of the CRMs the pipeline reads, each holding only the contacts whose id
//!   comes from that CRM ([`ContactSystems`]): `hubspot_import.csv` (split past the row limit)
//!   and `hubspot_persona_options.csv` ([`hubspot`]), `salesforce_update.csv` (or
//!   `salesforce_update_bulk_api.csv`) for contacts, `salesforce_lead_update.csv` (or
//!   `salesforce_lead_update_bulk_api.csv`) for leads when the pipeline reads a
//!   `salesforce_leads` source or the run has a lead id (a Data Loader job updates one object),
//!   and `salesforce_picklist_values.csv`, one picklist for both ([`salesforce`]);
//!   `generic_import.csv` for a `csv` CRM. By default each holds only the contacts whose
//!   persona differs from what that CRM last confirmed ([`acks`]: a push, or `personas crm
//!   ack` after an import), so an import that was skipped comes back in the next file.
//!
//! Contacts whose persona is flagged too small to trust get the fallback option ("Not
//! classified"), which every CRM applies, or with `unclassified = "clear"` an empty field;
//! never a made-up persona. [`push()`] sends the HubSpot contacts' changes to HubSpot's batch
//! API and records every record that failed in the `crm_failures` table ([`failures`]).

pub mod acks;
mod client;
pub mod delta;
pub mod failures;
pub mod generic;
pub mod hubspot;
mod labels;
pub mod push;
pub mod salesforce;
pub mod status;
pub mod systems;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use tracing::{info, warn};

use crate::config::{CrmConfig, CrmTarget, SalesforceLoader};
use crate::error::{Error, Result};
use crate::features::FeatureTable;
use crate::profile::Persona;

pub use push::{push, PushMode, PushReport};
pub use systems::ContactSystems;

/// Full snapshot of every contact's CRM persona (always written; the delta baseline).
pub const GENERIC_FULL: &str = "generic_full.csv";
/// Generic import file (delta or full).
pub const GENERIC_IMPORT: &str = "generic_import.csv";
/// First HubSpot import file; further parts are `hubspot_import-2.csv`, ...
pub const HUBSPOT_IMPORT: &str = "hubspot_import.csv";
/// HubSpot property options: label and internal value of every persona.
pub const HUBSPOT_OPTIONS: &str = "hubspot_persona_options.csv";
/// Salesforce Data Loader update file (SOAP API: a cleared field is an empty cell).
pub const SALESFORCE_UPDATE: &str = "salesforce_update.csv";
/// Salesforce Bulk API 2.0 update file (a cleared field is `#N/A`).
pub const SALESFORCE_UPDATE_BULK: &str = "salesforce_update_bulk_api.csv";
/// Salesforce Data Loader update file of the leads (ids `00Q…`), as [`SALESFORCE_UPDATE`].
pub const SALESFORCE_LEAD_UPDATE: &str = "salesforce_lead_update.csv";
/// Salesforce Bulk API 2.0 update file of the leads, as [`SALESFORCE_UPDATE_BULK`].
pub const SALESFORCE_LEAD_UPDATE_BULK: &str = "salesforce_lead_update_bulk_api.csv";
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
    /// The CRMs the pipeline reads and the CRM each contact id comes from.
    pub systems: &'a ContactSystems,
}

/// One contact as the CRM should hold it: a row of the generic files. The text is borrowed
/// from the run (the feature table's ids and emails, the personas' ids and names: a run's rows
/// copy none of it) or owned (rows read back from a published file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmRow<'a> {
    /// CRM id (HubSpot Record ID, Salesforce Id, or the mapped id).
    pub contact_id: Cow<'a, str>,
    /// Email (empty when the CRM has none).
    pub email: Cow<'a, str>,
    /// Persona id (`persona_3`), the fallback value, or empty.
    pub persona_id: Cow<'a, str>,
    /// Persona name, the fallback label, or empty.
    pub persona_name: Cow<'a, str>,
    /// The persona's bucket (`all`, `buyer`, `user`); empty without a persona.
    pub bucket: Cow<'a, str>,
    /// Whether the persona is a negative persona; `None` without a persona.
    pub is_negative: Option<bool>,
    /// The CRM the id comes from; `None` when unknown.
    pub system: Option<CrmTarget>,
}

impl CrmRow<'_> {
    /// The value the CRM field gets: the persona's name in a text field, else its id (the
    /// option value); for a contact in no trusted persona (an empty persona), the fallback
    /// option's label or value, or nothing with `unclassified = "clear"`.
    pub fn value<'a>(&'a self, cfg: &'a CrmConfig, text_field: bool) -> &'a str {
        match (
            self.persona_id.is_empty() && cfg.writes_fallback(),
            text_field,
        ) {
            (true, true) => &cfg.fallback_label,
            (true, false) => &cfg.fallback_value,
            (false, true) => &self.persona_name,
            (false, false) => &self.persona_id,
        }
    }

    /// The label of [`CrmRow::value`]'s option: the persona's name or the fallback label.
    pub fn label<'a>(&'a self, cfg: &'a CrmConfig) -> &'a str {
        self.value(cfg, true)
    }
}

#[cfg(test)]
impl CrmRow<'_> {
    /// A HubSpot contact `id` in `persona` (named `Name of <persona>`, no name without a
    /// persona) of bucket `all`, not negative, without an email: the tests' row.
    pub(crate) fn for_test(id: &str, persona: &str) -> CrmRow<'static> {
        CrmRow {
            contact_id: id.to_string().into(),
            email: Cow::Borrowed(""),
            persona_id: persona.to_string().into(),
            persona_name: if persona.is_empty() {
                Cow::Borrowed("")
            } else {
                format!("Name of {persona}").into()
            },
            bucket: "all".into(),
            is_negative: Some(false),
            system: Some(CrmTarget::Hubspot),
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

/// Write every CRM file of the run into `ctx.dir`: the full snapshot, and the import files of
/// the CRMs the pipeline reads (or `cfg.files`), each holding the contacts whose id comes from
/// that CRM and whose persona differs from what that CRM last confirmed before `ctx.run_date`
/// (delta mode; every one when it confirmed nothing) or all of them (full mode). Returns the
/// files written.
pub fn write_crm_files_with(ctx: &CrmContext<'_>, cfg: &CrmConfig) -> Result<Vec<PathBuf>> {
    let config_error = |message| Error::Config {
        path: PathBuf::from("[crm]"),
        message,
    };
    cfg.check().map_err(config_error)?;
    let targets = cfg.targets(&ctx.systems.present).map_err(config_error)?;
    let rows = crm_rows(ctx)?;
    let options = persona_options(ctx.personas, cfg);
    labels::check_unique(&options)?;
    let date = ctx.run_date.to_string();
    let full = ctx.dir.join(GENERIC_FULL);
    generic::write(&full, rows.iter(), &date)?;
    let mut written = vec![full];
    let mut by_target: HashMap<CrmTarget, Vec<&CrmRow>> = HashMap::new();
    let (mut unwritten, mut unknown) = (0, 0);
    for r in &rows {
        match (route(r.system, &targets), r.system) {
            (Some(t), _) => by_target.entry(t).or_default().push(r),
            (None, Some(_)) => unwritten += 1,
            (None, None) => unknown += 1,
        }
    }
    if unwritten > 0 {
        warn!(contacts = unwritten, files = ?targets,
            "Contacts of a CRM whose file crm.files leaves out are in no import file (add `generic` to crm.files to get them in generic_import.csv).");
    }
    if unknown > 0 {
        warn!(contacts = unknown, model = systems::MODEL,
            "Contacts the crm_contact_systems model gives no CRM are in no import file (add `generic` to crm.files to get them in generic_import.csv).");
    }
    for target in targets {
        let rows_t = by_target.remove(&target).unwrap_or_default();
        // Decided on every contact of the CRM, not the changed ones: the files stay the same.
        let lead_file = salesforce::writes_lead_file(ctx.systems.reads_leads, &rows_t);
        let (selected, baseline) = unconfirmed(ctx, cfg, target, rows_t)?;
        labels::check_files(ctx.output_dir, ctx.run_date, target, &options, cfg)?;
        written.extend(write_target(
            ctx.dir, cfg, target, &selected, &options, &date, lead_file,
        )?);
        info!(
            file = %target,
            changed = selected.len(),
            baseline = %baseline.map_or("none".to_string(), |d| d.to_string()),
            full = cfg.mode.is_full(),
            "Wrote CRM import file."
        );
    }
    info!(contacts = rows.len(), "Wrote CRM files.");
    Ok(written)
}

/// The import file a contact of CRM `system` goes to among `targets`: its own CRM's, else the
/// generic file when written.
pub fn route(system: Option<CrmTarget>, targets: &[CrmTarget]) -> Option<CrmTarget> {
    match system {
        Some(s) if targets.contains(&s) => Some(s),
        _ => targets
            .contains(&CrmTarget::Generic)
            .then_some(CrmTarget::Generic),
    }
}

/// The rows of `target`'s file: in delta mode those `target` has yet to get since the state it
/// last confirmed before the run date ([`acks::Confirmed::is_pending`]: a new contact, another
/// persona or CRM, a record its push could not write), and that date.
fn unconfirmed<'a>(
    ctx: &CrmContext<'_>,
    cfg: &CrmConfig,
    target: CrmTarget,
    rows: Vec<&'a CrmRow<'a>>,
) -> Result<(Vec<&'a CrmRow<'a>>, Option<NaiveDate>)> {
    if cfg.mode.is_full() {
        return Ok((rows, None));
    }
    let Some(c) = acks::confirmed_before(ctx.output_dir, ctx.run_date, target)? else {
        return Ok((rows, None));
    };
    let selected = rows.into_iter().filter(|r| c.is_pending(r)).collect();
    Ok((selected, Some(c.baseline.run_date)))
}

/// Write `target`'s import file(s) and options file; returns the files written. `lead_file`:
/// whether a Salesforce target writes the lead update file ([`salesforce::writes_lead_file`]).
fn write_target(
    dir: &Path,
    cfg: &CrmConfig,
    target: CrmTarget,
    selected: &[&CrmRow],
    options: &[PersonaOption],
    date: &str,
    lead_file: bool,
) -> Result<Vec<PathBuf>> {
    let mut written = match target {
        CrmTarget::Generic => {
            let path = dir.join(GENERIC_IMPORT);
            let rows: Vec<CrmRow> = selected
                .iter()
                .map(|r| CrmRow {
                    persona_id: Cow::Borrowed(r.value(cfg, false)),
                    persona_name: Cow::Borrowed(r.label(cfg)),
                    ..(*r).clone()
                })
                .collect();
            generic::write(&path, rows.iter(), date)?;
            vec![path]
        }
        CrmTarget::Hubspot => hubspot::write_import(dir, cfg, selected)?,
        CrmTarget::Salesforce => salesforce::write_updates(dir, cfg, selected, lead_file)?,
    };
    if let Some((file, header)) = options_file(target, cfg) {
        let path = dir.join(file);
        write_option_list(&path, header, options)?;
        written.push(path);
    }
    Ok(written)
}

/// The file (name and header) listing the options of `target`'s persona field, which an
/// enumeration (HubSpot) or a picklist (Salesforce) needs and a text field does not.
fn options_file(target: CrmTarget, cfg: &CrmConfig) -> Option<(&'static str, [&'static str; 2])> {
    match target {
        CrmTarget::Hubspot if !cfg.hubspot.property_type.is_text() => {
            Some((HUBSPOT_OPTIONS, hubspot::OPTIONS_HEADER))
        }
        CrmTarget::Salesforce if !cfg.salesforce.field_type.is_text() => {
            Some((SALESFORCE_PICKLIST, salesforce::PICKLIST_HEADER))
        }
        _ => None,
    }
}

/// The Salesforce contacts' update file for a loader (the leads' is
/// [`salesforce::SalesforceObject::update_file`]).
pub fn salesforce_update_file(loader: SalesforceLoader) -> &'static str {
    salesforce::SalesforceObject::Contact.update_file(loader)
}

/// The import files of `target` a CRM partition may hold (the first one names the target).
pub fn import_files(target: CrmTarget) -> &'static [&'static str] {
    match target {
        CrmTarget::Hubspot => &[HUBSPOT_IMPORT],
        CrmTarget::Salesforce => &[
            SALESFORCE_UPDATE,
            SALESFORCE_UPDATE_BULK,
            SALESFORCE_LEAD_UPDATE,
            SALESFORCE_LEAD_UPDATE_BULK,
        ],
        CrmTarget::Generic => &[GENERIC_IMPORT],
    }
}

/// Every contact's CRM row: its persona when publishable, else an empty persona (which the
/// files and the push write as the fallback option, [`CrmRow::value`]), and the CRM its id
/// comes from. Fails on a contact id seen twice (an import would update one record with two
/// values).
pub fn crm_rows<'a>(ctx: &CrmContext<'a>) -> Result<Vec<CrmRow<'a>>> {
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
                p.id.as_str(),
                p.name.as_str(),
                p.bucket.as_str(),
                Some(p.negative),
            ),
            _ => Default::default(),
        };
        rows.push(CrmRow {
            contact_id: Cow::Borrowed(id),
            email: Cow::Borrowed(email.as_deref().unwrap_or_default()),
            persona_id: Cow::Borrowed(persona_id),
            persona_name: Cow::Borrowed(persona_name),
            bucket: Cow::Borrowed(bucket),
            is_negative,
            system: ctx.systems.of(id),
        });
    }
    Ok(rows)
}

/// The options an enumeration or picklist field needs: every publishable persona, then the
/// fallback option (unless `unclassified = "clear"`).
pub fn persona_options(personas: &[Persona], cfg: &CrmConfig) -> Vec<PersonaOption> {
    let mut options: Vec<PersonaOption> = personas
        .iter()
        .filter(|p| p.publishable())
        .map(|p| PersonaOption {
            value: p.id.clone(),
            label: p.name.clone(),
        })
        .collect();
    if cfg.writes_fallback() {
        options.push(PersonaOption {
            value: cfg.fallback_value.clone(),
            label: cfg.fallback_label.clone(),
        });
    }
    options
}

/// Write a list of option values (a HubSpot property's options, a Salesforce picklist): one row
/// per option, its label and its value, under `header`.
fn write_option_list(path: &Path, header: [&str; 2], options: &[PersonaOption]) -> Result<()> {
    write_csv(
        path,
        header,
        options.iter().map(|o| [o.label.as_str(), &o.value]),
    )
}

/// Write a CSV file, creating its folder: `header`, then one line per record.
fn write_csv<R, F>(path: &Path, header: R, records: impl IntoIterator<Item = R>) -> Result<()>
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record(header)?;
    for r in records {
        w.write_record(r)?;
    }
    let mut inner = w
        .into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?;
    inner.flush().map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests;
