"""What the user gives the NUT server (address, clients, login) is checked, with errors in words."""

from __future__ import annotations

import ipaddress

import pytest

import pwtray.nut as nut
from pwtray.nut import Listen, NutConfigError, NutError, NutUser, parse_allowed, parse_listen
from pwtray.nut._address import admitted, peer_address


def test_public_names() -> None:
    public = {name for name in dir(nut) if not name.startswith("_")}
    assert public == set(nut.__all__)
    errors = [getattr(nut, name) for name in nut.__all__ if name.endswith("Error")]
    assert all(issubclass(error, NutError) for error in errors)
    assert len(errors) == 3


@pytest.mark.parametrize(
    ("text", "listen"),
    [
        ("3493", Listen("127.0.0.1", 3493)),
        ("127.0.0.1:3493", Listen("127.0.0.1", 3493)),
        ("localhost:13493", Listen("127.0.0.1", 13493)),
        ("0.0.0.0:3493", Listen("0.0.0.0", 3493)),  # noqa: S104 - parsed, not bound
        ("[::1]:3493", Listen("::1", 3493)),
        (" 127.0.0.5:3493 ", Listen("127.0.0.5", 3493)),
        ("[::]:3493", Listen("::", 3493)),
    ],
)
def test_host_and_port_as_pwtray_nut_takes_them(text: str, listen: Listen) -> None:
    assert parse_listen(text) == listen
    assert parse_listen(str(listen)) == listen


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("nas.lan:3493", "an IP address of this computer"),
        ("127.0.0.1:0", "from 1 to 65535"),
        ("127.0.0.1:70000", "from 1 to 65535"),
        ("127.0.0.1:ups", "from 1 to 65535"),
        ("::1:3493", "in brackets"),
        ("[::1]3493", "[IPv6 address]:PORT"),
    ],
)
def test_bad_listen_addresses_are_explained(text: str, says: str) -> None:
    with pytest.raises(NutConfigError) as caught:
        parse_listen(text)
    assert says in str(caught.value)


def test_only_loopback_counts_as_this_computer_alone() -> None:
    assert parse_listen("127.0.0.2:3493").loopback
    assert parse_listen("[::1]:3493").loopback
    assert not parse_listen("0.0.0.0:3493").loopback
    assert not parse_listen("[::]:3493").loopback


def test_allowed_clients_are_addresses_or_networks() -> None:
    allowed = parse_allowed(["127.0.0.20", "127.1.0.0/16", "::2/128", "127.2.3.4/24"])
    assert [str(n) for n in allowed] == ["127.0.0.20/32", "127.1.0.0/16", "::2/128", "127.2.3.0/24"]
    ip = ipaddress.ip_address
    assert admitted(ip("127.1.2.3"), allowed)
    assert admitted(ip("127.2.3.99"), allowed)
    assert admitted(ip("::2"), allowed)
    assert admitted(ip("127.0.0.1"), allowed)  # this computer, always
    assert admitted(ip("::1"), allowed)
    assert not admitted(ip("127.0.0.21"), allowed)
    assert not admitted(ip("127.0.0.2"), allowed)
    assert not admitted(None, allowed)
    assert admitted(ip("127.0.0.2"), ())  # no list: the server is on loopback only
    assert peer_address("::ffff:127.0.0.20") == ip("127.0.0.20")  # dual-stack sockets
    assert peer_address("::1%lo") == ip("::1")
    with pytest.raises(NutConfigError, match="names are not accepted"):
        parse_allowed(["nas.lan"])


@pytest.mark.parametrize("word", ["", "two words", 'quo"te', "back\\slash", "hash#", "tab\t", "é"])
def test_nut_logins_must_be_one_plain_word(word: str) -> None:
    with pytest.raises(NutConfigError, match="NUT password"):
        NutUser("monuser", word)
    with pytest.raises(NutConfigError, match="NUT user name"):
        NutUser(word, "secret")


def test_a_nut_user_never_shows_its_password() -> None:
    user = NutUser("monuser", "S3cret=!")
    assert "S3cret" not in repr(user)
    assert user.matches("monuser", "S3cret=!")
    assert not user.matches("monuser", "S3cret")
    assert not user.matches("Monuser", "S3cret=!")
    assert not user.matches(None, "S3cret=!")
