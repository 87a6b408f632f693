//! PROPFIND answers (RFC 4918 §9.1): a `207 Multi-Status` with each resource's display name,
//! type, length and modification time. Every request is answered as `allprop`; the request
//! body is not read.

use std::fmt::Write as _;
use std::fs::Metadata;
use std::io;
use std::path::Path;

/// Characters kept as they are in an `href`: RFC 3986 unreserved, and `/`.
fn href_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
}

/// A URL path, percent-encoded for an `href`.
///
/// ```
/// assert_eq!(scitokens_webdav::propfind::href("/dav", "/a b/c&d"), "/dav/a%20b/c%26d");
/// ```
pub fn href(base: &str, path: &str) -> String {
    let full = if base == "/" {
        path.to_owned()
    } else {
        format!("{base}{path}")
    };
    let mut out = String::with_capacity(full.len());
    for b in full.bytes() {
        if href_char(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Text safe in XML character data.
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn response(out: &mut String, href_text: &str, name: &str, meta: &Metadata) {
    let _ = write!(
        out,
        "<D:response><D:href>{}</D:href><D:propstat><D:prop><D:displayname>{}</D:displayname>",
        xml_text(href_text),
        xml_text(name)
    );
    if meta.is_dir() {
        out.push_str("<D:resourcetype><D:collection/></D:resourcetype>");
    } else {
        let _ = write!(
            out,
            "<D:resourcetype/><D:getcontentlength>{}</D:getcontentlength>",
            meta.len()
        );
    }
    if let Ok(modified) = meta.modified() {
        let _ = write!(
            out,
            "<D:getlastmodified>{}</D:getlastmodified>",
            httpdate::fmt_http_date(modified)
        );
    }
    out.push_str("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n");
}

/// The multistatus document for `file` (authorized as `path`, served under `base`), with its
/// children when `children` (Depth: 1). Symbolic links among the children are not listed.
pub fn multistatus(file: &Path, path: &str, base: &str, children: bool) -> io::Result<String> {
    let meta = std::fs::symlink_metadata(file)?;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n",
    );
    let name = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let own = if meta.is_dir() && !path.ends_with('/') {
        format!("{path}/")
    } else {
        path.to_owned()
    };
    response(&mut out, &href(base, &own), name, &meta);
    if children && meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(file)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let child = entry.metadata()?;
            if entry.file_type()?.is_symlink() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let slash = if child.is_dir() { "/" } else { "" };
            let child_path = format!("{}{name}{slash}", own);
            response(&mut out, &href(base, &child_path), &name, &child);
        }
    }
    out.push_str("</D:multistatus>\n");
    Ok(out)
}
