//! Drawing a recorded computation as an SVG picture, laid out in the crate:
//! the tape is already in topological order, so each node goes one column
//! right of its rightmost parent, and no layout engine is needed.

use core::fmt::{Display, Write};

use num_traits::Float;

use super::graphviz::{Picture, PictureNode};
use crate::{Gradients, Result, Tape, Var};

/// A node's box, and the gaps between boxes, in pixels.
const WIDTH: usize = 176;
const HEIGHT: usize = 60;
const COLUMN_GAP: usize = 96;
const ROW_GAP: usize = 24;
const MARGIN: usize = 16;

impl<F: Float + Display> Tape<F> {
    /// The part of the tape that `output` depends on, as an SVG picture that
    /// any browser shows: a box per recorded operation with its name, value
    /// and (given the `gradients` of `output`) gradient, inputs on the left
    /// and the output on the right, and an arrow from each parent to its
    /// child labelled with the local derivative `∂child/∂parent` (`vjp` for
    /// the outputs of a [`block`](crate::custom::block) op).
    ///
    /// # Errors
    ///
    /// As [`to_dot`](Tape::to_dot): [`Error::NotTraced`](crate::Error::NotTraced)
    /// unless the tape was created with [`Tape::traced`], and the errors of a
    /// constant or foreign `output` or `gradients`.
    ///
    /// ```
    /// let tape = tapegrad::Tape::traced();
    /// let (w, x, b) = (tape.var(0.5), tape.var(2.0), tape.var(-1.0));
    /// let y = (w * x + b).sigmoid();
    /// let svg = tape.to_svg(&y, Some(&y.backward()))?;
    /// assert!(svg.starts_with("<svg") && svg.contains("sigmoid #6"));
    /// assert!(svg.contains("grad = 0.25")); // ∂ŷ/∂b = σ′(0)
    /// # Ok::<(), tapegrad::Error>(())
    /// ```
    pub fn to_svg(&self, output: &Var<'_, F>, gradients: Option<&Gradients<F>>) -> Result<String> {
        Ok(draw(&self.picture(output, gradients)?))
    }
}

/// Where each node's box goes: its column, one right of its rightmost
/// parent, and its row, in recording order within the column.
fn layout(picture: &Picture) -> Vec<(usize, usize)> {
    let index_of = |id: usize| picture.nodes.binary_search_by_key(&id, |n| n.id).ok();
    let mut column = vec![0; picture.nodes.len()];
    for edge in &picture.edges {
        // Parents come first in recording order, so theirs are final.
        if let (Some(from), Some(to)) = (index_of(edge.from), index_of(edge.to)) {
            column[to] = column[to].max(column[from] + 1);
        }
    }
    let mut rows = vec![0; column.iter().max().map_or(0, |&c| c + 1)];
    column
        .iter()
        .map(|&c| {
            rows[c] += 1;
            (c, rows[c] - 1)
        })
        .collect()
}

/// The top-left corner of the box in `column` and `row`.
fn corner((column, row): (usize, usize)) -> (usize, usize) {
    (
        MARGIN + column * (WIDTH + COLUMN_GAP),
        MARGIN + row * (HEIGHT + ROW_GAP),
    )
}

