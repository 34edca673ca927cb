"""The tenant's clock (core.tenants.clock): current tenant, its zone, local time <-> UTC,
around the daylight-saving changes of Stockholm (CET/CEST) and Helsinki (EET/EEST)."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from core.db import TenancyError, tenant_scope
from core.tenants.clock import current_tenant, current_zone, from_local, local, local_time, zone

STOCKHOLM, HELSINKI = ZoneInfo("Europe/Stockholm"), ZoneInfo("Europe/Helsinki")
#: 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC, all over the EU.
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_the_current_tenant_and_its_zone(db_session, make_tenant):
    swedish, finnish = make_tenant(country="SE"), make_tenant(country="FI")
    with tenant_scope(swedish.id):
        assert current_tenant(db_session) is swedish
        assert current_zone(db_session) == STOCKHOLM
    with tenant_scope(finnish.id):
        assert current_tenant(db_session) is finnish
        assert current_zone(db_session) == HELSINKI


def test_no_current_tenant_is_an_error_not_a_guess(db_session, make_tenant):
    a, b = make_tenant(), make_tenant()
    with pytest.raises(TenancyError):
        current_tenant(db_session)
    with tenant_scope(a.id, b.id), pytest.raises(TenancyError):
        current_tenant(db_session)


def test_a_tenant_outside_the_known_countries_and_no_tenant_keep_utc(make_tenant):
    assert zone(make_tenant(country="DE")) == ZoneInfo("UTC")
    assert zone(None) == timezone.utc
    assert local_time(utc(2026, 7, 1, 12), None) == utc(2026, 7, 1, 12)


def test_local_time_follows_summer_time(make_tenant):
    swedish = make_tenant(country="SE")
    assert local_time(utc(2026, 1, 15, 12), swedish).replace(tzinfo=None) == datetime(2026, 1, 15, 13)
    assert local_time(utc(2026, 7, 15, 12), swedish).replace(tzinfo=None) == datetime(2026, 7, 15, 14)
    # A naive stored moment is UTC (SQLite gives them back naive).
    assert local(datetime(2026, 7, 15, 12), HELSINKI).replace(tzinfo=None) == datetime(2026, 7, 15, 15)


@pytest.mark.parametrize("in_zone, before, after", [
    (STOCKHOLM, "01:59:59", "03:00:00"),  # 02:00 CET -> 03:00 CEST
    (HELSINKI, "02:59:59", "04:00:00"),   # 03:00 EET -> 04:00 EEST
])
def test_the_clock_jumps_forward_at_01_utc_in_spring(in_zone, before, after):
    change = utc(2026, 3, 29, 1)
    assert local(change - timedelta(seconds=1), in_zone).time().isoformat() == before
    assert local(change, in_zone).time().isoformat() == after


@pytest.mark.parametrize("in_zone, shown_twice", [(STOCKHOLM, time(2, 30)), (HELSINKI, time(3, 30))])
def test_the_clock_shows_an_hour_twice_in_autumn(in_zone, shown_twice):
    first, second = utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)
    assert local(first, in_zone).time() == local(second, in_zone).time() == shown_twice
    assert local(first, in_zone).utcoffset() - local(second, in_zone).utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("in_zone, winter, summer", [(STOCKHOLM, 12, 11), (HELSINKI, 11, 10)])
def test_13_o_clock_stays_13_o_clock_across_each_change(in_zone, winter, summer):
    """A weekly meeting at 13:00 is at 13:00 on the tenant's clock on both sides of a change."""
    assert from_local(SPRING - timedelta(days=1), time(13), in_zone) == utc(2026, 3, 28, winter)
    assert from_local(SPRING, time(13), in_zone) == utc(2026, 3, 29, summer)
    assert from_local(AUTUMN - timedelta(days=1), time(13), in_zone) == utc(2026, 10, 24, summer)
    assert from_local(AUTUMN, time(13), in_zone) == utc(2026, 10, 25, winter)
    for day in (SPRING, AUTUMN):
        assert local(from_local(day, time(13), in_zone), in_zone).time() == time(13)


@pytest.mark.parametrize("in_zone, skipped, lands_on", [
    (STOCKHOLM, time(2, 30), time(3, 30)),
    (HELSINKI, time(3, 30), time(4, 30)),
])
def test_a_time_the_clock_skips_lands_an_hour_later(in_zone, skipped, lands_on):
    moment = from_local(SPRING, skipped, in_zone)
    assert moment == utc(2026, 3, 29, 1, 30)
    assert local(moment, in_zone).time() == lands_on


@pytest.mark.parametrize("in_zone, shown_twice", [(STOCKHOLM, time(2, 30)), (HELSINKI, time(3, 30))])
def test_a_time_the_clock_shows_twice_is_the_first_one_in_summer_time(in_zone, shown_twice):
    moment = from_local(AUTUMN, shown_twice, in_zone)
    assert moment == utc(2026, 10, 25, 0, 30)
    assert moment.tzinfo == timezone.utc


def test_local_and_from_local_are_inverse_on_ordinary_days():
    for in_zone in (STOCKHOLM, HELSINKI):
        for day in (date(2026, 1, 7), date(2026, 6, 24)):
            moment = from_local(day, time(9, 15), in_zone)
            shown = local(moment, in_zone)
            assert (shown.date(), shown.time()) == (day, time(9, 15))
