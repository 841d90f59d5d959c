//! Date templates in source paths: `events_{date:%Y%m%d}.json` reads each logical date's export.
