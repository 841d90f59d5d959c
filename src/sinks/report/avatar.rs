//! The persona's picture: a generated, deterministic badge (never a photo or a made-up face).
//! Its colour comes from the persona id's number (so a persona keeps its colour from run to
//! run, and the personas of one run differ), its geometric pattern from a hash of the id, and
//! its letters are the initials of the persona's name.

use std::fmt::Write;

use super::svg::esc;

/// The palette personas are drawn in, readable on white and distinct from each other.
const PALETTE: [&str; 10] = [
    "#2f6db5", "#d9822b", "#2e9e6b", "#b8406b", "#7b5cc4", "#1f9bb0", "#a67c00", "#c2452d",
    "#4f6d2f", "#6b6f78",
];

/// FNV-1a: a small stable hash (the same on every platform and Rust version).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The persona's colour: by the number at the end of its id (`persona_3`), else by a hash.
pub fn colour(id: &str) -> &'static str {
    let digits: String = id
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    let i = match digits.parse::<u64>() {
        Ok(n) => n.saturating_sub(1),
        Err(_) => fnv(id),
    };
    PALETTE[(i % PALETTE.len() as u64) as usize]
}

/// Up to two initials of `name` ("Big-Budget Blake" -> "BB").
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let pick = match words.len() {
        0 => Vec::new(),
        1 => vec![words[0]],
        n => vec![words[0], words[n - 1]],
    };
    pick.iter()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .flat_map(char::to_uppercase)
        .collect()
}

/// The avatar as an inline SVG of `size` pixels.
pub fn avatar(id: &str, name: &str, size: u32) -> String {
    let c = colour(id);
    let h = fnv(id);
    let mut s = format!(
        "<svg class=\"avatar\" width=\"{size}\" height=\"{size}\" viewBox=\"0 0 64 64\" \
         role=\"img\" aria-label=\"badge of {}\"><defs><clipPath id=\"clip-{}-{size}\">\
         <circle cx=\"32\" cy=\"32\" r=\"32\"/></clipPath></defs>\
         <g clip-path=\"url(#clip-{}-{size})\"><rect width=\"64\" height=\"64\" fill=\"{c}\"/>",
        esc(name),
        esc(id),
        esc(id)
    );
    // Three shapes, each from 8 bits of the hash: kind, position and turn.
    for i in 0..3u64 {
        let bits = (h >> (i * 16)) & 0xffff;
        let (x, y) = (14 + (bits & 0x3f) % 36, 14 + ((bits >> 6) & 0x3f) % 36);
        let turn = ((bits >> 12) & 0x7) * 45;
        let opacity = 0.18 + 0.08 * i as f64;
        let shape = match (bits >> 15) & 1 | (i & 1) << 1 {
            0 | 3 => format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"{}\"/>", 10 + i * 4),
            1 => format!(
                "<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"22\" transform=\"rotate({turn} {x} {y})\"/>",
                x - 11,
                y - 11
            ),
            _ => format!(
                "<polygon points=\"{x},{} {},{} {},{}\" transform=\"rotate({turn} {x} {y})\"/>",
                y - 14,
                x + 13,
                y + 9,
                x - 13,
                y + 9
            ),
        };
        let _ = write!(
            s,
            "<g fill=\"#ffffff\" fill-opacity=\"{opacity:.2}\">{shape}</g>"
        );
    }
    let _ = write!(
        s,
        "</g><text x=\"32\" y=\"41\" text-anchor=\"middle\" class=\"initials\">{}</text></svg>",
        esc(&initials(name))
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatars_are_deterministic_and_differ_by_id() {
        assert_eq!(initials("Big-Budget Blake"), "BB");
        assert_eq!(initials("Iris"), "I");
        assert_eq!(colour("persona_1"), PALETTE[0]);
        assert_eq!(colour("persona_11"), PALETTE[0]);
        assert_ne!(colour("persona_2"), colour("persona_3"));
        let a = avatar("persona_1", "Big-Budget Blake", 64);
        assert_eq!(a, avatar("persona_1", "Big-Budget Blake", 64));
        assert_ne!(a, avatar("persona_2", "Big-Budget Blake", 64));
        assert!(a.contains(">BB</text>"), "{a}");
    }
}
