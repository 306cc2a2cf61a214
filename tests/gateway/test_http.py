"""The HTTP/1.1 reply parser: framing by length, chunks or the connection's end; interim replies;
caps on headers and body; compressed bodies; and every malformed reply a typed error — whatever
the pieces the bytes arrive in."""

from __future__ import annotations

import gzip
import itertools
import json
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pwtray.gateway._client import decode, nested_deeper_than
from pwtray.gateway._http import (
    ConnectionCutError,
    Limits,
    MalformedReplyError,
    Reply,
    ReplyParser,
    Target,
    TooLargeError,
    request_bytes,
)

DEFAULT = Limits()
SMALL = Limits(reply_bytes=1000, head_bytes=300, header_lines=10)


def parse(
    data: bytes,
    limits: Limits = DEFAULT,
    *,
    pieces: list[int] | None = None,
    eof: bool = False,
    head_request: bool = False,
) -> tuple[Reply, ReplyParser]:
    """Feed ``data`` cut at ``pieces`` (offsets); the reply and the parser."""
    parser = ReplyParser(limits, head_request=head_request)
    cuts = [0, *sorted(set(pieces or [])), len(data)]
    reply = None
    for start, end in itertools.pairwise(cuts):
        if start == end:
            continue
        got = parser.feed(data[start:end])
        if got is not None:
            assert reply is None, "a reply came twice"
            reply = got
    if reply is None and eof:
        reply = parser.feed_eof()
    assert reply is not None, "no reply"
    return reply, parser


SOE = b'{"percentage":61.5}'
BY_LENGTH = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 19\r\n\r\n" + SOE
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1; Path=/\r\n"
    b"Set-Cookie: b=2\r\n\r\n"
    b"5;name=value\r\n" + SOE[:5] + b"\r\n" + b"e\r\n" + SOE[5:] + b"\r\n0\r\nX-Trailer: t\r\n\r\n"
)


@settings(max_examples=200, deadline=None)
@given(data=st.sampled_from([BY_LENGTH, CHUNKED]), cuts=st.lists(st.integers(0, 200), max_size=8))
def test_a_reply_reads_the_same_in_any_pieces(data: bytes, cuts: list[int]) -> None:
    reply, parser = parse(data, pieces=[c for c in cuts if c < len(data)])
    assert reply.status == 200
    assert reply.body == SOE
    assert parser.keep_alive


def test_headers_and_cookies() -> None:
    reply, _ = parse(CHUNKED)
    assert reply.set_cookies == ("a=1; Path=/", "b=2")
    assert reply.headers["transfer-encoding"] == "chunked"
    reply, _ = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nVary: a\r\nvary: b\r\n\r\n")
    assert reply.headers["vary"] == "a, b"


def test_a_body_to_the_connections_end() -> None:
    reply, parser = parse(b"HTTP/1.1 200 OK\r\n\r\n" + SOE, eof=True)
    assert reply.body == SOE
    assert not parser.keep_alive


def test_keep_alive_only_when_the_reply_allows_it() -> None:
    assert not parse(BY_LENGTH.replace(b"OK\r\n", b"OK\r\nConnection: close\r\n"))[1].keep_alive
    assert not parse(BY_LENGTH.replace(b"HTTP/1.1", b"HTTP/1.0"))[1].keep_alive
    assert not parse(BY_LENGTH + b"HTTP/1.1 200 OK")[1].keep_alive  # unasked-for bytes follow


def test_interim_replies_are_skipped_and_empty_ones_have_no_body() -> None:
    reply, _ = parse(b"HTTP/1.1 100 Continue\r\n\r\n" + BY_LENGTH)
    assert reply.body == SOE
    assert parse(b"HTTP/1.1 204 No Content\r\n\r\n")[0].body == b""
    assert parse(b"HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n", head_request=True)[0].body == b""


def test_compressed_bodies_are_unpacked() -> None:
    for coding, packed in [
        ("gzip", gzip.compress(SOE)),
        ("deflate", zlib.compress(SOE)),
        ("deflate", zlib.compress(SOE)[2:-4]),  # raw deflate, as some servers send it
        ("identity", SOE),
    ]:
        head = f"HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: {len(packed)}"
        assert parse(head.encode() + b"\r\n\r\n" + packed)[0].body == SOE


