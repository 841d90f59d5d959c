//! Developer tooling, apart from the data path: [`generate`] writes sample exports with planted
//! personas (and the robustness designs), [`evaluate`] checks the modelling against them, and
//! [`bench`](mod@bench) times a whole run on generated data; in tests, `fuzz` feeds the parsers
//! random and mutated exports. The `generate`, `evaluate` and `bench`
//! commands of [`crate::cli`] call it; no production stage (config, sources, landing, transform,
//! features, cluster, profile, sinks, pipeline, output) imports it.

pub mod bench;
pub mod evaluate;
pub mod generate;

#[cfg(test)]
mod fuzz;
