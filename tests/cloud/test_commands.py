"""Settings are read when asked (one request), each command returns the value the cloud
reports back, and the change reaches the local gateway only after the cloud's delay."""

from __future__ import annotations

import datetime as dt

import pytest

from pwtray.cloud import CloudSettings, ExportRule, Mode
from pwtray.gateway import GatewayClient, api_to_app
from tests.cloud.conftest import DELAY_S, Cloud, CloudFactory, FakeClock
from tests.conftest import PASSWORD


async def test_opening_the_dialog_is_one_request(cloud: Cloud, clock: FakeClock) -> None:
    client = await cloud.connected(clock)
    async with client:
        client.calls.clear()
        settings = await client.read_settings()
    assert list(client.calls) == ["GET site_info"]
    assert settings == CloudSettings(
        site_id=cloud.sim.config.energy_site_id,
        site_name="Home Energy Gateway",
        mode="self_consumption",
        reserve_percent=20,
        storm_watch=False,
        grid_charging=True,
        export_rule="pv_only",
        vehicle_reserve_percent=0,
        gateway_dins=(cloud.din,),
    )


async def test_each_command_returns_what_the_cloud_reports_back(
    cloud: Cloud, clock: FakeClock
) -> None:
    client = await cloud.connected(clock)
    async with client:
        client.calls.clear()
        mode = await client.set_mode(Mode.TIME_BASED_CONTROL)
        reserve = await client.set_reserve(80)
        storm = await client.set_storm_watch(True)
        charging = await client.set_grid_charging(False)
        export = await client.set_export_rule(ExportRule.EVERYTHING)
        vehicle = await client.set_vehicle_reserve(35)
    assert (mode.control, mode.requested, mode.reported) == ("mode", "autonomous", "autonomous")
    assert (reserve.reported, storm.reported, charging.reported) == (80, True, False)
    assert (export.reported, vehicle.reported) == ("battery_ok", 35)
    final = vehicle.settings
    assert (final.mode, final.reserve_percent, final.storm_watch) == ("autonomous", 80, True)
    assert (final.grid_charging, final.export_rule) == (False, "battery_ok")
    # Two requests per command: the change, and one read of what the cloud now says.
    assert list(client.calls) == [
        "POST operation", "GET site_info", "POST backup", "GET site_info",
        "POST storm_mode", "GET site_info", "POST grid_import_export", "GET site_info",
        "POST grid_import_export", "GET site_info",
        "POST off_grid_vehicle_charging_reserve", "GET site_info",
    ]  # fmt: skip  # pairs read best two to a line
    assert cloud.sim.settings()["export_rule"] == "battery_ok"


async def test_the_change_reaches_the_local_gateway_only_after_the_delay(
    cloud: Cloud, clock: FakeClock
) -> None:
    client = await cloud.connected(clock)
    gateway = GatewayClient(
        cloud.gateway.address, password=PASSWORD, fingerprint=cloud.gateway.fingerprint
    )
    async with client, gateway:
        before = await gateway.operation()
        assert before.real_mode == "self_consumption"
        result = await client.set_reserve(100)
        assert result.reported == 100  # the cloud says so at once…
        cloud.sim.advance(100)
        await client.set_mode("backup")  # (sent 100 s after the reserve)
        # Margins of a minute of the cloud's clock: the real seconds this test takes cannot
        # move a change across one.
        cloud.sim.advance(DELAY_S - 100 - 60)
        local = await gateway.operation()  # …the gateway does not have it yet
        assert local.real_mode == "self_consumption"
        assert local.backup_reserve_percent == before.backup_reserve_percent
        assert (await client.read_settings()).reserve_percent == 100
        cloud.sim.advance(60)  # the reserve's delay is over, the mode's not yet
        local = await gateway.operation()
        assert api_to_app(local.backup_reserve_percent) == pytest.approx(100)
        assert local.real_mode == "self_consumption"
        cloud.sim.advance(100)
        assert (await gateway.operation()).real_mode == "backup"
    assert cloud.sim.pending() == []


async def test_a_local_change_is_what_the_cloud_reports_next(
    cloud: Cloud, clock: FakeClock
) -> None:
    client = await cloud.connected(clock)
    async with client:
        cloud.gateway.set_state(mode="autonomous", reserve=35)  # e.g. changed in the Tesla app
        settings = await client.read_settings()
    assert (settings.mode, settings.reserve_percent) == ("autonomous", 35)


async def test_controls_a_site_does_not_offer_are_left_out(
    cloud_factory: CloudFactory, clock: FakeClock
) -> None:
    cloud = cloud_factory(storm_watch_capable=False, vehicle_reserve_supported=False, solar=False)
    client = await cloud.connected(clock)
    async with client:
        settings = await client.read_settings()
    assert settings.storm_watch is None
    assert settings.vehicle_reserve_percent is None
    assert settings.grid_charging is None  # no solar: nothing to decide about
    assert settings.export_rule is None
    assert (settings.mode, settings.reserve_percent) == ("self_consumption", 20)


async def test_exports_off_reads_as_never(cloud: Cloud, clock: FakeClock) -> None:
    client = await cloud.connected(clock)
    async with client:
        result = await client.set_export_rule("never")
    assert result.reported == "never"


async def test_outages_the_cloud_saw_while_pwtray_was_off(
    cloud_factory: CloudFactory, clock: FakeClock
) -> None:
    cloud = cloud_factory(
        backup_events=(
            ("2026-06-10T21:14:05-07:00", 3725.5),
            ("2026-06-13T06:00:00-07:00", 90.0),
            ("2026-05-01T12:00:00-07:00", 600.0),
        )
    )
    client = await cloud.connected(clock)
    zone = dt.timezone(dt.timedelta(hours=-7))
    async with client:
        events = await client.backup_events(
            dt.datetime(2026, 6, 10, 22, 0, tzinfo=zone),  # inside the first outage
            dt.datetime(2026, 6, 15, 3, 0, tzinfo=zone),
        )
        with pytest.raises(ValueError, match="need a time zone"):
            await client.backup_events(dt.datetime(2026, 6, 1), dt.datetime(2026, 6, 2))  # noqa: DTZ001
    assert [(e.start.isoformat(), e.duration_s) for e in events] == [
        ("2026-06-10T21:14:05-07:00", 3725.5),
        ("2026-06-13T06:00:00-07:00", 90.0),
    ]
    assert events[0].end == dt.datetime(2026, 6, 10, 22, 16, 10, 500000, tzinfo=zone)
