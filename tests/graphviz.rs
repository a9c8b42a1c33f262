//! `Tape::to_dot` and `Tape::to_svg`: the recorded graph as Graphviz DOT,
//! and as a picture.

use std::collections::HashSet;

use tapegrad::{Error, Tape, Var};

/// A DOT graph read back: its node ids with labels, and its edges.
struct Parsed {
    nodes: Vec<(String, String)>,
    edges: Vec<(String, String, String)>,
}

/// Parses the subset of DOT that `to_dot` writes, failing on anything else.
fn parse(dot: &str) -> Parsed {
    let mut lines = dot.lines();
    assert_eq!(lines.next(), Some("digraph tape {"));
    let mut parsed = Parsed {
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    for line in lines {
        let line = line.trim();
        if line == "}" || line == "rankdir=LR;" || line == "node [shape=box];" {
            continue;
        }
        let (head, label) = line
            .strip_suffix("\"];")
            .and_then(|l| l.split_once(" [label=\""))
            .unwrap_or_else(|| panic!("not a statement: {line}"));
        match head.split_once(" -> ") {
            Some((from, to)) => parsed.edges.push((from.into(), to.into(), label.into())),
            None => parsed.nodes.push((head.into(), label.into())),
        }
    }
    assert!(dot.trim_end().ends_with('}'));
    let ids: HashSet<_> = parsed.nodes.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ids.len(), parsed.nodes.len(), "node ids are unique");
    for (from, to, _) in &parsed.edges {
        assert!(
            ids.contains(from) && ids.contains(to),
            "edge {from} -> {to} to an undeclared node"
        );
    }
    parsed
}

#[test]
fn the_graph_of_one_neuron_has_a_node_per_op_and_an_edge_per_parent() {
    let tape = Tape::traced();
    let (w, x, b) = (tape.var(0.5), tape.var(2.0), tape.var(-1.0));
    let y_hat = (w * x + b).sigmoid();
    let dot = tape
        .to_dot(&y_hat, Some(&y_hat.backward()))
        .expect("traced");
    let graph = parse(&dot);
    // 3 inputs, mul, add, sigmoid; mul and add have two parents each.
    assert_eq!(graph.nodes.len(), tape.len());
    assert_eq!(graph.edges.len(), 5);
    // The tape's edges, less the one that marks each of the 3 inputs.
    assert_eq!(graph.edges.len(), tape.edges() - 3);
    let labels: Vec<&str> = graph.nodes.iter().map(|(_, l)| l.as_str()).collect();
    for op in ["input", "mul", "add", "sigmoid"] {
        assert!(
            labels.iter().any(|l| l.starts_with(op)),
            "no {op} in {labels:?}"
        );
    }
    assert!(
        labels
            .iter()
            .any(|l| l.contains("value = 0.5") && l.contains("grad = 1"))
    );
    // ∂σ/∂z at z = 0 labels the edge into the sigmoid.
    assert!(graph.edges.iter().any(|(_, _, partial)| partial == "0.25"));
}

#[test]
fn only_what_the_output_depends_on_is_drawn() {
    let tape = Tape::traced();
    let x = tape.var(1.0);
    let unrelated = tape.var(5.0).exp();
    let y = x.sin();
    let _later = y * unrelated;
    let graph = parse(&tape.to_dot(&y, None).expect("traced"));
    assert_eq!(graph.nodes.len(), 2);
    assert_eq!(graph.edges.len(), 1);
    assert!(graph.nodes.iter().all(|(_, label)| !label.contains("grad")));
}

#[test]
fn custom_op_names_are_escaped() {
    let tape = Tape::traced();
    let x = tape.var(1.0);
    let y = Var::custom("my \"quoted\" op", [x], |[v]| (2.0 * v, [2.0]));
    let dot = tape.to_dot(&y, None).expect("traced");
    assert!(dot.contains(r#"my \"quoted\" op"#));
    parse(&dot);
}

#[test]
fn a_plain_tape_has_no_graph_to_draw() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    assert_eq!(tape.to_dot(&x.exp(), None), Err(Error::NotTraced));
}

#[test]
fn gradients_of_another_recording_are_refused() {
    let mut tape = Tape::traced();
    let old = {
        let x = tape.var(1.0);
        x.exp().backward()
    };
    tape.clear();
    let x = tape.var(2.0);
    assert_eq!(tape.to_dot(&x, Some(&old)), Err(Error::StaleGradients));
    let other = Tape::traced();
    assert_eq!(other.to_dot(&x, None), Err(Error::ForeignVariable));
}

/// The README's neuron, as `examples/quickstart.rs` draws it.
fn neuron_svg() -> String {
    let tape = Tape::traced();
    let (w, x, b) = (tape.var(0.5), tape.var(2.0), tape.var(-1.0));
    let y = (w * x + b).sigmoid();
    tape.to_svg(&y, Some(&y.backward()))
        .expect("a traced tape draws")
}

#[test]
fn the_svg_has_a_box_per_node_an_arrow_per_edge_and_every_number() {
    let svg = neuron_svg();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    // Six nodes (three inputs, mul, add, sigmoid) and the background.
    assert_eq!(svg.matches("<rect").count(), 6 + 1);
    // Five edges: w and x into mul, mul and b into add, add into sigmoid.
    assert_eq!(svg.matches("marker-end=\"url(#arrow)\"").count(), 5);
    for text in [
        "input #1",
        "mul #4",
        "add #5",
        "sigmoid #6",
        "value = 0.5",
        "grad = 0.125",
        "grad = 0.25",
        ">0.5</text>",
        ">2</text>",
    ] {
        assert!(svg.contains(text), "{text} missing from\n{svg}");
    }
    // Every tag that opens closes.
    for tag in ["text", "svg", "defs", "marker"] {
        let opened = svg.matches(&format!("<{tag}")).count();
        let closed = svg.matches(&format!("</{tag}>")).count();
        assert_eq!(opened, closed, "<{tag}>");
    }
}

#[test]
fn the_readmes_picture_is_what_the_quickstart_draws() {
    let committed = include_str!("../docs/neuron.svg");
    assert_eq!(
        committed,
        neuron_svg(),
        "docs/neuron.svg is stale: copy target/examples-output/quickstart_neuron.svg after \
         `cargo run --example quickstart`"
    );
}

#[test]
fn an_untraced_tape_draws_no_svg() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    assert_eq!(tape.to_svg(&x.sin(), None), Err(Error::NotTraced));
}
