"""Words for people, in one place: units, labels of states and modes, the tooltip, the
status line, the diagram's details, and what went wrong. The tray, the window, the dialogs and
the CLI all take their sentences from here. No widgets; no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pwtray.cloud import CloudError, ExportRule
from pwtray.core._account import AccountState, AccountStatus, SiteChoiceNeeded
from pwtray.core._actions import ActionRun, Outcome, Trigger
from pwtray.core._cloud import NoCloudAccountError, ReserveNotChangedError
from pwtray.core._codes import readable as readable  # said here, kept in a leaf module
from pwtray.core._ups import UpsState
from pwtray.gateway import GatewayError, GridState, OperationMode
from pwtray.kinds import EventKind
from pwtray.monitor import Connectivity, Event, Flow, Snapshot, describe_duration
from pwtray.settings import KeyringProblem

GRID_LABELS = {
    GridState.CONNECTED: "Grid connected",
    GridState.ISLANDED: "Grid outage — running on Powerwall",
    GridState.ISLANDED_READY: "Off grid — ready",
    GridState.TRANSITION_TO_GRID: "Grid back — reconnecting",
    GridState.TRANSITION_TO_ISLAND: "Going off grid",
    GridState.WAIT_FOR_USER: "Off grid — waiting for user",
    GridState.MICROGRID_FAULTED: "Off grid — fault",
    GridState.UNKNOWN: "Grid state unknown",
}
MODE_LABELS = {
    OperationMode.SELF_CONSUMPTION: "Self-powered",
    OperationMode.AUTONOMOUS: "Time-based control",
    OperationMode.BACKUP: "Backup-only",
    OperationMode.SCHEDULER: "Scheduler",
    OperationMode.SITE_CONTROL: "Site control",
}
STATUS_LINES = {
    Connectivity.CONNECTING: "Connecting…",
    Connectivity.STALE: "Reconnecting…",
    Connectivity.OFFLINE: "Gateway unreachable",
    Connectivity.AUTH_REQUIRED: "Login needed",
    Connectivity.LOCKED_OUT: "Login locked out",
    Connectivity.GATEWAY_STOPPED: "Powerwalls stopped",
    Connectivity.CERTIFICATE_CHANGED: "Certificate changed",
    Connectivity.INTERNAL_ERROR: "Internal error — still trying",
}
INTERNAL_ERROR = "pwtray hit an internal error reading the gateway; still trying."
KEYRING_PROBLEMS = {  # each says why, and that the password lasts this session only
    KeyringProblem.NO_DEFAULT: (
        "There is no default keyring to keep the password in and creating one was cancelled, "
        "so pwtray keeps it for this session only and will not ask again until it restarts."
    ),
    KeyringProblem.CANCELLED: (
        "The keyring's prompt was cancelled, so pwtray keeps the password for this session only "
        "and will not ask again until it restarts."
    ),
    KeyringProblem.LOCKED: (
        "The keyring is locked and was not unlocked, so pwtray keeps the password for this "
        "session only and will not ask again until it restarts."
    ),
    KeyringProblem.MISSING: (
        "This session has no keyring (such as GNOME Keyring or KWallet), so pwtray keeps the "
        "password for this session only."
    ),
    KeyringProblem.FAILED: (
        "The keyring did not answer as it should, so pwtray keeps the password for this session "
        "only and will not ask it again until it restarts."
    ),
}
MODE_REFUSED = (
    "The gateway does not let this login change the operation mode or the reserve (since "
    "firmware 20.49 a customer login may only read them); change them in the Tesla app."
)
KEYRING_STORED = "The password is kept in the system keyring, never in a file."
# The Mode & reserve dialog: which path made a change, and the settings only Tesla's cloud changes.
CONNECT_ACCOUNT_HINT = "Connect a Tesla account in Connection… to change these."
CHANGED_LOCALLY = "Changed on the gateway"
SENT_THROUGH_CLOUD = "Sent through your Tesla account; the gateway shows it in a minute or so"
CONFIRMED_FROM_CLOUD = "Sent through your Tesla account, and the gateway now shows it"
SENT_NOT_SHOWN = "Sent through your Tesla account, but the gateway did not show"
NO_CLOUD_ACCOUNT = (
    "This change needs a Tesla account: connect one in Connection… (or `pwtray cloud login`)."
)
EXPORT_LABELS = {
    ExportRule.EVERYTHING: "Everything (solar and Powerwall)",
    ExportRule.SOLAR_ONLY: "Solar only",
    ExportRule.NOTHING: "None",
}
CLOUD_CONTROLS = {  # what each is called, and what it does
    "storm_watch": (
        "Storm Watch",
        "Before severe weather Tesla forecasts, charge the Powerwall full for a possible outage.",
    ),
    "grid_charging": (
        "Grid charging allowed",
        "Let the Powerwall charge from the grid, not only from solar.",
    ),
    "export_rule": ("Energy exports", "What may be sent to the grid."),
    "vehicle_reserve_percent": (
        "Off-grid vehicle charging reserve",
        "During an outage, vehicles stop charging when the Powerwall falls to this level.",
    ),
}


@dataclass(frozen=True)
class Units:
    """How powers and energies are written: kW/kWh (with ``decimals``) or W/Wh (whole)."""

    kilo: bool = True
    decimals: int = 1

    def power(self, watts: float | None) -> str:
        if watts is None:
            return "—"
        if not self.kilo:
            return f"{watts:,.0f} W".replace(",", "\u2009")
        return f"{watts / 1000:.{self.decimals}f} kW"

    def energy(self, wh: float | None) -> str:
        if wh is None:
            return "—"
        if not self.kilo:
            return f"{wh:,.0f} Wh".replace(",", "\u2009")
        return f"{wh / 1000:.{self.decimals}f} kWh"


DEFAULT_UNITS = Units()


def mode_label(mode: OperationMode | str | None) -> str:
    """The Tesla app's name of a mode; a mode pwtray does not know is shown as the gateway says."""
    if not mode:
        return "—"
    if isinstance(mode, str):
        parsed = OperationMode.parse(mode)
        return MODE_LABELS[parsed] if parsed else mode
    return MODE_LABELS[mode]


