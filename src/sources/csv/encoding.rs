//! Text encodings of CSV exports: everything is turned into UTF-8 before parsing. A UTF-8
//! byte-order mark is skipped; a file declared Windows-1252 or Latin-1 that starts with one is
//! read as UTF-8 when the rest is valid UTF-8 (Excel's "CSV UTF-8"), and in the declared
//! encoding otherwise (a mark some tool put in front of an ANSI file).

use std::borrow::Cow;

use tracing::info;

use crate::config::TextEncoding;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Windows-1252 code points for bytes 0x80..=0x9F (the rest equals Latin-1). The five bytes
/// Windows-1252 leaves undefined map to the C1 control of the same value, as browsers do.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// The file's bytes as UTF-8 (borrowed when nothing needs converting).
pub fn to_utf8<'a>(data: &'a [u8], encoding: TextEncoding, file: &str) -> Cow<'a, [u8]> {
    if let Some(rest) = data.strip_prefix(UTF8_BOM) {
        if encoding == TextEncoding::Utf8 || std::str::from_utf8(rest).is_ok() {
            if encoding != TextEncoding::Utf8 {
                info!(
                    file,
                    ?encoding,
                    "File starts with a UTF-8 byte-order mark and is valid UTF-8; reading it as UTF-8."
                );
            }
            return Cow::Borrowed(rest);
        }
        info!(
            file,
            ?encoding,
            "File starts with a UTF-8 byte-order mark but is not UTF-8; reading it as declared."
        );
        return to_utf8(rest, encoding, file);
    }
    let high = |b: u8| -> char {
        match encoding {
            TextEncoding::Windows1252 if (0x80..=0x9F).contains(&b) => {
                CP1252_HIGH[usize::from(b - 0x80)]
            }
            _ => char::from(b),
        }
    };
    match encoding {
        TextEncoding::Utf8 => Cow::Borrowed(data),
        TextEncoding::Windows1252 | TextEncoding::Latin1 => {
            if data.is_ascii() {
                return Cow::Borrowed(data);
            }
            let text: String = data
                .iter()
                .map(|&b| if b < 0x80 { char::from(b) } else { high(b) })
                .collect();
            Cow::Owned(text.into_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_is_converted() {
        // "Núñez – 5 €" in Windows-1252.
        let bytes = b"N\xFA\xF1ez \x96 5 \x80";
        let out = to_utf8(bytes, TextEncoding::Windows1252, "f.csv");
        assert_eq!(std::str::from_utf8(&out).unwrap(), "Núñez – 5 €");
        let latin = to_utf8(b"N\xFA\xF1ez", TextEncoding::Latin1, "f.csv");
        assert_eq!(std::str::from_utf8(&latin).unwrap(), "Núñez");
    }

    #[test]
    fn bom_is_skipped_whatever_the_declared_encoding() {
        let out = to_utf8(
            "\u{FEFF}Record ID".as_bytes(),
            TextEncoding::Windows1252,
            "f.csv",
        );
        assert_eq!(&*out, b"Record ID");
        assert_eq!(
            &*to_utf8(b"\xEF\xBB\xBFa", TextEncoding::Utf8, "f.csv"),
            b"a"
        );
    }

    #[test]
    fn a_bom_in_front_of_a_windows_1252_file_does_not_override_it() {
        let out = to_utf8(
            b"\xEF\xBB\xBFN\xFA\xF1ez \x80",
            TextEncoding::Windows1252,
            "f.csv",
        );
        assert_eq!(std::str::from_utf8(&out).unwrap(), "Núñez €");
    }
}
