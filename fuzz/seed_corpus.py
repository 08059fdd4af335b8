#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the recorded captures in fixtures/freeswitch/.

framer and connection get each capture's switch-to-client bytes (connection's first byte picks
inbound with password, inbound manual, or outbound), command_parser the client's bytes, and
event_* every event body of that format; tracker and router get a few scripts of their own.
"""
import base64, hashlib, json, pathlib

here = pathlib.Path(__file__).resolve().parent
fixtures = here.parent / "fixtures" / "freeswitch"


def write(target, data):
    out = here / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)


def messages(stream):
    while True:
        end = stream.find(b"\n\n")
        if end < 0:
            return
        head, rest = stream[:end], stream[end + 2:]
        headers = dict(
            line.split(b": ", 1) if b": " in line else (line.rstrip(b":"), b"")
            for line in head.split(b"\n")
        )
        length = int(headers.get(b"Content-Length", b"0"))
        yield headers.get(b"Content-Type", b""), rest[:length]
        stream = rest[length:]


for capture in sorted(fixtures.glob("*.jsonl")):
    chunks = [json.loads(line) for line in capture.read_text().splitlines() if line.strip()]
    from_switch = b"".join(base64.b64decode(c["b64"]) for c in chunks if c["dir"] == "from_switch")
    to_switch = b"".join(base64.b64decode(c["b64"]) for c in chunks if c["dir"] == "to_switch")
    write("framer", from_switch)
    mode = b"\x02" if capture.name.startswith("outbound_socket.") or "linger_timeout." in capture.name else b"\x00"
    write("connection", mode + from_switch)
    write("command_parser", to_switch)
    for content_type, body in messages(from_switch):
        for fmt in (b"plain", b"json", b"xml"):
            if content_type == b"text/event-" + fmt:
                write("event_" + fmt.decode(), body)
# The tracker and router read scripts, not ESL: a few hand-made seeds to start from.
write("tracker", bytes(range(48)))
write("tracker", b"\x00\x01\x02\x03\x05\x01\x02\x03\x06\x01\x02\x03\x08\x01\x02\x03")
for seed in (b"00(.*)|011(.*)\x00011441234567\x00inbound", b"2[1-9]{3}$\x002345\x00inbound",
             b"(?P<n>1)(.*)\x0018005550100\x00outbound", b"([\x00x\x00"):
    write("router", seed)
print("corpus written to", here / "corpus")