def grid_label(state: GridState | None, *, by_choice: bool = False) -> str:
    if state is None:
        return "—"
    if by_choice and state.off_grid:
        return "Off grid (by choice)"
    return GRID_LABELS[state]


def keyring_text(problem: KeyringProblem | None) -> str:
    """Where the password is kept, in one sentence: the keyring, or this session only and why."""
    return KEYRING_STORED if problem is None else KEYRING_PROBLEMS[problem]


SIGN_IN_KEYRING_REASONS = {
    KeyringProblem.NO_DEFAULT: "There is no default keyring, and creating one was cancelled",
    KeyringProblem.CANCELLED: "The keyring's prompt was cancelled",
    KeyringProblem.LOCKED: "The keyring is locked and was not unlocked",
    KeyringProblem.MISSING: "This session has no keyring (such as GNOME Keyring or KWallet)",
    KeyringProblem.FAILED: "The keyring did not answer as it should",
}
SIGN_IN_STORED = "The Tesla sign-in is kept in the system keyring, never in a file."
SIGN_IN_FOR_THIS_RUN = (
    "This sign-in was given for this run only (PWTRAY_CLOUD_REFRESH_TOKEN, or the demo) and is "
    "never stored."
)
SIGN_IN_NEEDED = "Sign-in needed again: Tesla refused the saved sign-in"


def sign_in_keyring_text(problem: KeyringProblem | None, *, in_keyring: bool = True) -> str:
    """Where the Tesla sign-in is kept, in one sentence: the keyring, or this session only."""
    if not in_keyring:
        return SIGN_IN_FOR_THIS_RUN
    if problem is None:
        return SIGN_IN_STORED
    return (
        f"{SIGN_IN_KEYRING_REASONS[problem]}, so pwtray keeps the Tesla sign-in for this session "
        "only (sign in again after it restarts) and does not ask the keyring again until then."
    )


