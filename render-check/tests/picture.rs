//! The README's picture, `docs/neuron.svg` (what `examples/quickstart.rs`
//! draws: the root package's tests check that it is current), rendered by
//! resvg: every box is painted in its fill, every arrow is drawn.

use resvg::{tiny_skia, usvg};

const SVG: &str = include_str!("../../docs/neuron.svg");

/// The value of attribute `name` in `tag`, as a number.
fn number(tag: &str, name: &str) -> f32 {
    let key = format!(" {name}=\"");
    let start = tag.find(&key).unwrap_or_else(|| panic!("{name} in {tag}")) + key.len();
    let end = start + tag[start..].find('"').expect("a closing quote");
    tag[start..end].parse().expect("a number")
}

/// Every `<name …>` tag of the picture with `with` in it.
fn tags(name: &str, with: &str) -> Vec<&'static str> {
    let open = format!("<{name} ");
    SVG.match_indices(open.as_str())
        .map(|(i, _)| &SVG[i..i + SVG[i..].find('>').expect("a closed tag")])
        .filter(|tag| tag.contains(with))
        .collect()
}

fn rendered() -> tiny_skia::Pixmap {
    let tree = usvg::Tree::from_str(SVG, &usvg::Options::default()).expect("valid SVG");
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).expect("a size");
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap
}

fn rgb(pixmap: &tiny_skia::Pixmap, x: f32, y: f32) -> [u8; 3] {
    let p = pixmap
        .pixel(x as u32, y as u32)
        .expect("inside the picture");
    [p.red(), p.green(), p.blue()]
}

fn hex(color: &str) -> [u8; 3] {
    let byte = |i: usize| u8::from_str_radix(&color[i..i + 2], 16).expect("a hex colour");
    [byte(1), byte(3), byte(5)]
}

#[test]
fn every_box_is_painted_in_its_fill() {
    let pixmap = rendered();
    assert_eq!((pixmap.width(), pixmap.height()), (1024, 260));
    let boxes = tags("rect", " rx=");
    assert_eq!(boxes.len(), 6, "three inputs, mul, add, sigmoid");
    for tag in boxes {
        let (x, y) = (number(tag, "x"), number(tag, "y"));
        let (w, h) = (number(tag, "width"), number(tag, "height"));
        let fill = &tag[tag.find("fill=\"#").expect("a fill") + 6..][..7];
        // The bottom-right corner inside the border, clear of the text.
        assert_eq!(rgb(&pixmap, x + w - 6.0, y + h - 6.0), hex(fill), "{tag}");
    }
}

#[test]
fn every_arrow_is_drawn() {
    let pixmap = rendered();
    let arrows = tags("path", "marker-end");
    assert_eq!(
        arrows.len(),
        5,
        "w and x into mul, mul and b into add, add into sigmoid"
    );
    for tag in arrows {
        // `M x0,y0 C x1,y1 x2,y2 x3,y3`: the curve's point at t = ½.
        let d = tag.split("d=\"").nth(1).expect("a path");
        let points: Vec<f32> = d[..d.find('"').expect("a quote")]
            .split(|c: char| c == ' ' || c == ',' || c.is_ascii_alphabetic())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("a coordinate"))
            .collect();
        let at = |k: usize| {
            let w = [0.125, 0.375, 0.375, 0.125];
            (0..4).map(|i| w[i] * points[2 * i + k]).sum::<f32>()
        };
        let (x, y) = (at(0), at(1));
        // A one-pixel line is drawn into a neighbour or two, antialiased.
        let darkest = (-1..=1)
            .flat_map(|dx| (-1..=1).map(move |dy| (dx as f32, dy as f32)))
            .map(|(dx, dy)| {
                rgb(&pixmap, x + dx, y + dy)
                    .into_iter()
                    .max()
                    .unwrap_or(255)
            })
            .min()
            .unwrap_or(255);
        assert!(darkest < 200, "no line at ({x}, {y}) for {tag}");
    }
}
