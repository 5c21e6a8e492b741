//! Numbers, sizes, durations and times as people read them; shared by the dashboard and the
//! headless commands.

use chrono::{DateTime, Datelike, FixedOffset, Local, TimeZone, Timelike, Utc};

use crate::lag::history::CatchUp;

/// 1234567 → "1,234,567".
/// "1 partition", "3 partitions", "1,200 groups": a count with its noun in the right number
/// (nouns that add an s).
pub fn plural(n: impl Into<i64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Messages per second: one decimal below ten, whole numbers above.
pub fn rate(r: f64) -> String {
    if r <= 0.0 {
        "0".to_owned()
    } else if r < 10.0 {
        format!("{r:.1}")
    } else {
        count(r.round() as i64)
    }
}

/// Bytes in binary units: "512 B", "1.5 KiB", "3.2 GiB".
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// How long ago, for a quorum member's last fetch: "120 ms ago".
pub fn ago(now_ms: i64, then_ms: Option<i64>) -> String {
    match then_ms {
        Some(t) => format!("{} ago", duration((now_ms - t).max(0))),
        None => "unknown".into(),
    }
}

/// 95_000 ms → "1m35s".
pub fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86400, (s % 86400) / 3600),
    }
}

/// Configs whose `-1` means unlimited; any other time or size config is unlimited at Long.MAX.
const UNLIMITED_AT_MINUS_ONE: [&str; 4] = [
    "retention.ms",
    "retention.bytes",
    "local.retention.ms",
    "local.retention.bytes",
];

const TIME_UNITS: [(i64, &str); 4] = [
    (86_400_000, "d"),
    (3_600_000, "h"),
    (60_000, "m"),
    (1_000, "s"),
];
const SIZE_UNITS: [(i64, &str); 4] = [
    (1 << 40, "TiB"),
    (1 << 30, "GiB"),
    (1 << 20, "MiB"),
    (1 << 10, "KiB"),
];

/// A topic or broker config's value as people read it: times (`*.ms`) as "7d", sizes
/// (`*.bytes`) as "1 GiB", -1 and Long.MAX as "unlimited", `local.retention.*`'s -2 as what it
/// means; the value itself when it is none of these. [`config_raw`] reads these back.
pub fn config_value(name: &str, value: &str) -> String {
    let Ok(n) = value.trim().parse::<i64>() else {
        return value.to_owned();
    };
    if n == i64::MAX {
        return "unlimited".to_owned();
    }
    let is_time = name.ends_with(".ms");
    let is_size = name.ends_with(".bytes");
    if !(is_time || is_size) {
        return value.to_owned();
    }
    match n {
        -1 => return "unlimited".to_owned(),
        -2 if name.starts_with("local.retention.") => {
            return format!("-2 (as {})", name.trim_start_matches("local."));
        }
        n if n < 0 => return value.to_owned(),
        _ => {}
    }
    if is_size {
        exact_units(n, &SIZE_UNITS, " B")
    } else {
        exact_units(n, &TIME_UNITS, "ms")
    }
}

/// A config value as typed, in the units [`config_value`] shows (`3d`, `1.5 GiB`, `unlimited`,
/// `-2 (as retention.ms)`) or as stored, made into what Kafka stores.
pub fn config_raw(name: &str, typed: &str) -> Result<String, String> {
    let typed = typed.trim();
    let is_time = name.ends_with(".ms");
    let is_size = name.ends_with(".bytes");
    if typed.eq_ignore_ascii_case("unlimited") || typed.eq_ignore_ascii_case("never") {
        return Ok(if UNLIMITED_AT_MINUS_ONE.contains(&name) {
            "-1".to_owned()
        } else {
            i64::MAX.to_string()
        });
    }
    // A number with what it means after it, as shown: the number.
    let first = typed.split_whitespace().next().unwrap_or_default();
    if typed.ends_with(')') && first.parse::<i64>().is_ok() {
        return Ok(first.to_owned());
    }
    let plain = typed.replace([',', '_'], "");
    if plain.parse::<i64>().is_ok() || !(is_time || is_size) {
        return Ok(if plain.parse::<i64>().is_ok() {
            plain
        } else {
            typed.to_owned()
        });
    }
    let split = plain
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(plain.len());
    let (number, unit) = plain.split_at(split);
    let units: &[(i64, &str)] = if is_time { &TIME_UNITS } else { &SIZE_UNITS };
    let base = if is_time { "ms" } else { "B" };
    let unit = unit.trim();
    let scale = if unit.eq_ignore_ascii_case(base) {
        Some(1)
    } else {
        units
            .iter()
            .find(|(_, u)| u.eq_ignore_ascii_case(unit))
            .map(|(s, _)| *s)
    };
    let names: Vec<&str> = units.iter().map(|(_, u)| *u).chain([base]).collect();
    let bad = || {
        format!(
            "{typed:?} is not a value of {name}: use a number, unlimited, or units ({})",
            names.join(", ")
        )
    };
    let (Some(scale), Ok(n)) = (scale, number.trim().parse::<f64>()) else {
        return Err(bad());
    };
    let raw = n * scale as f64;
    if !(raw.is_finite() && raw >= 0.0 && raw < i64::MAX as f64) || raw.fract() != 0.0 {
        return Err(format!("{typed:?} is not a whole number of {base}"));
    }
    Ok((raw as i64).to_string())
}

