"""Typed, immutable replies of every endpoint, decoded straight from bytes with msgspec.

Only what a reply must have is required; everything else has a default, so new firmware that
adds keys (or drops ones nobody needs) still decodes. Field names follow the gateway's JSON; where
the gateway's name is awkward (``PackageSerialNumber``) the attribute is renamed and the JSON
name kept with ``msgspec.field(name=...)``. Powers are in W, energies in Wh.
"""

from __future__ import annotations

import base64
import binascii
import enum
from typing import Annotated, Any

import msgspec

from pwtray.gateway._scale import api_to_app

# ---------------------------------------------------------------------- range checks
# A value outside these ranges makes the whole reply a GatewayProtocolError naming the field's
# JSON path, instead of an absurd number on the icon, in the estimates or in the history. The
# ranges come from the seed document and every capture in ../shared/gateway-samples (all sets):
#
#   power, W (any sign)         |P| ≤ 1 MW     captures: ≤ 10.5 kW now, 24 kW max discharge;
#                                              a Backup Gateway 2 serves ≤ 200 A (≈ 140 kW, 3-phase)
#   meter energy counters, Wh   0 … 1e11       captures ≤ 2.7e7 (27 MWh); 100 GWh is centuries
#   battery energy, Wh          0 … 1e7        captures ≤ 28 078 (2 Powerwalls); 10 MWh ≈ 700 PW
#   SOE, % (gateway scale)      0 … 101        the scale is 0 to 100; 1 point of slack for rounding
#   backup reserve, %           0 … 100
#   site energy/power, kWh / kW 0 … 10 000     captures ≤ 27 kWh, 25 kW
#   grid-fault time, ms         0 … 4.1e12     1970 to 2100 (captures: 2021); a time outside it
#                                              cannot be shown as a date
#
# ``max_site_meter_power_kW`` is left alone: gateways send ±1e9 there to mean "no limit".
Watts = Annotated[float, msgspec.Meta(ge=-1e6, le=1e6)]
MeterWattHours = Annotated[float, msgspec.Meta(ge=0, le=1e11)]
BatteryWattHours = Annotated[float, msgspec.Meta(ge=0, le=1e7)]
SoePercent = Annotated[float, msgspec.Meta(ge=0, le=101)]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
SiteRating = Annotated[float, msgspec.Meta(ge=0, le=10_000)]
EpochMs = Annotated[int, msgspec.Meta(ge=0, le=4_102_444_800_000)]
# What may go back to the gateway in a Cookie or Authorization header (RFC 6265 cookie-octets).
COOKIE_OCTETS = r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]"


