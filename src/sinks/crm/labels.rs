//! Option labels, checked as well as values: an option value the CRM already has under another
//! label would put contacts into someone else's persona. Before the options files are written,
//! each option is compared with the options file of the run that CRM last confirmed (the
//! options the admin created); the push compares with the property's options in HubSpot
//! ([`super::push`]). A value found with another label stops the run, naming both labels.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::config::{CrmConfig, CrmTarget};
use crate::error::{Error, Result};

use super::{acks, PersonaOption, HUBSPOT_OPTIONS, SALESFORCE_PICKLIST};

/// Refuse two options with one value (a fallback value equal to a persona id, say).
pub fn check_unique(options: &[PersonaOption]) -> Result<()> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for o in options {
        if let Some(other) = seen.insert(&o.value, &o.label) {
            return Err(Error::Config {
                path: "[crm]".into(),
                message: format!(
                    "option value `{}` is both `{other}` and `{}`: set crm.fallback_value to a value no persona has",
                    o.value, o.label
                ),
            });
        }
    }
    Ok(())
}

/// The options file of `target` (none for the generic file).
fn options_file(target: CrmTarget) -> Option<&'static str> {
    match target {
        CrmTarget::Hubspot => Some(HUBSPOT_OPTIONS),
        CrmTarget::Salesforce => Some(SALESFORCE_PICKLIST),
        CrmTarget::Generic => None,
    }
}

/// Options as (value, label) read from an options file (label first, value second).
fn read_options(path: &Path) -> Result<Vec<(String, String)>> {
    let mut r = csv::Reader::from_path(path).map_err(|e| Error::BadInput {
        file: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut out = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| Error::BadInput {
            file: path.display().to_string(),
            reason: format!("line {}: {e}", n + 2),
        })?;
        out.push((
            rec.get(1).unwrap_or_default().to_string(),
            rec.get(0).unwrap_or_default().to_string(),
        ));
    }
    Ok(out)
}

/// Compare this run's `options` for `target` with the options file of the run its CRM last
/// confirmed before `run_date`: a value whose label changed is an error naming both labels and
/// that file, unless `cfg.relabeled` lists it (the admin renamed the option in the CRM).
pub fn check_files(
    output_dir: &Path,
    run_date: NaiveDate,
    target: CrmTarget,
    options: &[PersonaOption],
    cfg: &CrmConfig,
) -> Result<()> {
    let Some(name) = options_file(target) else {
        return Ok(());
    };
    let Some(confirmed) = acks::confirmed_before(output_dir, run_date, target)? else {
        return Ok(());
    };
    let path = acks::crm_dir(output_dir, confirmed.baseline.run_date).join(name);
    if !path.is_file() {
        return Ok(());
    }
    let created: HashMap<String, String> = read_options(&path)?.into_iter().collect();
    for o in options {
        match created.get(&o.value) {
            Some(old) if old != &o.label && !cfg.relabeled.contains(&o.value) => {
                return Err(Error::BadInput {
                    file: path.display().to_string(),
                    reason: format!(
                        "option `{}` was created in {target} as `{old}`, but this run's `{}` is `{}`: its contacts would show as `{old}`. Rename the option's label in {target} to `{}` and list `{}` in crm.relabeled, or give the persona back its name",
                        o.value, o.value, o.label, o.label, o.value
                    ),
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// Compare the labels HubSpot gives the values to send (`ours`: value -> our label) with
/// `theirs` (value -> HubSpot's label); the message lists every conflict.
pub fn conflicts(ours: &HashMap<&str, &str>, theirs: &HashMap<&str, &str>) -> Vec<String> {
    let mut out: Vec<String> = ours
        .iter()
        .filter_map(|(value, label)| match theirs.get(value) {
            Some(other) if other.trim() != label.trim() => Some(format!(
                "`{value}` is `{other}` in HubSpot but `{label}` here"
            )),
            _ => None,
        })
        .collect();
    out.sort();
    out
}
