//! The `scheme://authority/path` form shared by scope resources and requests, parsed with nom.

use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::satisfy;
use nom::combinator::{recognize, rest};
use nom::sequence::pair;
use nom::{IResult, Parser};

/// RFC 3986 scheme: a letter, then letters, digits, `+`, `-`, `.`.
fn scheme(input: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic()),
        take_while(|c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')),
    ))
    .parse(input)
}

/// Non-empty authority: everything up to the first `/`, without white space or control
/// characters.
fn authority(input: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c != '/' && !c.is_whitespace() && !c.is_control()).parse(input)
}

/// Splits `scheme://authority[/path]` into its three parts; the path may be empty.
pub(crate) fn split_url(text: &str) -> Option<(&str, &str, &str)> {
    let parsed: IResult<&str, (&str, &str, &str, &str)> =
        (scheme, tag("://"), authority, rest).parse(text);
    match parsed {
        Ok((_, (scheme, _, authority, path))) if path.is_empty() || path.starts_with('/') => {
            Some((scheme, authority, path))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_refuses() {
        assert_eq!(
            split_url("mysql://db:3806/schema"),
            Some(("mysql", "db:3806", "/schema"))
        );
        assert_eq!(split_url("https://h"), Some(("https", "h", "")));
        assert_eq!(split_url("foo"), None);
        assert_eq!(split_url("1http://h/"), None);
        assert_eq!(split_url("http:///x"), None);
        assert_eq!(split_url("http:/x"), None);
    }
}
