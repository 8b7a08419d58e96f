"""policywatch.toml and jobs.toml are read by ONE strict reader: same errors, same types."""
from __future__ import annotations

import pytest

from policywatch.errors import ConfigError
from policywatch.schedules.jobs import load_jobs, parse_jobs
from policywatch.tracker.config import load_config


@pytest.mark.parametrize("job, message", [
    ({"live": "yes"}, "'live' must be true or false"),
    ({"archive": 1}, "'archive' must be true or false"),
    ({"timeout": "600"}, "'timeout' must be a positive number"),
    ({"timeout": 0}, "'timeout' must be a positive number"),
    ({"jitter": -5}, "'jitter' must be an integer"),
    ({"policies": "acme"}, None),  # a single name is a list of one
    ({"policies": [1]}, "'policies' must be a list"),
    ({"coalesce": "false"}, "'coalesce' must be true or false"),
])
def test_job_values_are_typed(job, message):
    data = {"jobs": [{"id": "j", "task": "crawl", "interval": "1h", **job}]}
    if message is None:
        assert parse_jobs(data).jobs[0].policies == ("acme",)
        return
    with pytest.raises(ConfigError, match=message):
        parse_jobs(data)


def test_disabled_flag_is_typed_too():
    with pytest.raises(ConfigError, match="'enabled' must be true or false"):
        parse_jobs({"jobs": [{"id": "j", "task": "crawl", "interval": "1h", "enabled": "no"}]})


def test_both_files_report_missing_and_invalid_files_the_same_way(tmp_path):
    with pytest.raises(ConfigError, match=r"Jobs file .* does not exist"):
        load_jobs(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"Config file .* does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[jobs]\n")
    for loader in (load_jobs, load_config):
        with pytest.raises(ConfigError, match="invalid TOML"):
            loader(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[scheduler]\ntimezon = 'UTC'\n")
    with pytest.raises(ConfigError, match=r"unknown key \[scheduler\] 'timezon'"):
        load_jobs(unknown)
    unknown.write_text("[delivery]\nclaim_timout = 60\n")
    with pytest.raises(ConfigError, match=r"unknown key \[delivery\] 'claim_timout'"):
        load_config(unknown)
