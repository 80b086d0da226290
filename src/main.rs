#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    match sealdraw::cli::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
