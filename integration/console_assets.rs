//! The console's files as the server sends them (the screens themselves are driven in a real
//! browser by `console`), and the two reference endpoints the console added.

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::{Method, StatusCode};
use sealdraw::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{assert_security_headers, spawn_app};

#[tokio::test]
async fn the_console_is_served_with_its_own_strict_policy_and_revalidated_by_hash() {
    let app = spawn_app().await;

    let root = app.get("/", None).await;
    assert_eq!(root.status(), StatusCode::OK);
    assert!(root.url().path().ends_with("/console/"), "{}", root.url());

    let page = app.get("/console/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
    ] {
        assert!(policy.contains(directive), "{directive} missing: {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let etag = page.headers()["etag"].to_str().unwrap().to_owned();
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="/console/app.js">"#));
    // No inline script or style: the policy would block them, so none may be relied on.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(
        !html.contains("<style") && !html.contains("style="),
        "{html}"
    );

    let unchanged = app
        .request(Method::GET, "/console/", None)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    let changed = app
        .request(Method::GET, "/console/", None)
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);

    let script = app.get("/console/app.js", None).await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_ne!(script.headers()["etag"].to_str().unwrap(), etag);
    assert!(script.text().await.unwrap().contains("import"));

    for missing in [
        "/console/nothing.js",
        "/console/..%2FCargo.toml",
        "/console/%2e%2e/Cargo.toml",
        // Modules sit in folders, but only the table's exact names are served.
        "/console/session/",
        "/console/session/..%2Fapp.js",
        "/console/strings/..%2F..%2F..%2FCargo.toml",
    ] {
        let response = app.get(missing, None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{missing}"
        );
    }

    // The API keeps its own, stricter policy: it serves no documents at all.
    let api = app.get("/healthz", None).await;
    assert_security_headers(&api);
    assert!(
        !api.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src")
    );
}

/// The browser loads the console as a graph of modules from `app.js`: every one must be served
/// as JavaScript under the console's policy, wherever it sits (`session/`, `strings/`), and every
/// module in the sources must be part of that graph (none unserved, none dead).
#[tokio::test]
async fn every_module_the_console_imports_is_served_and_every_module_is_imported() {
    let app = spawn_app().await;
    let mut reached = BTreeSet::new();
    let mut queue = vec![String::from("app.js")];
    while let Some(module) = queue.pop() {
        if !reached.insert(module.clone()) {
            continue;
        }
        let response = app.get(&format!("/console/{module}"), None).await;
        assert_eq!(response.status(), StatusCode::OK, "{module}");
        assert_eq!(
            response.headers()["content-type"],
            "text/javascript; charset=utf-8",
            "{module}"
        );
        assert_eq!(
            response.headers()["content-security-policy"],
            sealdraw::console::CONTENT_SECURITY_POLICY,
            "{module}"
        );
        let source = response.text().await.unwrap();
        queue.extend(imports(&source).map(|specifier| resolve(&module, specifier)));
    }

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console/assets");
    let mut on_disk = BTreeSet::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "js") {
                let name = path.strip_prefix(&root).unwrap();
                on_disk.insert(name.to_string_lossy().into_owned());
            }
        }
    }
    assert_eq!(reached, on_disk);
}

/// The specifiers of a module's static `import … from '…'` and `export … from '…'` lines (the
/// console has no other kind).
fn imports(source: &str) -> impl Iterator<Item = &str> {
    source
        .lines()
        .filter(|line| line.starts_with("import ") || line.starts_with("export "))
        // `import … from '…'`, and `import '…';` for a module loaded for its effect (sm.js
        // loads the vendored SM library, which sets a global).
        .filter_map(|line| {
            line.split_once(" from '")
                .map(|(_, rest)| rest)
                .or_else(|| line.strip_prefix("import '"))
        })
        .filter_map(|rest| rest.split_once('\''))
        .map(|(specifier, _)| specifier)
}

/// `../api.js` imported by `session/room.js` is `api.js`.
fn resolve(module: &str, specifier: &str) -> String {
    let mut parts: Vec<&str> = module.split('/').collect();
    parts.pop();
    for part in specifier.split('/') {
        match part {
            "." => {}
            ".." => {
                assert!(
                    parts.pop().is_some(),
                    "{specifier} leaves the console, from {module}"
                );
            }
            name => parts.push(name),
        }
    }
    parts.join("/")
}

