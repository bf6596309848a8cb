//! RFC 3339 UTC timestamps with millisecond precision, without a date-time dependency.

/// Formats unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_rfc3339_ms(unix_ms: i64) -> String {
    let mut out = Vec::with_capacity(24);
    write_rfc3339_ms(unix_ms, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`format_rfc3339_ms`]'s text to `out` (the record writer's hot path: no `format!`).
/// The text up to the milliseconds is computed once per second and thread.
pub(crate) fn write_rfc3339_ms(unix_ms: i64, out: &mut Vec<u8>) {
    use std::cell::Cell;
    thread_local! {
        /// The last second written on this thread and its `YYYY-MM-DDTHH:MM:SS.` text.
        static SECOND: Cell<(i64, [u8; 20])> = const { Cell::new((i64::MIN, [0; 20])) };
    }
    let secs = unix_ms.div_euclid(1000);
    let ms = unix_ms.rem_euclid(1000);
    let digit = |v: i64, div: i64| b'0' + ((v / div) % 10) as u8;
    let prefix = SECOND.try_with(|cell| match cell.get() {
        (cached, prefix) if cached == secs => Some(prefix),
        _ => {
            let prefix = second_prefix(secs)?;
            cell.set((secs, prefix));
            Some(prefix)
        }
    });
    match prefix.unwrap_or_else(|_| second_prefix(secs)) {
        Some(prefix) => {
            out.extend_from_slice(&prefix);
            out.extend_from_slice(&[digit(ms, 100), digit(ms, 10), digit(ms, 1), b'Z']);
        }
        None => {
            // Outside four-digit years (never produced by the verifier's clock): the general form.
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            let sod = secs.rem_euclid(86_400);
            let (h, mi, s) = (sod / 3600, (sod % 3600) / 60, sod % 60);
            let text = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z");
            out.extend_from_slice(text.as_bytes());
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.` of unix second `secs`, if its year has four digits.
fn second_prefix(secs: i64) -> Option<[u8; 20]> {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let (h, mi, s) = (sod / 3600, (sod % 3600) / 60, sod % 60);
    let digit = |v: i64, div: i64| b'0' + ((v / div) % 10) as u8;
    Some([
        digit(y, 1000),
        digit(y, 100),
        digit(y, 10),
        digit(y, 1),
        b'-',
        digit(m, 10),
        digit(m, 1),
        b'-',
        digit(d, 10),
        digit(d, 1),
        b'T',
        digit(h, 10),
        digit(h, 1),
        b':',
        digit(mi, 10),
        digit(mi, 1),
        b':',
        digit(s, 10),
        digit(s, 1),
        b'.',
    ])
}

/// Parses the format written by [`format_rfc3339_ms`] (and whole seconds, `Z` only).
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = &s[19..];
    let ms = match rest {
        "Z" => 0,
        _ if rest.len() == 5 && rest.starts_with('.') && rest.ends_with('Z') => num(20..23)?,
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some((days * 86_400 + h * 3600 + mi * 60 + sec) * 1000 + ms)
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for ms in [0, 1_700_000_000_123, 951_782_400_000, -1, 4_102_444_800_999] {
            let s = format_rfc3339_ms(ms);
            assert_eq!(parse_rfc3339_ms(&s), Some(ms), "{s}");
        }
        assert_eq!(
            format_rfc3339_ms(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
    }

    #[test]
    fn fast_path_matches_the_general_format() {
        let general = |unix_ms: i64| {
            let secs = unix_ms.div_euclid(1000);
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            let sod = secs.rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
                sod / 3600,
                (sod % 3600) / 60,
                sod % 60,
                unix_ms.rem_euclid(1000)
            )
        };
        let samples = [
            0,
            -1,
            999,
            1_700_000_000_123,
            951_782_400_000,
            253_402_300_799_999,
            253_402_300_800_000,
            -62_167_219_200_000,
            -62_167_219_200_001,
            i64::MAX / 4,
            i64::MIN / 4,
        ];
        // The same second again and again (the cached prefix), around second boundaries, and
        // back and forth between seconds.
        let repeats = [0, 999, 1000, 1, 1999, 2000, 999, -1, -1000, -1001, 0];
        for ms in samples
            .into_iter()
            .chain((0..2000).map(|i| i * 7_919_993_117))
            .chain(repeats.map(|r| 1_700_000_000_000 + r))
            .chain(repeats.map(|r| 253_402_300_800_000 + r))
        {
            assert_eq!(format_rfc3339_ms(ms), general(ms), "{ms}");
        }
    }
}
