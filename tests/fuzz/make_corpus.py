#!/usr/bin/env python3
"""Writes the seed corpora of the ZMTP codec fuzzers into tests/fuzz/corpus/<target>/.

Seeds are the real libzmq 4.3.4 conversations in tests/messaging/zmtp_captures/*.json, laid
out as each target reads its input (see the header of fuzz_<target>.cpp), plus a few
hand-made frames for what the captures do not show (MAXMSGSIZE, frames past 64 KiB, a peer
announcing a huge frame). Files are named by the SHA-1 of their content, as libFuzzer names
its own, so a seed is never written twice. Run again after adding a capture:

    /usr/bin/python3 tests/fuzz/make_corpus.py

Inputs that libFuzzer found (crashes turned regression tests) live in the same folders and
are left alone.
"""
import hashlib
import json
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
CAPTURES = HERE.parent / "messaging" / "zmtp_captures"
GREETING = 64


def write(target, data):
    folder = HERE / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / hashlib.sha1(data).hexdigest()
    if not path.exists():
        path.write_bytes(data)
        return 1
    return 0


def frames(stream):
    """(flags, body) of every whole frame of a post-greeting stream."""
    out, pos = [], 0
    while pos < len(stream):
        flags = stream[pos]
        if flags & 2:
            (size,), head = struct.unpack(">Q", stream[pos + 1:pos + 9]), 9
        else:
            size, head = stream[pos + 1], 2
        out.append((flags, stream[pos + head:pos + head + size]))
        pos += head + size
    return out


def decoder_input(stream, plan=b"", mode=0, param=0, filler_at=0, filler_units=0):
    return bytes([mode, param]) + struct.pack(">H", filler_at) + bytes([filler_units, len(plan)]) + plan + stream


def main():
    streams = []
    for capture in sorted(CAPTURES.glob("*.json")):
        meta = json.loads(capture.read_text())
        for key in ("connecter_to_binder_hex", "binder_to_connecter_hex"):
            streams.append(bytes.fromhex(meta[key]))

    written = 0
    for s in streams:
        # Greeting: the greeting and what follows, whole, then in odd reads.
        written += write("zmtp_greeting", bytes([0]) + s[:GREETING + 32])
        written += write("zmtp_greeting", bytes([3, 0x00, 0x08, 0x3f]) + s[:GREETING])
        # Decoder: the frames after the greeting, whole, byte by byte and in mixed reads.
        body = s[GREETING:]
        if body:
            written += write("zmtp_decoder", decoder_input(body))
            written += write("zmtp_decoder", decoder_input(body, plan=bytes([0x02, 0x00, 0x10])))
        # Commands: every command body.
        for flags, b in frames(body):
            if flags & 4:
                written += write("zmtp_commands", b)

    long_frame = struct.pack(">BQ", 0x02, 100 * 1024)   # 100 KiB body: past the first 64 KiB chunk
    tail = bytes([0x00, 0x03]) + b"end"
    seeds = [
        # MAXMSGSIZE 100: the 300-byte frame of push_pull is refused.
        decoder_input(streams[0][GREETING:], mode=1, param=100),
        # A long frame of 100 KiB (filler), whole, through 1 MiB windows, through 64 KiB windows
        # written a byte at a time.
        decoder_input(long_frame + tail, mode=4, filler_at=9, filler_units=100),
        decoder_input(long_frame + tail, plan=bytes([0xcc, 0x1f]), mode=4, filler_at=9, filler_units=100),
        decoder_input(long_frame + tail, plan=bytes([0xd8, 0xc8]), mode=4, filler_at=9, filler_units=100),
        # A peer announcing 1 GiB (the default limit) and sending 3 bytes; one more byte over.
        decoder_input(struct.pack(">BQ", 0x02, 1 << 30) + b"abc", plan=bytes([0xcf])),
        decoder_input(struct.pack(">BQ", 0x02, (1 << 30) + 1) + b"abc"),
        # Size with the top bit set; a command over 1 MiB; COMMAND with MORE; reserved bits.
        decoder_input(struct.pack(">BQ", 0x02, 1 << 63)),
        decoder_input(struct.pack(">BQ", 0x06, (1 << 20) + 1)),
        decoder_input(bytes([0x05, 0x00])),
        decoder_input(bytes([0x08, 0x00])),
        # A long size for a short body, then a multipart message.
        decoder_input(struct.pack(">BQ", 0x03, 2) + b"hi" + bytes([0x00, 0x00])),
        # Regression: after a protocol error, take_frame() reset the decoder to read the next
        # frame, and body_written() could complete a stale frame (with a null body after a
        # large one): a frame, then a bad one.
        decoder_input(bytes([0x00, 0x01]) + b"A" + bytes([0x08, 0x00])),
        decoder_input(struct.pack(">BQ", 0x02, 256) + b"a" * 256 + bytes([0x08, 0x00])),
    ]
    for seed in seeds:
        written += write("zmtp_decoder", seed)

    # Regression: READY property names were compared with (c | 0x20), so "Socket\rType" matched
    # a lookup of "Socket-Type" (and '@' matched '`', '0' matched 0x10, ...).
    ready = b"\x05READY"
    for name, value in ((b"Socket\rType", b"PUB"), (b"Socket-Type", b"SUB")):
        ready += bytes([len(name)]) + name + struct.pack(">I", len(value)) + value
    written += write("zmtp_commands", ready)
    print(f"{written} new seed files")


if __name__ == "__main__":
    main()
