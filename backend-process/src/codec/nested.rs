//! bincode's errors after a crossing of erased deserializers: a task sent
//! through `dyn Executor` (`pool/erased.rs`) decodes its argument and result
//! through `erased_serde`, which carries a codec's error across as text, so
//! bincode's own error comes back as `OtherString(..)` of its `Debug` form —
//! once per crossing. [`describe_nested`] peels those layers and describes the
//! innermost error as the typed path does, so a value refused through
//! `concur::Pool` is refused in the same words.

use super::guard;

/// A message that crossed erased deserializers (a task through
/// `dyn Executor`, `pool/erased.rs`): each crossing turns bincode's error
/// into text and back into `OtherString(..)` of its `Debug` form. Peeled
/// back to the innermost error, described as the typed path describes it.
pub(super) fn describe_nested(message: String) -> String {
    let mut inner = message;
    while let Some(quoted) = inner
        .strip_prefix("OtherString(\"")
        .and_then(|rest| rest.strip_suffix("\")"))
    {
        match unescape_debug(quoted) {
            Some(unescaped) => inner = unescaped,
            None => break,
        }
    }
    use bincode::error::DecodeError as E;
    use bincode::serde::DecodeError as S;
    match inner.as_str() {
        "Serde(IdentifierNotSupported)" => {
            super::payload::describe_decode(E::Serde(S::IdentifierNotSupported))
        }
        "Serde(AnyNotSupported)" | "Serde(IgnoredAnyNotSupported)" => guard::needs_any(),
        _ => match inner
            .strip_prefix("UnexpectedEnd { additional: ")
            .and_then(|rest| rest.strip_suffix(" }"))
            .and_then(|n| n.parse().ok())
        {
            Some(additional) => super::payload::describe_decode(E::UnexpectedEnd { additional }),
            None => inner,
        },
    }
}

/// The text whose `Debug` form (without its quotes) is `quoted`; `None` for
/// an escape it does not know.
fn unescape_debug(quoted: &str) -> Option<String> {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '0' => '\0',
            c @ ('\\' | '"' | '\'') => c,
            'u' => {
                let rest = chars.as_str().strip_prefix('{')?;
                let end = rest.find('}')?;
                let c = char::from_u32(u32::from_str_radix(&rest[..end], 16).ok()?)?;
                chars = rest[end + 1..].chars();
                c
            }
            _ => return None,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `OtherString(..)` around `text`, as one crossing of an erased
    /// deserializer leaves bincode's error.
    fn wrap(text: &str) -> String {
        format!("OtherString({text:?})")
    }

    #[test]
    fn nested_messages_are_peeled_and_described_as_the_typed_path_does() {
        use bincode::error::DecodeError as E;
        use bincode::serde::DecodeError as S;
        let typed = super::super::payload::describe_decode(E::Serde(S::IdentifierNotSupported));
        let mut nested = "Serde(IdentifierNotSupported)".to_owned();
        for _ in 0..5 {
            nested = wrap(&nested);
            assert_eq!(describe_nested(nested.clone()), typed);
        }
        let end = wrap(&wrap("UnexpectedEnd { additional: 3 }"));
        assert_eq!(
            describe_nested(end),
            super::super::payload::describe_decode(E::UnexpectedEnd { additional: 3 })
        );
        // A user's own message, quotes, backslashes and non-ASCII included,
        // comes out as it went in.
        let own = "invalid value: \"a\\b\" \u{1F600}\n\t\u{7}";
        assert_eq!(describe_nested(wrap(&wrap(own))), own);
    }

    #[test]
    fn hostile_messages_are_kept_as_they_are_and_never_panic() {
        for text in [
            "",
            "OtherString(",
            "OtherString(\"\")",
            "OtherString(\"\\",
            "OtherString(\"\\u{\")",
            "OtherString(\"\\u{110000}\")",
            "OtherString(\"\\u{zz}\")",
            "OtherString(\"\\q\")",
            "OtherString(\"é\\u{e9\")",
            "UnexpectedEnd { additional: 99999999999999999999999 }",
        ] {
            let out = describe_nested(text.to_owned());
            assert!(out.len() <= text.len(), "{text:?} became {out:?}");
        }
    }
}
