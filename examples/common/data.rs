//! Reading a labelled CSV file: numeric features, then a 0/1 label, with an
//! error that says where and what for anything else.

use std::fmt;
use std::path::{Path, PathBuf};

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
    Empty,
    TooFewColumns { found: usize },
    NoLabelColumn { last: String },
    WrongWidth { expected: usize, found: usize },
    NotANumber { field: String },
    NotFinite { field: String },
    NotABinaryLabel { field: String },
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
            _ => None,
        }
    }
}

/// Reads `path`: a header whose last column is `label`, then rows of numbers
/// separated by commas, each ending in a label of 0 or 1.
pub fn load_csv(path: &Path) -> Result<Dataset, DataError> {
    let error = |line, column, problem| DataError {
        file: path.to_path_buf(),
        line,
        column,
        problem,
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| error(None, None, Problem::Unreadable(e)))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| error(None, None, Problem::Empty))?;
    let names: Vec<String> = header.split(',').map(|s| s.trim().to_string()).collect();
    if names.len() < 2 {
        return Err(error(
            Some(1),
            None,
            Problem::TooFewColumns { found: names.len() },
        ));
    }
    let last = names.last().expect("at least two columns");
    if last != "label" {
        return Err(error(
            Some(1),
            Some(names.len()),
            Problem::NoLabelColumn { last: last.clone() },
        ));
    }

    let mut data = Dataset {
        feature_names: names[..names.len() - 1].to_vec(),
        features: Vec::new(),
        labels: Vec::new(),
    };
    for (index, line) in lines {
        let line_no = Some(index + 1);
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != names.len() {
            return Err(error(
                line_no,
                None,
                Problem::WrongWidth {
                    expected: names.len(),
                    found: fields.len(),
                },
            ));
        }
        let mut row = Vec::with_capacity(fields.len());
        for (column, field) in fields.iter().enumerate() {
            let at = Some(column + 1);
            let value: f64 = field.parse().map_err(|_| {
                error(
                    line_no,
                    at,
                    Problem::NotANumber {
                        field: field.to_string(),
                    },
                )
            })?;
            if !value.is_finite() {
                return Err(error(
                    line_no,
                    at,
                    Problem::NotFinite {
                        field: field.to_string(),
                    },
                ));
            }
            row.push(value);
        }
        let label = row.pop().expect("the row has the header's width");
        if label != 0.0 && label != 1.0 {
            let field = fields[fields.len() - 1].to_string();
            return Err(error(
                line_no,
                Some(fields.len()),
                Problem::NotABinaryLabel { field },
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
