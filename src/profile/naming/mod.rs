//! Persona names: a unique alliterative name ("Frugal Fiona", "Technical Theo") from the
//! persona's most distinctive trait that has a word, so marketers remember who is who. The
//! words come from the config's `[profile] names`, then the bundled naming table
//! (`src/profile/names.csv`) in the config's `language`; a trait of a column no
//! table knows names the persona by its own level ("Retired", "High-Balance"). First names
//! share the word's initial where a name in the word's script does (Latin or Cyrillic,
//! letters compared without their accents) and agree with a word that has a masculine and a
//! feminine form.

mod table;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use crate::config::ProfileConfig;

use super::traits::Trait;

/// Grammatical gender of a first name, for words with a masculine and a feminine form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gender {
    /// Takes the masculine (first) form.
    Masculine,
    /// Takes the feminine (second) form.
    Feminine,
}

use Gender::{Feminine as F, Masculine as M};

/// First names in Latin script by initial, for alliterative persona names; names that are
/// used for anyone take the gender their form agrees with by convention.
#[rustfmt::skip]
const LATIN_FIRST_NAMES: &[(&str, Gender)] = &[
    ("Alex", M), ("Blake", M), ("Casey", F), ("Dana", F), ("Emma", F), ("Fiona", F),
    ("Grace", F), ("Hugo", M), ("Iris", F), ("Jonas", M), ("Kim", F), ("Leo", M),
    ("Maya", F), ("Nina", F), ("Omar", M), ("Priya", F), ("Quinn", M), ("Rosa", F),
    ("Sam", M), ("Theo", M), ("Uma", F), ("Vera", F), ("Will", M), ("Yara", F), ("Zoe", F),
];

/// First names in Cyrillic script by initial, for words in Cyrillic.
#[rustfmt::skip]
const CYRILLIC_FIRST_NAMES: &[(&str, Gender)] = &[
    ("Анна", F), ("Борис", M), ("Вера", F), ("Глеб", M), ("Дарья", F), ("Егор", M),
    ("Жанна", F), ("Зоя", F), ("Игорь", M), ("Кира", F), ("Лев", M), ("Мария", F),
    ("Нина", F), ("Олег", M), ("Павел", M), ("Роман", M), ("София", F), ("Тимур", M),
    ("Ульяна", F), ("Фёдор", M), ("Харитон", M), ("Эмма", F), ("Юрий", M), ("Яна", F),
];

/// Letters with accents (or other marks) by the letter they alliterate with.
const BASE_LETTERS: &[(char, &str)] = &[
    ('A', "ÀÁÂÃÄÅÆĀĂĄẠẢẤẦẨẪẬẮẰẲẴẶ"),
    ('C', "ÇĆĈĊČ"),
    ('D', "ĎĐ"),
    ('E', "ÈÉÊËĒĔĖĘĚẸẺẼẾỀỂỄỆ"),
    ('G', "ĜĞĠĢ"),
    ('I', "ÌÍÎÏĨĪĬĮİỈỊ"),
    ('L', "ĹĻĽĿŁ"),
    ('N', "ÑŃŅŇ"),
    ('O', "ÒÓÔÕÖØŌŎŐŒƠỌỎỐỒỔỖỘỚỜỞỠỢ"),
    ('R', "ŔŖŘ"),
    ('S', "ŚŜŞŠ"),
    ('T', "ŢŤ"),
    ('U', "ÙÚÛÜŨŪŬŮŰŲƯỤỦỨỪỬỮỰ"),
    ('Y', "ÝŸỲỴỶỸ"),
    ('Z', "ŹŻŽ"),
    ('Е', "ЀЁ"),
    ('И', "ЍЙ"),
];

/// Languages whose adjectives follow the noun: the name reads "<first name> <word>".
const NAME_FIRST: &[&str] = &["vi"];

/// A word for a trait and whether it suits a persona not to target.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Word<'a> {
    /// The word: one form, or `masculine/feminine`.
    text: &'a str,
    /// Whether the word suits a negative persona.
    negative: bool,
}

/// The words of one run's names: the config's entries, then the bundled table's column of
/// the config's language.
struct Words<'a> {
    cfg: &'a ProfileConfig,
    lang: usize,
}

impl<'a> Words<'a> {
    fn new(cfg: &'a ProfileConfig) -> Self {
        let lang = table::bundled().language(cfg.language.code());
        Words { cfg, lang }
    }

