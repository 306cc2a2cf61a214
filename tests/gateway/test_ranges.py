"""The discovery range parser: what the user types becomes the addresses to probe."""

from __future__ import annotations

import pytest

from pwtray.gateway import expand_range


def test_ranges_expand_to_the_addresses_to_probe() -> None:
    assert expand_range("127.0.0.2-4") == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    assert expand_range("127.0.0.2-127.0.0.3, 127.0.0.9") == ["127.0.0.2", "127.0.0.3",
                                                                "127.0.0.9"]  # fmt: skip
    assert len(expand_range("127.0.1.1-254")) == 254
    assert expand_range("127.0.0.2-3:8443") == ["127.0.0.2:8443", "127.0.0.3:8443"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no address"),
        ("127.0.0.9-2", "ends before it starts"),
        ("127.0.0.0-127.0.255.255", "more than 1024"),
        ("127.0.0.1-x", "does not end a range"),
        ("300.1.1.1-4", "is not an IPv4 address"),
    ],
)
def test_a_bad_range_is_explained(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        expand_range(text)
