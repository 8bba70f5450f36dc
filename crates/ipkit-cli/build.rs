//! Links GCC's unwinder into `ipkit` itself on Linux with glibc, instead of
//! loading `libgcc_s.so.1` at every start.
//!
//! Rust's standard library asks the linker for `-lgcc_s` (the unwinder
//! behind backtraces and panics). Loading that shared library costs every
//! process: the dynamic loader maps and binds it, and its constructor
//! (`__cpu_indicator_init`) asks the CPU for its features with a run of
//! CPUID instructions, each of which traps to the hypervisor on a virtual
//! machine (7.4 µs apiece on the machine bench/RESULTS.md names). Measured
//! there: a hello world starts in 0.73 ms instead of 0.86 ms this way, and
//! a single `ipkit info` lookup, which is mostly process start-up, gains
//! the same.
//!
//! The linker looks for `-lgcc_s` in the directories it is given before
//! the system's, and takes a `libgcc_s.a` where it finds one: this script
//! puts GCC's static unwinder (`libgcc_eh.a`, the archive a
//! `crt-static` build links) there under that name. It does so only for a
//! native build (target = host) on linux-gnu where the C compiler names
//! that archive; anywhere else, or with `IPKIT_DYNAMIC_LIBGCC=1`, the
//! binary links `libgcc_s.so.1` as usual. Behaviour is the same either
//! way: the unwinder is the same code, found through `dl_iterate_phdr`.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=IPKIT_DYNAMIC_LIBGCC");
    println!("cargo:rerun-if-env-changed=CC");
    if let Some(dir) = static_unwinder_dir() {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
}

/// The directory holding `libgcc_s.a` (a copy of `libgcc_eh.a`), or None
/// where this build keeps the shared library.
fn static_unwinder_dir() -> Option<PathBuf> {
    let var = |name: &str| env::var(name).unwrap_or_default();
    let crt_static = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || crt_static
        || var("TARGET") != var("HOST")
        || !var("IPKIT_DYNAMIC_LIBGCC").is_empty()
    {
        return None;
    }
    let cc = env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let out = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    let archive = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    // The compiler echoes the bare name when it has no such file.
    if !out.status.success() || !archive.is_absolute() || !archive.is_file() {
        return None;
    }
    let dir = PathBuf::from(env::var_os("OUT_DIR")?).join("static-unwinder");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::copy(&archive, dir.join("libgcc_s.a")).ok()?;
    println!("cargo:rerun-if-changed={}", archive.display());
    Some(dir)
}
