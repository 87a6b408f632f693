//! The claims reader: every registered-claim accessor, the audience, profile detection.
//! Properties: no panic; absent, malformed and parsed are exclusive; claims re-encode equal;
//! the fast path for plain members (`members.rs`) reads claims and headers exactly as the
//! general parser does, errors included.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scitokens_format::{names, Claims, Header, Profile};

fuzz_target!(|data: &[u8]| {
    let header = Header::from_json(data).map_err(|e| e.to_string());
    let general = Header::from_json_without_shortcut(data).map_err(|e| e.to_string());
    assert_eq!(header, general);
    let claims = Claims::from_json(data);
    let general = Claims::from_json_without_shortcut(data);
    let general = general.as_ref().map_err(ToString::to_string);
    assert_eq!(claims.as_ref().map_err(ToString::to_string), general);
    let Ok(claims) = claims else {
        return;
    };
    for name in [names::ISS, names::SUB, names::JTI, names::SCOPE] {
        let value = claims.string(name);
        assert_eq!(value.is_absent(), !claims.contains(name));
        let _ = value.optional(name);
    }
    for name in [names::EXP, names::NBF, names::IAT] {
        let value = claims.time(name);
        assert_eq!(value.is_absent(), !claims.contains(name));
        if let Ok(Some(_)) = claims.time(name).optional(name) {
            assert!(claims.get(name).is_some_and(serde_json::Value::is_number));
        }
    }
    if let Ok(Some(aud)) = claims.aud().optional(names::AUD) {
        for value in aud.values() {
            assert!(aud.contains(value));
        }
    }
    for typ in ["JWT", "at+jwt"] {
        let header =
            Header::from_json(format!(r#"{{"alg":"ES256","typ":"{typ}"}}"#).as_bytes()).unwrap();
        let _ = Profile::detect(&header, &claims);
    }
    let encoded = serde_json::to_vec(&claims).unwrap();
    let again = Claims::from_json(&encoded).expect("claims re-decode");
    assert_eq!(again, claims);
    assert_eq!(Claims::new(claims.to_map()), claims);
});
