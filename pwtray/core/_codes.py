"""A gateway's codes said in words. A leaf (no imports from pwtray): the words module and the
network-info reader both use it, and the words module imports half of the core."""

from __future__ import annotations

import re


def readable(code: str) -> str:
    """A gateway's code in words: ``WPAorWPA2_Personal`` → ``WPA or WPA2 Personal``,
    ``SystemConnectedToGrid`` → ``System connected to grid``, ``EthType`` → ``Eth``."""
    text = code.removesuffix("Type") if code.endswith("Type") and code != "Type" else code
    text = re.sub(r"(?<=[A-Z0-9])or(?=[A-Z])", " or ", text)  # WPAorWPA2
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)  # camelCase boundaries
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", text)  # ABCWord → ABC Word
    words = [w for w in re.split(r"[_\s]+", text.strip()) if w]
    spoken = [w if w.isupper() or any(c.isdigit() for c in w) else w.lower() for w in words]
    if spoken and spoken[0].islower():
        spoken[0] = spoken[0].capitalize()
    return " ".join(spoken) or code