class Model(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every reply model: immutable, unknown fields ignored."""


# ---------------------------------------------------------------------- grid
class GridState(enum.Enum):
    """Every ``grid_status`` a gateway is known to send, and UNKNOWN for anything newer."""

    CONNECTED = "SystemGridConnected"
    ISLANDED = "SystemIslandedActive"
    ISLANDED_READY = "SystemIslandedReady"
    TRANSITION_TO_GRID = "SystemTransitionToGrid"
    TRANSITION_TO_ISLAND = "SystemTransitionToIsland"
    WAIT_FOR_USER = "SystemWaitForUser"
    MICROGRID_FAULTED = "SystemMicroGridFaulted"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: str | None) -> GridState:
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN

    @property
    def grid_up(self) -> bool:
        return self is GridState.CONNECTED

    @property
    def off_grid(self) -> bool:
        """The house runs on the Powerwalls (an outage, or off-grid by choice)."""
        return self in (GridState.ISLANDED, GridState.ISLANDED_READY, GridState.MICROGRID_FAULTED)


class GridStatus(Model, frozen=True, kw_only=True):
    grid_status: str
    grid_services_active: bool | None = None

    @property
    def state(self) -> GridState:
        return GridState.parse(self.grid_status)


# ---------------------------------------------------------------------- meters
class Meter(Model, frozen=True, kw_only=True):
    instant_power: Watts
    energy_exported: MeterWattHours = 0.0
    energy_imported: MeterWattHours = 0.0
    last_communication_time: str = ""
    frequency: float = 0.0
    instant_reactive_power: Watts = 0.0
    instant_apparent_power: Watts = 0.0
    instant_average_voltage: float = 0.0
    instant_average_current: float = 0.0
    instant_total_current: float = 0.0
    num_meters_aggregated: int | None = None


class MetersAggregates(Model, frozen=True, kw_only=True):
    """``/api/meters/aggregates``: site (grid, + = import), battery (+ = discharge), load, solar."""

    site: Meter
    battery: Meter
    load: Meter
    solar: Meter
    generator: Meter | None = None
    busway: Meter | None = None
    frequency: Meter | None = None


class Soe(Model, frozen=True, kw_only=True):
    percentage: SoePercent

    @property
    def app_percent(self) -> float:
        return api_to_app(self.percentage)


# ---------------------------------------------------------------------- site master and status
class SiteMaster(Model, frozen=True, kw_only=True):
    running: bool
    status: str | None = None
    connected_to_tesla: bool = False
    power_supply_mode: bool = False
    can_reboot: str | None = None
    uptime: str | None = None  # firmware 1.x only


class Status(Model, frozen=True, kw_only=True):
    version: str
    din: str | None = None
    start_time: str | None = None
    up_time_seconds: str | None = None
    is_new: bool = False
    git_hash: str | None = None
    commission_count: int | None = None
    device_type: str | None = None
    sync_type: str | None = None
    teg_type: str | None = None
    cellular_disabled: bool | None = None
    can_reboot: bool | str | None = None

    @property
    def firmware(self) -> str:
        """The version without the build hash: "24.36.2", "21.44", "1.15.0"."""
        return self.version.strip().split(" ")[0]

    @property
    def firmware_tuple(self) -> tuple[int, ...]:
        parts = []
        for part in self.firmware.split("."):
            digits = "".join(ch for ch in part if ch.isdigit())[:9]
            parts.append(int(digits) if digits else 0)
        return tuple(parts)

    @property
    def legacy(self) -> bool:
        """Firmware before 20.49: open reads and the S+serial login."""
        return self.firmware_tuple[:2] < (20, 49)


# ---------------------------------------------------------------------- site info
class GridCode(Model, frozen=True, kw_only=True):
    grid_code: str = ""
    grid_voltage_setting: float | None = None
    grid_freq_setting: float | None = None
    grid_phase_setting: str | None = None
    country: str | None = None
    state: str | None = None
    distributor: str | None = None
    utility: str | None = None
    retailer: str | None = None
    region: str | None = None


class SiteInfo(Model, frozen=True, kw_only=True):
    site_name: str
    timezone: str = ""
    nominal_system_energy_kWh: SiteRating | None = None
    nominal_system_power_kW: SiteRating | None = None
    max_system_energy_kWh: SiteRating | None = None
    max_system_power_kW: SiteRating | None = None
    max_site_meter_power_kW: float | None = None
    min_site_meter_power_kW: float | None = None
    panel_max_current: float | None = None
    grid_code: GridCode | str | None = None
    # firmware 1.x put the grid code's fields at the top level
    grid_voltage_setting: float | None = None
    grid_freq_setting: float | None = None
    grid_phase_setting: str | None = None
    country: str | None = None
    state: str | None = None
    region: str | None = None

    @property
    def grid(self) -> GridCode:
        """The grid code, whichever generation's shape it came in."""
        if isinstance(self.grid_code, GridCode):
            return self.grid_code
        return GridCode(
            grid_code=self.grid_code or "",
            grid_voltage_setting=self.grid_voltage_setting,
            grid_freq_setting=self.grid_freq_setting,
            grid_phase_setting=self.grid_phase_setting,
            country=self.country,
            state=self.state,
            region=self.region,
        )


class SiteName(Model, frozen=True, kw_only=True):
    site_name: str
    timezone: str = ""


# ---------------------------------------------------------------------- powerwalls
class PowerwallInfo(Model, frozen=True, kw_only=True):
    part_number: str = msgspec.field(name="PackagePartNumber")
    serial_number: str = msgspec.field(name="PackageSerialNumber")
    type: str | None = None
    grid_state: str | None = None
    updating: bool | None = None
    in_config: bool | None = None


class PowerwallsStatus(Model, frozen=True, kw_only=True):
    enumerating: bool = False
    updating: bool = False
    checking_if_offgrid: bool = False
    running_phase_detection: bool = False
    phase_detection_last_error: str | None = None
    bubble_shedding: bool = False
    on_grid_check_error: str | None = None
    grid_qualifying: bool = False
    grid_code_validating: bool = False
    phase_detection_not_available: bool = False
    # Not in the reply: set when firmware 1.x answered 409 "Sitemaster is current running".
    sitemaster_running: bool = False


class Powerwalls(PowerwallsStatus, kw_only=True, frozen=True):
    powerwalls: list[PowerwallInfo]
    gateway_din: str | None = None
    has_sync: bool | None = None


# ---------------------------------------------------------------------- operation
class OperationMode(enum.Enum):
    SELF_CONSUMPTION = "self_consumption"
    AUTONOMOUS = "autonomous"  # time-based control
    BACKUP = "backup"
    SCHEDULER = "scheduler"
    SITE_CONTROL = "site_control"

    @classmethod
    def parse(cls, value: str | None) -> OperationMode | None:
        """The mode for a gateway's word, or None for a word (or a future mode) pwtray lacks."""
        try:
            return cls(value)
        except ValueError:
            return None


class Operation(Model, frozen=True, kw_only=True):
    """``/api/operation``: current firmware says ``real_mode``, firmware 1.x said ``mode``."""

    backup_reserve_percent: Percent
    real_mode: str | None = None
    legacy_mode: str | None = msgspec.field(name="mode", default=None)
    # The seed (1.x): a limit on solar export in kW; null or absent = no limit.
    max_pv_export_power_kW: float | None = None
    freq_shift_load_shed_soe: float | None = None
    freq_shift_load_shed_delta_f: float | None = None

    def __post_init__(self) -> None:
        if self.real_mode is None and self.legacy_mode is None:
            raise ValueError("Object missing required field `real_mode` - at `$`")

    @property
    def mode(self) -> str:
        return self.real_mode or self.legacy_mode or ""

    @property
    def reserve_app_percent(self) -> float:
        return api_to_app(self.backup_reserve_percent)


# ---------------------------------------------------------------------- system status
class BatteryBlock(Model, frozen=True, kw_only=True):
    part_number: str = msgspec.field(name="PackagePartNumber", default="")
    serial_number: str = msgspec.field(name="PackageSerialNumber", default="")
    disabled_reasons: list[str] = msgspec.field(default_factory=list)
    pinv_state: str | None = None
    pinv_grid_state: str | None = None
    nominal_energy_remaining: BatteryWattHours | None = None
    nominal_full_pack_energy: BatteryWattHours | None = None
    p_out: Watts | None = None
    q_out: Watts | None = None
    v_out: float | None = None
    f_out: float | None = None
    i_out: float | None = None
    energy_charged: MeterWattHours | None = None
    energy_discharged: MeterWattHours | None = None
    off_grid: bool | None = None
    vf_mode: bool | None = None
    backup_ready: bool | None = None
    op_seq_state: str | None = msgspec.field(name="OpSeqState", default=None)
    version: str | None = None


class GridFault(Model, frozen=True, kw_only=True):
    timestamp: EpochMs
    alert_name: str
    alert_is_fault: bool = False
    decoded_alert: str | None = None
    alert_raw: int | None = None
    git_hash: str | None = None
    site_uid: str | None = None
    ecu_type: str | None = None
    ecu_package_part_number: str | None = None
    ecu_package_serial_number: str | None = None


class SystemStatus(Model, frozen=True, kw_only=True):
    nominal_full_pack_energy: BatteryWattHours
    nominal_energy_remaining: BatteryWattHours
    system_island_state: str | None = None
    available_blocks: int | None = None
    battery_blocks: list[BatteryBlock] = msgspec.field(default_factory=list)
    grid_faults: list[GridFault] = msgspec.field(default_factory=list)
    max_charge_power: Watts | None = None
    max_discharge_power: Watts | None = None
    max_apparent_power: Watts | None = None
    instantaneous_max_charge_power: Watts | None = None
    instantaneous_max_discharge_power: Watts | None = None
    battery_target_power: Watts | None = None
    expected_energy_remaining: BatteryWattHours | None = None
    can_reboot: str | None = None
    command_source: str | None = None


# ---------------------------------------------------------------------- updates, registration
class UpdateInfo(Model, frozen=True, kw_only=True):
    status: list[str] = msgspec.field(default_factory=list)


class UpdateStatus(Model, frozen=True, kw_only=True):
    state: str
    info: UpdateInfo | None = None
    current_time: int | None = None
    last_status_time: int | None = None
    version: str | None = None
    offline_updating: bool | None = None
    offline_update_error: str | None = None
    estimated_bytes_per_second: float | None = None


class Registration(Model, frozen=True, kw_only=True):
    privacy_notice: bool | None = None
    limited_warranty: bool | None = None
    grid_services: bool | None = None
    marketing: bool | None = None
    registered: bool | None = None
    emailed_registration: bool | None = None
    skipped_registration: bool | None = None
    timed_out_registration: bool | None = None


# ---------------------------------------------------------------------- networks
class IpNetwork(Model, frozen=True, kw_only=True):
    """One address of an interface: ``ip``/``mask`` (dotted) until firmware 22, ``IP``/``Mask``
    (the mask as base64 bytes, ``"////AA=="`` = /24) from firmware 23 (23.28 and 23.44 sets)."""

    ip: str = ""
    mask: str = ""
    ip_23: str = msgspec.field(name="IP", default="")
    mask_23: str = msgspec.field(name="Mask", default="")

    @property
    def address(self) -> str:
        return self.ip or self.ip_23

    @property
    def prefix(self) -> int | None:
        """The network's prefix length, from either mask form."""
        if self.mask:
            parts = self.mask.split(".")
            if len(parts) == 4 and all(p.isdigit() for p in parts):
                return sum(bin(int(p) & 255).count("1") for p in parts)
        if self.mask_23:
            try:
                raw = base64.b64decode(self.mask_23, validate=True)
            except (binascii.Error, ValueError):
                return None
            return sum(bin(byte).count("1") for byte in raw) if len(raw) in (4, 16) else None
        return None


class ExtraIp(Model, frozen=True, kw_only=True):
    """A further address of an interface (current firmware; the gateway's own wired side)."""

    ip: str = ""
    netmask: int | str | None = None


class InterfaceInfo(Model, frozen=True, kw_only=True):
    network_name: str = ""
    ip_networks: list[IpNetwork] = msgspec.field(default_factory=list)
    gateway: str = ""
    interface: str = ""
    state: str = ""
    state_reason: str = ""
    signal_strength: int | None = None
    hw_address: str = ""


class LegacyNetworkConfig(Model, frozen=True, kw_only=True):
    network_name: str = ""
    interface: str = ""
    security_type: str = ""
    dhcp: bool | None = None
    enabled: bool | None = None


class Network(Model, frozen=True, kw_only=True):
    """One entry of ``/api/networks``; current and 1.x shapes share this struct."""

    network_name: str | None = None
    interface: str | None = None
    dhcp: bool | None = None
    enabled: bool | None = None
    active: bool | None = None
    primary: bool | None = None
    security_type: str | None = None
    username: str | None = None
    last_tesla_connected: bool | None = msgspec.field(name="lastTeslaConnected", default=None)
    last_internet_connected: bool | None = msgspec.field(name="lastInternetConnected", default=None)
    extra_ips: list[ExtraIp] = msgspec.field(default_factory=list)
    iface_network_info: InterfaceInfo | None = None
    # firmware 1.x
    id: int | None = None
    name: str | None = None
    connected: bool | None = None
    is_dhcp: bool | None = None
    ip_address: str | None = None
    subnet: str | None = None
    config: LegacyNetworkConfig | None = None

    @property
    def label(self) -> str:
        return self.network_name or self.name or ""

    @property
    def addresses(self) -> list[str]:
        """Every address of this network, with its prefix where known (``192.0.2.7/24``)."""
        found: list[str] = []
        if self.iface_network_info is not None:
            for n in self.iface_network_info.ip_networks:
                if n.address:
                    found.append(f"{n.address}/{n.prefix}" if n.prefix else n.address)
        for extra in self.extra_ips:
            if extra.ip:
                bits = extra.netmask if isinstance(extra.netmask, int) else None
                found.append(f"{extra.ip}/{bits}" if bits else extra.ip)
        if not found and self.ip_address:
            found.append(self.ip_address)
        return found


class SystemNetwork(Model, frozen=True, kw_only=True):
    network_name: str = ""
    interface: str = ""
    security_type: str | None = None
    dhcp: bool | None = None
    enabled: bool | None = None


class ConnTestResult(Model, frozen=True, kw_only=True):
    passed: bool = msgspec.field(name="pass")
    error: str = ""


class ConnTests(Model, frozen=True, kw_only=True):
    results: dict[str, ConnTestResult] | None = None
    timestamp: str = ""

    @property
    def finished(self) -> bool:
        return self.results is not None


# ---------------------------------------------------------------------- meters (devices)
class CtConfig(Model, frozen=True, kw_only=True):
    type: str = ""
    valid: list[bool] = msgspec.field(default_factory=list)
    inverted: list[bool] = msgspec.field(default_factory=list)


class MeterDevice(Model, frozen=True, kw_only=True):
    serial: str
    short_id: str = ""
    connected: bool = False
    cts: list[CtConfig] = msgspec.field(default_factory=list)


class CtReading(Model, frozen=True, kw_only=True):
    ct: int
    v_volts: float = msgspec.field(name="v_V", default=0.0)
    p_watts: float = msgspec.field(name="p_W", default=0.0)
    q_var: float = msgspec.field(name="q_VAR", default=0.0)
    exported_ws: float = msgspec.field(name="eExp_Ws", default=0.0)
    imported_ws: float = msgspec.field(name="eImp_Ws", default=0.0)


class ReadingData(Model, frozen=True, kw_only=True):
    ip: str = msgspec.field(name="IP", default="")
    sensor_id: str = msgspec.field(name="sensorId", default="")
    firmware_version: str = msgspec.field(name="firmwareVersion", default="")
    frequency_hz: float = msgspec.field(name="f_Hz", default=0.0)
    cts: list[CtReading] = msgspec.field(default_factory=list)


class MeterReading(Model, frozen=True, kw_only=True):
    error: str = ""
    data: ReadingData | None = None


class MeterConnection(Model, frozen=True, kw_only=True):
    short_id: str = ""
    device_serial: str = ""
    ip_address: str = ""
    port: int | None = None
    neurio_connected: bool | None = None


class CachedReadings(Model, frozen=True, kw_only=True):
    instant_power: Watts
    energy_exported: MeterWattHours = 0.0
    energy_imported: MeterWattHours = 0.0
    last_communication_time: str = ""
    frequency: float = 0.0
    instant_average_voltage: float = 0.0
    serial_number: str = ""
    version: str = ""


class SiteMeter(Model, frozen=True, kw_only=True):
    """One entry of ``/api/meters/site`` or ``/api/meters/solar``."""

    location: str
    cached_readings: CachedReadings = msgspec.field(name="Cached_readings")
    id: int | None = None
    type: str = ""
    cts: list[bool] = msgspec.field(default_factory=list)
    inverted: list[bool] = msgspec.field(default_factory=list)
    connection: MeterConnection | None = None


# ---------------------------------------------------------------------- wizard-era endpoints
class Solar(Model, frozen=True, kw_only=True):
    brand: str
    model: str = ""
    power_rating_watts: float | None = None


class Generators(Model, frozen=True, kw_only=True):
    disconnect_type: str = ""
    generators: list[dict[str, Any]] = msgspec.field(default_factory=list)


class Customer(Model, frozen=True, kw_only=True):
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    registered: bool | None = None
    privacy_notice: bool | None = None
    limited_warranty: bool | None = None
    emailed_registration: bool | None = None


class GatewayConfig(Model, frozen=True, kw_only=True):
    vin: str


class Installer(Model, frozen=True, kw_only=True):
    company: str = ""
    customer_id: str = ""
    phone: str = ""
    email: str = ""
    run_sitemaster: bool | None = None


class MeterTestResult(Model, frozen=True, kw_only=True):
    power: float = msgspec.field(name="Power", default=0.0)
    ct: int = msgspec.field(name="CT", default=0)
    serial: str = msgspec.field(name="Serial", default="")
    type: str = msgspec.field(name="Type", default="")


class SystemTesting(Model, frozen=True, kw_only=True):
    running: bool
    status: str = ""
    charge_tests: list[float] | None = None
    meter_results: list[list[MeterTestResult]] | None = None
    hysteresis: float | None = None
    error: str = ""


class Problems(Model, frozen=True, kw_only=True):
    problems: list[Any] = msgspec.field(default_factory=list)


class AuthToggle(Model, frozen=True, kw_only=True):
    toggle_auth_supported: bool


class IslandMode(Model, frozen=True, kw_only=True):
    island_mode: str


class Login(Model, frozen=True, kw_only=True):
    # It goes back in a Cookie or Authorization header: RFC 6265 cookie-octets only.
    token: Annotated[str, msgspec.Meta(pattern=f"^{COOKIE_OCTETS}{{1,4096}}$")]
    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    roles: list[str] = msgspec.field(default_factory=list)
    provider: str | None = None
    login_time: str | None = msgspec.field(name="loginTime", default=None)

    def __repr__(self) -> str:  # never show the token, even in a traceback
        return f"Login(roles={self.roles!r}, token=<hidden>)"
