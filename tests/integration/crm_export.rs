//! CRM import files and the HubSpot push, against a local server that behaves like HubSpot.
