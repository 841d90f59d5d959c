//! Integration tests, built as one binary (one link of DataFusion instead of one per file).

mod architecture;
mod assign_sql;
mod audience;
#[cfg(feature = "ballista")]
mod ballista;
mod buying;
mod cloud_stores;
mod cluster_sql;
mod content_groups;
mod country_buckets;
mod crm_export;
mod crm_sources;
mod evaluate;
mod export_headers;
mod funnel;
mod kmeans_reference;
mod logs;

mod more_sources;
mod orders;
mod overlap_sql;
mod own_columns;
mod pipeline;
mod publish_store;
mod remote_pipeline;
mod report_html;
mod robustness;
mod salesforce_accounts;
mod schedule;
mod several_sources;
mod signals;
mod stores;
mod survey_cards;
mod surveys;
mod util;
