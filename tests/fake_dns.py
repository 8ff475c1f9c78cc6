"""A DNS server on 127.0.0.1 (UDP, dnspython's message format) that answers TXT records from a table, and
NXDOMAIN for every other name: the published DKIM record, for a verifier that looks it up over DNS itself
(SpamAssassin's `dns_server 127.0.0.1:<port>`), with no query leaving the machine. It keeps every question it
was asked (`queries`)."""

from __future__ import annotations

import socket
import threading

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class FakeDns:
    def __init__(self, txt: dict[str, str]):
        self.txt = {name.lower().rstrip("."): value for name, value in txt.items()}
        self.queries: list[tuple[str, str]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakeDns:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._sock.close()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self._sock.recvfrom(4096)
            except OSError:  # closed
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:  # noqa: BLE001 - a malformed datagram is dropped, as a server would
                continue
            reply = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().rstrip(".").lower()
            self.queries.append((name, dns.rdatatype.to_text(question.rdtype)))
            value = self.txt.get(name)
            if value is None:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT:  # a TXT string holds at most 255 characters: in pieces
                pieces = " ".join(f'"{value[i:i + 255]}"' for i in range(0, len(value), 255))
                reply.answer.append(dns.rrset.from_text(question.name, 300, "IN", "TXT", pieces))
            self._sock.sendto(reply.to_wire(), peer)
