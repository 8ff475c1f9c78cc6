"""DKIM signing (RFC 6376) of the exact bytes a transport sends, with dkimpy.

`DkimSigner` holds the selector, the signing domain and the private key's text as bootstrap read it from the
environment variable `mail.dkim_private_key_env` names (never from config.yaml). The key is read once, when
first needed (`ready`): `doctor` and the start of a run call it, so a missing or bad key is one sentence
naming the variable (`ConfigError`), with nothing of the key in it, before anything is sent.

Each message is signed relaxed/relaxed, rsa-sha256, over the headers that say who it is from and to, what it
is and which job sent it (`SIGNED`, those present in the message); the signature goes on top of the composed
bytes, so what a receiver verifies is exactly what the transport hands over. `dns_record` is the TXT record to
publish at `<selector>._domainkey.<domain>`.

RSA only: dkimpy signs Ed25519 (RFC 8463) only with PyNaCl, and receivers that verify Ed25519 alone are still
few, so an Ed25519 signature would need an RSA one beside it anyway.
"""

from __future__ import annotations

import base64
import re

from ..errors import ConfigError

#: The headers signed, when the message has them (From always): changing or adding any of them breaks the
#: signature. Received, Return-Path and the like are added on the way and are never signed.
SIGNED = ("From", "To", "Subject", "Date", "Message-ID", "Reply-To", "MIME-Version", "Content-Type",
          "Content-Transfer-Encoding", "List-Unsubscribe", "X-Automation-Job", "X-Automation-Key")
#: Receivers ignore RSA keys shorter than this (RFC 8301); 2048 bits is the usual size.
MIN_BITS = 1024
_HEADER_NAME = re.compile(rb"^([!-9;-~]+):", re.M)


class DkimError(Exception):
    """A message that cannot be signed (it lacks a From header): that message fails, the others go."""


class DkimSigner:
    def __init__(self, selector: str, domain: str, key_text: str, key_env: str):
        self.selector = selector
        self.domain = domain.lower()
        self.key_env = key_env
        self._text = key_text
        self._pem: bytes | None = None
        self._public: bytes = b""
        self.bits = 0

    @property
    def name(self) -> str:
        """Where receivers look the key up: `<selector>._domainkey.<domain>`."""
        return f"{self.selector}._domainkey.{self.domain}"

    def ready(self) -> None:
        """Read the private key (once). Raise one sentence (ConfigError) naming the variable, without any of its
        value, when it is empty, is not a PEM private key, is not RSA or is too short."""
        if self._pem is not None:
            return
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        where = f"the environment variable {self.key_env} (mail.dkim_private_key_env)"
        text = self._text.strip().replace("\\n", "\n")  # a key kept on one line, its line breaks written \n
        if not text:
            raise ConfigError(f"mail.dkim_selector is set, so messages are DKIM-signed, but {where} is empty: put "
                              f"the PEM private key there (docs/mail.md#dkim-signing says how to make one).")
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeError):  # the library's reason may quote the key: not repeated
            raise ConfigError(f"{where} does not hold a readable unencrypted PEM private key, so no message can be "
                              f"DKIM-signed: put an RSA key there (openssl genrsa 2048; docs/mail.md#dkim-signing)."
                              ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigError(f"{where} holds a private key that is not RSA; DKIM signing here takes an RSA key "
                              f"(openssl genrsa 2048; docs/mail.md#dkim-signing).")
        if key.key_size < MIN_BITS:
            raise ConfigError(f"{where} holds a {key.key_size}-bit RSA key; receivers ignore DKIM keys under "
                              f"{MIN_BITS} bits: make a 2048-bit one (openssl genrsa 2048).")
        self.bits = key.key_size
        # PKCS#1 with plain line breaks: the form dkimpy reads, whatever form the environment held.
        self._pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption())
        self._public = key.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)

    def txt_value(self) -> str:
        """The TXT record's value: `v=DKIM1; k=rsa; p=<the public key>`."""
        self.ready()
        return f"v=DKIM1; k=rsa; p={base64.b64encode(self._public).decode('ascii')}"

    def dns_record(self) -> str:
        """The record to publish, in zone-file form: the value in quoted pieces of at most 255 characters (a
        TXT string's limit; DNS joins them back into one value)."""
        value = self.txt_value()
        pieces = " ".join(f'"{value[i:i + 255]}"' for i in range(0, len(value), 255))
        return f"{self.name}. IN TXT {pieces}"

    def sign(self, data: bytes) -> bytes:
        """`data` (a composed message, CRLF line endings) with a DKIM-Signature header on top."""
        import dkim

        self.ready()
        assert self._pem is not None
        head = data.split(b"\r\n\r\n", 1)[0]
        present = {m.group(1).decode("ascii").lower() for m in _HEADER_NAME.finditer(head)}
        if "from" not in present:
            raise DkimError("the message has no From header to sign")
        headers = [h.encode("ascii") for h in SIGNED if h.lower() in present]
        try:
            signature = dkim.sign(data, self.selector.encode("ascii"), self.domain.encode("ascii"), self._pem,
                                  canonicalize=(b"relaxed", b"relaxed"), include_headers=headers)
        except dkim.DKIMException as exc:  # a message dkimpy cannot parse; its reason names no key material
            raise DkimError(f"the message cannot be DKIM-signed ({type(exc).__name__})") from None
        return signature + data