def account_line(status: AccountStatus) -> str:
    """The Tesla account's state in a few words: signed in to which site, or not."""
    if status.state is AccountState.SIGNED_OUT:
        return "Not signed in"
    if status.state is AccountState.SIGN_IN_NEEDED:
        return SIGN_IN_NEEDED
    if status.site_id is None:
        return "Signed in — site not chosen yet"
    if status.site_name:
        return f"Signed in — site {status.site_name} ({status.site_id})"
    return f"Signed in — site {status.site_id}"


def cloud_problem(error: BaseException) -> str:
    """What went wrong with the Tesla account or cloud, for a person: the error's own words
    (the cloud's errors and pwtray's checks of what was typed are written for people)."""
    if isinstance(error, CloudError | SiteChoiceNeeded | ValueError):
        return str(error)
    return "pwtray hit an internal error talking to Tesla's cloud; its log has the details."


def alert_label(code: str) -> str:
    """A gateway alert (``GridCodesWrite``) as words a person can read (``Grid codes write``)."""
    return readable(code)


def explain(problem: BaseException | None) -> str:
    """What went wrong, for a person: a gateway error's own words, or the internal-error line."""
    if problem is None:
        return ""
    if isinstance(problem, GatewayError | CloudError):
        return str(problem)
    if isinstance(problem, NoCloudAccountError):
        return NO_CLOUD_ACCOUNT
    return INTERNAL_ERROR


def reserve_not_changed(error: ReserveNotChangedError) -> str:
    """A change through the cloud that was half made: the mode taken, the reserve not."""
    now = error.result.settings
    return (
        f"The backup reserve was not changed: {explain(error.error)} Tesla's cloud did take the "
        f"mode, {mode_label(now.mode)}; the reserve stays {percent_tenths(now.reserve_percent)}."
    )


def percent_tenths(value: float) -> str:
    """A percentage to the nearest tenth, the ``.0`` left off: ``66.6 %``, ``20 %``."""
    text = f"{value:.1f}"
    return f"{text.removesuffix('.0')} %"


def export_label(rule: str) -> str:
    """Tesla's export rule in words; a rule pwtray does not know is shown as Tesla names it."""
    try:
        return EXPORT_LABELS[ExportRule(rule)]
    except ValueError:
        return rule


def grid_power(watts: float | None, units: Units = DEFAULT_UNITS) -> str:
    """``importing 1.2 kW`` / ``exporting 0.4 kW`` / ``0 kW`` (one threshold: FLOW_W)."""
    if watts is None:
        return "—"
    flow = Flow.of(watts)
    if flow is Flow.OUT:
        return f"importing {units.power(watts)}"
    if flow is Flow.IN:
        return f"exporting {units.power(-watts)}"
    return units.power(0)


