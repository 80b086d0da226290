//! The module map's boundaries, checked (docs/ARCHITECTURE.md, "Boundaries"): every
//! `crate::…` path in `src/` (in `use` lines and inline, groups expanded) must name a module
//! its own module may use, and the crates one module owns (SQL: `sqlx`) may appear nowhere
//! else. Comments and string literals are not code and are skipped; `super::` paths stay
//! inside their module and are not read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Which of the crate's modules each module may use, besides itself. Every module has a row:
/// a new module fails this check until its place in the map is decided here.
#[rustfmt::skip] // a table, one module a line
const MAY_USE: &[(&str, &[&str])] = &[
    // Foundations: plain values and the process's own resources.
    ("clock",         &[]),
    ("text",          &[]),
    ("private_files", &[]),
    ("telemetry",     &[]),
    ("tasks",         &[]),
    ("web",           &[]),
    ("boundaries",    &[]),
    // Key material, and the only code that knows SQL.
    ("crypto",        &["private_files"]),
    ("store",         &["clock", "crypto", "private_files"]),
    ("tls",           &["clock", "crypto"]),
    // The handles every domain service is built from.
    ("deps",          &["clock", "crypto", "store"]),
    // Settings check witness keys with the pure signed-note core (`audit::note`).
    ("config",        &["audit"]),
    // The domain: below the surfaces, never reaching up into them.
    ("auth",          &["audit", "clock", "config", "crypto", "deps", "store", "text"]),
    ("audit",         &["auth", "clock", "config", "crypto", "deps", "store", "tls", "web"]),
    ("pool",          &["audit", "auth", "clock", "config", "crypto", "deps", "store", "text"]),
    ("draw",          &["audit", "auth", "clock", "config", "crypto", "deps", "pool", "store", "tasks", "text", "venue"]),
    ("notify",        &["audit", "auth", "clock", "config", "crypto", "deps", "draw", "pool", "store", "tasks", "text", "tls"]),
    // The catalogue of venues and their bookings: below whatever books a venue.
    ("venue",         &["audit", "auth", "clock", "crypto", "deps", "pool", "store", "text"]),
    // Ratings and the credit score, for sessions and on-site evaluations alike.
    ("conduct",       &["audit", "auth", "clock", "crypto", "deps", "draw", "notify", "store", "text"]),
    ("session",       &["audit", "auth", "clock", "conduct", "config", "crypto", "deps", "draw", "notify", "pool", "store", "text", "tls", "venue", "web"]),
    // Releasing a committee list waits for its evaluation session to close.
    ("publication",   &["audit", "auth", "clock", "deps", "draw", "pool", "session", "store", "text"]),
    // Supervision's statistics and signals read every part of the history; alerts are logged,
    // their experts sealed, a case's unseal request filed through the pool.
    ("analytics",     &["audit", "auth", "clock", "config", "crypto", "deps", "draw", "notify", "pool", "session", "store", "tasks", "text"]),
    // The evaluation archive gathers a closed evaluation's record from every part of it.
    ("archive",       &["audit", "auth", "clock", "config", "crypto", "deps", "draw", "pool", "publication", "session", "store", "tasks", "text"]),
    ("interruption",  &["audit", "auth", "clock", "crypto", "deps", "draw", "notify", "session", "store", "text", "venue"]),
    ("rotation",      &["analytics", "auth", "crypto", "deps", "notify", "pool", "store"]),
    // Experts' fees: settlements read a closed session's seats and open each seat's expert
    // through the draw, to pay them by pseudonym.
    ("fees",          &["audit", "auth", "clock", "config", "crypto", "deps", "draw", "pool", "session", "store", "text"]),
    // Joining the pool: an approval writes a record through the pool and sends its login.
    ("admission",     &["audit", "auth", "clock", "crypto", "deps", "notify", "pool", "store", "tasks", "text"]),
    // The surfaces.
    ("http",          &["admission", "analytics", "archive", "audit", "auth", "clock", "conduct", "config", "crypto", "draw", "fees", "interruption", "notify", "pool", "publication", "session", "store", "text", "tls", "venue", "web"]),
    ("console",       &["crypto", "web"]),
    // The assembly and the tools sit on top: each may use everything below it.
    ("startup",       &["admission", "analytics", "archive", "audit", "auth", "clock", "conduct", "config", "console", "crypto", "deps", "draw", "fees", "http", "interruption", "notify", "pool", "private_files", "publication", "rotation", "session", "store", "tasks", "telemetry", "text", "tls", "venue", "web"]),
    // The participant's side of a session, outside the server: it speaks the server's
    // protocol (`session::protocol`) and nothing of the server uses it.
    ("terminal",      &["crypto", "draw", "session", "tls"]),
    ("bench",         &["admission", "analytics", "archive", "audit", "auth", "clock", "conduct", "config", "console", "crypto", "deps", "draw", "fees", "http", "interruption", "notify", "pool", "private_files", "publication", "rotation", "session", "startup", "store", "tasks", "telemetry", "terminal", "text", "tls", "venue", "web"]),
    ("cli",           &["admission", "analytics", "archive", "audit", "auth", "bench", "clock", "conduct", "config", "console", "crypto", "deps", "draw", "fees", "http", "interruption", "notify", "pool", "private_files", "publication", "rotation", "session", "startup", "store", "tasks", "telemetry", "terminal", "text", "tls", "venue", "web"]),
];

