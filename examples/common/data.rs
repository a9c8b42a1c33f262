//! Reading a labelled CSV file: numeric features, then a 0/1 label, with an
//! error that says where and what for anything else.

use std::fmt;
use std::path::{Path, PathBuf};

use csv::{ReaderBuilder, Trim};

/// Rows of features with a binary label each.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub feature_names: Vec<String>,
    pub features: Vec<Vec<f64>>,
    pub labels: Vec<f64>,
}

/// What was wrong with a data file, and where.
#[derive(Debug)]
pub struct DataError {
    pub file: PathBuf,
    /// 1-based line, if the problem is on one.
    pub line: Option<usize>,
    /// 1-based column, if the problem is in one field.
    pub column: Option<usize>,
    pub problem: Problem,
}

#[derive(Debug)]
pub enum Problem {
    Unreadable(std::io::Error),
    /// What csv itself rejects, invalid UTF-8 say.
    Malformed(csv::Error),
    Empty,
    TooFewColumns {
        found: usize,
    },
    NoLabelColumn {
        last: String,
    },
    WrongWidth {
        expected: usize,
        found: usize,
    },
    NotANumber {
        field: String,
    },
    NotFinite {
        field: String,
    },
    NotABinaryLabel {
        field: String,
    },
    NoRows,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": ")?;
        match &self.problem {
            Problem::Unreadable(e) => write!(f, "cannot read the file: {e}"),
            Problem::Malformed(e) => write!(f, "{e}"),
            Problem::Empty => write!(f, "the file is empty; expected a header line and data rows"),
            Problem::TooFewColumns { found } => {
                write!(
                    f,
                    "the header has {found} column(s); expected at least one feature and a label"
                )
            }
            Problem::NoLabelColumn { last } => {
                write!(
                    f,
                    "the last column of the header is `{last}`; expected `label`"
                )
            }
            Problem::WrongWidth { expected, found } => {
                write!(f, "{found} fields, but the header has {expected} columns")
            }
            Problem::NotANumber { field } => write!(f, "`{field}` is not a number"),
            Problem::NotFinite { field } => write!(f, "`{field}` is not a finite number"),
            Problem::NotABinaryLabel { field } => {
                write!(f, "the label `{field}` is neither 0 nor 1")
            }
            Problem::NoRows => write!(f, "the header is followed by no data rows"),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            Problem::Unreadable(e) => Some(e),
            Problem::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

/// Reads `path`: a header whose last column is `label`, then rows of numbers
/// separated by commas, each ending in a label of 0 or 1. csv splits the
/// records (blank lines skipped, fields trimmed) and serde deserializes each
/// into numbers; what either rejects comes back with its line and column.
pub fn load_csv(path: &Path) -> Result<Dataset, DataError> {
    let error = |line, column, problem| DataError {
        file: path.to_path_buf(),
        line,
        column,
        problem,
    };
    let bytes = std::fs::read(path).map_err(|e| error(None, None, Problem::Unreadable(e)))?;
    let mut reader = ReaderBuilder::new().trim(Trim::All).from_reader(&bytes[..]);
    let line_of = |e: &csv::Error| e.position().map(|p| line_at(&bytes, p));

    let names: Vec<String> = reader
        .headers()
        .map_err(|e| error(line_of(&e), None, Problem::Malformed(e)))?
        .iter()
        .map(str::to_string)
        .collect();
    match names.as_slice() {
        [] => return Err(error(None, None, Problem::Empty)),
        [_] => return Err(error(Some(1), None, Problem::TooFewColumns { found: 1 })),
        [.., last] if last != "label" => {
            let last = last.clone();
            return Err(error(
                Some(1),
                Some(names.len()),
                Problem::NoLabelColumn { last },
            ));
        }
        _ => {}
    }

    let mut data = Dataset {
        feature_names: names[..names.len() - 1].to_vec(),
        features: Vec::new(),
        labels: Vec::new(),
    };
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = line_of(&e);
            match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => {
                    let (expected, found) = (*expected_len as usize, *len as usize);
                    error(line, None, Problem::WrongWidth { expected, found })
                }
                _ => error(line, None, Problem::Malformed(e)),
            }
        })?;
        let line = record.position().map(|p| line_at(&bytes, p));
        // The field at a 0-based column, as the error will quote it.
        let field = |column: usize| record[column].to_string();
        let mut row: Vec<f64> = record.deserialize(None).map_err(|e| {
            let column = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.field().map(|c| c as usize),
                _ => None,
            };
            match column {
                Some(c) => error(line, Some(c + 1), Problem::NotANumber { field: field(c) }),
                None => error(line, None, Problem::Malformed(e)),
            }
        })?;
        if let Some(c) = row.iter().position(|v| !v.is_finite()) {
            return Err(error(
                line,
                Some(c + 1),
                Problem::NotFinite { field: field(c) },
            ));
        }
        let label = row.pop().expect("the row has the header's width");
        if label != 0.0 && label != 1.0 {
            let c = names.len() - 1;
            return Err(error(
                line,
                Some(c + 1),
                Problem::NotABinaryLabel { field: field(c) },
            ));
        }
        data.features.push(row);
        data.labels.push(label);
    }
    if data.features.is_empty() {
        return Err(error(None, None, Problem::NoRows));
    }
    Ok(data)
}

/// The line a record starts on. csv's own `Position::line` names the blank
/// line before a record after blank lines (rust-csv issue #208), and the line
/// before with CRLF endings (#395); its byte offset is right, so count from it.
fn line_at(bytes: &[u8], position: &csv::Position) -> usize {
    let start = position.byte() as usize;
    let blank = bytes[start..]
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count();
    1 + bytes[..start + blank]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}
