"""Bad configuration is refused with the variable's name, in one line."""

from __future__ import annotations

import pytest

from flagpilot.settings import Settings


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FLAGPILOT_DATABASE_URL", "nonsense", "FLAGPILOT_DATABASE_URL: 'nonsense' is not a database URL"),
        ("FLAGPILOT_DATABASE_URL", "mysql://db/flags", "SQLite and PostgreSQL are"),
        (
            "FLAGPILOT_DATABASE_URL",
            "postgresql://db:five/flags",
            "FLAGPILOT_DATABASE_URL: 'postgresql://db:five/flags' has a port that is not a number",
        ),
        ("FLAGPILOT_FLAGS_ENABLED", "maybe", "FLAGPILOT_FLAGS_ENABLED: expected true or false, got 'maybe'"),
        (
            "FLAGPILOT_CACHE_TTL_SECONDS",
            "5 minutes",
            "FLAGPILOT_CACHE_TTL_SECONDS: expected a number of seconds",
        ),
        ("FLAGPILOT_CACHE_TTL_SECONDS", "-1", "FLAGPILOT_CACHE_TTL_SECONDS: expected a positive number"),
        ("FLAGPILOT_CACHE_TTL_SECONDS", "nan", "FLAGPILOT_CACHE_TTL_SECONDS: expected a positive number"),
    ],
)
def test_from_env__with_a_bad_value__names_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=variable) as raised:
        Settings.from_env({variable: value})

    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///./flagpilot.db",
        "sqlite:////var/lib/flagpilot/flags.db",
        "postgresql+psycopg://flagpilot:secret@db.internal:5432/flags",
        "postgresql:///flags?host=/var/run/postgresql",
    ],
)
def test_from_env__with_a_supported_url__takes_it(url: str) -> None:
    assert Settings.from_env({"FLAGPILOT_DATABASE_URL": url}).database_url == url


def test_from_env__keeps_only_flagpilot_variables_and_reads_booleans_with_one_rule() -> None:
    settings = Settings.from_env(
        {"FLAGPILOT_ACCESS_LOG": "off", "FLAGPILOT_PRESET__X": "1", "HOME": "/root", "AWS_SECRET": "s"}
    )

    assert settings.access_log is False
    assert dict(settings.environ) == {"FLAGPILOT_ACCESS_LOG": "off", "FLAGPILOT_PRESET__X": "1"}
    with pytest.raises(ValueError, match="FLAGPILOT_ACCESS_LOG"):
        Settings.from_env({"FLAGPILOT_ACCESS_LOG": "maybe"})


def test_from_env__parses_the_rollout_runtime_settings_with_the_others() -> None:
    settings = Settings.from_env(
        {
            "FLAGPILOT_ROLLBACK_CHECK_SECONDS": "2.5",
            "FLAGPILOT_OUTCOME_FLUSH_SECONDS": "1",
            "FLAGPILOT_ALERT_WEBHOOK_URL": "https://hooks.example.com/flagpilot",
            "FLAGPILOT_ROLLBACK_ALPHA": "0.2",
        }
    )

    runtime = settings.rollouts
    assert (runtime.check_seconds, runtime.flush_seconds) == (2.5, 1.0)
    assert runtime.webhook_url == "https://hooks.example.com/flagpilot"
    assert runtime.webhook_secret is None
    assert runtime.rule.absolute.alpha == 0.2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FLAGPILOT_ROLLBACK_CHECK_SECONDS", "0"),
        ("FLAGPILOT_OUTCOME_FLUSH_SECONDS", "soon"),
        ("FLAGPILOT_ALERT_WEBHOOK_URL", "ftp://hooks.example.com"),
    ],
)
def test_from_env__a_bad_rollout_runtime_value__is_refused_naming_it(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
