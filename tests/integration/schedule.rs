//! Scheduling: atomic runs, locks, backfills, manifests, stable persona ids and trends.