def tooltip(snapshot: Snapshot, now: float, units: Units = DEFAULT_UNITS) -> str:
    if snapshot.soe_percent is None:
        problem = explain(snapshot.problem)
        return "pwtray — " + (problem or "connecting to the gateway…")
    lines = []
    flow = ""
    if snapshot.charging:
        flow = f", charging {units.power(-(snapshot.battery_w or 0))}"
    elif snapshot.discharging:
        flow = f", supplying {units.power(snapshot.battery_w)}"
    lines.append(f"Powerwall {snapshot.soe_percent:.0f} %{flow}")
    if snapshot.grid is not None:
        lines.append(grid_label(snapshot.grid, by_choice=snapshot.off_grid_by_choice))
    if snapshot.sitemaster_running is False:
        lines.append("Powerwalls stopped: no power readings")
    else:
        lines.append(
            f"Solar {units.power(snapshot.solar_w)} · Home {units.power(snapshot.load_w)} · "
            f"Grid {grid_power(snapshot.site_w, units)}"
        )
    if snapshot.mode_raw:
        mode = mode_label(snapshot.mode or snapshot.mode_raw)
        reserve = (
            ""
            if snapshot.reserve_percent is None
            else f", reserve {snapshot.reserve_percent:.0f} %"
        )
        lines.append(f"{mode}{reserve}")
    e = snapshot.estimates
    if e.time_to_full_s is not None:
        lines.append(f"Full in {describe_duration(e.time_to_full_s)}")
    if e.time_to_reserve_s is not None:
        at = dt.datetime.fromtimestamp(now + e.time_to_reserve_s).astimezone()
        lines.append(f"Reserve in {describe_duration(e.time_to_reserve_s)} (at {at:%H:%M})")
    if snapshot.last_success_at is not None:
        age = max(0, round(now - snapshot.last_success_at))
        state = (
            ""
            if snapshot.connectivity is Connectivity.ONLINE
            else f" — {STATUS_LINES[snapshot.connectivity].lower().rstrip('…')}"
        )
        lines.append(f"Updated {age} s ago{state}")
    if snapshot.connectivity is Connectivity.INTERNAL_ERROR:
        lines.append(INTERNAL_ERROR)
    return "\n".join(lines)


def status_line(snapshot: Snapshot) -> str:
    if snapshot.connectivity is not Connectivity.ONLINE:
        return STATUS_LINES[snapshot.connectivity]
    grid = grid_label(snapshot.grid, by_choice=snapshot.off_grid_by_choice) if snapshot.grid else ""
    soe = "" if snapshot.soe_percent is None else f"{snapshot.soe_percent:.0f} %"
    return " · ".join(part for part in (soe, grid) if part)


def node_details(node: str, snapshot: Snapshot | None, units: Units = DEFAULT_UNITS) -> str:
    """What clicking a node of the flow diagram tells: ``node`` is its name (Solar, Grid, …)."""
    if snapshot is None:
        return "No readings yet."
    if node == "Powerwall":
        lines = []
        if snapshot.powerwall_count:
            plural = "s" if snapshot.powerwall_count != 1 else ""
            lines.append(f"{snapshot.powerwall_count} unit{plural}")
        if snapshot.capacity_wh:
            lines.append(f"Usable capacity {units.energy(snapshot.capacity_wh)}")
        if snapshot.energy_remaining_wh is not None:
            lines.append(f"Energy remaining {units.energy(snapshot.energy_remaining_wh)}")
        if snapshot.soe_percent is not None:
            raw = "" if snapshot.soe_raw is None else f" (gateway {snapshot.soe_raw:.1f} %)"
            lines.append(f"Charge {snapshot.soe_percent:.0f} %{raw}")
        if snapshot.charging or snapshot.discharging:
            verb = "Supplying" if snapshot.discharging else "Charging with"
            lines.append(f"{verb} {units.power(abs(snapshot.battery_w or 0.0))}")
        elif snapshot.battery_w is not None:
            lines.append("Idle")
        lines.extend(estimate_lines(snapshot))
        return "\n".join(lines)
    value = {
        "Solar": snapshot.solar_w,
        "Home": snapshot.load_w,
        "Grid": snapshot.site_w,
        "Generator": snapshot.generator_w,
    }.get(node)
    lines = [f"Now {units.power(value)}"]
    if node == "Grid":
        if snapshot.grid is not None:
            lines.append(grid_label(snapshot.grid))
        if value is not None:
            flow = Flow.of(value)
            lines[0] = (
                "No power to or from the grid"
                if flow is Flow.IDLE
                else grid_power(value, units).capitalize()
            )
    counters = snapshot.counters
    if counters is not None:
        lifetime = {
            "Solar": ("Produced", counters.solar_exported_wh),
            "Home": ("Used", counters.load_imported_wh),
            "Grid": ("Imported", counters.site_imported_wh),
        }.get(node)
        if lifetime:
            lines.append(f"{lifetime[0]} since the meter started {units.energy(lifetime[1])}")
        if node == "Grid":
            lines.append(
                f"Exported since the meter started {units.energy(counters.site_exported_wh)}"
            )
    return "\n".join(lines)