fn draw(picture: &Picture) -> String {
    let places = layout(picture);
    let columns = places.iter().map(|&(c, _)| c + 1).max().unwrap_or(1);
    let rows = places.iter().map(|&(_, r)| r + 1).max().unwrap_or(1);
    let (width, height) = corner((columns, rows));
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">",
        w = width - COLUMN_GAP + MARGIN,
        h = height - ROW_GAP + MARGIN,
    );
    svg.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#4b5563\"/></marker></defs>\n",
    );
    svg.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    let place = |id: usize| {
        let i = picture.nodes.binary_search_by_key(&id, |n| n.id).ok()?;
        Some(corner(places[i]))
    };
    for edge in &picture.edges {
        let (Some((x1, y1)), Some((x2, y2))) = (place(edge.from), place(edge.to)) else {
            continue;
        };
        let (x1, y1, x2, y2) = (x1 + WIDTH, y1 + HEIGHT / 2, x2, y2 + HEIGHT / 2);
        let bend = COLUMN_GAP / 2;
        let _ = writeln!(
            svg,
            "<path d=\"M{x1},{y1} C{c1},{y1} {c2},{y2} {x2},{y2}\" fill=\"none\" \
             stroke=\"#4b5563\" marker-end=\"url(#arrow)\"/>",
            c1 = x1 + bend,
            c2 = x2.saturating_sub(bend),
        );
        // On the curve, a third of the way from the parent: the labels of a
        // node of many parents stay by their parents, those of a node of
        // many children spread towards theirs.
        let (x, y) = bezier(
            [x1, x1 + bend, x2.saturating_sub(bend), x2],
            [y1, y1, y2, y2],
            0.3,
        );
        let _ = writeln!(
            svg,
            "<text x=\"{x:.0}\" y=\"{y:.0}\" text-anchor=\"middle\" font-size=\"10\" \
             fill=\"#1f2937\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">\
             {label}</text>",
            y = y - 3.0,
            label = escape(&short(&edge.label)),
        );
    }
    for (node, &at) in picture.nodes.iter().zip(&places) {
        draw_node(&mut svg, node, corner(at), node.id == picture.output);
    }
    svg.push_str("</svg>\n");
    svg
}

/// The point at `t` of the cubic Bézier curve through the four points.
fn bezier(xs: [usize; 4], ys: [usize; 4], t: f64) -> (f64, f64) {
    let u = 1.0 - t;
    let weights = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
    let at = |p: [usize; 4]| (0..4).map(|k| weights[k] * p[k] as f64).sum();
    (at(xs), at(ys))
}

/// A node's box: inputs blue, the output green, the rest grey.
fn draw_node(svg: &mut String, node: &PictureNode, (x, y): (usize, usize), output: bool) {
    let fill = match (node.input, output) {
        (_, true) => "#dcfce7",
        (true, false) => "#dbeafe",
        (false, false) => "#f3f4f6",
    };
    let _ = writeln!(
        svg,
        "<rect x=\"{x}\" y=\"{y}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" rx=\"6\" \
         fill=\"{fill}\" stroke=\"#374151\"/>"
    );
    let mut lines = vec![
        format!("{} #{}", node.op, node.id),
        format!("value = {}", short(&node.value)),
    ];
    if let Some(gradient) = &node.gradient {
        lines.push(format!("grad = {}", short(gradient)));
    }
    for (k, line) in lines.iter().enumerate() {
        let weight = if k == 0 { " font-weight=\"bold\"" } else { "" };
        let _ = writeln!(
            svg,
            "<text x=\"{tx}\" y=\"{ty}\"{weight}>{text}</text>",
            tx = x + 8,
            ty = y + 18 + 16 * k,
            text = escape(line),
        );
    }
}

/// A number in at most six significant digits; anything else as it is.
fn short(text: &str) -> String {
    match text.parse::<f64>() {
        Ok(x) if x != 0.0 && x.is_finite() && !(1e-4..1e6).contains(&x.abs()) => format!("{x:.4e}"),
        Ok(x) if x.is_finite() => {
            let s = format!("{:.6}", x);
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" {
                "0".to_string()
            } else {
                s.to_string()
            }
        }
        _ => text.to_string(),
    }
}

/// `text` with XML's special characters escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shortened_and_text_is_escaped() {
        assert_eq!(short("0.8807970779778823"), "0.880797");
        assert_eq!(short("2"), "2");
        assert_eq!(short("-0"), "0");
        assert_eq!(short("1.5e-9"), "1.5000e-9");
        assert_eq!(short("NaN"), "NaN");
        assert_eq!(short("vjp"), "vjp");
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