/// The largest unit that divides `n` exactly ("7d", "1 GiB"), else one decimal of the largest
/// unit it reaches ("1.5 GiB", "2.5h"), else `n` with `base`.
fn exact_units(n: i64, units: &[(i64, &str)], base: &str) -> String {
    let spaced = base.starts_with(' ');
    let join = |number: String, unit: &str| {
        if spaced {
            format!("{number} {unit}")
        } else {
            format!("{number}{unit}")
        }
    };
    if let Some((size, unit)) = units.iter().find(|(size, _)| n >= *size && n % size == 0) {
        return join(count(n / size), unit);
    }
    if let Some((size, unit)) = units.iter().find(|(size, _)| n >= *size) {
        return join(format!("{:.1}", n as f64 / *size as f64), unit);
    }
    format!("{n}{base}")
}

/// "30s", "5m", "2h", "250ms" or plain seconds; positive.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: use 30s, 5m, 2h"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("invalid duration {text:?}: use 30s, 5m, 2h")),
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("invalid duration {text:?}: must be positive"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// When a group catches up, as a phrase.
pub fn catch_up(c: CatchUp) -> String {
    match c {
        CatchUp::CaughtUp => "caught up".into(),
        CatchUp::Seconds(s) => format!("~{}", duration(s as i64 * 1000)),
        CatchUp::Never => "never at this rate".into(),
        CatchUp::KeepingUp => "keeping up".into(),
        CatchUp::Unknown => "-".into(),
    }
}

/// A record time with milliseconds, in a fixed offset (tests) or the local zone.
pub fn time(ms: i64, offset: Option<FixedOffset>) -> String {
    let Some(utc) = DateTime::<Utc>::from_timestamp_millis(ms) else {
        return format!("{ms} ms");
    };
    let local = match offset {
        Some(o) => o.from_utc_datetime(&utc.naive_utc()).naive_local(),
        None => utc.with_timezone(&Local).naive_local(),
    };
    // Written digit by digit: a followed topic's list writes forty of these a frame, and a
    // strftime pattern is read again for each.
    if !(0..=9999).contains(&local.year()) {
        return local.format("%Y-%m-%d %H:%M:%S%.3f").to_string();
    }
    let mut out = String::with_capacity(23);
    let mut digits = |n: u32, width: u32, then: Option<char>| {
        for place in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10u32.pow(place) % 10) as u8));
        }
        out.extend(then);
    };
    digits(local.year() as u32, 4, Some('-'));
    digits(local.month(), 2, Some('-'));
    digits(local.day(), 2, Some(' '));
    digits(local.hour(), 2, Some(':'));
    digits(local.minute(), 2, Some(':'));
    digits(local.second(), 2, Some('.'));
    digits(local.nanosecond() / 1_000_000 % 1000, 3, None);
    out
}

