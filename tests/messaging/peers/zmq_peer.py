#!/usr/bin/python3
"""A libzmq peer for troupe's interop tests, driven line by line over stdin/stdout.

Every request is one line of space-separated tokens and gets exactly one reply line, "ok ..."
or a word saying what went wrong ("timeout", "unroutable", "err <text>"). A message part is
written in hex, "-" for an empty part, so any bytes travel. Sockets are named by small numbers.

  hello                          -> ok <libzmq version>
  new <TYPE>                     -> ok <id>          (TYPE: PUSH, PULL, PUB, SUB, ...)
  set <id> <option-number> i<int> | b<hex>           -> ok
  bind <id> <endpoint>           -> ok <LAST_ENDPOINT>
  connect <id> <endpoint>        -> ok
  send <id> <timeout-ms> <part>...                   -> ok | timeout | unroutable
  recv <id> <timeout-ms>         -> ok <part>... | timeout
  monitor <id>                   -> ok               (start collecting the socket's events)
  events <id>                    -> ok <event-number>...   (collected so far, then forgotten)
  close <id>                     -> ok               (LINGER 0)

The peer exits when stdin closes. It is a test peer only: troupe never links libzmq.
"""

import os
import sys
import time

import zmq
from zmq.utils.monitor import parse_monitor_message


def encode(part):
    return part.hex() if part else "-"


def decode(token):
    return b"" if token == "-" else bytes.fromhex(token)


def main():
    ctx = zmq.Context()
    sockets = {}
    monitors = {}
    next_id = 1
    # Replies go to a private copy of stdout; descriptor 1 becomes stderr, so that what C
    # libraries print there (OpenPGM's interface warnings, from libzmq's I/O thread) cannot
    # slip in between replies.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    trace = os.environ.get("TROUPE_PEER_TRACE")  # set it to see the conversation on stderr

    def reply(text):
        if trace:
            sys.stderr.write("%.3f zmq_peer -> %s\n" % (time.monotonic(), text[:100]))
        out.write(text + "\n")
        out.flush()

    for raw in sys.stdin:
        words = raw.split()
        if not words:
            continue
        cmd, args = words[0], words[1:]
        if trace:
            sys.stderr.write("%.3f zmq_peer <- %s\n" % (time.monotonic(), raw[:100].rstrip()))
        try:
            if cmd == "hello":
                reply("ok " + zmq.zmq_version())
            elif cmd == "new":
                s = ctx.socket(getattr(zmq, args[0]))
                s.linger = 0
                sockets[next_id] = s
                reply("ok %d" % next_id)
                next_id += 1
            elif cmd == "set":
                s = sockets[int(args[0])]
                value = int(args[2][1:]) if args[2][0] == "i" else decode(args[2][1:] or "-")
                s.setsockopt(int(args[1]), value)
                reply("ok")
            elif cmd == "bind":
                s = sockets[int(args[0])]
                s.bind(args[1])
                reply("ok " + s.getsockopt(zmq.LAST_ENDPOINT).decode())
            elif cmd == "connect":
                sockets[int(args[0])].connect(args[1])
                reply("ok")
            elif cmd == "send":
                s = sockets[int(args[0])]
                s.sndtimeo = int(args[1])
                try:
                    s.send_multipart([decode(t) for t in args[2:]])
                    reply("ok")
                except zmq.Again:
                    reply("timeout")
                except zmq.ZMQError as e:
                    if e.errno == zmq.EHOSTUNREACH:
                        reply("unroutable")
                    else:
                        raise
            elif cmd == "recv":
                s = sockets[int(args[0])]
                s.rcvtimeo = int(args[1])
                try:
                    reply(" ".join(["ok"] + [encode(p) for p in s.recv_multipart()]))
                except zmq.Again:
                    reply("timeout")
            elif cmd == "monitor":
                monitors[int(args[0])] = sockets[int(args[0])].get_monitor_socket()
                reply("ok")
            elif cmd == "events":
                m = monitors[int(args[0])]
                seen = []
                while m.poll(0):
                    seen.append(str(parse_monitor_message(m.recv_multipart())["event"]))
                reply(" ".join(["ok"] + seen))
            elif cmd == "close":
                key = int(args[0])
                if key in monitors:
                    sockets[key].disable_monitor()
                    monitors.pop(key).close(linger=0)
                sockets.pop(key).close(linger=0)
                reply("ok")
            else:
                reply("err unknown request " + cmd)
        except Exception as e:  # report, keep serving
            reply("err " + (type(e).__name__ + ": " + str(e)).replace("\n", " "))

    for m in monitors.values():
        m.close(linger=0)
    for s in sockets.values():
        s.close(linger=0)
    ctx.term()


if __name__ == "__main__":
    main()
