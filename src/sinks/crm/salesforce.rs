//! Salesforce files. Data Loader and the Bulk API update one object per file, so the persona
//! goes out in two update files, told apart by the record id's key prefix: leads (ids starting
//! `00Q`, from a `salesforce_leads` source) in `salesforce_lead_update.csv`, every other id
//! (contacts, `003`) in `salesforce_update.csv`. The contact file is written whenever the
//! Salesforce files are; the lead file when the pipeline reads a `salesforce_leads` source
//! (like the other files, it is decided by the sources read, so it is there, header only, in a
//! run where no lead changed), or when any Salesforce id of the run is a lead's.
//!
//! Each update file is a CSV (UTF-8, comma, header of API names) keyed on `Id` (an update) or a
//! configured external ID field (an upsert), with the persona in the configured field
//! (`Persona__c`), the same on Contact and Lead. A persona is cleared only with
//! `unclassified = "clear"` (by default an unclassified contact gets the fallback picklist
//! value), and how depends on the loader: `salesforce_update.csv` (and
//! `salesforce_lead_update.csv`), for Data Loader over the SOAP API with "Insert null values"
//! on, clear with an empty cell; `salesforce_update_bulk_api.csv` (and
//! `salesforce_lead_update_bulk_api.csv`), for the Bulk API (or Data Loader with "Use Bulk API"
//! on, which ignores empty cells), with `#N/A`, which the SOAP path would store as text or
//! reject on a restricted picklist. `salesforce_picklist_values.csv` lists every picklist value
//! (label, API name) to add to the picklist field first, on Contact and on Lead alike, so a
//! restricted picklist accepts the update.

use std::path::{Path, PathBuf};

use crate::config::{CrmConfig, SalesforceLoader};
use crate::error::Result;

use super::{
    write_csv, CrmRow, SALESFORCE_LEAD_UPDATE, SALESFORCE_LEAD_UPDATE_BULK, SALESFORCE_UPDATE,
    SALESFORCE_UPDATE_BULK,
};

/// Key prefix of Lead record ids (the same in every org).
pub const LEAD_PREFIX: &str = "00Q";

/// The Salesforce object an update file updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesforceObject {
    /// Contact: `salesforce_update.csv` (every id that is not a lead's).
    Contact,
    /// Lead: `salesforce_lead_update.csv` (ids starting [`LEAD_PREFIX`]).
    Lead,
}

impl SalesforceObject {
    /// The object of record id `id`: a lead when it starts with [`LEAD_PREFIX`], else a
    /// contact.
    pub fn of_id(id: &str) -> SalesforceObject {
        if id.trim_start().starts_with(LEAD_PREFIX) {
            SalesforceObject::Lead
        } else {
            SalesforceObject::Contact
        }
    }

    /// The object's update file for `loader`.
    pub fn update_file(self, loader: SalesforceLoader) -> &'static str {
        match (self, loader) {
            (SalesforceObject::Contact, SalesforceLoader::DataLoader) => SALESFORCE_UPDATE,
            (SalesforceObject::Contact, SalesforceLoader::BulkApi) => SALESFORCE_UPDATE_BULK,
            (SalesforceObject::Lead, SalesforceLoader::DataLoader) => SALESFORCE_LEAD_UPDATE,
            (SalesforceObject::Lead, SalesforceLoader::BulkApi) => SALESFORCE_LEAD_UPDATE_BULK,
        }
    }
}

/// Whether a run writes the lead update file: when the pipeline reads a `salesforce_leads`
/// source (`reads_leads`), or when one of `rows`, every Salesforce contact of the run (not only
/// the changed ones, so the files do not come and go with the changes), is a lead.
pub fn writes_lead_file(reads_leads: bool, rows: &[&CrmRow]) -> bool {
    reads_leads
        || rows
            .iter()
            .any(|r| SalesforceObject::of_id(&r.contact_id) == SalesforceObject::Lead)
}

/// Write the update files of `rows` into `dir`: the contacts' file always, the leads' file
/// when `lead_file` ([`writes_lead_file`]) or when a row is a lead (a lead is never left out,
/// nor written to the contact file). Returns the files written, the contact file first.
pub fn write_updates(
    dir: &Path,
    cfg: &CrmConfig,
    rows: &[&CrmRow],
    lead_file: bool,
) -> Result<Vec<PathBuf>> {
    let (leads, contacts): (Vec<&CrmRow>, Vec<&CrmRow>) = rows
        .iter()
        .partition(|r| SalesforceObject::of_id(&r.contact_id) == SalesforceObject::Lead);
    let loader = cfg.salesforce.loader;
    let path = dir.join(SalesforceObject::Contact.update_file(loader));
    write_update(&path, cfg, &contacts)?;
    let mut written = vec![path];
    if lead_file || !leads.is_empty() {
        let path = dir.join(SalesforceObject::Lead.update_file(loader));
        write_update(&path, cfg, &leads)?;
        written.push(path);
    }
    Ok(written)
}

