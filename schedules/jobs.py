"""schedules/jobs.toml: job definitions and their APScheduler triggers.

Cron expressions are standard crontab (5 fields, ``@daily`` & co.). They are
NOT handed to ``CronTrigger.from_crontab`` as they are, because APScheduler
numbers weekdays from Monday (0 = mon) while cron numbers them from Sunday
(0 or 7 = sun): "0 3 * * 0" would silently run on Mondays. The day-of-week
field is therefore expanded into explicit day names. Cron's other quirk is kept
too: when both day-of-month and day-of-week are restricted, a day matching
*either* fires (APScheduler's CronTrigger would require both), via OrTrigger.

Job defaults are explicit: ``coalesce = true``, ``max_instances = 1`` and
``misfire_grace_time = 3600`` (APScheduler 3 defaults to 1 second, so a job
that starts a little late after a busy minute or a suspend is silently skipped).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Mapping

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policywatch.errors import ConfigError
from policywatch.tracker.toml_reader import (
    boolean,
    optional_int,
    optional_number,
    positive_int as _positive_int,
    read_toml,
    reject_unknown as _reject_unknown,
    string,
    string_list,
    table,
)

DEFAULT_JOBS_FILE = Path(__file__).with_name("jobs.toml")
TASKS: tuple[str, ...] = ("crawl", "deliver", "health", "digest", "run")
DEFAULT_MISFIRE_GRACE = 3600

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron numbering: 0 = Sunday
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_INTERVAL = re.compile(r"(\d+)\s*([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_SCHEDULER_KEYS = {"timezone", "misfire_grace_time", "coalesce", "max_instances"}
_JOB_KEYS = {
    "id", "task", "cron", "interval", "live", "archive", "group", "policies", "since", "until",
    "misfire_grace_time", "coalesce", "enabled", "jitter", "description", "timeout",
}


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job as written in jobs.toml."""

    id: str
    task: str
    cron: str | None = None
    interval: str | None = None
    live: bool = True
    archive: bool = False
    group: str | None = None
    policies: tuple[str, ...] | None = None
    since: str | None = None
    until: str | None = None
    misfire_grace_time: int | None = None
    coalesce: bool | None = None
    jitter: int | None = None
    timeout: float | None = None  # seconds before a crawl child is killed
    description: str = ""


@dataclass(frozen=True)
class ScheduleSpec:
    """The whole file: scheduler settings and the enabled jobs."""

    path: str
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    misfire_grace_time: int = DEFAULT_MISFIRE_GRACE
    coalesce: bool = True
    max_instances: int = 1
    jobs: tuple[JobSpec, ...] = ()

    def job_defaults(self) -> dict[str, Any]:
        """APScheduler ``job_defaults``, always explicit (see module docstring)."""
        return {
            "coalesce": self.coalesce,
            "max_instances": self.max_instances,
            "misfire_grace_time": self.misfire_grace_time,
        }


def load_jobs(path: str | Path | None = None) -> ScheduleSpec:
    """Read and validate a jobs file (default: the packaged schedules/jobs.toml)."""
    path = Path(path) if path else DEFAULT_JOBS_FILE
    return parse_jobs(read_toml(path, "Jobs file"), source=str(path))


def parse_jobs(data: Mapping[str, Any], *, source: str = "<jobs>") -> ScheduleSpec:
    unknown = set(data) - {"scheduler", "jobs"}
    if unknown:
        raise ConfigError(f"{source}: unknown key {sorted(unknown)[0]!r} (expected [scheduler] and [[jobs]]).")
    settings = table(data.get("scheduler", {}), source, "[scheduler] ")
    _reject_unknown(settings, _SCHEDULER_KEYS, source, "[scheduler] ")
    raw_jobs = data.get("jobs", [])
    if not isinstance(raw_jobs, list):
        raise ConfigError(f"{source}: 'jobs' must be an array of tables ([[jobs]]).")
    jobs = tuple(
        _parse_job(raw, source, index)
        for index, raw in enumerate(raw_jobs)
        if not isinstance(raw, dict) or boolean(raw, "enabled", True, source, f"[[jobs]] #{index + 1} ")
    )
    ids = [job.id for job in jobs]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ConfigError(f"{source}: job ids must be unique; repeated: {', '.join(sorted(duplicates))}.")
    spec = ScheduleSpec(
        path=source,
        timezone=_zone(string(settings, "timezone", source, "[scheduler] ") or "UTC", source),
        misfire_grace_time=_positive_int(settings, "misfire_grace_time", DEFAULT_MISFIRE_GRACE, source, "[scheduler] "),
        coalesce=boolean(settings, "coalesce", True, source, "[scheduler] "),
        max_instances=_positive_int(settings, "max_instances", 1, source, "[scheduler] "),
        jobs=jobs,
    )
    for job in jobs:  # fail at load time, not at the first fire
        build_trigger(job, spec.timezone, source=source)
    return spec


