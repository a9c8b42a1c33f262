//! Line plots as SVG files, with plotters' pure-Rust SVG backend.

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;

/// A tick label: three significant digits, without trailing zeros.
fn short(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e4 || v.abs() < 1e-3) {
        return format!("{v:.1e}");
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{v:.digits$}");
    match text.contains('.') {
        true => text.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => text,
    }
}

/// One named line of `(x, y)` points.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// Draws `series` into an SVG file at `path`, with a logarithmic y axis if
/// `log_y` (points at or below zero are left out there).
pub fn lines(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<(), Box<dyn Error>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let points = || {
        series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|&(_, y)| !log_y || y > 0.0)
    };
    let (x_min, x_max) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (x, _)| {
        (a.min(x), b.max(x))
    });
    let (y_min, y_max) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, y)| {
        (a.min(y), b.max(y))
    });
    if !(x_min.is_finite() && y_min.is_finite()) {
        return Err("nothing to plot".into());
    }
    let pad = |lo: f64, hi: f64| {
        if hi > lo {
            (lo, hi)
        } else {
            (lo - 1.0, hi + 1.0)
        }
    };
    let (x_min, x_max) = pad(x_min, x_max);
    let (y_min, y_max) = pad(y_min, y_max);

    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70);
    let colors = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .x_label_formatter(&|x| short(*x))
                .y_label_formatter(&|y| short(*y))
                .draw()?;
            for (s, color) in series.iter().zip(colors.iter().cycle()) {
                let pts = s.points.iter().copied().filter(|&(_, y)| !log_y || y > 0.0);
                chart
                    .draw_series(LineSeries::new(pts, color.stroke_width(2)))?
                    .label(s.name.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
        }};
    }
    if log_y {
        draw!(builder.build_cartesian_2d(x_min..x_max, (y_min..y_max).log_scale())?);
    } else {
        draw!(builder.build_cartesian_2d(x_min..x_max, y_min..y_max)?);
    }
    root.present()?;
    Ok(())
}
