#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    let outcome = sealdraw::cli::run();
    // The command is over and nothing uses a key module any more.
    sealdraw::crypto::module::finalize_all();
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