def estimate_lines(snapshot: Snapshot) -> list[str]:
    e = snapshot.estimates
    lines = []
    if e.time_to_full_s is not None:
        lines.append(f"Full in {describe_duration(e.time_to_full_s)}")
    if e.time_to_reserve_s is not None:
        lines.append(f"Reserve reached in {describe_duration(e.time_to_reserve_s)}")
    if e.time_to_empty_s is not None:
        lines.append(f"Empty in {describe_duration(e.time_to_empty_s)}")
    return lines


# ---------------------------------------------------------------------- events
def clock_time(epoch_s: float) -> str:
    """``14:05`` in this computer's time zone."""
    return dt.datetime.fromtimestamp(epoch_s).astimezone().strftime("%H:%M")


def _number(event: Event, key: str) -> float | None:
    value = event.data.get(key)
    return float(value) if isinstance(value, int | float) else None


def _lasts(event: Event) -> str:
    empty = _number(event, "time_to_empty_s")
    return f" At the current use it lasts about {describe_duration(empty)}." if empty else ""


def event_title(event: Event) -> str:
    kind, data = event.kind, event.data
    if kind is EventKind.GRID_OUTAGE:
        off_grid_otherwise = data.get("grid") not in (None, GridState.ISLANDED.value)
        return "Off grid" if off_grid_otherwise else "Grid outage"
    if kind is EventKind.SOE_BELOW:
        return f"Battery below {_number(event, 'threshold') or 0:.0f} %"
    if kind is EventKind.ACTION_FAILED:
        return f"Action failed: {action_label(str(data.get('action', '')))}"
    if kind in _SHUTDOWN_KINDS:
        return _shutdown_title(event)
    return EVENT_TITLES[kind]


def event_text(event: Event) -> tuple[str, str]:
    """The event's title and body, as a notification or the log says them."""
    return event_title(event), event_body(event)


