//! Persona trends: each persona's size and share over past runs, and what changed.
