//! CRM output config: which CRM files a run writes and how the persona field is named.

use serde::Deserialize;

/// The `[crm]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrmConfig {}
