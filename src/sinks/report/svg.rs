//! Hand-written inline SVG charts for the HTML report: horizontal bars against a reference
//! (persona vs its bucket, or vs the social audience), the share bar with its interval, line
//! charts (shares over runs), a scatter (the 2-D map of contacts) and small columns (the k
//! choice).
//!
//! Why our own module and not `plotters` or `charming`: the report needs five simple chart
//! shapes as inline `<svg>` text with our own `data-*` attributes on the marks (the tests check
//! every bar against the tables), and no fonts, bitmaps or JavaScript. `plotters` would add a
//! dependency tree (fonts, image crates) for a string we can write in a few hundred lines, and
//! `charming` renders through ECharts (JavaScript). Every chart scales with its container
//! (`viewBox`), so one drawing serves the screen and the printed page.

use std::fmt::Write;

/// `v`, or 0 when it is NaN or infinite (a chart never writes "NaN" into an SVG attribute).
fn finite(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// Escape text for HTML and SVG (text and attribute values).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar of a bar chart: the value drawn as a bar, the reference as a tick.
#[derive(Debug, Clone, Default)]
pub struct BarRow {
    /// The bar's label.
    pub label: String,
    /// The value (a rate in 0..1 or a mean).
    pub value: f64,
    /// The reference value (the bucket's, or the audience's), drawn as a tick.
    pub reference: Option<f64>,
    /// The value as shown at the end of the bar.
    pub value_text: String,
    /// Extra attributes on the bar's group (`data-trait="..."`), already escaped.
    pub attrs: String,
}

/// Horizontal bars, one row each, scaled to `max` (at least the largest value or reference),
/// in `colour`; the reference of each row is a dark tick.
pub fn bars(rows: &[BarRow], max: f64, colour: &str, title: &str) -> String {
    const ROW: f64 = 15.0;
    const LABEL: f64 = 92.0;
    const TRACK: f64 = 130.0;
    const WIDTH: f64 = 270.0;
    let max = rows
        .iter()
        .flat_map(|r| [r.value, r.reference.unwrap_or(0.0)])
        .fold(max, f64::max)
        .max(1e-9);
    let height = ROW * rows.len() as f64 + 2.0;
    let mut s = format!(
        "<svg class=\"chart bars\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         aria-label=\"{}\">",
        esc(title)
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 1.0 + ROW * i as f64;
        let w = finite(r.value / max).clamp(0.0, 1.0) * TRACK;
        let _ = write!(
            s,
            "<g class=\"bar\"{}><text x=\"{}\" y=\"{:.1}\" class=\"lbl\" text-anchor=\"end\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{:.1}\" width=\"{TRACK}\" height=\"10\" class=\"track\"/>\
             <rect x=\"{LABEL}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"10\" fill=\"{colour}\"/>",
            r.attrs,
            LABEL - 4.0,
            y + 9.0,
            esc(&short(&r.label, 13)),
            y + 1.0,
            y + 1.0
        );
        if let Some(reference) = r.reference {
            let x = LABEL + (reference / max).clamp(0.0, 1.0) * TRACK;
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"2\" height=\"14\" class=\"tick\"/>",
                x - 1.0,
                y - 1.0
            );
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{:.1}\" class=\"val\">{}</text></g>",
            LABEL + TRACK + 5.0,
            y + 9.0,
            esc(&r.value_text)
        );
    }
    s.push_str("</svg>");
    s
}

/// The share of the bucket as a bar on a 0-100 % track, with its 95 % interval as a whisker.
pub fn share_bar(share: f64, low: f64, high: f64, colour: &str) -> String {
    const W: f64 = 200.0;
    let x = |v: f64| 2.0 + v.clamp(0.0, 1.0) * (W - 4.0);
    format!(
        "<svg class=\"chart sharebar\" viewBox=\"0 0 {W} 18\" role=\"img\" \
         aria-label=\"share of the bucket with its 95 % interval\">\
         <rect x=\"2\" y=\"4\" width=\"{}\" height=\"10\" class=\"track\"/>\
         <rect x=\"2\" y=\"4\" width=\"{:.1}\" height=\"10\" fill=\"{colour}\"/>\
         <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"9\" y2=\"9\" class=\"whisker\"/>\
         <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"3\" y2=\"15\" class=\"whisker\"/>\
         <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"3\" y2=\"15\" class=\"whisker\"/></svg>",
        W - 4.0,
        x(share) - 2.0,
        x(low),
        x(high),
        x(low),
        x(low),
        x(high),
        x(high)
    )
}

/// One line of a line chart: its colour and a y value (0..1) per x position.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Stroke colour.
    pub colour: String,
    /// y (a share in 0..1) at each x position; `None` where the series has no point.
    pub values: Vec<Option<f64>>,
    /// Extra attributes on the series' group, already escaped.
    pub attrs: String,
}