    /// The word for `column` at `level`: the config's entry first, else the bundled row's.
    fn of(&self, column: &str, level: &str) -> Option<Word<'a>> {
        let bundled = table::bundled().find(column, level);
        match self
            .cfg
            .names
            .iter()
            .find(|n| n.column == column && n.level == level && !n.word.trim().is_empty())
        {
            Some(n) => Some(Word {
                text: &n.word,
                negative: n
                    .negative
                    .unwrap_or_else(|| bundled.is_some_and(|r| r.negative)),
            }),
            None => bundled.map(|r| Word {
                text: &r.words[self.lang],
                negative: r.negative,
            }),
        }
    }

    /// The word of a trait, if the config or the table has one.
    fn of_trait(&self, tr: &Trait) -> Option<Word<'a>> {
        self.of(&tr.feature, tr.key())
    }

    /// The word for a persona without a distinctive trait ("Typical").
    fn typical(&self) -> &'a str {
        self.of("*", "typical").map_or("Typical", |w| w.text)
    }
}

/// The form of `word` that agrees with a first name of `gender`.
fn form(word: &str, gender: Gender) -> &str {
    match (word.split_once('/'), gender) {
        (Some((masculine, _)), Gender::Masculine) => masculine,
        (Some((_, feminine)), Gender::Feminine) => feminine,
        (None, _) => word,
    }
}

/// The letter `c` alliterates with: upper case, without accents ("É" and "e" -> "E").
fn base_letter(c: char) -> char {
    let upper = c.to_uppercase().next().unwrap_or(c);
    BASE_LETTERS
        .iter()
        .find(|(_, marked)| marked.contains(upper))
        .map_or(upper, |(base, _)| *base)
}

/// The first names for a word starting with `initial`: Cyrillic ones for a Cyrillic word,
/// Latin ones otherwise.
fn first_names(initial: char) -> &'static [(&'static str, Gender)] {
    if ('\u{0400}'..='\u{052F}').contains(&initial) {
        CYRILLIC_FIRST_NAMES
    } else {
        LATIN_FIRST_NAMES
    }
}

/// A trait as a name's first word, from its column and level: a level in title case
/// (`blue-collar` -> "Blue-Collar"), a yes/no column by its name ("Housing", "No-Loan"), a
/// number high or low ("High-Balance"); none for levels that say nothing (`unknown`, `other`).
fn word_of(tr: &Trait) -> Option<String> {
    let title = |text: &str| -> String {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("-")
    };
    let feature = tr
        .feature
        .split(crate::features::TAG_SEP)
        .next_back()
        .unwrap_or("");
    let word = match tr.level.as_deref() {
        Some("unknown" | "other" | "none" | "") => return None,
        Some("yes") => title(feature),
        Some("no") => format!("No-{}", title(feature)),
        Some(level) => title(level),
        None if tr.std_diff >= 0.0 => format!("High-{}", title(&tr.feature)),
        None => format!("Low-{}", title(&tr.feature)),
    };
    (!word.is_empty() && word.chars().next().is_some_and(char::is_alphabetic)).then_some(word)
}

/// A unique alliterative name ("Frugal Fiona") from the persona's traits, most distinctive
/// first, in the config's language; a negative persona prefers a word that suits it
/// ("Lapsed", "Dormant").
pub fn choose_name(
    sorted: &[&Trait],
    negative: bool,
    used: &mut BTreeSet<String>,
    cfg: &ProfileConfig,
) -> String {
    let words = Words::new(cfg);
    let name_first = NAME_FIRST.contains(&cfg.language.code());
    let negative_first = sorted
        .iter()
        .filter(|tr| negative && words.of_trait(tr).is_some_and(|w| w.negative))
        .chain(sorted.iter());
    let distinct = |tr: &&&Trait| match tr.level {
        Some(_) => tr.std_diff >= 0.3,
        None => tr.std_diff.abs() >= 0.5,
    };
    // A word is taken when a name already has it (either form) in the word's place.
    let free = |word: &str| {
        !word.split('/').any(|f| {
            used.iter().any(|u| {
                if name_first {
                    u.ends_with(f)
                } else {
                    u.starts_with(f)
                }
            })
        })
    };
    let ruled = negative_first.filter(distinct).find_map(|tr| {
        words
            .of_trait(tr)
            .filter(|w| free(w.text))
            .map(|w| w.text.to_string())
    });
    // No rule knows the persona's columns (a custom field, a content group): its most
    // distinctive trait in words ("Retired", "Housing", "High-Balance").
    let word = ruled
        .or_else(|| {
            sorted
                .iter()
                .filter(distinct)
                .filter_map(|tr| word_of(tr))
                .find(|w| free(w))
        })
        .unwrap_or_else(|| words.typical().to_string());
    let initial = base_letter(word.chars().next().unwrap_or('T'));
    let names = first_names(initial);
    let candidates = names
        .iter()
        .filter(|(n, _)| n.chars().next().map(base_letter) == Some(initial))
        .chain(names.iter());
    for (first, gender) in candidates {
        let adjective = form(&word, *gender);
        let name = if name_first {
            format!("{first} {adjective}")
        } else {
            format!("{adjective} {first}")
        };
        if used.insert(name.clone()) {
            return name;
        }
    }
    let name = format!("{} {}", form(&word, Gender::Masculine), used.len() + 1);
    used.insert(name.clone());
    name
}
