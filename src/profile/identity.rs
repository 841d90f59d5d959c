//! Persona identities across runs: matches this run's personas to the previous run's.
