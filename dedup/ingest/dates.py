"""Dates from metadata and record fields, normalised to UTC ISO 8601."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# Dates before this are not publication times of web articles (bad parses, epoch zero).
EARLIEST_YEAR = 1990
HAS_TIME_RE = re.compile(r"\d{1,2}:\d{2}")


def normalize_date(value: object) -> str | None:
    """An ISO 8601 UTC time (``YYYY-MM-DDTHH:MM:SSZ``) or day (``YYYY-MM-DD``), or None.

    Accepts ISO 8601, RFC 2822 (``Mon, 20 Oct 2025 09:00:00 GMT``) and written dates
    (``October 19, 2025``). A time without a zone is taken as UTC. Values that are not
    dates, or lie before 1990, give None.
    """
    if value is None:
        return None
    raw = str(value).strip()
    if not raw:
        return None
    parsed = _parse(raw)
    if parsed is None or parsed.year < EARLIEST_YEAR:
        return None
    if not HAS_TIME_RE.search(raw):
        return parsed.strftime("%Y-%m-%d")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        pass
    from dateutil import parser

    try:
        return parser.parse(raw, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