/// Crates that belong to one module: no other module may name them. The cryptographic crates
/// are `crypto`'s, so nothing else names an algorithm (issue 18: everything goes through the
/// deployment's suite); the benchmarks also name them, to measure the raw primitives the suites
/// are compared against.
#[rustfmt::skip] // a table, one crate a line
const OWNED_CRATES: &[(&str, &[&str])] = &[
    ("sqlx",    &["store"]),
    ("ring",    &["crypto", "bench"]),
    ("sm2",     &["crypto"]),
    ("sm3",     &["crypto"]),
    ("sm4",     &["crypto"]),
    ("aes_gcm", &["crypto"]),
    ("hmac",    &["crypto"]),
    ("cryptoki", &["crypto"]),
    ("blahaj",  &["crypto"]),
    ("rand",    &["crypto"]),
    ("p256",    &["crypto"]),
    ("pkcs8",   &["crypto"]),
    ("x509_cert", &["crypto"]),
];

/// Known exceptions (none since issue 23 removed the last four). Each would let code under the
/// module path on the left name paths starting with the right. An exception that nothing needs
/// any more fails the check, so the list can only shrink.
const KNOWN_EXCEPTIONS: &[(&str, &str)] = &[];

/// One path in code: where it is, the module it is in, and what it names.
#[derive(Debug)]
struct Reference {
    file: PathBuf,
    line: usize,
    from: String,
    to: String,
}

#[test]
fn every_module_uses_only_what_the_module_map_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "src/ was not found or read");

    let mut references = Vec::new();
    let mut unmapped = BTreeSet::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let Some(from) = module_path(relative) else {
            continue; // lib.rs and main.rs: the crate's root may use everything.
        };
        if allowed_for(top(&from)).is_none() {
            unmapped.insert(top(&from).to_owned());
        }
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        for (line, to) in paths_after(&code, "crate") {
            references.push(Reference {
                file: relative.to_path_buf(),
                line,
                from: from.clone(),
                to,
            });
        }
        for (owned, _) in OWNED_CRATES {
            for (line, to) in paths_after(&code, owned) {
                references.push(Reference {
                    file: relative.to_path_buf(),
                    line,
                    from: from.clone(),
                    to: format!("{owned}::{to}"),
                });
            }
        }
    }
    assert!(
        unmapped.is_empty(),
        "modules without a row in MAY_USE (decide what they may use): {unmapped:?}"
    );

    let stored_words = stored_state_types(&files);
    assert!(
        stored_words.contains("DrawStatus") && stored_words.contains("Audience"),
        "the declarations of stored states were not found: {stored_words:?}"
    );
    let mut used_exceptions = BTreeSet::new();
    let mut violations = Vec::new();
    for reference in &references {
        if permitted(&reference.from, &reference.to)
            || names_a_stored_state(&reference.from, &reference.to, &stored_words)
        {
            continue;
        }
        match KNOWN_EXCEPTIONS
            .iter()
            .position(|(from, to)| within(&reference.from, from) && within(&reference.to, to))
        {
            Some(exception) => {
                used_exceptions.insert(exception);
            }
            None => violations.push(format!(
                "src/{}:{}: {} uses {}",
                reference.file.display(),
                reference.line,
                reference.from,
                reference.to
            )),
        }
    }
    assert!(
        violations.is_empty(),
        "imports across a boundary of the module map (docs/ARCHITECTURE.md, \"Boundaries\"):\n{}",
        violations.join("\n")
    );
    let stale: Vec<_> = (0..KNOWN_EXCEPTIONS.len())
        .filter(|exception| !used_exceptions.contains(exception))
        .map(|exception| KNOWN_EXCEPTIONS[exception])
        .collect();
    assert!(
        stale.is_empty(),
        "known exceptions that nothing needs any more; remove them from KNOWN_EXCEPTIONS: \
         {stale:?}"
    );
}