@pytest.mark.parametrize(
    ("data", "part"),
    [
        (b"HTTP/1.1 200 OK\r\nX: " + b"x" * 400, "headers"),  # no end of headers in sight
        (b"HTTP/1.1 200 OK\r\nX: " + b"x" * 400 + b"\r\n\r\n", "headers"),
        (b"HTTP/1.1 200 OK\r\n" + b"A: b\r\n" * 12 + b"\r\n", "headers"),  # too many lines
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n", "body"),  # refused before the body
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"100\r\n"
            + b"x" * 256
            + b"\r\n" * 1
            + b"400\r\n",
            "body",
        ),
        (b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 1001, "body"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + b"T: x\r\n" * 60,
            "headers",
        ),
    ],
)
def test_caps_on_headers_and_body(data: bytes, part: str) -> None:
    with pytest.raises(TooLargeError) as caught:
        ReplyParser(SMALL).feed(data)
    assert caught.value.part == part


def test_the_cap_applies_after_decompression() -> None:
    packed = gzip.compress(b" " * 5000)
    head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(packed)}\r\n\r\n"
    with pytest.raises(TooLargeError) as caught:
        ReplyParser(SMALL).feed(head.encode() + packed)
    assert caught.value.part == "decompressed body"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.x status line"),
        (b"HTTP/2 200\r\n\r\n", "HTTP/1.x status line"),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "name: value"),
        (b"HTTP/1.1 200 OK\r\n Folded: x\r\n\r\n", "name: value"),
        (b"HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n", "control characters"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "hexadecimal"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", "does not end"),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx", "“br”"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip\r\nContent-Length: 1\r\n\r\nx",
            "more than once",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc", "damaged"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\n"
            + gzip.compress(SOE)[:12],
            "ends early",
        ),
    ],
)
def test_malformed_replies(data: bytes, words: str) -> None:
    with pytest.raises(MalformedReplyError, match=words):
        ReplyParser(Limits()).feed(data)


def test_a_reply_cut_short() -> None:
    parser = ReplyParser(Limits())
    assert parser.feed(BY_LENGTH[:-3]) is None
    assert parser.phase == "body"
    with pytest.raises(ConnectionCutError) as caught:
        parser.feed_eof()
    assert caught.value.received_bytes == len(BY_LENGTH) - 3
    fresh = ReplyParser(Limits())
    assert fresh.phase == "reply"
    fresh.feed(b"HTTP/1.1 200")
    assert fresh.phase == "headers"


def test_requests_cannot_smuggle_a_header() -> None:
    target = Target("192.0.2.10", 443)
    wire = request_bytes("GET", target, "/api/status", [("Accept", "application/json")], None)
    assert (
        wire == b"GET /api/status HTTP/1.1\r\nHost: 192.0.2.10\r\nAccept: application/json\r\n\r\n"
    )
    assert b"Host: [::1]:8443" in request_bytes("GET", Target("::1", 8443), "/", [], None)
    with pytest.raises(ValueError, match="line break"):
        request_bytes("GET", target, "/", [("Cookie", "a=b\r\nX-Evil: 1")], None)
    with pytest.raises(ValueError, match="spaces or line breaks"):
        request_bytes("GET", target, "/a b", [], None)


# ---------------------------------------------------------------------- JSON depth
json_values = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=40,
)


def depth_of(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=400, deadline=None)
@given(value=json_values, limit=st.integers(0, 6))
def test_nesting_is_measured_outside_strings(value: object, limit: int) -> None:
    body = json.dumps(value).encode()
    assert nested_deeper_than(body, limit) == (depth_of(value) > limit)


def test_the_deepest_capture_is_far_below_the_limit() -> None:
    assert not nested_deeper_than(b'{"a":[[[[[[[1]]]]]]]}', 32)
    assert nested_deeper_than(b"[" * 33 + b"]" * 33, 32)
    assert not nested_deeper_than(b'"' + b"[" * 100 + b'"', 32)  # brackets inside a string


def test_a_recursion_error_is_never_what_a_caller_sees() -> None:
    from pwtray.gateway import GatewayProtocolError

    with pytest.raises(GatewayProtocolError, match="nested deeper than 2000 levels"):
        decode("/api/x", b"[" * 100_000 + b"]" * 100_000, list[int], max_depth=2000)
    with pytest.raises(GatewayProtocolError, match="nested too deeply"):
        decode("/api/x", b"[" * 100_000 + b"]" * 100_000, list[Any], max_depth=10**6)
