//! The console's JavaScript unit tests (`integration/console_js/*.test.mjs`, run by Node's own
//! test runner): the in-browser log verifier `tlog.js` against vectors a real log served and
//! tampered variants of them, and the session room's state (`session/state.js`) frame by frame
//! and event by event, held to the kinds docs/PROTOCOL.md documents. Node is required, not
//! optional: a missing `node` fails the test rather than skipping it, so the browser-side code
//! is never silently untested.

use std::path::Path;
use std::process::Command;

#[test]
fn the_console_javascript_unit_tests_pass_under_node() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let directory = root.join("integration/console_js");
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .expect("integration/console_js exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *.test.mjs files in {directory:?}");

    // Files rather than the directory: newer Node versions read `--test` arguments as globs.
    let output = match Command::new("node")
        .arg("--test")
        .args(&files)
        .current_dir(root)
        .output()
    {
        Ok(output) => output,
        Err(error) => panic!(
            "the console's JavaScript tests need Node.js 18 or later on PATH (apt install nodejs): {error}"
        ),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "node --test failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // A runner that found nothing to run also exits 0: insist that tests ran and passed.
    let passed = stdout
        .lines()
        .find_map(|line| line.strip_prefix("# pass "))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .unwrap_or(0);
    assert!(
        passed >= 10,
        "expected the console's JavaScript tests to run, got:\n{stdout}"
    );
}
