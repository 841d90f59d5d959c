//! The run manifest: one JSON per run.
