//! CRM output config: which CRM files a run writes, whether they hold every contact or only the
//! ones whose persona the CRM has not confirmed yet, what an unclassified contact gets, how the
//! persona field is named in HubSpot and Salesforce, and the optional push to HubSpot's API. No
//! `[crm]` section writes the files of the CRMs the pipeline reads (HubSpot, Salesforce, a `csv`
//! CRM) in delta mode into HubSpot's built-in `hs_persona` property and Salesforce's
//! `Persona__c`, with "Not classified" for a contact in no trusted persona.

use serde::{Deserialize, Serialize};

use super::SourceKind;

/// The `[crm]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrmConfig {
    /// Which import files to write into `crm/run_date=…/`: any of `hubspot`, `salesforce`,
    /// `generic`. Default: the files of the CRMs the pipeline reads (`hubspot_contacts` ->
    /// `hubspot`, `salesforce_contacts` and `salesforce_leads` -> `salesforce`, `csv` ->
    /// `generic`). Each contact goes to the file of the CRM its id comes from; `generic` also
    /// takes the contacts of a CRM whose file is not written. The full snapshot
    /// `generic_full.csv` is always written.
    pub files: Option<Vec<CrmTarget>>,
    /// `delta` (default): each import file holds only the contacts whose persona differs from
    /// what that CRM last confirmed (a push, or `personas crm ack` after an import; every
    /// contact until then); `full`: every contact.
    pub mode: ExportMode,
    /// What a contact in no trusted persona (flagged `insufficient_sample`, or in no persona)
    /// gets: `option` (default) the fallback option `fallback_value` labelled `fallback_label`,
    /// which every CRM applies; `clear` an empty field (the push and Salesforce only: a HubSpot
    /// import leaves the old value on an empty cell, so it is refused with HubSpot files).
    pub unclassified: Unclassified,
    /// Label of the fallback option (default "Not classified").
    pub fallback_label: String,
    /// Option value (HubSpot internal value, Salesforce picklist API name) of `fallback_label`
    /// in enumeration and picklist fields. Default `persona_unassigned`.
    pub fallback_value: String,
    /// Option values whose label you changed in the CRM to this run's label: a run stops when
    /// an option's label differs from the one in the options file the CRM last confirmed,
    /// except for these. Default none.
    pub relabeled: Vec<String>,
    /// HubSpot import file and API push.
    pub hubspot: HubSpotConfig,
    /// Salesforce Data Loader / Bulk API 2.0 update file.
    pub salesforce: SalesforceConfig,
}

impl Default for CrmConfig {
    fn default() -> Self {
        CrmConfig {
            files: None,
            mode: ExportMode::Delta,
            unclassified: Unclassified::Option,
            fallback_label: "Not classified".into(),
            fallback_value: "persona_unassigned".into(),
            relabeled: Vec::new(),
            hubspot: HubSpotConfig::default(),
            salesforce: SalesforceConfig::default(),
        }
    }
}

/// A CRM import file, and the CRM a contact id comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmTarget {
    /// `hubspot_import.csv` and `hubspot_persona_options.csv`; HubSpot record ids.
    Hubspot,
    /// `salesforce_update.csv` (contacts), `salesforce_lead_update.csv` (leads) and
    /// `salesforce_picklist_values.csv`; Salesforce ids.
    Salesforce,
    /// `generic_import.csv` for any other CRM; the ids of a `csv` CRM source.
    Generic,
}

impl CrmTarget {
    /// Every target, in the order files are written.
    pub const ALL: [CrmTarget; 3] = [
        CrmTarget::Hubspot,
        CrmTarget::Salesforce,
        CrmTarget::Generic,
    ];

    /// The target of a CRM source kind (`None` for a source that is not a CRM).
    pub fn of_source(kind: SourceKind) -> Option<CrmTarget> {
        match kind {
            SourceKind::HubspotContacts => Some(CrmTarget::Hubspot),
            SourceKind::SalesforceContacts | SourceKind::SalesforceLeads => {
                Some(CrmTarget::Salesforce)
            }
            SourceKind::Csv => Some(CrmTarget::Generic),
            _ => None,
        }
    }