/// The draw form's region picker reads Hubei's divisions from the server, the list venues and
/// region rules are checked against, rather than a copy of its own.
#[tokio::test]
async fn centers_read_hubeis_prefectures_with_their_counties_for_the_region_picker() {
    let app = spawn_app().await;
    let (_, center) = app.account_with_token("center.regions", Role::Center).await;
    let (_, expert) = app.account_with_token("expert.regions", Role::Expert).await;

    let regions = app.get_json("/api/v1/regions", Some(&center)).await;
    let prefectures = regions.as_array().unwrap();
    assert_eq!(prefectures.len(), 17);
    let counties: usize = prefectures
        .iter()
        .map(|p| p["counties"].as_array().unwrap().len())
        .sum();
    assert_eq!(counties, 103);
    let xiangyang = prefectures.iter().find(|p| p["code"] == "420600").unwrap();
    assert_eq!(xiangyang["name"], "襄阳市");
    assert_eq!(xiangyang["prefix"], "4206");
    assert!(
        xiangyang["counties"]
            .as_array()
            .unwrap()
            .contains(&json!({"code": "420626", "name": "保康县", "kind": "county"}))
    );
    // A division the province administers directly is its own prefecture, with its own
    // six-digit prefix (4290 groups four of them).
    let xiantao = prefectures.iter().find(|p| p["code"] == "429004").unwrap();
    assert_eq!(xiantao["prefix"], "429004");
    assert_eq!(
        xiantao["counties"],
        json!([{"code": "429004", "name": "仙桃市", "kind": "county-level city"}])
    );

    let refused = app.get("/api/v1/regions", Some(&expert)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn centers_read_the_specialty_tree_and_staff_read_which_keys_are_in_force() {
    let app = spawn_app().await;
    let (_, center) = app.account_with_token("center.tree", Role::Center).await;
    let (_, supervisor) = app
        .account_with_token("supervisor.keys", Role::Supervisor)
        .await;

    let response = app.get("/api/v1/specialties", Some(&center)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let codes: Vec<Value> = response.json().await.unwrap();
    assert!(codes.len() > 10, "{codes:?}");
    let names: Vec<&str> = codes.iter().map(|c| c["code"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(
        names, sorted,
        "in code order, so parents come before children"
    );
    for code in &names {
        // A is a root; A01's parent is A; A0101's is A01; A010101's is A0101.
        let parent = match code.len() {
            1 => continue,
            3 => &code[..1],
            length => &code[..length - 2],
        };
        assert!(names.contains(&parent), "{code} has no parent in the tree");
    }
    assert!(
        codes
            .iter()
            .all(|c| !c["name"].as_str().unwrap().is_empty())
    );

    let note = app
        .request(Method::POST, "/api/v1/audit/checkpoint", Some(&supervisor))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let signed_size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    assert!(signed_size > 0);
    let response = app.get("/api/v1/keys", Some(&supervisor)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let status: Value = response.json().await.unwrap();
    let active = status["active_sealing_key"].as_str().unwrap();
    assert!(!active.is_empty());
    assert!(
        status["sealing_keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|id| id == active)
    );
    let vkey = app.get_text("/api/v1/audit/key", Some(&supervisor)).await;
    let listed: Vec<&str> = status["log"]["verifier_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(listed, vkey.lines().collect::<Vec<_>>());
    assert_eq!(status["log"]["checkpoint_size"], signed_size);
    assert_eq!(status["log"]["checkpoint_cosignatures"], 0);
    assert!(
        status["log"]["signing_keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["active"] == true && k.as_object().unwrap().len() == 2),
        "ids and state only: {status}"
    );
}

/// One term per concept in the console's Chinese (issue 24 §4): reserves are 候补 (never 备选),
/// a draw's intent is 抽取意向 (never 意图), wherever a screen says them.
#[test]
fn the_chinese_strings_use_one_term_per_concept() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console/assets/strings");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (avoided, preferred) in [("备选", "候补"), ("意图", "意向")] {
            assert!(
                !text.contains(avoided),
                "{} says {avoided}; the console says {preferred}",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 5,
        "only {checked} string files found in {}",
        dir.display()
    );
}