/// A line chart of shares (y in percent, from 0 to a rounded maximum) over `x_labels`.
pub fn lines(series: &[Series], x_labels: &[String], title: &str) -> String {
    const W: f64 = 420.0;
    const H: f64 = 150.0;
    const L: f64 = 34.0;
    const R: f64 = 12.0;
    const T: f64 = 8.0;
    const B: f64 = 22.0;
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.1f64, |a, &v| a.max(v));
    let y_max = (top * 10.0).ceil() / 10.0;
    let n = x_labels.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            (L + W - R) / 2.0
        } else {
            L + (W - L - R) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| T + (H - T - B) * (1.0 - finite(v / y_max));
    let mut s = format!(
        "<svg class=\"chart lines\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    for step in 0..=4 {
        let v = y_max * step as f64 / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{L}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"grid\"/>\
             <text x=\"{}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{:.0} %</text>",
            W - R,
            y(v),
            y(v),
            L - 4.0,
            y(v) + 3.0,
            v * 100.0
        );
    }
    for (i, label) in x_labels.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            x(i),
            H - 6.0,
            esc(label)
        );
    }
    for se in series {
        let _ = write!(s, "<g class=\"series\"{}>", se.attrs);
        let pts: Vec<(f64, f64)> = se
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (x(i), y(v))))
            .collect();
        if pts.len() > 1 {
            let d: Vec<String> = pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            let _ = write!(
                s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
                d.join(" "),
                se.colour
            );
        }
        for (a, b) in pts {
            let _ = write!(
                s,
                "<circle cx=\"{a:.1}\" cy=\"{b:.1}\" r=\"3\" fill=\"{}\"/>",
                se.colour
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// A scatter of points already scaled to 0..1 on both axes, each with its colour.
pub fn scatter(points: &[(f64, f64, &str)], title: &str) -> String {
    const W: f64 = 300.0;
    const H: f64 = 220.0;
    const PAD: f64 = 8.0;
    let mut s = format!(
        "<svg class=\"chart scatter\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">\
         <rect x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"{}\" class=\"frame\"/>",
        esc(title),
        W - 1.0,
        H - 1.0
    );
    for (x, y, colour) in points {
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"1.8\" fill=\"{colour}\" fill-opacity=\"0.7\"/>",
            PAD + x * (W - 2.0 * PAD),
            PAD + (1.0 - y) * (H - 2.0 * PAD)
        );
    }
    s.push_str("</svg>");
    s
}

/// One column of a column chart.
#[derive(Debug, Clone)]
pub struct Column {
    /// Label under the column.
    pub label: String,
    /// Height (any unit; scaled to the largest).
    pub value: f64,
    /// Text above the column.
    pub value_text: String,
    /// Drawn in the accent colour (the chosen one).
    pub highlight: bool,
}

/// Small vertical columns (the score of every k tried), the highlighted one in `colour`.
pub fn columns(cols: &[Column], colour: &str, title: &str) -> String {
    const H: f64 = 90.0;
    const STEP: f64 = 34.0;
    let w = STEP * cols.len().max(1) as f64 + 8.0;
    let max = cols.iter().fold(1e-9f64, |a, c| a.max(c.value));
    let mut s = format!(
        "<svg class=\"chart columns\" viewBox=\"0 0 {w} {H}\" role=\"img\" aria-label=\"{}\">\
         <line x1=\"2\" x2=\"{}\" y1=\"{}\" y2=\"{}\" class=\"axisline\"/>",
        esc(title),
        w - 2.0,
        H - 16.0,
        H - 16.0
    );
    for (i, c) in cols.iter().enumerate() {
        let h = finite(c.value.max(0.0) / max) * (H - 34.0);
        let x = 8.0 + STEP * i as f64;
        let fill = if c.highlight { colour } else { "#c9ced6" };
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"22\" height=\"{h:.1}\" fill=\"{fill}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            H - 16.0 - h,
            x + 11.0,
            H - 19.0 - h,
            esc(&c.value_text),
            x + 11.0,
            H - 4.0,
            esc(&c.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// `s` cut to `n` characters with an ellipsis.
pub fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let cut: String = s.chars().take(n.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_escaped_text() {
        let b = bars(
            &[BarRow {
                label: "R&D <x>".into(),
                value: 0.5,
                reference: Some(0.25),
                value_text: "50 %".into(),
                attrs: " data-x=\"1\"".into(),
            }],
            1.0,
            "#123456",
            "t",
        );
        assert!(b.starts_with("<svg") && b.ends_with("</svg>"), "{b}");
        assert!(
            b.contains("R&amp;D &lt;x&gt;") && b.contains("data-x=\"1\""),
            "{b}"
        );
        let l = lines(
            &[Series {
                name: "a".into(),
                colour: "#000".into(),
                values: vec![Some(0.2), None, Some(0.4)],
                attrs: String::new(),
            }],
            &["1".into(), "2".into(), "3".into()],
            "t",
        );
        assert_eq!(l.matches("<circle").count(), 2, "{l}");
        assert!(l.contains("<polyline"), "{l}");
        assert_eq!(short("abcdef", 4), "abc…");
    }
}
