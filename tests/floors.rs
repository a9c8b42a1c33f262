//! The crate is a house of floors, and a floor uses only the floors below
//! it: this test reads every file of `src/`, finds each path it names
//! (`crate::…`, `super::…`, `$crate::…`, in code, not in comments or
//! strings), follows re-exports to the file that defines the item, and
//! fails where a file names one on a floor above its own, or where files
//! name each other in a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The floors, from the ground up, and the files on each: a path is on the
/// floor of the longest prefix that matches it.
const FLOORS: &[(&str, &[&str])] = &[
    // Numbers without a tape: the errors, central differences, and the op
    // table (each op's value and partials by its code, and the instruction
    // an op records: its code and operands).
    (
        "numbers",
        &[
            "src/error.rs",
            "src/difference.rs",
            "src/docs.rs",
            "src/table/",
        ],
    ),
    // Node shapes, recording, the sweep and the gradients it fills; what a
    // traced tape keeps of each node, and the one hook a recorded function
    // listens through (`tape::Recorder`).
    ("tape", &["src/tape/", "src/gradients.rs"]),
    // One recording core for every variable: what recording an op on
    // variables means (constants, recordings that must not mix, the stable
    // forms of the textbook loss).
    ("recording core", &["src/recording.rs"]),
    // The variables, and the ops they share.
    (
        "variables",
        &[
            "src/var/",
            "src/active/",
            "src/forward/",
            "src/float.rs",
            "src/ops/",
        ],
    ),
    // What is computed with variables.
    (
        "drivers",
        &[
            "src/derivatives.rs",
            "src/check.rs",
            "src/loss.rs",
            "src/optim.rs",
            "src/nn.rs",
            "src/custom.rs",
        ],
    ),
    // Recorded functions: their program, passes, evaluation and sparsity.
    ("replay", &["src/replay/"]),
    // Loops of a recorded step, reversed in bounded memory.
    ("loops", &["src/checkpoint/"]),
    // What is built on all of it.
    (
        "integrations and tools",
        &["src/integrations/", "src/debug/", "src/parallel.rs"],
    ),
];

/// The floor of the file at `path` (relative to the crate), by its index.
fn floor(path: &str) -> usize {
    let mut best: Option<(usize, usize)> = None;
    for (k, (_, prefixes)) in FLOORS.iter().enumerate() {
        for prefix in *prefixes {
            if path.starts_with(prefix) && best.is_none_or(|(_, len)| prefix.len() > len) {
                best = Some((k, prefix.len()));
            }
        }
    }
    best.unwrap_or_else(|| panic!("{path} is on no floor: add it to FLOORS"))
        .0
}

/// `text` with comments, string and character literals blanked out.
fn code_of(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(rest.len(), |e| e + 2);
            i += end;
        } else if rest.starts_with("r\"") || rest.starts_with("r#\"") {
            let hashes = rest[1..].chars().take_while(|&c| c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            let end = rest[body..]
                .find(&close)
                .map_or(rest.len(), |e| body + e + close.len());
            i += end;
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() && rest.as_bytes()[j] != b'"' {
                j += if rest.as_bytes()[j] == b'\\' { 2 } else { 1 };
            }
            i += j + 1;
            out.push_str("\"\"");
        } else if let Some(len) = char_literal(rest) {
            i += len;
            out.push_str("' '");
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The length of the character literal `rest` starts with, if it does
/// (and not a lifetime).
fn char_literal(rest: &str) -> Option<usize> {
    let mut chars = rest.char_indices();
    chars.next().filter(|&(_, c)| c == '\'')?;
    let (_, c) = chars.next()?;
    if c == '\\' {
        let end = rest[2..].find('\'')?;
        return Some(end + 3);
    }
    let (at, close) = chars.next()?;
    (close == '\'').then_some(at + 1)
}

/// The module path of a file: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`.
fn module_of(file: &str) -> Vec<String> {
    let inner = file.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = inner.split('/').map(String::from).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// Every path a use tree or a path expression names, from `crate::` or
/// `super::` on: `crate::{a, b::{c, d}}` is `a`, `b::c` and `b::d`.
fn paths_at(code: &str, start: usize) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    tree(code.as_bytes(), &mut { start }, Vec::new(), &mut out);
    out
}

fn tree(code: &[u8], at: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        while *at < code.len() && code[*at].is_ascii_whitespace() {
            *at += 1;
        }
        if *at < code.len() && code[*at] == b'{' {
            *at += 1;
            loop {
                tree(code, at, path.clone(), out);
                while *at < code.len() && code[*at].is_ascii_whitespace() {
                    *at += 1;
                }
                match code.get(*at) {
                    Some(b',') => *at += 1,
                    _ => break,
                }
                while *at < code.len() && code[*at].is_ascii_whitespace() {
                    *at += 1;
                }
                if code.get(*at) == Some(&b'}') {
                    break;
                }
            }
            *at += 1; // the closing brace
            return;
        }
        let begin = *at;
        while *at < code.len() && (code[*at].is_ascii_alphanumeric() || code[*at] == b'_') {
            *at += 1;
        }
        if begin == *at {
            break;
        }
        path.push(String::from_utf8_lossy(&code[begin..*at]).into_owned());
        if code[*at..].starts_with(b"::") {
            *at += 2;
        } else {
            break;
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// The crate's files, by path, with their code.
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).unwrap();
                let name = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
                let name = name.to_string_lossy().replace('\\', "/");
                out.insert(name, code_of(&text));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// The file that defines the module `module`, if there is one.
fn file_of(module: &[String], files: &BTreeMap<String, String>) -> Option<String> {
    if module.is_empty() {
        return Some("src/lib.rs".into());
    }
    let base = format!("src/{}", module.join("/"));
    [format!("{base}.rs"), format!("{base}/mod.rs")]
        .into_iter()
        .find(|f| files.contains_key(f))
}

/// Where `name`, re-exported by the module file `file`, comes from: the
/// path its `use` names (absolute, from the crate root).
fn reexport(file: &str, name: &str, files: &BTreeMap<String, String>) -> Option<Vec<String>> {
    let code = &files[file];
    let module = module_of(file);
    for (at, _) in code.match_indices("use ") {
        let before = code[..at].trim_end();
        if !before.ends_with("pub") && !before.ends_with(')') {
            continue;
        }
        for path in paths_at(code, at + 4) {
            if path.last().map(String::as_str) == Some(name) {
                return Some(absolute(&module, &path));
            }
        }
    }
    None
}

/// `path`, as written in module `module`, from the crate root.
fn absolute(module: &[String], path: &[String]) -> Vec<String> {
    let mut out = module.to_vec();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate" | "$crate") => {
            out.clear();
            rest = &path[1..];
        }
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                out.pop();
                rest = &rest[1..];
            }
        }
        Some("self") => rest = &path[1..],
        _ => {} // a child module
    }
    out.extend(rest.iter().cloned());
    out
}

