#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    match sealdraw::cli::run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
