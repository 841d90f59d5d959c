//! A local HTTP server that behaves like HubSpot's contacts batch API.
