//! `[web]`: how a site's page URLs become the content groups personas are told apart by. Each
//! group becomes a `share_<group>` feature (its share of the contact's web events). Declared
//! groups map URL paths to a name; with none declared, each page's first path segment is its
//! group and the most-read ones are kept.

use serde::Deserialize;

/// `[web]`: the site's content groups.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// The content groups, in order (`[[web.content_groups]]`). A page belongs to the first
    /// group one of whose patterns matches its path; pages of no group count as `other`. None
    /// declared: each page's first path segment is its group, and the `top_groups` most-read
    /// segments get a feature.
    #[serde(default)]
    pub content_groups: Vec<ContentGroup>,
    /// With no groups declared: how many of the most-read first path segments (by logged-in
    /// events) become groups; the rest count as `other`.
    #[serde(default = "default_top_groups")]
    pub top_groups: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            content_groups: Vec::new(),
            top_groups: default_top_groups(),
        }
    }
}

/// Whether `name` can name a feature: lower-case ASCII letters, digits and `_`.
pub(super) fn is_feature_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Whether a group's feature would take the name of a fixed web feature (`share_mobile`,
/// `share_desktop`, `share_medium_<medium>`).
pub fn is_reserved_group(name: &str) -> bool {
    name == "mobile" || name == "desktop" || name.starts_with("medium_")
}

/// The content group a feature column measures (`share_<group>`), if it is one.
pub fn content_group_of(column: &str) -> Option<&str> {
    column
        .strip_prefix("share_")
        .filter(|g| !is_reserved_group(g))
}

fn default_top_groups() -> usize {
    8
}

/// One content group: a name and the page paths it covers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentGroup {
    /// Group name: lower-case letters, digits and `_` (its feature is `share_<name>`).
    pub name: String,
    /// Path patterns, matched against the page path without host, query or fragment, in lower
    /// case: `/docs` covers `/docs` and every page below it; `*` matches within one path
    /// segment (`/shop/*/sale`), `**` across segments (`/**/checkout`).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regular expressions matched against the same lower-case path (anywhere in it: anchor
    /// with `^` and `$`).
    #[serde(default)]
    pub regex: Vec<String>,
}

impl ContentGroup {
    /// Every pattern of the group as one regular expression per pattern.
    pub fn regexes(&self) -> Vec<String> {
        self.paths
            .iter()
            .map(|p| glob_regex(p))
            .chain(self.regex.iter().cloned())
            .collect()
    }
}

impl WebConfig {
    /// The pure checks: group names, patterns that compile, `top_groups` at least 1.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.top_groups == 0 {
            return Err("web.top_groups must be at least 1".into());
        }
        let mut seen = std::collections::HashSet::new();
        for g in &self.content_groups {
            if !is_feature_name(&g.name) {
                return Err(format!(
                    "web.content_groups: `{}` is not a group name (lower-case letters, digits and `_`: it becomes the feature `share_<name>`)",
                    g.name
                ));
            }
            if g.name == "other" {
                return Err(
                    "web.content_groups: `other` is reserved for the pages of no group".into(),
                );
            }
            if is_reserved_group(&g.name) {
                return Err(format!(
                    "web.content_groups: `{}` would make `share_{}`, a fixed web feature's name",
                    g.name, g.name
                ));
            }
            if !seen.insert(g.name.as_str()) {
                return Err(format!(
                    "web.content_groups: two groups are named `{}`",
                    g.name
                ));
            }
            if g.paths.is_empty() && g.regex.is_empty() {
                return Err(format!(
                    "web.content_groups: group `{}` has no `paths` and no `regex`",
                    g.name
                ));
            }
            for (pattern, re) in g.paths.iter().chain(&g.regex).zip(g.regexes()) {
                regex::Regex::new(&re).map_err(|e| {
                    format!(
                        "web.content_groups: group `{}`: pattern `{pattern}` is not valid: {e}",
                        g.name
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// A path pattern as an anchored regular expression: the path itself or any page below it.
pub fn glob_regex(pattern: &str) -> String {
    let trimmed = pattern.trim().trim_end_matches('/').to_lowercase();
    let mut re = String::from("^");
    if !trimmed.starts_with('/') {
        re.push('/');
    }
    let mut chars = trimmed.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                re.push_str(".*");
            }
            '*' => re.push_str("[^/]*"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push_str("(/.*)?$");
    re
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        regex::Regex::new(&glob_regex(pattern))
            .unwrap()
            .is_match(path)
    }

    #[test]
    fn a_path_covers_itself_and_the_pages_below_it() {
        assert!(matches("/docs", "/docs"));
        assert!(matches("/docs/", "/docs/api/auth"));
        assert!(matches("docs", "/docs/x"));
        assert!(!matches("/docs", "/docs-old"));
        assert!(!matches("/docs", "/en/docs"));
        assert!(matches("/Shop", "/shop"));
    }

    #[test]
    fn one_star_stays_in_a_segment_two_cross_them() {
        assert!(matches("/shop/*/sale", "/shop/shoes/sale"));
        assert!(!matches("/shop/*/sale", "/shop/shoes/men/sale"));
        assert!(matches("/**/checkout", "/de/shop/checkout"));
        assert!(matches("/p/item.html", "/p/item.html"));
        assert!(!matches("/p/item.html", "/p/itemxhtml"));
    }

    #[test]
    fn bad_names_and_patterns_are_named() {
        let group = |name: &str, regex: &str| WebConfig {
            content_groups: vec![ContentGroup {
                name: name.into(),
                paths: Vec::new(),
                regex: vec![regex.into()],
            }],
            top_groups: 8,
        };
        assert!(group("shoes", "^/s").check().is_ok());
        assert!(group("Shoes", "^/s")
            .check()
            .unwrap_err()
            .contains("`Shoes`"));
        assert!(group("other", "^/s")
            .check()
            .unwrap_err()
            .contains("reserved"));
        let err = group("shoes", "^/s(").check().unwrap_err();
        assert!(err.contains("`^/s(`") && err.contains("shoes"), "{err}");
    }
}
