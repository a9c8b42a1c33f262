//! The doc text of the methods the op table generates (see
//! [`surface`](super::surface)): what a `Var` method does beyond its entry,
//! and an example of each entry's derivatives at its point, for each style
//! of handle.

/// What a `Var` method does beyond its table entry.
macro_rules! note {
    (var ln) => {
        "\n`s.ln()` where `s = z.sigmoid()` (or `s = 1 − z.sigmoid()`) is \
        recorded as [`z.ln_sigmoid()`](Var::ln_sigmoid) (or `(−z).ln_sigmoid()`): \
        the textbook loss `y·ln ŷ + (1 − y)·ln(1 − ŷ)` stays finite, value and \
        gradient, however large `|z|`. The node's parent is then `z`, not `s`: \
        the gradient reaches `z` directly, and asking for the gradient with \
        respect to `s` itself is an [`Error::BypassedSigmoid`](crate::Error::BypassedSigmoid) \
        rather than a number that misses this path.\n\n\
        ```\n\
        let tape = tapegrad::Tape::new();\n\
        let z = tape.var(-800.0);\n\
        let ln_p = z.sigmoid().ln(); // ln σ(−800) = −800, not −∞\n\
        assert_eq!(ln_p.value(), -800.0);\n\
        assert_eq!(ln_p.backward().wrt(&z), 1.0);\n\
        ```"
    };
    (var sigmoid) => {
        "\nIts [`ln`](Var::ln), and the `ln` of `1 − σ(z)`, are recorded in the \
        stable form of [`ln_sigmoid`](Var::ln_sigmoid)."
    };
    ($style:ident $name:ident) => {
        ""
    };
}

/// A doc example: the derivatives at a point, as the table states them.
macro_rules! example {
    (var $name:ident $at:literal; $d:expr) => {
        concat!(
            "let tape = tapegrad::Tape::new();\n",
            "let x = tape.var(",
            stringify!($at),
            ");\n",
            "assert_eq!(x.",
            stringify!($name),
            "().backward().wrt(&x), ",
            stringify!($d),
            ");"
        )
    };
    (var $name:ident ($x:literal, $y:literal); ($dx:expr, $dy:expr)) => {
        concat!(
            "let tape = tapegrad::Tape::new();\n",
            "let (x, y) = (tape.var(",
            stringify!($x),
            "), tape.var(",
            stringify!($y),
            "));\n",
            "let g = x.",
            stringify!($name),
            "(y).backward();\n",
            "assert_eq!([g.wrt(&x), g.wrt(&y)], [",
            stringify!($dx),
            ", ",
            stringify!($dy),
            "]);"
        )
    };
    (active $name:ident $at:literal; $d:expr) => {
        concat!(
            "let mut tape = tapegrad::Tape::new();\n",
            "let d = tape.record(|| {\n",
            "    let x = tapegrad::Active::var(",
            stringify!($at),
            ");\n",
            "    x.",
            stringify!($name),
            "().backward().wrt(&x)\n",
            "});\n",
            "assert_eq!(d, ",
            stringify!($d),
            ");"
        )
    };
    (active $name:ident ($x:literal, $y:literal); ($dx:expr, $dy:expr)) => {
        concat!(
            "let mut tape = tapegrad::Tape::new();\n",
            "let d = tape.record(|| {\n",
            "    let (x, y) = (tapegrad::Active::var(",
            stringify!($x),
            "), tapegrad::Active::var(",
            stringify!($y),
            "));\n",
            "    let g = x.",
            stringify!($name),
            "(y).backward();\n",
            "    [g.wrt(&x), g.wrt(&y)]\n",
            "});\n",
            "assert_eq!(d, [",
            stringify!($dx),
            ", ",
            stringify!($dy),
            "]);"
        )
    };
    (dual $name:ident $at:literal; $d:expr) => {
        concat!(
            "let x = tapegrad::forward::Dual::<f64, 1>::input(",
            stringify!($at),
            ", 0);\n",
            "assert_eq!(x.",
            stringify!($name),
            "().tangent(), [",
            stringify!($d),
            "]);"
        )
    };
    (dual $name:ident ($x:literal, $y:literal); ($dx:expr, $dy:expr)) => {
        concat!(
            "let [x, y] = tapegrad::forward::Dual::inputs([",
            stringify!($x),
            ", ",
            stringify!($y),
            "]);\n",
            "assert_eq!(x.",
            stringify!($name),
            "(y).tangent(), [",
            stringify!($dx),
            ", ",
            stringify!($dy),
            "]);"
        )
    };
}

pub(crate) use {example, note};
