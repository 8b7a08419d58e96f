"""jobs.toml parsing and cron semantics (Sunday = 0), computed from a fixed clock."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from policywatch.errors import ConfigError
from policywatch.schedules.jobs import (
    DEFAULT_MISFIRE_GRACE, build_trigger, cron_trigger, crontab_weekdays, load_jobs, next_fire_times,
    parse_interval, parse_jobs,
)

UTC = ZoneInfo("UTC")
WEDNESDAY = dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # 2024-05-01 is a Wednesday


def fires(expression: str, now: dt.datetime = WEDNESDAY, count: int = 3) -> list[dt.datetime]:
    return next_fire_times(cron_trigger(expression, UTC), now, count)


def test_sunday_is_zero_as_in_cron():
    [first] = fires("0 3 * * 0", count=1)
    assert first == dt.datetime(2024, 5, 5, 3, 0, tzinfo=UTC)
    assert first.strftime("%A") == "Sunday"
    assert fires("0 3 * * 7", count=1) == [first]
    assert fires("0 3 * * sun", count=1) == [first]
    assert fires("0 3 * * SUN", count=1) == [first]


def test_monday_is_one():
    [first] = fires("0 3 * * 1", count=1)
    assert first.strftime("%A") == "Monday" and first.date() == dt.date(2024, 5, 6)


@pytest.mark.parametrize(
    "field, expected",
    [
        ("*", "*"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("0,6", "sun,sat"),
        ("*/2", "sun,tue,thu,sat"),  # cron steps count from Sunday
        ("1/3", "mon,thu"),
        ("0-7", "*"),
    ],
)
def test_weekday_field_conversion(field, expected):
    assert crontab_weekdays(field) == expected


def test_weekend_range_across_sunday():
    days = {t.strftime("%a") for t in fires("0 0 * * 5-7", count=6)}
    assert days == {"Fri", "Sat", "Sun"}


def test_day_of_month_or_day_of_week_like_cron():
    # crontab(5): "0 0 13 * 5" fires on the 13th AND on every Friday.
    times = fires("0 0 13 * 5", count=4)
    assert [t.date() for t in times] == [
        dt.date(2024, 5, 3), dt.date(2024, 5, 10), dt.date(2024, 5, 13), dt.date(2024, 5, 17)
    ]


def test_minute_hour_steps_and_macros():
    # a fire time equal to "now" counts (APScheduler semantics)
    assert fires("*/15 * * * *", count=3) == [
        WEDNESDAY, WEDNESDAY + dt.timedelta(minutes=15), WEDNESDAY + dt.timedelta(minutes=30)
    ]
    assert fires("@daily", count=1) == [dt.datetime(2024, 5, 2, 0, 0, tzinfo=UTC)]
    assert fires("@weekly", count=1)[0].strftime("%A") == "Sunday"


@pytest.mark.parametrize("bad", ["0 3 * *", "0 3 * * 8", "0 3 * * funday", "61 * * * *", "0 3 * * 5-2"])
def test_bad_cron_expressions(bad):
    with pytest.raises(ConfigError, match="job 'x'"):
        parse_jobs({"jobs": [{"id": "x", "task": "deliver", "cron": bad}]})


def test_intervals():
    assert parse_interval("5m") == {"minutes": 5}
    assert parse_interval("1h30m") == {"hours": 1, "minutes": 30}
    assert parse_interval("1d") == {"days": 1}
    for bad in ("5", "five minutes", "0m", ""):
        with pytest.raises(ValueError):
            parse_interval(bad)


def test_packaged_jobs_file_loads_with_explicit_defaults():
    spec = load_jobs()
    assert spec.job_defaults() == {"coalesce": True, "max_instances": 1, "misfire_grace_time": DEFAULT_MISFIRE_GRACE}
    by_id = {job.id: job for job in spec.jobs}
    assert {"live-check", "archive-backfill", "deliver-alerts", "daily-digest"} <= set(by_id)
    backfill = by_id["archive-backfill"]
    assert backfill.archive and not backfill.live and backfill.misfire_grace_time == 21600
    [fire] = next_fire_times(build_trigger(backfill, spec.timezone), WEDNESDAY, 1)
    assert fire.strftime("%A %H:%M") == "Sunday 03:30"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"jobs": [{"id": "a", "task": "mow"}]}, "task 'mow'"),
        ({"jobs": [{"id": "a", "task": "deliver"}]}, "exactly one of 'cron' or 'interval'"),
        ({"jobs": [{"id": "a", "task": "deliver", "interval": "5m", "cronn": "x"}]}, "unknown key"),
        ({"jobs": [{"id": "a", "task": "deliver", "interval": "5m"}] * 2}, "unique"),
        ({"scheduler": {"timezone": "Mars/Olympus"}}, "timezone"),
        ({"scheduler": {"misfire_grace_time": 0}}, "misfire_grace_time"),
    ],
)
def test_invalid_jobs(data, message):
    with pytest.raises(ConfigError, match=message):
        parse_jobs(data)


def test_disabled_jobs_are_skipped():
    spec = parse_jobs({"jobs": [{"id": "a", "task": "deliver", "interval": "5m", "enabled": False}]})
    assert spec.jobs == ()