def event_body(event: Event) -> str:
    kind, data = event.kind, event.data
    soe = _number(event, "soe")
    if kind is EventKind.GRID_OUTAGE:
        when = clock_time(_number(event, "started_at") or event.at)
        lead = (
            f"The grid was already down when pwtray connected ({when})."
            if data.get("already")
            else f"The grid went down at {when}."
        )
        charge = f", now {soe:.0f} %" if soe is not None else ""
        if data.get("while_off_grid_by_choice"):
            lead = (
                f"The grid failed at {when} while the house was off grid by choice: "
                "reconnecting will not bring power back until it returns."
            )
        return f"{lead} The house is running on the Powerwall{charge}.{_lasts(event)}"
    if kind is EventKind.OFF_GRID_CHOSEN:
        who = "pwtray took" if data.get("by_pwtray") else "The house left"
        verb = "the house off the grid" if data.get("by_pwtray") else "the grid"
        when = clock_time(_number(event, "started_at") or event.at)
        charge = f", now {soe:.0f} %" if soe is not None else ""
        return (
            f"{who} {verb} on purpose at {when}; it runs on the Powerwall{charge}. "
            "This is not an outage: reconnect from Operation mode and reserve when you want."
        )
    if kind is EventKind.BACK_ON_GRID:
        away = describe_duration(_number(event, "duration_s") or 0)
        return f"The house is connected to the grid again after {away} off grid by choice."
    if kind is EventKind.GRID_RESTORED:
        body = f"The grid is back after {describe_duration(_number(event, 'duration_s') or 0)}."
        supplied = _number(event, "energy_wh")
        if supplied is not None:
            body += f" The Powerwall supplied {supplied / 1000:.1f} kWh"
            start = _number(event, "start_soe")
            if start is not None and soe is not None:
                body += f" ({start:.0f} % → {soe:.0f} %)"
            body += "."
        return body
    if kind is EventKind.RESERVE_REACHED:
        reserve = _number(event, "reserve") or 0
        then = (
            "It keeps running the house until the grid is back."
            if data.get("off_grid")
            else "The grid now covers the house; the reserve is kept for outages."
        )
        return f"The Powerwall is at {soe or 0:.0f} %, its backup reserve ({reserve:.0f} %). {then}"
    if kind is EventKind.BATTERY_FULL:
        return "The Powerwall is fully charged."
    if kind is EventKind.SOE_BELOW:
        return f"The Powerwall is at {soe or 0:.0f} %.{_lasts(event)}"
    if kind is EventKind.UNREACHABLE:
        since = clock_time(_number(event, "since") or event.at)
        return f"pwtray has not reached the gateway since {since}. {explain(event.problem)}".strip()
    if kind is EventKind.BACK_ONLINE:
        return f"Readings are live again after {describe_duration(_number(event, 'away_s') or 0)}."
    if kind is EventKind.NEW_ALERT:
        at = clock_time(_number(event, "alert_at") or event.at)
        alert = data.get("alert")
        if not isinstance(alert, str):
            return f"The gateway reported an alert at {at}."
        code = "" if alert_label(alert) == alert else f" (its code: {alert})"  # to look it up
        return f"The gateway reported the alert “{alert_label(alert)}” at {at}{code}."
    if kind is EventKind.FIRMWARE_CHANGED:
        return f"The gateway now runs firmware {data.get('firmware')} (was {data.get('was')})."
    if kind is EventKind.MODE_CHANGED:
        mode, old = mode_label(str(data.get("mode", ""))), mode_label(str(data.get("was", "")))
        return f"The Powerwall is now in {mode} mode (was {old})."
    if kind is EventKind.RESERVE_CHANGED:
        reserve, before = _number(event, "reserve") or 0, _number(event, "was") or 0
        return f"The backup reserve is now {reserve:.0f} % (was {before:.0f} %)."
    if kind is EventKind.RESUMED:
        body = f"This computer was asleep for {describe_duration(_number(event, 'away_s') or 0)}."
        asleep_at = _number(event, "soe_before")
        if asleep_at is not None and soe is not None:
            body += f" Battery {asleep_at:.0f} % → {soe:.0f} %."
        return body
    if kind is EventKind.INTERNAL_ERROR:
        return INTERNAL_ERROR
    if kind is EventKind.SCHEDULE_FAILED:
        return (
            f"The scheduled change “{data.get('name')}” ({data.get('change')}) could not be "
            f"made: {data.get('why')}"
        )
    if kind is EventKind.SCHEDULE_MISSED:
        due = clock_time(_number(event, "due") or event.at)
        return (
            f"The scheduled change “{data.get('name')}” ({data.get('change')}) was due at {due} "
            "while this computer was asleep or off; it was not made late."
        )
    if kind is EventKind.HISTORY_FAILING:
        return (
            f"{data.get('reason', '')} Monitoring and notifications go on; charts will have a gap."
        )
    if kind is EventKind.ACTION_FAILED:
        return _action_failed_body(event)
    if kind in _SHUTDOWN_KINDS:
        return _shutdown_body(event)
    return explain(event.problem) or EVENT_TITLES[kind]


