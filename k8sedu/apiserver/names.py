"""Generated names, as the API server and the controllers make them.

- ``generateName``: base (cut to 58 chars) + 5 random characters from
  ``bcdfghjklmnpqrstvwxz2456789`` (apiserver ``pkg/storage/names/generate.go``,
  alphabet from apimachinery ``util/rand``: no vowels, no 0/1/3, so no words).
- ``pod-template-hash``: the Deployment controller hashes the pod template with
  FNV-32a and writes the decimal value with each digit mapped through the same
  alphabet (``SafeEncodeString``), so it only uses ``4-9, b, c, d, f``.
"""

from __future__ import annotations

import random

ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
RANDOM_LENGTH = 5
MAX_GENERATED_NAME_LENGTH = 63 - RANDOM_LENGTH


def generate_name(base: str, rng: random.Random) -> str:
    """Return ``base`` + 5 random characters, as ``metadata.generateName`` does.

    Examples
    --------
    >>> generate_name("web-7c9f8d6b4-", random.Random(1))
    'web-7c9f8d6b4-gx87d'
    """
    base = base[:MAX_GENERATED_NAME_LENGTH]
    return base + "".join(rng.choice(ALPHANUMS) for _ in range(RANDOM_LENGTH))


def fnv32a(data: bytes) -> int:
    """Return the 32-bit FNV-1a hash of ``data`` (Go's ``hash/fnv.New32a``)."""
    h = 0x811C9DC5
    for byte in data:
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(s: str) -> str:
    """Map each character through the alphabet, as ``rand.SafeEncodeString`` does.

    Examples
    --------
    >>> safe_encode("0123456789")
    '456789bcdf'
    """
    return "".join(ALPHANUMS[ord(c) % len(ALPHANUMS)] for c in s)


def pod_template_hash(template_repr: str, collision_count: int = 0) -> str:
    """Return the ``pod-template-hash`` label value for a pod template.

    The real controller hashes a Go-specific dump of the template; the model
    hashes the template's own text, so the values differ from a real cluster's
    while keeping their shape (1-10 chars of ``4-9bcdf``) and behaviour: the
    same template always gives the same hash, a changed template a new one.
    """
    data = template_repr.encode()
    if collision_count:
        data += collision_count.to_bytes(8, "little")
    return safe_encode(str(fnv32a(data)))
