"""Typed shapes of Tesla's OAuth and Fleet API replies, and what pwtray makes of them.

Every Fleet API body is an envelope ``{"response": …}``. The shapes relied on, and where each
was checked (public sources; pwtray's simulated cloud is built from the same descriptions
independently):

- token endpoint ``POST {auth}/oauth2/v3/token`` → ``{"access_token", "refresh_token",
  "id_token", "expires_in", "token_type"}``; refresh tokens rotate and are single use
  (developer.tesla.com "Third-Party Tokens"; Teslemetry/python-tesla-fleet-api tesla/oauth.py).
- ``GET /api/1/users/region`` → ``{"region": "na", "fleet_api_base_url": "https://…"}``
  (Teslemetry tesla/user.py; several Fleet API clients parse ``fleet_api_base_url``).
- ``GET /api/1/products`` → a list mixing vehicles and energy sites; an energy site has
  ``energy_site_id``, ``resource_type`` ("battery"), ``site_name``, ``gateway_id`` (the gateway's
  DIN) (pypowerwall fleetapi.get_products(); home-assistant/core teslemetry products.json).
- ``GET /api/1/energy_sites/{id}/site_info`` → ``backup_reserve_percent`` (the app's scale),
  ``default_real_mode`` ("self_consumption" | "autonomous" | "backup"),
  ``user_settings.storm_mode_enabled``, ``components.storm_mode_capable``,
  ``components.disallow_charge_from_grid_with_solar_installed`` (absent = allowed),
  ``components.customer_preferred_export_rule`` ("battery_ok" | "pv_only" | "never", with
  ``non_export_configured`` meaning never), ``components.edit_setting_grid_charging`` /
  ``edit_setting_energy_exports``, ``components.off_grid_vehicle_charging_reserve_supported``,
  top-level ``off_grid_vehicle_charging_reserve_percent``, ``components.gateways[].din``
  (pypowerwall fleetapi.get_site_info()/get_grid_charging()/get_grid_export(); home-assistant/core
  tesla_fleet and teslemetry site_info.json fixtures).
- ``GET …/live_status`` → ``percentage_charged``, ``battery_power``, ``solar_power``,
  ``load_power``, ``grid_power``, ``grid_status``, ``island_status``, ``storm_mode_active``
  (home-assistant/core teslemetry live_status.json).
- commands (``POST …/operation|backup|storm_mode|grid_import_export|
  off_grid_vehicle_charging_reserve``) → ``{"code": 201, "message": "Updated"}``
  (timdorr/tesla-api docs/energy/commands.md; pypowerwall saw code 200 for backup too).
- ``GET …/calendar_history?kind=backup`` → ``{"events": [{"timestamp", "duration"}]}`` with
  ``duration`` in milliseconds: Tesla's endpoint list says "duration of seconds", but real
  replies (teslajsonpy issue #334: 1013486 for one outage, 17 minutes as ms, 12 days as s) and
  MMM-Powerwall, which shades outages from it, read milliseconds.
- ``default_real_mode``: Tesla documents "autonomous" (time-based control) and
  "self_consumption" (self-powered); "backup" is what pypowerwall sends for backup-only and
  sites where Tesla no longer offers it answer with a refusal (``CommandRefusedError``).

Unknown fields are ignored; a missing or mistyped field a control needs is a
:class:`~pwtray.cloud.CloudProtocolError` naming the JSON path.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


class Envelope(msgspec.Struct, Generic[T], frozen=True):
    response: T


class Mode(enum.StrEnum):
    """Operation modes as the Fleet API names them (``default_real_mode``)."""

    SELF_POWERED = "self_consumption"
    TIME_BASED_CONTROL = "autonomous"
    BACKUP_ONLY = "backup"


class ExportRule(enum.StrEnum):
    """What may be exported to the grid (``customer_preferred_export_rule``)."""

    EVERYTHING = "battery_ok"  # solar and Powerwall
    SOLAR_ONLY = "pv_only"
    NOTHING = "never"


class TokenGrant(msgspec.Struct, frozen=True):
    access_token: str
    expires_in: float
    refresh_token: str | None = None
    token_type: str | None = None

    def __repr__(self) -> str:
        return f"TokenGrant(expires_in={self.expires_in:g}, tokens=<hidden>)"


class OAuthError(msgspec.Struct, frozen=True):
    error: str = ""
    error_description: str = ""


class FleetErrorBody(msgspec.Struct, frozen=True):
    error: str | None = None
    error_description: str | None = None


class Region(msgspec.Struct, frozen=True):
    region: str
    fleet_api_base_url: str


class Product(msgspec.Struct, frozen=True):
    """One entry of /products: a vehicle (no energy_site_id) or an energy site."""

    energy_site_id: int | None = None
    resource_type: str | None = None
    site_name: str | None = None
    id: str | int | None = None  # a vehicle's is a number, a site's a string
    gateway_id: str | None = None


class EnergySite(msgspec.Struct, frozen=True):
    """An energy site of the account, as pwtray offers it for choosing."""

    site_id: int
    name: str | None
    gateway_din: str | None
    resource_type: str | None


class SiteChoice(msgspec.Struct, frozen=True):
    site: EnergySite
    matched_din: bool  # False: the only site, taken although its DIN was not the gateway's


class Gateway(msgspec.Struct, frozen=True):
    din: str
    serial_number: str | None = None
    part_name: str | None = None
    is_active: bool | None = None
    firmware_version: str | None = None


class Components(msgspec.Struct, frozen=True):
    battery: bool | None = None
    solar: bool | None = None
    grid: bool | None = None
    storm_mode_capable: bool | None = None
    off_grid_vehicle_charging_reserve_supported: bool | None = None
    disallow_charge_from_grid_with_solar_installed: bool | None = None
    customer_preferred_export_rule: str | None = None
    non_export_configured: bool | None = None
    edit_setting_grid_charging: bool | None = None
    edit_setting_energy_exports: bool | None = None
    gateways: list[Gateway] = msgspec.field(default_factory=list)


class UserSettings(msgspec.Struct, frozen=True):
    storm_mode_enabled: bool | None = None


class SiteInfo(msgspec.Struct, frozen=True):
    backup_reserve_percent: float
    default_real_mode: str
    id: str | None = None
    site_name: str | None = None
    user_settings: UserSettings = UserSettings()
    components: Components = Components()
    version: str | None = None
    battery_count: int | None = None
    off_grid_vehicle_charging_reserve_percent: float | None = None
    installation_time_zone: str | None = None


class LiveStatus(msgspec.Struct, frozen=True):
    percentage_charged: float | None = None
    battery_power: float | None = None
    solar_power: float | None = None
    load_power: float | None = None
    grid_power: float | None = None
    grid_status: str | None = None
    island_status: str | None = None
    storm_mode_active: bool | None = None
    backup_capable: bool | None = None
    timestamp: str | None = None


class CommandAck(msgspec.Struct, frozen=True):
    code: int | None = None
    message: str | None = None


class BackupEvent(msgspec.Struct, frozen=True):
    """A period the site ran on its Powerwall (a grid outage), from calendar_history."""

    timestamp: dt.datetime
    duration: int  # milliseconds, as Tesla sends it

    @property
    def start(self) -> dt.datetime:
        return self.timestamp

    @property
    def duration_s(self) -> float:
        return self.duration / 1000.0

    @property
    def end(self) -> dt.datetime:
        return self.timestamp + dt.timedelta(milliseconds=self.duration)


class BackupHistory(msgspec.Struct, frozen=True):
    events: list[BackupEvent] = msgspec.field(default_factory=list)
    total_events: int | None = None


class CloudSettings(msgspec.Struct, frozen=True):
    """What the Mode & reserve dialog shows, from one site_info read.

    A control the site does not report as configurable is ``None`` (the dialog hides it).
    """

    site_id: int
    site_name: str | None
    mode: str  # a Mode value, or whatever newer mode Tesla reports
    reserve_percent: float  # the Tesla app's scale
    storm_watch: bool | None
    grid_charging: bool | None
    export_rule: str | None  # an ExportRule value
    vehicle_reserve_percent: float | None
    gateway_dins: tuple[str, ...]

    @classmethod
    def from_site_info(cls, site_id: int, info: SiteInfo) -> CloudSettings:
        parts = info.components
        solar_site = bool(parts.solar) and parts.battery is not False
        grid_charging: bool | None = None
        if solar_site and parts.edit_setting_grid_charging is not False:
            grid_charging = not parts.disallow_charge_from_grid_with_solar_installed
        export_rule: str | None = None
        if solar_site and parts.edit_setting_energy_exports is not False:
            export_rule = (
                ExportRule.NOTHING.value
                if parts.non_export_configured
                else parts.customer_preferred_export_rule or ExportRule.EVERYTHING.value
            )
        storm_watch = (
            bool(info.user_settings.storm_mode_enabled) if parts.storm_mode_capable else None
        )
        vehicle_reserve = (
            info.off_grid_vehicle_charging_reserve_percent
            if parts.off_grid_vehicle_charging_reserve_supported
            else None
        )
        return cls(
            site_id=site_id,
            site_name=info.site_name,
            mode=info.default_real_mode,
            reserve_percent=info.backup_reserve_percent,
            storm_watch=storm_watch,
            grid_charging=grid_charging,
            export_rule=export_rule,
            vehicle_reserve_percent=vehicle_reserve,
            gateway_dins=tuple(g.din for g in parts.gateways),
        )


class CommandResult(msgspec.Struct, frozen=True):
    """A change the cloud accepted, with the value it reports back and all settings then."""

    control: str  # "mode", "reserve", "storm_watch", "grid_charging", "export_rule", …
    requested: object
    reported: object
    settings: CloudSettings
