"""Let oscrypto 1.3.0 (used by pyas2lib) load on OpenSSL 3.0.10 and later; import before pyas2lib.

oscrypto reads the libcrypto version with the pattern ``\\d\\.\\d\\.\\d[a-z]*``, which cannot
match a two-digit patch level such as "3.0.19", and then refuses to load at all
("Error detecting the version of libcrypto"). The fix released upstream widens the last
``\\d`` to ``\\d+``; no release of oscrypto carries it. Patching installed files would be undone
by every reinstall, so this module swaps in the fixed pattern while oscrypto detects the
version, once, and restores ``re.search`` immediately afterwards.

Harmless when oscrypto already works: an already imported oscrypto is left alone, and any
pattern other than the broken one is passed through unchanged.
"""

from __future__ import annotations

import re
import sys

_BROKEN = "\\b(\\d\\.\\d\\.\\d[a-z]*)\\b"
_FIXED = "\\b(\\d\\.\\d\\.\\d+[a-z]*)\\b"


def load_oscrypto() -> None:
    """Import oscrypto's asymmetric module with the version pattern fixed during its import."""
    if "oscrypto.asymmetric" in sys.modules:
        return
    original = re.search

    def search(pattern, string, flags=0):
        return original(_FIXED if pattern == _BROKEN else pattern, string, flags)

    re.search = search
    try:
        import oscrypto.asymmetric  # noqa: F401  (libcrypto version detection runs here, once)
    finally:
        re.search = original


load_oscrypto()
