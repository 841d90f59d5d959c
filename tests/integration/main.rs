//! Integration tests, built as one binary (one link of DataFusion instead of one per file).

mod crm_sources;
mod kmeans_reference;
mod pipeline;
mod remote_pipeline;
mod stores;
mod util;
