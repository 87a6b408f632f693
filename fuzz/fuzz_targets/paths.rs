//! Scope-path and request-path normalization, and `covers`. The input is a scope path and a
//! request path separated by a newline. Properties: both normalizations are idempotent and
//! stay under the root with no `..`; a scope covers only itself and what lies below it, on
//! segment boundaries; the plain-text shortcuts give what the full parsers give.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scitokens_format::scope::{RequestPath, ScopePath};

fn shown(path: &str, dir: bool) -> String {
    if dir && path != "/" {
        format!("{path}/")
    } else {
        path.to_owned()
    }
}

fn no_dot_segments(path: &str) {
    assert!(path.starts_with('/'), "{path:?} is absolute");
    for segment in path.split('/').skip(1) {
        assert!(
            segment != ".." && segment != ".",
            "{path:?} has a dot segment"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (scope_text, request_text) = text.split_once('\n').unwrap_or((text, text));
    let scope = ScopePath::parse(scope_text).ok();
    let request = RequestPath::parse(request_text).ok();
    assert_eq!(scope, ScopePath::parse_without_shortcut(scope_text).ok());
    assert_eq!(request, RequestPath::parse_without_shortcut(request_text).ok());
    if let Some(scope) = &scope {
        no_dot_segments(scope.as_str());
        let again =
            ScopePath::parse(&scope.to_string()).expect("a normalized scope path re-parses");
        assert_eq!(&again, scope, "scope normalization is idempotent");
    }
    if let Some(request) = &request {
        no_dot_segments(request.as_str());
        let text = shown(request.as_str(), request.is_dir());
        let again = RequestPath::parse(&text).expect("a normalized request re-parses");
        assert_eq!(
            again.as_str(),
            request.as_str(),
            "request normalization is idempotent"
        );
        assert_eq!(again.is_dir(), request.is_dir());
    }
    if let (Some(scope), Some(request)) = (&scope, &request) {
        if scope.covers(request) {
            let (p, r) = (scope.as_str(), request.as_str());
            assert!(
                scope.is_root() || r == p || r.starts_with(&format!("{p}/")),
                "{scope} covers {r} outside it"
            );
        }
    }
});
