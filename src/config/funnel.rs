//! `[funnel]`: which pages count as a product or pricing view in the purchase funnel
//! (`int_contact_funnel`, then the `persona_funnel` table): visit -> product or pricing view ->
//! cart -> checkout -> purchase.

use serde::Deserialize;

/// `[funnel]`: the purchase funnel's product and pricing pages.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunnelConfig {
    /// Path patterns of the product and pricing pages, matched against a GA4 `page_view`'s
    /// page path (without host, query or fragment, in lower case) as `[[web.content_groups]]`
    /// paths are: `/pricing` covers `/pricing` and every page below it; `*` matches within one
    /// path segment, `**` across segments. A contact who viewed one of them reached the
    /// funnel's second step. An empty list: no page counts, so only a later step (a cart, a
    /// checkout, a purchase) carries a contact past the first.
    #[serde(default = "default_product_paths")]
    pub product_paths: Vec<String>,
}

impl Default for FunnelConfig {
    fn default() -> Self {
        FunnelConfig {
            product_paths: default_product_paths(),
        }
    }
}

fn default_product_paths() -> Vec<String> {
    ["/pricing", "/product", "/products"]
        .map(String::from)
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funnel_defaults_and_unknown_keys() {
        let empty: FunnelConfig = toml::from_str("").unwrap();
        assert_eq!(empty, FunnelConfig::default());
        assert_eq!(empty.product_paths, ["/pricing", "/product", "/products"]);
        let own: FunnelConfig = toml::from_str("product_paths = [\"/shop/*/item\"]").unwrap();
        assert_eq!(own.product_paths, ["/shop/*/item"]);
        assert!(toml::from_str::<FunnelConfig>("product_path = []").is_err());
    }
}
