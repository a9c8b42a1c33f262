//! Command-line flags of the form `--name value` or `--name=value`.

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
        let mut given = BTreeMap::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                println!("{about}\n\nflags:");
                for (name, help) in known {
                    println!("  --{name:<14} {help}");
                }
                std::process::exit(0);
            }
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(format!(
                    "unexpected argument `{arg}`; flags look like --name value"
                ));
            };
            let (name, value) = match flag.split_once('=') {
                Some((name, value)) => (name.to_string(), value.to_string()),
                None => {
                    let value = args
                        .next()
                        .ok_or_else(|| format!("--{flag} needs a value"))?;
                    (flag.to_string(), value)
                }
            };
            if !known.iter().any(|(k, _)| *k == name) {
                let names: Vec<String> = known.iter().map(|(k, _)| format!("--{k}")).collect();
                return Err(format!(
                    "unknown flag --{name}; known flags: {}",
                    names.join(", ")
                ));
            }
            given.insert(name, value);
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