#[test]
fn the_reader_finds_paths_in_groups_and_inline_and_skips_comments_and_strings() {
    let code = code_only(
        "use crate::{store::{self, Tx}, audit};\n\
         // use crate::http;\n\
         /* crate::startup /* nested */ crate::cli */\n\
         let s = \"crate::console\"; let r = r#\"crate::bench \"quoted\"\"#;\n\
         let c = '\"'; let q = '\\''; let l: &'static str = \"\";\n\
         let x = crate::draw::Plan::new(); pub(crate) fn f() {}\n\
         $crate::pool::x!(); sqlx::query(\"\"); my_sqlx::a();\n",
    );
    assert_eq!(
        paths_after(&code, "crate"),
        [
            (1, "store".to_owned()),
            (1, "store::Tx".to_owned()),
            (1, "audit".to_owned()),
            (6, "draw::Plan::new".to_owned()),
            (7, "pool::x".to_owned()),
        ]
    );
    assert_eq!(paths_after(&code, "sqlx"), [(7, "query".to_owned())]);
}

#[test]
fn the_rules_permit_a_module_itself_and_its_row_and_nothing_else() {
    assert!(permitted("draw::service::intent", "draw::algorithm::seed"));
    assert!(permitted(
        "draw::service",
        "pool::service::data_key_context"
    ));
    assert!(!permitted("crypto::rotation", "store::Store"));
    assert!(!permitted("audit::witness", "http::request_id"));
    assert!(!permitted("session::hub", "sqlx::postgres::PgListener"));
    assert!(permitted("store::sessions", "sqlx::query"));
    let stored: BTreeSet<String> = ["DrawStatus".to_owned()].into();
    assert!(names_a_stored_state(
        "store::draws",
        "draw::DrawStatus",
        &stored
    ));
    assert!(!names_a_stored_state(
        "store::draws",
        "draw::DrawService",
        &stored
    ));
    assert!(!names_a_stored_state(
        "pool::service",
        "draw::DrawStatus",
        &stored
    ));
    assert!(within("draw::service::intent", "draw::service"));
    assert!(!within("draw::services", "draw::service"));
}

fn permitted(from: &str, to: &str) -> bool {
    let target = top(to);
    if let Some((_, owners)) = OWNED_CRATES.iter().find(|(owned, _)| *owned == target) {
        return owners.contains(&top(from));
    }
    target == top(from) || allowed_for(top(from)).is_some_and(|may| may.contains(&target))
}

/// The store reads and writes the domain's states as their text, so it names the types
/// declared for that (`text_enum!`, `text_column!`; `store::text_enum`) and nothing else of the
/// domain: a state is parsed once, where its row is read.
fn names_a_stored_state(from: &str, to: &str, stored_words: &BTreeSet<String>) -> bool {
    top(from) == "store"
        && to
            .rsplit("::")
            .next()
            .is_some_and(|name| stored_words.contains(name))
}

/// The names of the types declared as TEXT columns anywhere in `src/`.
fn stored_state_types(files: &[PathBuf]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in files {
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        for (index, _) in code.match_indices("text_enum! {") {
            let declared = &code[index..];
            if let Some(start) = declared.find(" enum ") {
                let name: String = declared[start + " enum ".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.insert(name);
            }
        }
        for (index, _) in code.match_indices("text_column!(") {
            let name: String = code[index + "text_column!(".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

fn allowed_for(module: &str) -> Option<&'static [&'static str]> {
    MAY_USE
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, may)| *may)
}

fn top(path: &str) -> &str {
    path.split("::").next().unwrap_or(path)
}

/// Whether `path` is `prefix` or lies under it.
fn within(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with("::"))
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
}

/// `draw/service/mod.rs` → `draw::service`; `None` for the crate's root files.
fn module_path(relative: &Path) -> Option<String> {
    let mut segments: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if segments.last().is_some_and(|last| last == "mod") {
        segments.pop();
    }
    match segments.as_slice() {
        [root] if root == "lib" || root == "main" => None,
        _ => Some(segments.join("::")),
    }
}

/// The source with comments, string literals and character literals blanked out (newlines
/// kept, so line numbers stay true).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut code = String::with_capacity(source.len());
    let blank = |code: &mut String, text: &[char]| {
        code.extend(text.iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
    };
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let after_identifier = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        let end = if rest.starts_with(&['/', '/']) {
            rest.iter().position(|&c| c == '\n').unwrap_or(rest.len())
        } else if rest.starts_with(&['/', '*']) {
            block_comment_end(rest)
        } else if !after_identifier && raw_string_start(rest).is_some() {
            let (opening, hashes) = raw_string_start(rest).unwrap();
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            opening
                + (opening..rest.len())
                    .find(|&j| rest[j..].starts_with(&closing))
                    .map_or(rest.len() - opening, |j| j - opening + closing.len())
        } else if rest[0] == '"' || (!after_identifier && rest.starts_with(&['b', '"'])) {
            let opening = if rest[0] == 'b' { 2 } else { 1 };
            let mut j = opening;
            while j < rest.len() && rest[j] != '"' {
                j += if rest[j] == '\\' { 2 } else { 1 };
            }
            (j + 1).min(rest.len())
        } else if rest[0] == '\'' && rest.get(1) == Some(&'\\') {
            // `'\n'`, `'\''`, `'\u{…}'`: the escaped character, then up to the closing quote.
            (3 + rest.get(3..).map_or(0, |tail| {
                tail.iter()
                    .position(|&c| c == '\'')
                    .map_or(tail.len(), |j| j + 1)
            }))
            .min(rest.len())
        } else if rest[0] == '\'' && rest.get(2) == Some(&'\'') {
            3
        } else {
            code.push(rest[0]);
            i += 1;
            continue;
        };
        blank(&mut code, &rest[..end]);
        i += end;
    }
    code
}

