"""DKIM public keys (RFC 6376 §3.6.1): find them by selector, read their type and size.

An RSA key's size is read from the DER in ``p=`` (SubjectPublicKeyInfo, or a bare PKCS #1
RSAPublicKey, which some publishers use); an Ed25519 key (RFC 8463) is 32 raw bytes.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

# Selectors that mail services and hosting panels publish by default (Google Workspace,
# Microsoft 365, cPanel/Plesk, Mandrill, SendGrid, Fastmail, Proton, Zoho, iCloud). Services
# that generate random selectors (Amazon SES) cannot be guessed: the user passes --selector.
COMMON_SELECTORS = (
    "google", "selector1", "selector2", "default", "dkim", "k1", "k2", "k3", "s1", "s2",
    "mail", "smtp", "key1", "key2", "mandrill", "mxvault", "fm1", "fm2", "fm3",
    "protonmail", "protonmail2", "protonmail3", "zoho", "zmail", "sig1", "everlytickey1",
)  # fmt: skip

_RSA_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1 rsaEncryption


@dataclass(frozen=True, slots=True)
class DkimKey:
    """A key record as published at ``selector._domainkey.domain``."""

    selector: str
    record: str
    key_type: str
    bits: int | None
    testing: bool
    revoked: bool


def parse_tags(text: str, *, squeeze: bool = True) -> dict[str, str]:
    """A tag-list (RFC 6376 §3.2, which DMARC shares): ``k=rsa; p=MIIB...`` →
    ``{"k": "rsa", "p": "MIIB..."}``.

    ``squeeze`` removes whitespace inside values, as DKIM's folded base64 needs; without it
    values are only trimmed. Raises ``ValueError`` for a part that is not ``tag=value``.
    """
    tags: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        if not equals:
            raise ValueError(f"{part.strip()!r} is not a tag=value pair")
        tags[name.strip().lower()] = "".join(value.split()) if squeeze else value.strip()
    return tags


def read_key(selector: str, record: str) -> DkimKey:
    """Read a DKIM key record; raises ``ValueError`` with a one-line reason if it is broken."""
    tags = parse_tags(record)
    if "v" in tags and tags["v"] != "DKIM1":
        raise ValueError(f"v={tags['v']} is not DKIM1")
    if "p" not in tags:
        raise ValueError("no p= tag (the public key)")
    key_type = tags.get("k", "rsa").lower()
    testing = "y" in tags.get("t", "").lower().split(":")
    if not tags["p"]:
        return DkimKey(selector, record, key_type, None, testing, revoked=True)
    try:
        raw = base64.b64decode(tags["p"], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("p= is not valid base64") from error
    if key_type == "rsa":
        bits = rsa_key_bits(raw)
    elif key_type == "ed25519":
        if len(raw) != 32:
            raise ValueError(f"an Ed25519 key is 32 bytes, this one is {len(raw)}")
        bits = 256
    else:
        raise ValueError(f"unknown key type k={key_type}")
    return DkimKey(selector, record, key_type, bits, testing, revoked=False)


def _tlv(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at ``at``."""
    if at + 2 > len(data):
        raise ValueError("the key is cut short")
    tag, length = data[at], data[at + 1]
    start = at + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("the key is cut short")
    return tag, start, end


def rsa_key_bits(der: bytes) -> int:
    """The modulus size of an RSA public key in DER (SubjectPublicKeyInfo or PKCS #1)."""
    try:
        tag, start, _ = _tlv(der, 0)
        if tag != 0x30:
            raise ValueError("not a DER sequence")
        inner_tag, inner_start, inner_end = _tlv(der, start)
        if inner_tag == 0x30:  # SubjectPublicKeyInfo: AlgorithmIdentifier, then BIT STRING
            oid_tag, oid_start, oid_end = _tlv(der, inner_start)
            if oid_tag != 0x06 or der[oid_start:oid_end] != _RSA_OID:
                raise ValueError("the key is not an RSA key")
            bits_tag, bits_start, bits_end = _tlv(der, inner_end)
            if bits_tag != 0x03:
                raise ValueError("no BIT STRING in the key")
            rsa = der[bits_start + 1 : bits_end]  # skip the unused-bits byte
            seq_tag, seq_start, _ = _tlv(rsa, 0)
            if seq_tag != 0x30:
                raise ValueError("not an RSAPublicKey")
            modulus_tag, modulus_start, modulus_end = _tlv(rsa, seq_start)
            modulus = rsa[modulus_start:modulus_end]
        else:  # PKCS #1 RSAPublicKey: the modulus comes first
            modulus_tag, modulus = inner_tag, der[inner_start:inner_end]
        if modulus_tag != 0x02:
            raise ValueError("no modulus in the key")
    except IndexError as error:
        raise ValueError("the key is cut short") from error
    return int.from_bytes(modulus, "big").bit_length()


__all__ = ["COMMON_SELECTORS", "DkimKey", "parse_tags", "read_key", "rsa_key_bits"]