/// Header of the picklist values file.
pub const PICKLIST_HEADER: [&str; 2] = ["Label", "API Name"];

/// The Bulk API's way of setting a field to null (Data Loader's with "Use Bulk API" on).
pub const NULL: &str = "#N/A";

/// Write one update file for `rows` (of one object); a field to clear is empty for Data Loader
/// (SOAP), `#N/A` for the Bulk API.
pub fn write_update(path: &Path, cfg: &CrmConfig, rows: &[&CrmRow]) -> Result<()> {
    let s = &cfg.salesforce;
    let text = s.field_type.is_text();
    let null = match s.loader {
        SalesforceLoader::DataLoader => "",
        SalesforceLoader::BulkApi => NULL,
    };
    let records = rows.iter().map(|r| {
        let value = match r.value(cfg, text) {
            "" => null,
            v => v,
        };
        [r.contact_id.as_ref(), value]
    });
    write_csv(path, [s.key_field.as_str(), &s.field], records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_on_the_configured_field_with_the_loader_s_null_for_a_cleared_persona() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sf.csv");
        let row = |id: &str, persona: &str, name: &str| CrmRow {
            persona_name: name.to_string().into(),
            ..CrmRow::for_test(id, persona)
        };
        let rows = [
            row("0035g00000AbCdEAAV", "persona_2", "Evaluating Emma"),
            row("0035g00000AbCdFAAV", "", ""),
        ];
        let refs: Vec<&CrmRow> = rows.iter().collect();
        let mut cfg = CrmConfig {
            unclassified: crate::config::Unclassified::Clear,
            ..Default::default()
        };
        write_update(&path, &cfg, &refs).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "Id,Persona__c\n0035g00000AbCdEAAV,persona_2\n0035g00000AbCdFAAV,\n"
        );
        cfg.salesforce.loader = SalesforceLoader::BulkApi;
        write_update(&path, &cfg, &refs).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "Id,Persona__c\n0035g00000AbCdEAAV,persona_2\n0035g00000AbCdFAAV,#N/A\n"
        );
        cfg = toml::from_str(
            "key_field = \"Legacy_Id__c\"\nfield = \"Buyer_Persona__c\"\nfield_type = \"text\"",
        )
        .map(|salesforce| CrmConfig { salesforce, ..cfg })
        .unwrap();
        write_update(&path, &cfg, &refs[..1]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "Legacy_Id__c,Buyer_Persona__c\n0035g00000AbCdEAAV,Evaluating Emma\n"
        );
    }

    fn row(id: &str) -> CrmRow<'_> {
        CrmRow {
            system: Some(crate::config::CrmTarget::Salesforce),
            ..CrmRow::for_test(id, "persona_1")
        }
    }

    /// The names of `files` and the text of each.
    fn names_and_texts(files: &[PathBuf]) -> Vec<(String, String)> {
        files
            .iter()
            .map(|f| {
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(f).unwrap())
            })
            .collect()
    }

    #[test]
    fn leads_go_to_their_own_file_and_contacts_stay_in_the_update_file() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [
            row("0035g00000AbCdEAAV"),
            row("00Q5g00000LdA01EAB"),
            row("0035g00000AbCdF"),
        ];
        let refs: Vec<&CrmRow> = rows.iter().collect();
        let mut cfg = CrmConfig::default();
        assert!(writes_lead_file(false, &refs));
        assert!(!writes_lead_file(false, &[&rows[0], &rows[2]]));
        assert!(writes_lead_file(true, &[]));
        let files = write_updates(dir.path(), &cfg, &refs, false).unwrap();
        assert_eq!(
            names_and_texts(&files),
            [
                (
                    "salesforce_update.csv".to_string(),
                    "Id,Persona__c\n0035g00000AbCdEAAV,persona_1\n0035g00000AbCdF,persona_1\n"
                        .to_string()
                ),
                (
                    "salesforce_lead_update.csv".to_string(),
                    "Id,Persona__c\n00Q5g00000LdA01EAB,persona_1\n".to_string()
                ),
            ]
        );
        // Without a lead, the lead file only when the pipeline reads leads (header only).
        let dir = tempfile::tempdir().unwrap();
        let files = write_updates(dir.path(), &cfg, &refs[..1], false).unwrap();
        assert_eq!(files, [dir.path().join("salesforce_update.csv")]);
        cfg.salesforce.loader = SalesforceLoader::BulkApi;
        let files = write_updates(dir.path(), &cfg, &refs[..1], true).unwrap();
        let files = names_and_texts(&files);
        assert_eq!(files[0].0, "salesforce_update_bulk_api.csv");
        assert_eq!(
            files[1],
            (
                "salesforce_lead_update_bulk_api.csv".to_string(),
                "Id,Persona__c\n".to_string()
            )
        );
    }
}
