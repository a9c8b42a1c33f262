//! Command-line flags of the form `--name value` or `--name=value`, read
//! with lexopt.

use std::collections::BTreeMap;
use std::str::FromStr;

/// The flags given, checked against the ones an example knows.
pub struct Args {
    given: BTreeMap<String, String>,
}

impl Args {
    /// Reads the process's arguments. `known` lists each flag (without `--`)
    /// with its help text; `--help` prints them and exits.
    pub fn parse(about: &str, known: &[(&str, &str)]) -> Result<Self, String> {
        use lexopt::prelude::*;
        let mut given = BTreeMap::new();
        let mut parser = lexopt::Parser::from_env();
        while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
            match arg {
                Short('h') | Long("help") => {
                    println!("{about}\n\nflags:");
                    for (name, help) in known {
                        println!("  --{name:<14} {help}");
                    }
                    std::process::exit(0);
                }
                Long(name) if known.iter().any(|(k, _)| *k == name) => {
                    let name = name.to_string();
                    let value = parser.value().map_err(|e| e.to_string())?;
                    let value = value.string().map_err(|e| e.to_string())?;
                    given.insert(name, value);
                }
                Long(name) => {
                    let names: Vec<String> = known.iter().map(|(k, _)| format!("--{k}")).collect();
                    return Err(format!(
                        "unknown flag --{name}; known flags: {}",
                        names.join(", ")
                    ));
                }
                other => return Err(other.unexpected().to_string()),
            }
        }
        Ok(Args { given })
    }

    /// The value of `--name`, or `default` if it was not given.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        match self.given.get(name) {
            Some(text) => text.parse().map_err(|e| format!("--{name} {text}: {e}")),
            None => Ok(default),
        }
    }
}
