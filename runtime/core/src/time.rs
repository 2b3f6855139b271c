//! Formatting instants for people (RFC 3339, UTC), without a date library.

/// `seconds`/`nanoseconds` since the Unix epoch as `2026-11-23T19:49:38.123456789Z`.
pub fn rfc3339(seconds: u64, nanoseconds: u32) -> String {
    let days = (seconds / 86_400) as i64;
    let rem = seconds % 86_400;
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, rem / 60 % 60, rem % 60);
    if nanoseconds == 0 {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{nanoseconds:09}Z")
    }
}

/// Parses what [`rfc3339`] writes (`2026-11-23T19:49:38.123456789Z`, UTC,
/// any number of fraction digits up to nine) into seconds and nanoseconds
/// since the Unix epoch.
pub fn parse_rfc3339(text: &str) -> Option<(u64, u32)> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (date.next()??, date.next()??, date.next()??);
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut clock = clock.split(':').map(|p| p.parse::<u64>().ok());
    let (hh, mm, ss) = (clock.next()??, clock.next()??, clock.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 || fraction.len() > 9 {
        return None;
    }
    let nanoseconds =
        if fraction.is_empty() { 0 } else { fraction.parse::<u32>().ok()? * 10u32.pow(9 - fraction.len() as u32) };
    let days = days_from_civil(y, m as u32, d as u32);
    let seconds = u64::try_from(days).ok()? * 86_400 + hh * 3600 + mm * 60 + ss;
    Some((seconds, nanoseconds))
}

/// A proleptic Gregorian (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn parses_what_it_formats() {
        for (s, n) in [(0, 0), (951_782_400, 5), (1_795_470_578, 0), (1_796_114_634, 654_089_823)] {
            assert_eq!(super::parse_rfc3339(&rfc3339(s, n)), Some((s, n)), "{}", rfc3339(s, n));
        }
        assert_eq!(super::parse_rfc3339("2026-12-01T08:43:54.5Z"), Some((1_796_114_634, 500_000_000)));
        assert_eq!(super::parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(super::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.000000005Z");
        assert_eq!(rfc3339(1_795_470_578, 0), "2026-11-23T21:49:38Z");
    }
}