    /// The name of the contact's CRM as the SQL models' `crm_system` column and the snapshot's
    /// `crm` column write it: `hubspot`, `salesforce`, `csv`.
    pub fn system(self) -> &'static str {
        match self {
            CrmTarget::Hubspot => "hubspot",
            CrmTarget::Salesforce => "salesforce",
            CrmTarget::Generic => "csv",
        }
    }

    /// The target of a `crm_system` value ([`CrmTarget::system`]).
    pub fn from_system(name: &str) -> Option<CrmTarget> {
        CrmTarget::ALL.into_iter().find(|t| t.system() == name)
    }

    /// The name in `crm.files` and on the command line: `hubspot`, `salesforce`, `generic`.
    pub fn name(self) -> &'static str {
        match self {
            CrmTarget::Hubspot => "hubspot",
            CrmTarget::Salesforce => "salesforce",
            CrmTarget::Generic => "generic",
        }
    }
}

impl std::fmt::Display for CrmTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a contact in no trusted persona gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unclassified {
    /// The fallback option (`fallback_value`, labelled `fallback_label`).
    #[default]
    Option,
    /// An empty field: the push sends an empty value, the Salesforce file an empty cell (Data
    /// Loader with "Insert null values") or `#N/A` (Bulk API).
    Clear,
}

/// How the Salesforce update file is loaded, which decides how a cleared field is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SalesforceLoader {
    /// Data Loader over the SOAP API ("Use Bulk API" off; "Insert null values" on):
    /// `salesforce_update.csv`, a cleared field is an empty cell.
    #[default]
    DataLoader,
    /// Bulk API 2.0 (or Data Loader with "Use Bulk API" on): `salesforce_update_bulk_api.csv`,
    /// a cleared field is `#N/A`.
    BulkApi,
}

/// Which contacts the import files hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportMode {
    /// Only the contacts whose persona changed since the latest earlier published run.
    #[default]
    Delta,
    /// Every contact.
    Full,
}

impl ExportMode {
    /// Whether every contact is written.
    pub fn is_full(self) -> bool {
        self == ExportMode::Full
    }
}

/// How a CRM field holds the persona.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// An enumeration (HubSpot dropdown select) or picklist: the value is the persona id
    /// (`persona_1`, ...), whose option the admin creates with the persona's name as label.
    #[default]
    #[serde(alias = "picklist")]
    Enumeration,
    /// A text field: the value is the persona's name.
    Text,
}

impl FieldType {
    /// Whether the field holds the persona's name (text) rather than its id (an option).
    pub fn is_text(self) -> bool {
        self == FieldType::Text
    }
}

/// The `[crm.hubspot]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubSpotConfig {
    /// Internal name of the contact property set to the persona. Default `hs_persona`,
    /// HubSpot's built-in Persona property (an enumeration); name a custom property to write
    /// that one instead.
    pub property: String,
    /// `enumeration` (default; values `persona_1`, `persona_2`, …) or `text` (the persona's
    /// name).
    pub property_type: FieldType,
    /// Header of the persona column in `hubspot_import.csv`, which HubSpot's import maps onto
    /// the property. Default: `Persona` for `hs_persona`, else the property's internal name.
    pub column: Option<String>,
    /// Most data rows in one import file; a longer import is split into `hubspot_import.csv`,
    /// `hubspot_import-2.csv`, … Default 1048575 (HubSpot's limit of 1,048,576 rows, header
    /// included).
    pub max_rows_per_file: usize,
    /// Base URL of HubSpot's API (default `https://api.hubapi.com`).
    pub api_base: String,
    /// Environment variable holding the private app's access token (scopes
    /// `crm.objects.contacts.write`, `crm.schemas.contacts.read`). Default
    /// `HUBSPOT_ACCESS_TOKEN`. The token is never logged.
    pub token_env: String,
    /// Contacts per batch update call, 1 to 100 (HubSpot's limit; default 100).
    pub batch_size: usize,
    /// Most API calls in any 10 seconds (default 100, HubSpot's limit per private app on most
    /// plans).
    pub requests_per_10s: u32,
    /// Retries of one call on 429 (after `Retry-After`), 5xx and broken connections (default 5).
    pub retries: u32,
    /// Timeout of one call in seconds (default 30).
    pub timeout_secs: u64,
}

impl Default for HubSpotConfig {
    fn default() -> Self {
        HubSpotConfig {
            property: "hs_persona".into(),
            property_type: FieldType::Enumeration,
            column: None,
            max_rows_per_file: 1_048_575,
            api_base: "https://api.hubapi.com".into(),
            token_env: "HUBSPOT_ACCESS_TOKEN".into(),
            batch_size: 100,
            requests_per_10s: 100,
            retries: 5,
            timeout_secs: 30,
        }
    }
}