EVENT_TITLES = {
    EventKind.GRID_OUTAGE: "Grid outage",
    EventKind.GRID_RESTORED: "Grid restored",
    EventKind.OFF_GRID_CHOSEN: "Off grid by choice",
    EventKind.BACK_ON_GRID: "Back on the grid",
    EventKind.RESERVE_REACHED: "Battery at backup reserve",
    EventKind.BATTERY_FULL: "Battery full",
    EventKind.SOE_BELOW: "Battery low",
    EventKind.UNREACHABLE: "Gateway unreachable",
    EventKind.BACK_ONLINE: "Gateway reachable again",
    EventKind.AUTH_REQUIRED: "Gateway login needed",
    EventKind.LOCKED_OUT: "Gateway login locked out",
    EventKind.CERTIFICATE_CHANGED: "Gateway certificate changed",
    EventKind.GATEWAY_STOPPED: "Powerwalls stopped",
    EventKind.FIRMWARE_CHANGED: "Gateway firmware updated",
    EventKind.MODE_CHANGED: "Operation mode changed",
    EventKind.RESERVE_CHANGED: "Backup reserve changed",
    EventKind.NEW_ALERT: "Gateway alert",
    EventKind.RESUMED: "Back from sleep",
    EventKind.INTERNAL_ERROR: "pwtray hit an internal error",
    EventKind.HISTORY_FAILING: "History is not being recorded",
    EventKind.SCHEDULE_FAILED: "A scheduled change failed",
    EventKind.SCHEDULE_MISSED: "A scheduled change was missed",
    EventKind.ACTION_FAILED: "Action failed",
    EventKind.SHUTDOWN_PENDING: "Shutting down this computer",
    EventKind.SHUTDOWN_CANCELLED: "Shutdown cancelled",
    EventKind.SHUTDOWN_STARTED: "Shutting down this computer now",
    EventKind.SHUTDOWN_FAILED: "This computer could not be shut down",
}


# ---------------------------------------------------------------------- actions
ACTION_LABELS = {
    Trigger.GRID_OUTAGE: "Grid outage",
    Trigger.GRID_RESTORED: "Grid restored",
    Trigger.CHARGE_BELOW: "Charge below the threshold (off grid)",
    Trigger.TIME_LEFT_BELOW: "Time left below the threshold (off grid)",
    Trigger.UNREACHABLE: "Gateway unreachable",
    Trigger.GATEWAY_STOPPED: "Powerwalls stopped",
}


def action_label(trigger: Trigger | str) -> str:
    if isinstance(trigger, Trigger):
        return ACTION_LABELS[trigger]
    try:
        return ACTION_LABELS[Trigger(trigger)]
    except ValueError:
        return trigger or "an action"


def run_result(run: ActionRun) -> str:
    """One line on how a run went: ``✔ done in 0.3 s`` / ``✖ exit code 3 after 1.2 s`` …"""
    took = f"{run.duration_s:.1f} s"
    program = run.command[0] if run.command else "the command"
    if run.outcome is Outcome.OK:
        return f"✔ done in {took}"
    if run.outcome is Outcome.FAILED:
        return f"✖ exit code {run.exit_code} after {took}"
    if run.outcome is Outcome.TIMED_OUT:
        return f"✖ still running after {run.timeout_s:.0f} s: stopped"
    if run.outcome is Outcome.NOT_FOUND:
        return f"✖ {program} not found"
    if run.outcome is Outcome.NOT_STARTED:
        return f"✖ {program} could not start: {run.detail}"
    if run.outcome is Outcome.SKIPPED:
        return "Not run: its previous run was still going"
    return "Stopped when pwtray quit"


def _action_failed_body(event: Event) -> str:
    data = event.data
    program = f"“{data.get('program') or 'the command'}”"
    outcome = str(data.get("outcome", ""))
    if outcome == Outcome.TIMED_OUT.value:
        timeout = _number(event, "timeout_s") or 0
        body = f"{program} was still running after {timeout:.0f} s and was stopped."
    elif outcome == Outcome.NOT_FOUND.value:
        body = f"{program} was not found: check the path (pwtray runs it without a shell)."
    elif outcome == Outcome.NOT_STARTED.value:
        body = f"{program} could not be started: {data.get('detail', 'unknown reason')}."
    else:
        body = f"{program} ended with exit code {data.get('exit_code', '?')}."
    last = data.get("last_output")
    if last:
        body += f" It said: {last}"
    return body + " pwtray tells you again only after it has worked once."


