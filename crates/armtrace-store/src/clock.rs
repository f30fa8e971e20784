//! The current time as RFC 3339 UTC text (milliseconds), for `created_at`-style columns and
//! audit entries. One clock for the whole store; the calendar arithmetic is
//! `armtrace_core::audit::utc_timestamp`.

/// Now, as `2025-03-01T12:00:00.000Z`.
pub(crate) fn now() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    armtrace_core::audit::utc_timestamp(ms)
}