fn block_comment_end(rest: &[char]) -> usize {
    let mut depth = 0;
    let mut j = 0;
    while j < rest.len() {
        if rest[j..].starts_with(&['/', '*']) {
            depth += 1;
            j += 2;
        } else if rest[j..].starts_with(&['*', '/']) {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    rest.len()
}

/// `r"`, `r#"`, `br##"` …: the length of the opening and the number of hashes.
fn raw_string_start(rest: &[char]) -> Option<(usize, usize)> {
    let after_b = usize::from(rest.first() == Some(&'b'));
    if rest.get(after_b) != Some(&'r') {
        return None;
    }
    let hashes = rest[after_b + 1..]
        .iter()
        .take_while(|&&c| c == '#')
        .count();
    (rest.get(after_b + 1 + hashes) == Some(&'"')).then_some((after_b + 2 + hashes, hashes))
}

/// Every path that follows `<root>::` in `code` (also `$crate::`), with its line; groups such
/// as `crate::{a::{self, B}, c}` are expanded to `a`, `a::B` and `c`.
fn paths_after(code: &str, root: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = code.chars().collect();
    let needle: Vec<char> = format!("{root}::").chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + needle.len() <= chars.len() {
        let boundary =
            i == 0 || !(chars[i - 1].is_alphanumeric() || matches!(chars[i - 1], '_' | ':'));
        if boundary && chars[i..].starts_with(&needle) {
            let line = 1 + chars[..i].iter().filter(|&&c| c == '\n').count();
            let mut position = i + needle.len();
            for path in use_tree(&chars, &mut position) {
                found.push((line, path));
            }
            i = position;
        } else {
            i += 1;
        }
    }
    found
}

/// Parses `a::b`, `a::{b, c::d}`, `{…}` or `*` at `position`; `self` names its parent.
fn use_tree(chars: &[char], position: &mut usize) -> Vec<String> {
    let skip_space = |position: &mut usize| {
        while chars.get(*position).is_some_and(|c| c.is_whitespace()) {
            *position += 1;
        }
    };
    skip_space(position);
    if chars.get(*position) == Some(&'{') {
        *position += 1;
        let mut paths = Vec::new();
        loop {
            skip_space(position);
            match chars.get(*position) {
                Some('}') => {
                    *position += 1;
                    return paths;
                }
                Some(',') => *position += 1,
                None => return paths,
                Some(_) => {
                    let before = *position;
                    paths.extend(use_tree(chars, position));
                    if *position == before {
                        *position += 1;
                    }
                }
            }
        }
    }
    let start = *position;
    while chars
        .get(*position)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        *position += 1;
    }
    let segment: String = chars[start..*position].iter().collect();
    if segment.is_empty() {
        return Vec::new();
    }
    if chars[*position..].starts_with(&[':', ':']) {
        *position += 2;
        let tails = use_tree(chars, position);
        if tails.is_empty() {
            return vec![segment];
        }
        return tails
            .into_iter()
            .map(|tail| {
                if tail == "self" {
                    segment.clone()
                } else {
                    format!("{segment}::{tail}")
                }
            })
            .collect();
    }
    vec![segment]
}