/// The file that defines what the absolute `path` names.
fn resolve(path: &[String], files: &BTreeMap<String, String>, depth: usize) -> Option<String> {
    // The longest prefix that is a module, then the item in it.
    for len in (0..=path.len()).rev() {
        let Some(file) = file_of(&path[..len], files) else {
            continue;
        };
        if len == path.len() || depth > 8 {
            return Some(file);
        }
        return match reexport(&file, &path[len], files) {
            Some(origin) if origin != path[..=len] => {
                resolve(&origin, files, depth + 1).or(Some(file))
            }
            _ => Some(file),
        };
    }
    None
}

/// Which files each file names.
fn imports(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (file, code) in files {
        let module = module_of(file);
        let mut named = BTreeSet::new();
        for start in ["crate::", "super::"] {
            for (at, _) in code.match_indices(start) {
                let word_before = code[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
                if word_before && !code[..at].ends_with('$') {
                    continue;
                }
                let head = if start == "crate::" { "crate" } else { "super" };
                for path in paths_at(code, at + start.len()) {
                    let mut full = vec![head.to_string()];
                    full.extend(path);
                    let path = absolute(&module, &full);
                    if let Some(target) = resolve(&path, files, 0) {
                        if &target != file {
                            named.insert(target);
                        }
                    }
                }
            }
        }
        out.insert(file.clone(), named);
    }
    out
}

#[test]
fn no_floor_names_a_floor_above_its_own() {
    let files = sources();
    let mut wrong = Vec::new();
    for (file, named) in imports(&files) {
        if file == "src/lib.rs" {
            continue; // the front door re-exports from every floor
        }
        for target in named {
            if target != "src/lib.rs" && floor(&target) > floor(&file) {
                wrong.push(format!(
                    "{file} ({}) names {target} ({})",
                    FLOORS[floor(&file)].0,
                    FLOORS[floor(&target)].0
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "floors imported from below:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_file_is_on_a_floor() {
    for file in sources().keys() {
        if file != "src/lib.rs" {
            floor(file);
        }
    }
}

/// The test reads what it should: a path through a re-export resolves to
/// the file that defines the item, and comments do not count.
#[test]
fn the_reader_resolves_re_exports_and_skips_comments() {
    let files = sources();
    let named = imports(&files);
    let tape = &named["src/tape/sweep.rs"];
    assert!(tape.contains("src/gradients.rs"), "{tape:?}");
    let path = absolute(&[], &["crate".into(), "Var".into()]);
    assert_eq!(resolve(&path, &files, 0).as_deref(), Some("src/var/mod.rs"));
    assert_eq!(code_of("a // crate::x\nb \"crate::y\" c"), "a \nb \"\" c");
    let found = functions("impl<F> A<F> { fn f() { fn inner() {} } } impl T for A { fn g() {} }");
    let found: Vec<_> = found.iter().map(|(n, i)| (n.as_str(), *i)).collect();
    assert_eq!(found, [("f", true), ("inner", false), ("g", false)]);
    let paths = paths_at("{a, b::{c, d}} rest", 0);
    assert_eq!(paths, [vec!["a"], vec!["b", "c"], vec!["b", "d"]]);
}

/// The groups of files that name each other in a cycle (strongly connected
/// components of more than one file), by Tarjan's algorithm.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !graph.contains_key(w) {
                continue;
            }
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                group.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.out.push(group);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn no_files_name_each_other_in_a_cycle() {
    let mut graph = imports(&sources());
    graph.remove("src/lib.rs");
    let found = cycles(&graph);
    let shown: Vec<String> = found.iter().map(|group| group.join(" → ")).collect();
    assert!(found.is_empty(), "files in a cycle:\n{}", shown.join("\n"));
}

/// The inherent functions of the crate (in an `impl Type` block) whose
/// name is defined once in `src/`, by the file that defines them: less the
/// names of trait methods, the crate's or std's, where a call could be
/// either.
fn unique_functions(files: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    const STD: &[&str] = &[
        "new", "len", "is_empty", "get", "clear", "push", "iter", "value", "sum", "take",
        "position",
    ];
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut traits = BTreeSet::new();
    for (file, code) in files {
        for (name, inherent) in functions(code) {
            match inherent {
                true => seen.entry(name).or_default().push(file.clone()),
                false => {
                    traits.insert(name);
                }
            }
        }
    }
    seen.into_iter()
        .filter(|(name, defs)| defs.len() == 1 && !STD.contains(&name.as_str()))
        .filter(|(name, _)| !traits.contains(name))
        .map(|(name, defs)| (name, defs[0].clone()))
        .collect()
}

/// The functions of `code`'s impl and trait blocks, each with whether its
/// block is an inherent impl.
fn functions(code: &str) -> Vec<(String, bool)> {
    let bytes = code.as_bytes();
    let is_word =
        |at: usize| at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_');
    let word_at = |at: usize, word: &str| {
        code[at..].starts_with(word) && (at == 0 || !is_word(at - 1)) && !is_word(at + word.len())
    };
    // The blocks open at each depth: whether each is an inherent impl.
    let mut open: Vec<bool> = Vec::new();
    let mut header: Option<bool> = None;
    let mut names = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'{' => open.push(header.take().unwrap_or(false)),
            b'}' => {
                open.pop();
            }
            b';' => header = None,
            _ if word_at(at, "impl") && header.is_none() => {
                let end = code[at..].find('{').map_or(code.len(), |e| at + e);
                let head = &code[at..end];
                header = Some(!head.contains(" for ") && !head.contains("\nfor "));
            }
            _ if word_at(at, "trait") => header = Some(false),
            _ if word_at(at, "fn") && !open.is_empty() => {
                let name: String = code[at + 2..]
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push((name, open.last() == Some(&true)));
            }
            _ => {}
        }
        at += 1;
    }
    names
}

/// A method defined on a floor above and called below is a dependency no
/// `use` shows (an `impl Tape` block in a higher file): calls of the
/// crate's uniquely named functions count too.
#[test]
fn no_floor_calls_a_function_defined_on_a_floor_above() {
    let files = sources();
    let unique = unique_functions(&files);
    let mut wrong = Vec::new();
    for (file, code) in &files {
        if file == "src/lib.rs" {
            continue;
        }
        for (name, home) in &unique {
            if home == file || floor(home) <= floor(file) {
                continue;
            }
            let called = [format!(".{name}("), format!("::{name}(")]
                .iter()
                .any(|call| code.contains(call.as_str()));
            if called {
                wrong.push(format!(
                    "{file} ({}) calls {name} of {home} ({})",
                    FLOORS[floor(file)].0,
                    FLOORS[floor(home)].0
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "calls up a floor:\n{}", wrong.join("\n"));
}

/// The crate root re-exports at most fifteen items (the tape, the
/// variables, gradients, the error and the drivers); everything else is in
/// a module named for what it is.
#[test]
fn the_front_door_holds_at_most_fifteen_names() {
    let files = sources();
    let lib = &files["src/lib.rs"];
    let mut names = Vec::new();
    for (at, _) in lib.match_indices("pub use ") {
        for path in paths_at(lib, at + "pub use ".len()) {
            names.push(path.last().cloned().unwrap_or_default());
        }
    }
    assert!(names.contains(&"Tape".to_string()), "{names:?}");
    assert!(
        names.len() <= 15,
        "{} names at the root: {names:?}",
        names.len()
    );
}

/// A file a reader takes in at once: none of `src/` over 400 lines.
#[test]
fn no_source_file_is_over_400_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let long: Vec<String> = sources()
        .keys()
        .map(|file| {
            (
                file,
                fs::read_to_string(root.join(file)).unwrap().lines().count(),
            )
        })
        .filter(|&(_, lines)| lines > 400)
        .map(|(file, lines)| format!("{file}: {lines} lines"))
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}