/// The zone times are shown in: "UTC", or the offset ("+01:00"; the local one now when None).
pub fn zone(offset: Option<FixedOffset>) -> String {
    let offset = offset.unwrap_or_else(|| *Local::now().offset());
    if offset.local_minus_utc() == 0 {
        "UTC".to_owned()
    } else {
        offset.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_read_as_people_read_them_and_back() {
        assert_eq!(
            config_value("flush.messages", "9223372036854775807"),
            "unlimited"
        );
        assert_eq!(
            config_value("message.timestamp.after.max.ms", "9223372036854775807"),
            "unlimited"
        );
        assert_eq!(
            config_value("local.retention.ms", "-2"),
            "-2 (as retention.ms)"
        );
        // What is shown can be typed back (the edit prompt starts from it).
        for (name, raw) in [
            ("retention.ms", "604800000"),
            ("retention.ms", "-1"),
            ("segment.ms", "5400000"),
            ("flush.ms", "1500"),
            ("flush.ms", "9223372036854775807"),
            ("segment.bytes", "1073741824"),
            ("retention.bytes", "-1"),
            ("local.retention.bytes", "-2"),
            ("flush.messages", "9223372036854775807"),
            ("cleanup.policy", "compact,delete"),
            ("max.message.bytes", "1572864"),
        ] {
            let shown = config_value(name, raw);
            assert_eq!(
                config_raw(name, &shown).as_deref(),
                Ok(raw),
                "{name} {shown}"
            );
        }
        assert_eq!(config_raw("retention.ms", "3d").as_deref(), Ok("259200000"));
        assert_eq!(config_raw("retention.ms", "12h").as_deref(), Ok("43200000"));
        assert_eq!(
            config_raw("segment.bytes", "512 mib").as_deref(),
            Ok("536870912")
        );
        assert_eq!(config_raw("retention.ms", "1,000").as_deref(), Ok("1000"));
        let e = config_raw("segment.bytes", "1 GB").unwrap_err();
        assert!(e.contains("TiB, GiB, MiB, KiB, B"), "{e}");
        assert!(config_raw("flush.ms", "0.5ms").is_err());
    }

    #[test]
    fn config_values_read_in_units() {
        assert_eq!(config_value("retention.ms", "604800000"), "7d");
        assert_eq!(config_value("retention.ms", "-1"), "unlimited");
        assert_eq!(config_value("segment.ms", "5400000"), "90m");
        assert_eq!(config_value("flush.ms", "1500"), "1.5s");
        assert_eq!(config_value("segment.bytes", "1073741824"), "1 GiB");
        assert_eq!(config_value("retention.bytes", "-1"), "unlimited");
        assert_eq!(config_value("max.message.bytes", "1048588"), "1.0 MiB");
        assert_eq!(config_value("max.message.bytes", "100"), "100 B");
        assert_eq!(config_value("cleanup.policy", "delete"), "delete");
        assert_eq!(config_value("min.insync.replicas", "2"), "2");
    }

    #[test]
    fn record_times_read_as_their_pattern_says() {
        let pattern = |ms: i64, o: FixedOffset| {
            let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap();
            o.from_utc_datetime(&utc.naive_utc())
                .format("%Y-%m-%d %H:%M:%S%.3f")
                .to_string()
        };
        let offsets = [0, 3600, -5 * 3600 - 1800, 14 * 3600];
        let times = [
            0,
            1,
            999,
            1_764_000_000_123,
            -1,
            -62_135_596_800_000, // year 1
            253_402_300_799_999, // the last millisecond of 9999
            253_402_300_800_000, // year 10000
            -62_167_219_200_001, // before year 0
        ];
        for secs in offsets {
            let o = FixedOffset::east_opt(secs).unwrap();
            for ms in times {
                assert_eq!(time(ms, Some(o)), pattern(ms, o), "{ms} at {secs}");
            }
        }
        assert_eq!(time(i64::MAX, None), format!("{} ms", i64::MAX));
    }

    #[test]
    fn zones_are_named() {
        assert_eq!(zone(FixedOffset::east_opt(0)), "UTC");
        assert_eq!(zone(FixedOffset::east_opt(3600)), "+01:00");
        assert_eq!(zone(FixedOffset::west_opt(5 * 3600 + 1800)), "-05:30");
    }

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(-45_000), "-45,000");
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(2.25), "2.2");
        assert_eq!(rate(1234.4), "1,234");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(duration(95_000), "1m35s");
        assert_eq!(duration(7_200_000), "2h00m");
        assert_eq!(catch_up(CatchUp::Seconds(95.0)), "~1m35s");
    }

    #[test]
    fn parses_durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
