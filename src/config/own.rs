//! Your own CRM fields as features (`[[features.columns]]`): a column of a CRM export (a HubSpot
//! custom property, a Salesforce `__c` field, any column of a `csv` source) with its type, carried
//! from the landed table into the feature model by the SQL templates, no SQL to edit. Each is a
//! criterion when `criteria` names it, and describes the personas otherwise.

use serde::Deserialize;

/// One of your own CRM fields as a feature.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnColumn {
    /// Feature name: lower-case letters, digits and `_`.
    pub name: String,
    /// The column in the export, as its header writes it (default: `name`).
    #[serde(default)]
    pub column: Option<String>,
    /// The CRM source it comes from (default: the pipeline's only CRM source).
    #[serde(default)]
    pub source: Option<String>,
    /// How the column reads: `numeric`, `categorical`, `multi` (values separated by `;` or
    /// `,`), `date` (days since, at the run date; in the source's `date_format`, else ISO) or
    /// `boolean` (yes/no, true/false, 1/0, in several languages; `unknown` otherwise).
    #[serde(rename = "type")]
    pub kind: OwnType,
    /// Numeric: log-transform (`ln(1 + x)`) before standardising (money, counts).
    #[serde(default)]
    pub log: bool,
    /// Numeric: bin edges, ascending; the feature becomes the band a value falls in
    /// (`< 0`, `0 to 1000`, `>= 5000`, `unknown`).
    #[serde(default)]
    pub bins: Vec<f64>,
}

/// The type of an own column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnType {
    /// A number (`1,234.5` and `1234,5` read as numbers).
    Numeric,
    /// A level.
    Categorical,
    /// Several levels.
    Multi,
    /// A date: days since it.
    Date,
    /// Yes or no.
    Boolean,
}

impl OwnColumn {
    /// The export's column name.
    pub fn column(&self) -> &str {
        self.column.as_deref().unwrap_or(&self.name)
    }

    /// Whether the feature is a number (a numeric column without bins, or a date).
    pub fn is_number(&self) -> bool {
        matches!(self.kind, OwnType::Numeric | OwnType::Date) && self.bins.is_empty()
    }

    /// The pure checks of one column (its source is checked by the pipeline).
    pub fn check(&self) -> std::result::Result<(), String> {
        let what = format!("features.columns: `{}`", self.name);
        if !super::web::is_feature_name(&self.name) {
            return Err(format!(
                "{what} is not a feature name (lower-case letters, digits and `_`)"
            ));
        }
        if self.kind != OwnType::Numeric && (self.log || !self.bins.is_empty()) {
            return Err(format!("{what}: `log` and `bins` are for numeric columns"));
        }
        if self.log && !self.bins.is_empty() {
            return Err(format!("{what}: `log` and `bins` do not go together"));
        }
        if self.bins.windows(2).any(|w| w[0] >= w[1]) || self.bins.iter().any(|b| !b.is_finite()) {
            return Err(format!("{what}: `bins` must be finite and ascending"));
        }
        Ok(())
    }
}