def build_trigger(job: JobSpec, timezone: tzinfo, *, source: str = "<jobs>") -> BaseTrigger:
    """The APScheduler trigger of a job (cron with Sunday = 0, or an interval)."""
    try:
        if job.cron is not None:
            return cron_trigger(job.cron, timezone, jitter=job.jitter)
        return IntervalTrigger(timezone=timezone, jitter=job.jitter, **parse_interval(job.interval or ""))
    except ValueError as exc:
        raise ConfigError(f"{source}: job {job.id!r}: {exc}") from None


def cron_trigger(expression: str, timezone: tzinfo, *, jitter: int | None = None) -> BaseTrigger:
    """A trigger that fires exactly when crontab(5) would for ``expression``."""
    expression = _MACROS.get(expression.strip().lower(), expression)
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"cron expression {expression!r} needs 5 fields (minute hour day month weekday)")
    minute, hour, day, month, weekday = fields
    days_of_week = crontab_weekdays(weekday)
    common = {"minute": minute, "hour": hour, "month": month.lower(), "timezone": timezone, "jitter": jitter}
    if day != "*" and weekday != "*" and not day.startswith("*") and not weekday.startswith("*"):
        # crontab(5): "if both fields are restricted, the command runs when either matches".
        return OrTrigger(
            [CronTrigger(day=day, **common), CronTrigger(day_of_week=days_of_week, **common)]
        )
    return CronTrigger(day=day, day_of_week=days_of_week, **common)


def crontab_weekdays(field_text: str) -> str:
    """Crontab day-of-week (0/7 = Sunday, names, ranges, steps) -> APScheduler day names."""
    days: set[int] = set()
    for item in field_text.lower().split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in day-of-week {field_text!r}")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            start, _, end = base.partition("-")
            first, last = _weekday_number(start, field_text), _weekday_number(end, field_text, allow_seven=True)
        else:
            first = _weekday_number(base, field_text)
            last = 6 if step_text else first
        if first > last:
            raise ValueError(f"day-of-week range {base!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def _weekday_number(text: str, field_text: str, *, allow_seven: bool = True) -> int:
    if text in _DAY_NAMES:
        return _DAY_NAMES.index(text)
    if text.isdigit() and 0 <= int(text) <= (7 if allow_seven else 6):
        return int(text)
    raise ValueError(f"bad day-of-week {text!r} in {field_text!r} (use 0-7 or sun-sat)")


def parse_interval(text: str) -> dict[str, int]:
    """'90s', '5m', '1h30m', '1d' -> IntervalTrigger keyword arguments."""
    compact = text.replace(" ", "").lower()
    parts = _INTERVAL.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"interval {text!r} is not like '5m', '1h30m' or '1d'")
    values: dict[str, int] = {}
    for number, unit in parts:
        values[_UNITS[unit]] = values.get(_UNITS[unit], 0) + int(number)
    if not any(values.values()):
        raise ValueError(f"interval {text!r} must be longer than zero")
    return values


def next_fire_times(trigger: BaseTrigger, now: datetime, count: int = 3) -> list[datetime]:
    """The next ``count`` fire times after ``now`` (the injected clock), for tests and `--dry-run`."""
    times: list[datetime] = []
    previous = None
    moment = now
    while len(times) < count:
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        times.append(fire)
        previous, moment = fire, fire + timedelta(microseconds=1)
    return times


def _parse_job(raw: Any, source: str, index: int) -> JobSpec:
    where = f"[[jobs]] #{index + 1} "
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {where}must be a table.")
    _reject_unknown(raw, _JOB_KEYS, source, where)
    if not raw.get("id"):
        raise ConfigError(f"{source}: {where}needs an 'id'.")
    where = f"job {raw['id']!r} "
    if raw.get("task") not in TASKS:
        raise ConfigError(f"{source}: {where}has task {raw.get('task')!r}; expected one of: {', '.join(TASKS)}.")
    if ("cron" in raw) == ("interval" in raw):
        raise ConfigError(f"{source}: {where}needs exactly one of 'cron' or 'interval'.")
    archive = boolean(raw, "archive", False, source, where)
    coalesce = raw.get("coalesce")
    return JobSpec(
        id=str(raw["id"]),
        task=raw["task"],
        cron=string(raw, "cron", source, where),
        interval=string(raw, "interval", source, where),
        live=boolean(raw, "live", not archive, source, where),
        archive=archive,
        group=string(raw, "group", source, where),
        policies=string_list(raw, "policies", source, where, what="policy names or ids") or None,
        since=_stamp_text(raw, "since", source, where),
        until=_stamp_text(raw, "until", source, where),
        misfire_grace_time=optional_int(raw, "misfire_grace_time", source, where, minimum=1),
        coalesce=None if coalesce is None else boolean(raw, "coalesce", True, source, where),
        jitter=optional_int(raw, "jitter", source, where),
        timeout=optional_number(raw, "timeout", source, where),
        description=string(raw, "description", source, where) or "",
    )


def _stamp_text(raw: Mapping[str, Any], key: str, source: str, where: str) -> str | None:
    """since/until as written: a string, or a bare TOML integer such as 2020."""
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return string(raw, key, source, where)


def _zone(name: str, source: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{source}: [scheduler] timezone {name!r} is not a known IANA zone.") from None
