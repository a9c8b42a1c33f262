//! Dropping a compiled function frees its code: compiling and dropping
//! one 300 times leaves the process's resident memory within the line
//! below, which a module dropped without `free_memory` (kilobytes a
//! compile) crosses. Its own test binary: another test's allocations
//! would move the reading.

#![cfg(target_os = "linux")]

use tapegrad::{Active, replay::Function};

/// The process's resident memory in bytes, from `/proc/self/statm`.
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux's /proc");
    let pages: usize = (statm.split_whitespace().nth(1))
        .and_then(|pages| pages.parse().ok())
        .expect("statm's second field, resident pages");
    pages * 4096
}

#[test]
fn dropping_a_compiled_function_frees_its_code() -> Result<(), Box<dyn std::error::Error>> {
    let f = Function::record(&[1.0, 2.0], |x: &[Active]| (x[0] * x[1]).sin() + x[1].exp())?;
    let compile_and_drop = || -> Result<(), Box<dyn std::error::Error>> {
        let compiled = tapegrad_jit::compile(&f)?;
        let (value, _) = compiled.value_and_gradient(&mut f.workspace(), &[0.3, 0.4])?;
        assert_eq!(value, (0.3_f64 * 0.4).sin() + 0.4_f64.exp());
        Ok(())
    };
    // The allocator's and Cranelift's first growth, not counted.
    for _ in 0..20 {
        compile_and_drop()?;
    }
    let before = resident();
    for _ in 0..300 {
        compile_and_drop()?;
    }
    let grown = resident().saturating_sub(before);
    assert!(grown < 512 << 10, "300 compiles kept {} KB", grown / 1024);
    Ok(())
}