impl HubSpotConfig {
    /// Header of the persona column in the import file.
    pub fn column_header(&self) -> &str {
        match &self.column {
            Some(c) => c,
            None if self.property == "hs_persona" => "Persona",
            None => &self.property,
        }
    }
}

/// The `[crm.salesforce]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SalesforceConfig {
    /// API name of the field the update is keyed on: `Id` (default, an update) or an external
    /// ID field such as `Legacy_Id__c` (an upsert), filled with the contact id.
    pub key_field: String,
    /// API name of the contact field set to the persona (default `Persona__c`).
    pub field: String,
    /// `picklist` (default; values `persona_1`, … as picklist API names) or `text` (the
    /// persona's name).
    pub field_type: FieldType,
    /// `data_loader` (default: `salesforce_update.csv`, a cleared field an empty cell, for Data
    /// Loader with "Insert null values" on and "Use Bulk API" off) or `bulk_api`
    /// (`salesforce_update_bulk_api.csv`, a cleared field `#N/A`, for the Bulk API); leads
    /// likewise in `salesforce_lead_update.csv` / `salesforce_lead_update_bulk_api.csv`.
    pub loader: SalesforceLoader,
}

impl Default for SalesforceConfig {
    fn default() -> Self {
        SalesforceConfig {
            key_field: "Id".into(),
            field: "Persona__c".into(),
            field_type: FieldType::Enumeration,
            loader: SalesforceLoader::DataLoader,
        }
    }
}

/// Salesforce API names: a letter, then letters, digits and single underscores.
fn is_api_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.contains("___")
}

impl CrmConfig {
    /// The import files a pipeline whose CRM sources are `present` writes, in [`CrmTarget::ALL`]
    /// order: `files` when set, else the files of the CRMs present. A HubSpot or Salesforce
    /// file named in `files` for a CRM the pipeline does not read is an error (it would hold
    /// no contact), as are HubSpot files with `unclassified = "clear"`.
    pub fn targets(&self, present: &[CrmTarget]) -> Result<Vec<CrmTarget>, String> {
        let wanted = self.files.as_deref().unwrap_or(present);
        for t in wanted {
            if *t != CrmTarget::Generic && !present.contains(t) {
                return Err(format!(
                    "crm.files lists `{t}`, but no source of this pipeline is a {t} export: its file would hold no contact (leave crm.files out to write the files of the CRMs the pipeline reads)"
                ));
            }
        }
        let targets: Vec<CrmTarget> = CrmTarget::ALL
            .into_iter()
            .filter(|t| wanted.contains(t))
            .collect();
        if self.unclassified == Unclassified::Clear && targets.contains(&CrmTarget::Hubspot) {
            return Err("crm.unclassified = \"clear\" with HubSpot files: a HubSpot import leaves the old persona on an empty cell; use the default \"option\" (the fallback option), or push instead (crm.files without `hubspot`)".into());
        }
        Ok(targets)
    }

    /// Whether a contact in no trusted persona gets the fallback option.
    pub fn writes_fallback(&self) -> bool {
        self.unclassified == Unclassified::Option
    }