# ---------------------------------------------------------------------- shutdown
_SHUTDOWN_KINDS = frozenset(
    {
        EventKind.SHUTDOWN_PENDING,
        EventKind.SHUTDOWN_CANCELLED,
        EventKind.SHUTDOWN_STARTED,
        EventKind.SHUTDOWN_FAILED,
    }
)
_VERBS = {  # what: (infinitive, -ing form, noun)
    "poweroff": ("shut down", "Shutting down", "Shutdown"),
    "hibernate": ("hibernate", "Hibernating", "Hibernation"),
    "suspend": ("suspend", "Suspending", "Suspend"),
}


def _verbs(event: Event) -> tuple[str, str, str]:
    return _VERBS.get(str(event.data.get("what", "poweroff")), _VERBS["poweroff"])


def _shutdown_title(event: Event) -> str:
    verb, verbing, noun = _verbs(event)
    dry = "Dry run: " if event.data.get("dry_run") else ""
    if event.kind is EventKind.SHUTDOWN_PENDING:
        seconds = _number(event, "countdown_s") or 0
        return f"{dry}{verbing} this computer in {seconds:.0f} s"
    if event.kind is EventKind.SHUTDOWN_CANCELLED:
        return f"{noun} of this computer cancelled"
    if event.kind is EventKind.SHUTDOWN_STARTED:
        return f"{dry}{verbing} this computer now"
    return f"This computer could not {verb}"


def _shutdown_body(event: Event) -> str:
    verb = _verbs(event)[0]
    data = event.data
    soe = _number(event, "soe")
    if event.kind is EventKind.SHUTDOWN_PENDING:
        threshold = _number(event, "threshold") or 0
        if data.get("reason") == "time_left":
            left = describe_duration(_number(event, "time_to_empty_s") or 0)
            why = f"it lasts about {left} at the current use (below {threshold / 60:.0f} min)"
        else:
            why = f"its charge is {soe or 0:.0f} % (below {threshold:.0f} %)"
        when = clock_time(_number(event, "deadline") or event.at)
        body = (
            f"The house runs on the Powerwall and {why}. pwtray will {verb} this computer at "
            f"{when} unless you cancel."
        )
        if data.get("dry_run"):
            body += " This is a dry run: nothing will actually happen."
        return body
    if event.kind is EventKind.SHUTDOWN_CANCELLED:
        reason = data.get("reason")
        if reason == "user":
            return (
                f"You cancelled it. pwtray will not {verb} this computer again during this "
                "outage unless the grid or the charge comes back first."
            )
        if reason == "grid":
            return "The grid is back."
        if reason == "disabled":
            return "The automatic shutdown was switched off in Preferences."
        charge = f" (now {soe:.0f} %)" if soe is not None else ""
        return f"The Powerwall recovered{charge}: its charge and time left are above the limits."
    if event.kind is EventKind.SHUTDOWN_STARTED:
        charge = f" at {soe:.0f} %" if soe is not None else ""
        if data.get("dry_run"):
            return (
                f"With the Powerwall{charge}, pwtray would now {verb} this computer. This was "
                "a dry run: nothing happened."
            )
        return f"The Powerwall is{charge or ' low'}; pwtray asked the system to {verb} now."
    return f"{data.get('problem', 'The system refused.')}."


def ups_state_text(state: UpsState) -> str:
    """The NUT server in a sentence or two, for Preferences."""
    if state.problem:
        return f"✖ {state.problem}"
    if not state.running:
        return "Off."
    follow = f"Clients monitor {state.ups_name}@<this computer's name or address>."
    if not state.clients:
        return f"Serving on {state.listen}. {follow} No client is connected now."
    names = ", ".join(
        f"{c.address} (as {c.username})" if c.username else f"{c.address} (reading only)"
        for c in state.clients
    )
    count = len(state.clients)
    return f"Serving on {state.listen}. {follow} Connected now ({count}): {names}."
