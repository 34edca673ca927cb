import pytest

from core.settings import Settings, SettingsError


def test_a_time_zone_that_does_not_exist_is_refused():
    with pytest.raises(SettingsError, match="SAMVERKA_TIMEZONE"):
        Settings.from_env({"SAMVERKA_TIMEZONE": "Europe/Atlantis"})


def test_defaults_serve_the_embedded_demo():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert not settings.is_production


def test_environment_variables_are_read_and_typed():
    settings = Settings.from_env({"SAMVERKA_SMTP_PORT": "2525", "SAMVERKA_LANGUAGES": "sv, fi", "SAMVERKA_SMTP_STARTTLS": "yes"})
    assert (settings.smtp_port, settings.languages, settings.smtp_starttls) == (2525, ("sv", "fi"), True)


def test_a_bad_number_names_the_variable():
    with pytest.raises(SettingsError, match="SAMVERKA_SMTP_PORT"):
        Settings.from_env({"SAMVERKA_SMTP_PORT": "many"})


def test_production_refuses_demo_secrets_and_says_which():
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"SAMVERKA_ENVIRONMENT": "production"})
    message = str(err.value)
    for name in ("SAMVERKA_SECRET_KEY", "SAMVERKA_ENCRYPTION_KEY", "SAMVERKA_INDEX_KEY", "SAMVERKA_DATABASE_URL",
                 "SAMVERKA_BASE_URL"):
        assert name in message


def test_production_starts_with_real_secrets():
    from core.people.vault import generate_key

    settings = Settings.from_env({
        "SAMVERKA_ENVIRONMENT": "production",
        "SAMVERKA_SECRET_KEY": "s" * 48,
        "SAMVERKA_ENCRYPTION_KEY": generate_key(),
        "SAMVERKA_INDEX_KEY": generate_key(),
        "SAMVERKA_DATABASE_URL": "postgresql+psycopg://app@db/samverka",
        "SAMVERKA_BASE_URL": "https://samverka.example.org",
    })
    assert settings.is_production


@pytest.mark.parametrize("environment, redis_url, workers, refused", [
    ("production", None, 3, True),
    ("production", None, 1, False),
    ("production", "redis://redis:6379/0", 3, False),
    ("demo", None, 3, False),
])
def test_production_refuses_several_workers_without_shared_rate_limits(environment, redis_url, workers, refused):
    from dataclasses import replace

    settings = replace(Settings(), environment=environment, redis_url=redis_url)
    if refused:
        with pytest.raises(SettingsError, match="SAMVERKA_REDIS_URL"):
            settings.check_workers(workers)
    else:
        settings.check_workers(workers)
