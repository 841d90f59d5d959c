//! `personas`: turns a company's own customer exports into data-driven buyer personas.
//!
//! The data path, one module per step: [`config`] -> [`sources`] -> [`landing`] ->
//! [`transform`] (SQL under `sql/`) -> [`features`] -> [`cluster`] -> [`profile`] -> [`sinks`].
//! [`pipeline`] runs the whole path for one date; [`generate`] writes sample exports with
//! planted personas and [`evaluate`] checks the modelling against them; [`cli`] is the command
//! line.
#![warn(missing_docs)]

pub mod cli;
pub mod cluster;
pub mod config;
pub mod error;
pub mod evaluate;
pub mod features;
pub mod generate;
pub mod landing;
pub mod output;
pub mod pipeline;
pub mod profile;
pub mod sinks;
pub mod sources;
pub mod transform;

pub use error::{Error, Result};
