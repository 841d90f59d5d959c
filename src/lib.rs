//! `personas`: turns a company's own customer exports into data-driven buyer personas.
//!
//! The data path, one module per step: [`config`] -> [`sources`] -> [`landing`] ->
//! [`transform`] (SQL under `sql/`) -> [`features`] -> [`cluster`] -> [`profile`] -> [`sinks`].
//! [`pipeline`] runs the whole path for one date; [`cli`] is the command line. [`engine`] runs
//! the SQL models on a Ballista cluster instead of in this process, and starts its nodes.
//!
//! [`tooling`] is developer tooling apart from the data path: [`tooling::generate`] writes sample
//! exports with planted personas, [`tooling::evaluate`] checks the modelling against them and
//! [`tooling::bench`] times a run. No stage of the data path imports it.
#![warn(missing_docs)]

pub mod cli;
pub mod cluster;
pub mod config;
pub mod engine;
pub mod error;
pub mod features;
pub mod http;
pub mod landing;
pub mod memory;
pub mod output;
pub mod pipeline;
pub mod profile;
pub mod sinks;
pub mod sources;
pub mod tooling;
pub mod transform;

pub use error::{Error, Result};
