//! CSV exports (HubSpot contacts, Mailchimp members, Salesforce contacts, leads, accounts and
//! opportunity contact roles, any CRM CSV through a column mapping, Shopify orders and any
//! orders CSV through a column mapping): the export formats ([`presets`], [`salesforce`],
//! [`mapping`], [`orders`]), how one source's files are read ([`spec`]:
//! dialect, mapping, date formats), text encodings ([`encoding`]), the header check
//! ([`header`]), the per-cell typing checks ([`checks`]) and landing as string columns with
//! rejects ([`land`](mod@land)). A `.zip` input is read as its CSV members (see
//! [`archive`](super::store::archive)).

pub mod checks;
pub mod encoding;
pub mod header;
pub mod land;
pub mod mapping;
pub mod orders;
pub mod presets;
pub mod salesforce;
pub mod spec;

pub use checks::{Check, Typing};
pub use header::{check_header, check_header_bytes};
pub use land::{empty_schema, land};
pub use presets::{CsvPreset, HUBSPOT_CONTACTS, MAILCHIMP_MEMBERS, MEMBER_STATUS};
pub use spec::CsvSpec;
