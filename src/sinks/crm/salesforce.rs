//! Salesforce files. `salesforce_update.csv`: a Data Loader / Bulk API 2.0 CSV (UTF-8, comma,
//! header of API names) keyed on `Id` (an update) or a configured external ID field (an
//! upsert), with the persona in the configured field (`Persona__c`). A persona to clear is
//! written `#N/A`, the Bulk API's null: an empty cell would leave the old value in place.
//! `salesforce_picklist_values.csv` lists every picklist value (label, API name) to add to a
//! picklist field first, so a restricted picklist accepts the update.

use std::path::Path;

use crate::config::CrmConfig;
use crate::error::Result;

use super::{csv_writer, finish_csv, CrmRow, PersonaOption};

/// Header of the picklist values file.
pub const PICKLIST_HEADER: [&str; 2] = ["Label", "API Name"];

/// The Bulk API's (and Data Loader's) way of setting a field to null.
pub const NULL: &str = "#N/A";

/// Write the update file for `rows`.
pub fn write_update(path: &Path, cfg: &CrmConfig, rows: &[&CrmRow]) -> Result<()> {
    let s = &cfg.salesforce;
    let text = s.field_type.is_text();
    let mut w = csv_writer(path)?;
    w.write_record([s.key_field.as_str(), &s.field])?;
    for r in rows {
        let value = match r.value(text) {
            "" => NULL,
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
    fn keyed_on_the_configured_field_with_null_for_a_cleared_persona() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sf.csv");
        let row = |id: &str, persona: &str, name: &str| CrmRow {
            contact_id: id.into(),
            email: String::new(),
            persona_id: persona.into(),
            persona_name: name.into(),
            bucket: String::new(),
            is_negative: None,
        };
        let rows = [
            row("0035g00000AbCdEAAV", "persona_2", "Evaluating Emma"),
            row("0035g00000AbCdFAAV", "", ""),
        ];
        let refs: Vec<&CrmRow> = rows.iter().collect();
        let mut cfg = CrmConfig::default();
        write_update(&path, &cfg, &refs).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "Id,Persona__c\n0035g00000AbCdEAAV,persona_2\n0035g00000AbCdFAAV,#N/A\n"
        );
        cfg = toml::from_str(
            "key_field = \"Legacy_Id__c\"\nfield = \"Buyer_Persona__c\"\nfield_type = \"text\"",
        )
        .map(|salesforce| CrmConfig {
            salesforce,
            ..Default::default()
        })
        .unwrap();
        write_update(&path, &cfg, &refs[..1]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "Legacy_Id__c,Buyer_Persona__c\n0035g00000AbCdEAAV,Evaluating Emma\n"
        );
    }
}
