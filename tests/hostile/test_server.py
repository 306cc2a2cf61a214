"""The hostile gateway does what its behaviours say, checked with a plain TLS socket (not pwtray's
client): otherwise a client test could pass against a server that never misbehaved."""

from __future__ import annotations

import gzip
import json
import socket
import ssl
import warnings
import zlib

import pytest

from tests.conftest import PASSWORD
from tests.hostile import server as h
from tests.hostile.conftest import HostileFactory
from tests.hostile.server import HostileGateway
from tests.waiting import wait_until


def tls_context(version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # a test server's self-signed certificate
    if version is not None:
        with warnings.catch_warnings():  # an old version on purpose
            warnings.simplefilter("ignore", DeprecationWarning)
            context.set_ciphers("ALL:@SECLEVEL=0")
            context.minimum_version = version
            context.maximum_version = version
    return context


def connect(gw: HostileGateway, context: ssl.SSLContext | None = None) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    return (context or tls_context()).wrap_socket(raw)


def ask(sock: ssl.SSLSocket, method: str, path: str, body: bytes = b"", cookie: str = "") -> None:
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    sock.sendall(head.encode() + b"\r\n" + body)


def read_at_most(sock: ssl.SSLSocket, limit: int) -> bytes:
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(min(65536, limit - len(data)))
        except (TimeoutError, ssl.SSLError, OSError):
            break
        if not chunk:
            break
        data += chunk
    return data


def read_reply(sock: ssl.SSLSocket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1]
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head, body


def login(sock: ssl.SSLSocket) -> tuple[bytes, str]:
    body = json.dumps({"username": "customer", "password": PASSWORD, "email": ""}).encode()
    ask(sock, "POST", h.LOGIN, body)
    head, reply = read_reply(sock)
    return head, f"AuthCookie={json.loads(reply)['token']}"


def test_by_default_it_answers_like_a_gateway(hostile: HostileGateway) -> None:
    with connect(hostile) as sock:
        ask(sock, "GET", "/api/system_status/soe")
        assert read_reply(sock)[0].startswith(b"HTTP/1.1 401")  # reads need a session
        head, cookie = login(sock)
        assert head.count(b"Set-Cookie:") == 2
        ask(sock, "GET", "/api/system_status/soe", cookie=cookie)
        head, body = read_reply(sock)
    assert head.startswith(b"HTTP/1.1 200")
    assert "percentage" in json.loads(body)
    assert hostile.logins() == 1


def test_deep_json_is_valid_json_that_deep(hostile: HostileGateway) -> None:
    hostile.on("/api/x", h.deep_json(5000))
    with connect(hostile) as sock:
        ask(sock, "GET", "/api/x")
        _, body = read_reply(sock)
    assert body == b"[" * 5000 + b"]" * 5000


def test_drip_sends_a_byte_at_a_time(hostile: HostileGateway) -> None:
    hostile.on("/api/x", h.drip(b"0123456789", bytes_per_s=50))
    with connect(hostile) as sock:
        ask(sock, "GET", "/api/x")
        pieces = [sock.recv(65536) for _ in range(6)]  # each its own TLS record
    assert [len(p) for p in pieces] == [1] * 6
    assert b"".join(pieces) == b"HTTP/1"
    wait_until(lambda: hostile.endings, what="the drip to notice the hang-up")
    assert hostile.endings[0].client_hung_up


@pytest.mark.parametrize("behaviour", [h.huge_declared, h.until_close, h.endless_chunked])
def test_long_bodies_go_on_while_the_client_reads(
    hostile: HostileGateway, behaviour: object
) -> None:
    hostile.on("/api/x", behaviour())  # type: ignore[operator]
    with connect(hostile) as sock:
        ask(sock, "GET", "/api/x")
        data = read_at_most(sock, 8 * 1024 * 1024)
    assert len(data) == 8 * 1024 * 1024
    if behaviour is h.endless_chunked:
        assert b"Transfer-Encoding: chunked\r\n\r\n10000\r\n" in data
    if behaviour is h.huge_declared:
        assert b"Content-Length: 1073741824\r\n" in data


def test_the_gzip_bomb_is_a_valid_gzip_of_zeros() -> None:
    packed = h.gzip_bomb_body(64 * 1024 * 1024)
    assert len(packed) < 70_000
    unpacked = gzip.decompress(packed)  # checks the CRC and the length too
    assert len(unpacked) == 64 * 1024 * 1024
    assert unpacked.count(0) == len(unpacked)
    assert len(h.gzip_bomb_body()) < 2 * 1024 * 1024  # 1 GiB fits under pwtray's wire cap
    inflater = zlib.decompressobj(31)
    assert len(inflater.decompress(h.gzip_bomb_body(), 3 * 1024 * 1024)) == 3 * 1024 * 1024


def test_cookie_conflict_sets_each_user_record(hostile: HostileGateway) -> None:
    hostile.on(h.LOGIN, h.cookie_conflict(("one", "/"), ("two", "/api")))
    with connect(hostile) as sock:
        head, _ = login(sock)
    lines = head.split(b"\r\n")
    assert b"Set-Cookie: UserRecord=one; Path=/" in lines
    assert b"Set-Cookie: UserRecord=two; Path=/api" in lines


def test_oversized_headers_and_a_cut_reply(hostile: HostileGateway) -> None:
    hostile.on("/api/big", h.oversized_headers(100 * 1024)).on("/api/cut", h.cut_mid_reply(b"{"))
    with connect(hostile) as sock:
        ask(sock, "GET", "/api/big")
        head, _ = read_reply(sock)
        assert len(head) > 100 * 1000
        ask(sock, "GET", "/api/cut")
        cut = read_at_most(sock, 10_000)
    assert cut.endswith(b"Content-Length: 200\r\n\r\n{")  # then the connection ended


def test_tls_1_0_only(hostile_factory: HostileFactory) -> None:
    old = hostile_factory(tls_version=ssl.TLSVersion.TLSv1)
    with pytest.raises(ssl.SSLError):
        connect(old)  # a TLS 1.2+ client gets nowhere
    wait_until(lambda: old.tls_failures, what="the refused handshake")
    with connect(old, tls_context(ssl.TLSVersion.TLSv1)) as sock:
        assert sock.version() == "TLSv1"
