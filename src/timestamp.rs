//! Points in time as Podman takes and prints them: RFC 3339 in logs and
//! events; Unix seconds, dates or durations back from now in `--since`,
//! `--until` and the `until=` filters.

const NANOS: i64 = 1_000_000_000;

/// `2026-11-28T17:00:00.123456Z` for microseconds since the epoch.
pub fn rfc3339_micros(usec: u64) -> String {
    let secs = usec / 1_000_000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        usec % 1_000_000
    )
}

/// A point in time given as Podman's `--since`/`--until` and filters take
/// it, in Unix nanoseconds: Unix seconds (`1700000000`, `1700000000.5`),
/// an RFC 3339 time or a date (`2026-12-03T10:00:00Z`,
/// `2026-12-03T10:00:00.5+01:00`, `2026-12-03`; UTC when it has no zone),
/// or a Go duration that long before `now_nanos` (`90s`, `10m`, `1h30m`).
/// None when it is none of these.
pub fn parse(value: &str, now_nanos: i64) -> Option<i64> {
    if let Some(t) = unix_seconds(value) {
        return Some(t);
    }
    if let Some(t) = rfc3339_nanos(value) {
        return Some(t);
    }
    duration_nanos(value).map(|d| now_nanos.saturating_sub(d))
}

/// `SECONDS[.FRACTION]` as nanoseconds.
fn unix_seconds(value: &str) -> Option<i64> {
    let (secs, frac) = value.split_once('.').unwrap_or((value, ""));
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(secs.parse::<i64>().ok()?.saturating_mul(NANOS).saturating_add(fraction_nanos(frac)?))
}

/// Decimal digits after the point as nanoseconds (beyond nine ignored).
fn fraction_nanos(digits: &str) -> Option<i64> {
    let nine: String = digits.chars().take(9).collect();
    if nine.is_empty() {
        return Some(0);
    }
    Some(nine.parse::<i64>().ok()? * 10i64.pow(9 - nine.len() as u32))
}

/// An RFC 3339 time, or a date alone (midnight), as Unix nanoseconds.
pub fn rfc3339_nanos(value: &str) -> Option<i64> {
    let number = |s: &str| -> Option<i64> { s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse().ok())? };
    let (date, time) = match value.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (value, None),
    };
    let mut ymd = date.splitn(3, '-');
    let (year, month, day) = (number(ymd.next()?)?, number(ymd.next()?)?, number(ymd.next()?)?);
    if date.len() != 10 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut nanos = days_from_civil(year, month, day) * 86_400 * NANOS;
    let Some(time) = time else { return Some(nanos) };
    // The zone: Z, +HH:MM or -HH:MM; none is UTC.
    let (clock, offset) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else if let Some(at) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(at);
        let (h, m) = zone[1..].split_once(':')?;
        let minutes = number(h)? * 60 + number(m)?;
        (clock, if zone.starts_with('-') { -minutes } else { minutes })
    } else {
        (time, 0)
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.splitn(3, ':');
    let (h, m, s) = (number(parts.next()?)?, number(parts.next()?)?, number(parts.next()?)?);
    if h > 23 || m > 59 || s > 60 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    nanos += ((h * 60 + m - offset) * 60 + s) * NANOS + fraction_nanos(frac)?;
    Some(nanos)
}

/// A Go duration (`300ms`, `1.5h`, `1h30m`) in nanoseconds.
pub fn duration_nanos(value: &str) -> Option<i64> {
    let mut rest = value;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        let unit_len = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += number.parse::<f64>().ok()? * scale;
        rest = next;
    }
    (total < i64::MAX as f64).then_some(total as i64)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339_micros(1_709_251_199_000_001), "2024-02-29T23:59:59.000001Z");
    }

    #[test]
    fn the_forms_podman_takes() {
        let now = 1_800_000_000 * NANOS;
        assert_eq!(parse("1700000000", now), Some(1_700_000_000 * NANOS));
        assert_eq!(parse("1700000000.25", now), Some(1_700_000_000 * NANOS + 250_000_000));
        assert_eq!(parse("2024-02-29T23:59:59.000001Z", now), Some(1_709_251_199_000_001_000));
        assert_eq!(parse("2024-03-01T00:59:59+01:00", now), Some(1_709_251_199 * NANOS));
        assert_eq!(parse("2024-02-29T22:59:59-01:00", now), Some(1_709_251_199 * NANOS));
        assert_eq!(parse("2024-03-01", now), Some(1_709_251_200 * NANOS));
        // conmon's k8s-file times.
        assert_eq!(parse("2024-02-29T23:59:59.123456789+00:00", now), Some(1_709_251_199_123_456_789));
        assert_eq!(parse("10m", now), Some(now - 600 * NANOS));
        assert_eq!(parse("1h30m", now), Some(now - 5400 * NANOS));
        assert_eq!(parse("1.5s", now), Some(now - 1_500_000_000));
        assert_eq!(parse("300ms", now), Some(now - 300_000_000));
        for bad in ["", "yesterday", "10x", "2024-13-01", "2024-02-29T25:00:00Z", "-5m", "1.2.3"] {
            assert_eq!(parse(bad, now), None, "{bad}");
        }
    }
}
