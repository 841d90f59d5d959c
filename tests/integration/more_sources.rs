//! Source kinds beyond the first end-to-end run: GA4 from Parquet, the GA4 report CSV, LinkedIn
//! follower statistics and Mailchimp's zip.
