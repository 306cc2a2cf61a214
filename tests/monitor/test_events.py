"""The event function: each change said once, in words; outages and restores always pair."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from pwtray.core.words import event_body, event_title
from pwtray.gateway import GatewayUnreachableError, GridState, OperationMode
from pwtray.monitor import (
    Connectivity,
    Counters,
    Estimates,
    EventKind,
    EventSettings,
    Memory,
    ReadTimes,
    Severity,
    Snapshot,
    derive,
)

T0 = 1_800_000_000.0
WHY = GatewayUnreachableError("127.0.0.1", "connection refused")


def snap(t: float = 0, **values: object) -> Snapshot:
    base: dict[str, object] = {
        "taken_at": T0 + t,
        "connectivity": Connectivity.ONLINE,
        "soe_percent": 60.0,
        "grid": GridState.CONNECTED,
        "mode": OperationMode.SELF_CONSUMPTION,
        "mode_raw": "self_consumption",
        "reserve_percent": 20.0,
        "firmware": "24.36.2",
        "battery_w": 300.0,
        "read_at": ReadTimes(system=T0 + t),
    }
    base.update(values)
    return Snapshot(**base)  # type: ignore[arg-type]


def run(snapshots: list[Snapshot], event_settings: EventSettings | None = None, **kw: object):
    memory, previous, all_events = Memory(), None, []
    for current in snapshots:
        events, memory = derive(previous, current, memory, event_settings or EventSettings(), **kw)  # type: ignore[arg-type]
        all_events += events
        previous = current
    return all_events, memory


def kinds(events) -> list[EventKind]:
    return [e.kind for e in events]


def counters(discharged_wh: float) -> Counters:
    return Counters(0, 0, 0, discharged_wh, 0, 0)


def test_outage_and_restore_are_each_said_once_with_duration_and_energy() -> None:
    sequence = [
        snap(0, counters=counters(1000)),
        snap(5, grid=GridState.ISLANDED, soe_percent=59, counters=counters(1000)),
        snap(10, grid=GridState.ISLANDED, soe_percent=55, counters=counters(1500)),
        snap(3605, grid=GridState.TRANSITION_TO_GRID, soe_percent=41, counters=counters(4400)),
        snap(
            3610, grid=GridState.ISLANDED, soe_percent=41, counters=counters(4400)
        ),  # resync failed
        snap(3900, grid=GridState.CONNECTED, soe_percent=40, counters=counters(4400)),
        snap(3905, grid=GridState.CONNECTED, soe_percent=40, counters=counters(4400)),
    ]
    events, _ = run(sequence, EventSettings(soe_thresholds=()))
    assert kinds(events) == [EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED]
    outage, restored = events
    assert outage.severity is Severity.CRITICAL
    assert "The grid went down at" in event_body(outage)
    assert restored.data["duration_s"] == 3895
    assert restored.data["energy_wh"] == 3400
    assert restored.data["lowest_soe"] == 40
    assert "after 1 h 04 min" in event_body(restored)
    assert "3.4 kWh (59 % → 40 %)" in event_body(restored)


def test_starting_during_an_outage_says_it_was_already_down() -> None:
    events, _ = run([snap(0, grid=GridState.ISLANDED)])
    assert kinds(events) == [EventKind.GRID_OUTAGE]
    assert "already down" in event_body(events[0])


def test_an_outage_survives_a_spell_without_readings() -> None:
    sequence = [
        snap(0),
        snap(5, grid=GridState.ISLANDED),
        snap(10, connectivity=Connectivity.STALE, grid=GridState.ISLANDED),
        snap(15, grid=GridState.ISLANDED),
        snap(20, grid=GridState.CONNECTED),
    ]
    assert kinds(run(sequence)[0]) == [EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED]


def test_thresholds_have_hysteresis() -> None:
    settings_ = EventSettings(soe_thresholds=(25.0,), hysteresis_percent=3.0)
    levels = [30, 26, 24.9, 25.2, 24.8, 25.5, 24.7, 27.9, 24.9, 28.1, 24.9]
    events, _ = run(
        [snap(i * 5, soe_percent=s, battery_w=500) for i, s in enumerate(levels)], settings_
    )
    below = [e for e in events if e.kind is EventKind.SOE_BELOW]
    # Crossed at 24.9; re-armed only once the charge got back above 28 %.
    assert len(below) == 2
    assert event_title(below[0]) == "Battery below 25 %"


def test_raising_the_reserve_above_the_charge_is_not_reaching_it() -> None:
    events, _ = run(
        [snap(0, soe_percent=60), snap(5, soe_percent=60, reserve_percent=100)],
        EventSettings(soe_thresholds=()),
    )
    assert kinds(events) == [EventKind.RESERVE_CHANGED]


def test_reserve_reached_once_and_full_once() -> None:
    levels = [22, 21, 20.4, 20.2, 20.3, 20.1, 40, 99.0, 99.6, 99.8, 99.7, 100]
    events, _ = run(
        [snap(i * 5, soe_percent=s) for i, s in enumerate(levels)], EventSettings(soe_thresholds=())
    )
    assert kinds(events) == [EventKind.RESERVE_REACHED, EventKind.BATTERY_FULL]
    assert "backup reserve (20 %)" in event_body(events[0])


def test_unreachable_after_the_configured_time_then_back_online() -> None:
    sequence = (
        [snap(0)]
        + [
            snap(
                t,
                connectivity=Connectivity.STALE if t < 60 else Connectivity.OFFLINE,
                problem=WHY,
            )
            for t in range(5, 400, 30)
        ]
        + [snap(400), snap(405)]
    )
    events, _ = run(sequence, EventSettings(unreachable_after_s=300))
    assert kinds(events) == [EventKind.UNREACHABLE, EventKind.BACK_ONLINE]


def test_a_short_blip_is_not_reported() -> None:
    sequence = [snap(0), snap(5, connectivity=Connectivity.STALE), snap(10)]
    assert run(sequence)[0] == []


def test_state_problems_are_reported_on_entry_only() -> None:
    for state, kind in [
        (Connectivity.AUTH_REQUIRED, EventKind.AUTH_REQUIRED),
        (Connectivity.LOCKED_OUT, EventKind.LOCKED_OUT),
        (Connectivity.CERTIFICATE_CHANGED, EventKind.CERTIFICATE_CHANGED),
        (Connectivity.GATEWAY_STOPPED, EventKind.GATEWAY_STOPPED),
    ]:
        sequence = [snap(0)] + [snap(t, connectivity=state, problem=WHY) for t in (5, 10, 15)]
        events, _ = run(sequence)
        assert kinds(events) == [kind], state
        assert event_body(events[0]) == str(WHY)


def test_firmware_mode_and_reserve_changes() -> None:
    sequence = [snap(0), snap(5, firmware="25.10.1", mode_raw="backup", reserve_percent=100)]
    events, _ = run(sequence)
    assert kinds(events) == [
        EventKind.FIRMWARE_CHANGED,
        EventKind.MODE_CHANGED,
        EventKind.RESERVE_CHANGED,
    ]
    assert "Backup-only mode (was Self-powered)" in event_body(events[1])


def test_changes_pwtray_made_itself_are_not_reported_as_made_elsewhere() -> None:
    sequence = [snap(0), snap(5, mode_raw="backup", reserve_percent=100.0)]
    events, _ = run(sequence, expected_operation=("backup", 100.0))
    assert events == []


def test_only_new_gateway_alerts_are_reported() -> None:
    old = (1_700_000_000_000, "PINV_a008_vfCheckRocof")
    new = (1_800_000_000_000, "PINV_a006_vfCheckUnderFrequency")
    sequence = [
        snap(0, grid_fault_times=(old,)),
        snap(5, grid_fault_times=(old, new)),
        snap(10, grid_fault_times=(old, new)),
    ]
    events, _ = run(sequence)
    assert kinds(events) == [EventKind.NEW_ALERT]
    assert "PINV_a006_vfCheckUnderFrequency" in event_body(events[0])


def test_resumed_from_sleep_summarises_the_change() -> None:
    sequence = [snap(0, soe_percent=80), snap(7200, soe_percent=45, resumed_after_s=7200.0)]
    events, _ = run(sequence, EventSettings(soe_thresholds=()))
    assert kinds(events) == [EventKind.RESUMED]
    assert "2 h 00 min" in event_body(events[0])
    assert "80 % → 45 %" in event_body(events[0])


def test_outage_body_tells_how_long_the_battery_lasts() -> None:
    lasting = Estimates(900.0, None, None, 5 * 3600 + 600)
    events, _ = run([snap(0), snap(5, grid=GridState.ISLANDED, estimates=lasting)])
    assert "lasts about 5 h 10 min" in event_body(events[0])


# ---------------------------------------------------------------------- properties
grid_states = st.sampled_from(list(GridState))
connectivities = st.sampled_from(list(Connectivity))


@st.composite
def snapshot_sequences(draw: st.DrawFn) -> list[Snapshot]:
    count = draw(st.integers(min_value=1, max_value=40))
    t, out = 0.0, []
    for _ in range(count):
        t += draw(st.floats(min_value=1, max_value=600))
        out.append(
            snap(
                t,
                connectivity=draw(connectivities),
                grid=draw(st.none() | grid_states),
                soe_percent=draw(st.none() | st.floats(min_value=0, max_value=100)),
                reserve_percent=draw(st.sampled_from([0.0, 20.0, 100.0])),
                mode=draw(st.sampled_from(["self_consumption", "backup"])),
                battery_w=draw(st.floats(min_value=-5000, max_value=5000)),
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(snapshot_sequences())
def test_outages_and_restores_always_alternate(sequence: list[Snapshot]) -> None:
    events, memory = run(sequence)
    grid_events = [
        e.kind for e in events if e.kind in (EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED)
    ]
    for i, kind in enumerate(grid_events):
        assert kind is (EventKind.GRID_OUTAGE if i % 2 == 0 else EventKind.GRID_RESTORED)
    assert (memory.outage_started_at is not None) == (len(grid_events) % 2 == 1)


@settings(max_examples=150, deadline=None)
@given(snapshot_sequences())
def test_no_event_without_a_change(sequence: list[Snapshot]) -> None:
    _, memory = run(sequence)
    last = sequence[-1]
    if not last.connectivity.live:
        last = replace(last, connectivity=Connectivity.ONLINE)
        _, memory = derive(sequence[-1], last, memory)
    again = replace(last, taken_at=last.taken_at + 5, read_at=ReadTimes(system=last.taken_at + 5))
    events, _ = derive(last, again, memory)
    assert events == []
