//! The pages' markup (maud escapes every interpolated value).

use maud::{html, Markup, DOCTYPE};

/// A page with the issuer's header.
pub(crate) fn layout(issuer: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · SciTokens issuer" }
                link rel="stylesheet" href={ (issuer) "/static/style.css" };
            }
            body {
                header { strong { "SciTokens issuer" } span { (issuer) } }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// An error or notice paragraph.
pub(crate) fn notice(class: &str, text: &str) -> Markup {
    html! { p class=(class) role="status" { (text) } }
}

/// The form where a person types the user code.
pub(crate) fn enter_code(issuer: &str, csrf: &str, code: &str, error: Option<&str>) -> Markup {
    layout(
        issuer,
        "Connect a device",
        html! {
            @if let Some(e) = error { (notice("error", e)) }
            p { "Type the code your terminal shows. You will then log in and see what the device is asking for before anything is granted." }
            form method="post" action={ (issuer) "/device" } {
                input type="hidden" name="csrf" value=(csrf);
                label for="user_code" { "Code" }
                input #user_code .code type="text" name="user_code" value=(code)
                    autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="12" required;
                button type="submit" { "Continue" }
            }
        },
    )
}

/// The login choices: the local form and the upstream provider's button.
pub(crate) fn login(
    issuer: &str,
    csrf: &str,
    local: bool,
    upstream: Option<&str>,
    error: Option<&str>,
) -> Markup {
    layout(
        issuer,
        "Log in",
        html! {
            @if let Some(e) = error { (notice("error", e)) }
            @if let Some(name) = upstream {
                form method="post" action={ (issuer) "/login/upstream" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button #upstream type="submit" { "Log in with " (name) }
                }
            }
            @if local && upstream.is_some() { hr; p class="muted" { "Or with a local account:" } }
            @if local {
                form method="post" action={ (issuer) "/login" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="username" { "Username" }
                    input #username type="text" name="username" autocomplete="username" required;
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button type="submit" { "Log in" }
                }
            }
        },
    )
}

/// What the consent page shows.
pub(crate) struct ConsentView<'a> {
    pub issuer: &'a str,
    pub csrf: &'a str,
    pub username: &'a str,
    pub via: &'a str,
    pub client_id: &'a str,
    pub user_code: &'a str,
    pub scopes: &'a [String],
    pub audiences: &'a [String],
    pub lifetime_secs: u64,
    pub refresh: bool,
    /// Why nothing can be granted, when nothing can.
    pub refusal: Option<&'a str>,
}

/// The consent page: what the token will carry, Approve and Deny.
pub(crate) fn consent(v: &ConsentView<'_>) -> Markup {
    layout(
        v.issuer,
        "Approve this device?",
        html! {
            p { "Logged in as " strong { (v.username) } span class="muted" { " (" (v.via) ")" } }
            p { "The client " code { (v.client_id) } " with code " code { (v.user_code) } " asks for a token." }
            @if let Some(why) = v.refusal {
                (notice("error", why))
            } @else {
                dl {
                    dt { "Scopes" }
                    dd { ul.scopes { @for s in v.scopes { li { (s) } } } }
                    dt { "Audience" }
                    dd { @for (i, a) in v.audiences.iter().enumerate() { @if i > 0 { ", " } code { (a) } } }
                    dt { "Lifetime" }
                    dd { (duration_text(v.lifetime_secs)) }
                    dt { "Stays fresh" }
                    dd { @if v.refresh { "yes: the device gets a refresh token and can renew the token until you revoke it" } @else { "no: one token only" } }
                }
            }
            form method="post" action={ (v.issuer) "/device/consent" } {
                input type="hidden" name="csrf" value=(v.csrf);
                @if v.refusal.is_none() {
                    button #approve type="submit" name="decision" value="approve" { "Approve" }
                }
                button #deny .deny type="submit" name="decision" value="deny" { "Deny" }
            }
        },
    )
}

/// Seconds as people say them: `5 minutes`, `1 hour 30 minutes`, `45 seconds`.
pub(crate) fn duration_text(secs: u64) -> String {
    let unit = |n: u64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(unit(h, "hour"));
    }
    if m > 0 {
        parts.push(unit(m, "minute"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(unit(s, "second"));
    }
    parts.join(" ")
}

/// A page with one message and a way back.
pub(crate) fn message(issuer: &str, title: &str, class: &str, text: &str) -> Markup {
    layout(
        issuer,
        title,
        html! {
            (notice(class, text))
            p { a href={ (issuer) "/device" } { "Connect another device" } }
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_words() {
        assert_eq!(super::duration_text(300), "5 minutes");
        assert_eq!(super::duration_text(5400), "1 hour 30 minutes");
        assert_eq!(super::duration_text(61), "1 minute 1 second");
        assert_eq!(super::duration_text(0), "0 seconds");
    }
}
