//! Salesforce files. The update file is a CSV (UTF-8, comma, header of API names) keyed on `Id`
//! (an update) or a configured external ID field (an upsert), with the persona in the
//! configured field (`Persona__c`). A persona is cleared only with `unclassified = "clear"`
//! (by default an unclassified contact gets the fallback picklist value), and how depends on
//! the loader: `salesforce_update.csv`, for Data Loader over the SOAP API with "Insert null
//! values" on, clears with an empty cell; `salesforce_update_bulk_api.csv`, for the Bulk API
//! (or Data Loader with "Use Bulk API" on, which ignores empty cells), with `#N/A`, which the
//! SOAP path would store as text or reject on a restricted picklist.
//! `salesforce_picklist_values.csv` lists every picklist value (label, API name) to add to a
//! picklist field first, so a restricted picklist accepts the update.

use std::path::Path;

use crate::config::{CrmConfig, SalesforceLoader};
use crate::error::Result;

use super::{csv_writer, finish_csv, CrmRow, PersonaOption};

/// Header of the picklist values file.
pub const PICKLIST_HEADER: [&str; 2] = ["Label", "API Name"];

/// The Bulk API's way of setting a field to null (Data Loader's with "Use Bulk API" on).
pub const NULL: &str = "#N/A";

/// Write the update file for `rows`; a field to clear is empty for Data Loader (SOAP), `#N/A`
/// for the Bulk API.
pub fn write_update(path: &Path, cfg: &CrmConfig, rows: &[&CrmRow]) -> Result<()> {
    let s = &cfg.salesforce;
    let text = s.field_type.is_text();
    let null = match s.loader {
        SalesforceLoader::DataLoader => "",
        SalesforceLoader::BulkApi => NULL,
    };
    let mut w = csv_writer(path)?;
    w.write_record([s.key_field.as_str(), &s.field])?;
    for r in rows {
        let value = match r.value(cfg, text) {
            "" => null,
            v => v,
        };
        w.write_record([r.contact_id.as_str(), value])?;
    }
    finish_csv(w, path)
}

/// Write the picklist values: one row per value, label and API name.
pub fn write_picklist(path: &Path, options: &[PersonaOption]) -> Result<()> {
    super::write_option_list(path, PICKLIST_HEADER, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_on_the_configured_field_with_the_loader_s_null_for_a_cleared_persona() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sf.csv");
        let row = |id: &str, persona: &str, name: &str| CrmRow {
            contact_id: id.into(),
            email: String::new(),
            persona_id: persona.into(),
            persona_name: name.into(),
            bucket: String::new(),
            is_negative: None,
            system: None,
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
}