    /// The pure checks of the section (no I/O); the message names the key.
    pub fn check(&self) -> Result<(), String> {
        let h = &self.hubspot;
        if h.property.trim().is_empty() {
            return Err("crm.hubspot.property is empty".into());
        }
        if !(1..=100).contains(&h.batch_size) {
            return Err(format!(
                "crm.hubspot.batch_size must be between 1 and 100 (HubSpot's limit), got {}",
                h.batch_size
            ));
        }
        if h.max_rows_per_file == 0 {
            return Err("crm.hubspot.max_rows_per_file must be at least 1".into());
        }
        if h.requests_per_10s == 0 {
            return Err("crm.hubspot.requests_per_10s must be at least 1".into());
        }
        if h.timeout_secs == 0 {
            return Err("crm.hubspot.timeout_secs must be at least 1".into());
        }
        if h.token_env.trim().is_empty() {
            return Err("crm.hubspot.token_env is empty".into());
        }
        match reqwest::Url::parse(&h.api_base) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
            _ => {
                return Err(format!(
                    "crm.hubspot.api_base `{}` is not an http(s) URL",
                    h.api_base
                ))
            }
        }
        let s = &self.salesforce;
        for (key, value) in [("key_field", &s.key_field), ("field", &s.field)] {
            if !is_api_name(value) {
                return Err(format!(
                    "crm.salesforce.{key} `{value}` is not a Salesforce API name (letters, digits, underscores, starting with a letter)"
                ));
            }
        }
        if self.fallback_label.trim().is_empty() {
            return Err(
                "crm.fallback_label is empty: set unclassified = \"clear\" to write an empty persona".into(),
            );
        }
        if self.fallback_value.trim().is_empty() {
            return Err("crm.fallback_value is empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Wrap {
        #[serde(default)]
        crm: CrmConfig,
    }

    fn parse(text: &str) -> Result<CrmConfig, String> {
        toml::from_str::<Wrap>(text)
            .map(|w| w.crm)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn no_section_writes_all_files_in_delta_mode_into_hs_persona() {
        let c = parse("").unwrap();
        assert_eq!(c, CrmConfig::default());
        assert_eq!(c.files, None);
        let all = [
            CrmTarget::Hubspot,
            CrmTarget::Salesforce,
            CrmTarget::Generic,
        ];
        assert_eq!(
            c.targets(&[CrmTarget::Hubspot]).unwrap(),
            [CrmTarget::Hubspot]
        );
        assert_eq!(
            c.targets(&[CrmTarget::Generic, CrmTarget::Hubspot])
                .unwrap(),
            [CrmTarget::Hubspot, CrmTarget::Generic]
        );
        assert_eq!(c.targets(&all).unwrap(), all);
        assert_eq!(c.fallback_label, "Not classified");
        assert!(c.writes_fallback());
        assert_eq!(c.mode, ExportMode::Delta);
        assert_eq!(c.hubspot.property, "hs_persona");
        assert_eq!(c.hubspot.column_header(), "Persona");
        assert_eq!(c.salesforce.field, "Persona__c");
        c.check().unwrap();
    }

    #[test]
    fn every_key_parses() {
        let c = parse(
            r#"
[crm]
files = ["hubspot", "generic"]
mode = "full"
unclassified = "option"
fallback_label = "Not yet classified"
fallback_value = "unclassified"
[crm.hubspot]
property = "buyer_persona"
property_type = "text"
max_rows_per_file = 500000
api_base = "http://127.0.0.1:8080"
token_env = "HS_TOKEN"
batch_size = 50
requests_per_10s = 90
retries = 3
timeout_secs = 10
[crm.salesforce]
key_field = "Legacy_Id__c"
field = "Buyer_Persona__c"
field_type = "picklist"
loader = "bulk_api"
"#,
        )
        .unwrap();
        assert_eq!(c.files, Some(vec![CrmTarget::Hubspot, CrmTarget::Generic]));
        assert_eq!(c.salesforce.loader, SalesforceLoader::BulkApi);
        assert_eq!(c.mode, ExportMode::Full);
        assert_eq!(c.hubspot.property_type, FieldType::Text);
        assert_eq!(c.hubspot.column_header(), "buyer_persona");
        assert_eq!(c.salesforce.field_type, FieldType::Enumeration);
        c.check().unwrap();
    }

    #[test]
    fn unknown_key_is_named() {
        let err = parse("[crm.hubspot]\nproperty_name = \"x\"\n").unwrap_err();
        assert!(err.contains("property_name"), "{err}");
    }

    #[test]
    fn batch_over_hubspot_limit_is_rejected() {
        let c = parse("[crm.hubspot]\nbatch_size = 101\n").unwrap();
        let err = c.check().unwrap_err();
        assert!(err.contains("batch_size"), "{err}");
    }

    #[test]
    fn a_file_for_a_crm_the_pipeline_lacks_or_clearing_in_hubspot_is_refused() {
        let c = parse("[crm]\nfiles = [\"salesforce\", \"generic\"]\n").unwrap();
        let err = c.targets(&[CrmTarget::Hubspot]).unwrap_err();
        assert!(
            err.contains("`salesforce`") && err.contains("crm.files"),
            "{err}"
        );
        assert_eq!(
            c.targets(&[CrmTarget::Salesforce]).unwrap(),
            [CrmTarget::Salesforce, CrmTarget::Generic]
        );
        let c = parse("[crm]\nunclassified = \"clear\"\n").unwrap();
        let err = c.targets(&[CrmTarget::Hubspot]).unwrap_err();
        assert!(err.contains("unclassified"), "{err}");
        assert!(c.targets(&[CrmTarget::Salesforce]).is_ok());
        assert!(!c.writes_fallback());
    }

    #[test]
    fn bad_salesforce_field_is_rejected() {
        let c = parse("[crm.salesforce]\nfield = \"Persona c\"\n").unwrap();
        let err = c.check().unwrap_err();
        assert!(err.contains("crm.salesforce.field"), "{err}");
    }
}
