//! Which CRM each contact id comes from, so that each contact's persona goes back only to its
//! own CRM: HubSpot record ids to the HubSpot files and push, Salesforce ids to the Salesforce
//! file, the ids of a `csv` CRM to the generic file. The SQL models carry the CRM of every
//! record (`crm_system` in the staging models) through the merge of duplicates into the
//! `crm_contact_systems` model. A project whose SQL folder (`sql_dir`) predates that model
//! still runs when the pipeline reads one CRM (every contact is of that CRM); with several
//! CRMs it fails with a config error naming the model file to add, rather than leave the
//! contacts out of every import file. Whether the pipeline reads a `salesforce_leads` source is
//! kept too: it decides the Salesforce lead update file ([`super::salesforce`]).

use std::collections::HashMap;
use std::path::PathBuf;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{col, SessionContext};

use crate::config::{CrmTarget, SourceConfig, SourceKind};
use crate::error::{Error, Result};

/// The model mapping each contact id to its CRM.
pub const MODEL: &str = "crm_contact_systems";

/// The CRMs a pipeline reads, and the CRM of each contact id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactSystems {
    /// The CRMs the pipeline's sources are exports of, in [`CrmTarget::ALL`] order.
    pub present: Vec<CrmTarget>,
    /// The CRM of each contact id, from [`MODEL`] (empty without it).
    pub by_id: HashMap<String, CrmTarget>,
    /// Whether the pipeline reads a `salesforce_leads` source: the Salesforce files then
    /// include the lead update file, even in a run where no lead changed.
    pub reads_leads: bool,
}

impl ContactSystems {
    /// The CRMs `present`, no contact mapped yet.
    pub fn new(present: impl IntoIterator<Item = CrmTarget>) -> ContactSystems {
        let present: Vec<CrmTarget> = present.into_iter().collect();
        ContactSystems {
            present: CrmTarget::ALL
                .into_iter()
                .filter(|t| present.contains(t))
                .collect(),
            by_id: HashMap::new(),
            reads_leads: false,
        }
    }

    /// A pipeline reading one CRM: every contact is of that CRM.
    pub fn single(system: CrmTarget) -> ContactSystems {
        ContactSystems::new([system])
    }

    /// The CRMs of a pipeline's sources, and whether one is a Salesforce leads export.
    pub fn of_sources(sources: &[SourceConfig]) -> ContactSystems {
        ContactSystems {
            reads_leads: sources
                .iter()
                .any(|s| s.kind == SourceKind::SalesforceLeads),
            ..ContactSystems::new(sources.iter().filter_map(|s| CrmTarget::of_source(s.kind)))
        }
    }

    /// The CRM of `contact_id`: from the model, else the pipeline's only CRM.
    pub fn of(&self, contact_id: &str) -> Option<CrmTarget> {
        self.by_id
            .get(contact_id)
            .copied()
            .or(match self.present[..] {
                [only] => Some(only),
                _ => None,
            })
    }
}

/// The CRMs of the pipeline's `sources` and each contact's CRM from [`MODEL`] in `ctx`, when
/// the project has the model. An unknown `crm_system` value names the model and the value;
/// a pipeline reading several CRMs without the model is an [`Error::Config`] naming the file
/// to add ([`missing_model`]).
pub async fn load(ctx: &SessionContext, sources: &[SourceConfig]) -> Result<ContactSystems> {
    let mut systems = ContactSystems::of_sources(sources);
    let Ok(df) = ctx.table(MODEL).await else {
        if systems.present.len() > 1 {
            return Err(missing_model(&systems.present));
        }
        return Ok(systems);
    };
    let bad = |reason: String| Error::BadInput {
        file: format!("model {MODEL}"),
        reason,
    };
    let df = df
        .select(vec![
            datafusion::logical_expr::cast(col("contact_id"), DataType::Utf8).alias("contact_id"),
            datafusion::logical_expr::cast(col("crm_system"), DataType::Utf8).alias("crm_system"),
        ])
        .map_err(|e| bad(format!("needs columns contact_id and crm_system: {e}")))?;
    for batch in df.collect().await? {
        let (ids, names) = (
            batch.column(0).as_string::<i32>(),
            batch.column(1).as_string::<i32>(),
        );
        for i in 0..batch.num_rows() {
            if ids.is_null(i) {
                continue;
            }
            let name = if names.is_null(i) { "" } else { names.value(i) };
            let system = CrmTarget::from_system(name).ok_or_else(|| {
                bad(format!(
                    "column crm_system: `{name}` (contact `{}`) is not hubspot, salesforce or csv",
                    ids.value(i)
                ))
            })?;
            systems.by_id.insert(ids.value(i).to_string(), system);
        }
    }
    Ok(systems)
}

/// The error of a pipeline reading the CRMs `present` (several) whose SQL folder has no
/// [`MODEL`]: without it no contact can be told apart, so none would reach its CRM's file.
pub fn missing_model(present: &[CrmTarget]) -> Error {
    let names: Vec<&str> = present.iter().map(|t| t.system()).collect();
    Error::Config {
        path: PathBuf::from(format!("<sql_dir>/marts/{MODEL}.sql")),
        message: format!(
            "the pipeline reads several CRMs ({}), but its SQL folder (`sql_dir`) has no model \
             `{MODEL}` to say which CRM each contact id comes from: add \
             `marts/{MODEL}.sql` (`select contact_id, crm_system from int_crm_contacts`) and the \
             `crm_system` column of the CRM staging models (`staging/stg_*__contacts.sql`), as \
             in the project's sql/ folder",
            names.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_only_crm_is_every_contact_s_and_the_model_decides_between_several() {
        let one = ContactSystems::single(CrmTarget::Salesforce);
        assert_eq!(one.of("003x"), Some(CrmTarget::Salesforce));
        let mut two = ContactSystems::new([CrmTarget::Generic, CrmTarget::Hubspot]);
        assert_eq!(two.present, [CrmTarget::Hubspot, CrmTarget::Generic]);
        assert_eq!(two.of("17"), None);
        two.by_id.insert("17".into(), CrmTarget::Generic);
        assert_eq!(two.of("17"), Some(CrmTarget::Generic));
    }

    fn source(kind: &str) -> SourceConfig {
        toml::from_str(&format!(
            "name = \"{kind}\"\nkind = \"{kind}\"\npath = \"x.csv\"\n"
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn without_the_model_one_crm_is_every_contact_s_and_several_fail() {
        let ctx = SessionContext::new();
        let one = load(&ctx, &[source("salesforce_contacts")]).await.unwrap();
        assert_eq!(one.of("003x"), Some(CrmTarget::Salesforce));
        assert!(!one.reads_leads);
        let leads = [source("salesforce_contacts"), source("salesforce_leads")];
        let leads = load(&ctx, &leads).await.unwrap();
        assert_eq!(leads.present, [CrmTarget::Salesforce]);
        assert!(leads.reads_leads);
        let sources = [source("hubspot_contacts"), source("salesforce_contacts")];
        let err = load(&ctx, &sources).await.unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let err = err.to_string();
        assert!(
            err.contains("marts/crm_contact_systems.sql")
                && err.contains("hubspot, salesforce")
                && err.contains("crm_system"),
            "{err}"
        );
    }
}
