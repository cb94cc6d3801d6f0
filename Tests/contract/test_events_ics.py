"""The iCalendar feed parses with a standard parser and holds exactly the JSON occurrences."""

from __future__ import annotations

import datetime as dt

import requests
from icalendar import Calendar

from openapi_support import required_env


def _get(path: str, **headers: str) -> requests.Response:
    base = required_env("TTDN_BASE_URL").rstrip("/")
    token = required_env("TTDN_ADMIN_TOKEN")
    response = requests.get(base + path, headers={"Authorization": f"Bearer {token}", **headers}, timeout=30)
    response.raise_for_status()
    return response


def test_ics_round_trips_the_occurrences_of_2023():
    window = "from=2023-01-01&to=2023-12-31"
    occurrences = _get(f"/v1/events/occurrences?{window}").json()["items"]
    calendar = Calendar.from_ical(_get(f"/v1/events.ics?{window}").content)

    events = [component for component in calendar.walk("VEVENT")]
    assert len(events) == len(occurrences) > 0

    from_ics = set()
    for event in events:
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") - dt.timedelta(days=1)  # all-day DTEND is exclusive
        from_ics.add((str(event["SUMMARY"]), start.isoformat(), end.isoformat()))

    from_json = set()
    for item in occurrences:
        summary = item["title"] if item["anniversary"] is None else f"{item['title']} (kỷ niệm {item['anniversary']} năm)"
        from_json.add((summary, item["date"], item["end_date"] or item["date"]))

    assert from_ics == from_json
    summaries = {summary for summary, _, _ in from_ics}
    assert "Ngày thành lập Đảng Cộng sản Việt Nam (kỷ niệm 93 năm)" in summaries
    assert "Ngày thành lập ASEAN (kỷ niệm 56 năm)" in summaries
