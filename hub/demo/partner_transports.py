"""The demo's partner files pointed at its loopback servers: acme over SFTP, initech over AS2.

Only the ``[transport]`` table (and the file's first comment, which says how the supplier is
reached) is rewritten; every other line stays as shipped. The demo instance is the demo's
own, so its ports are rewritten at each run.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from hub.demo.keys import DemoKeys

SFTP_USER = "demoretail"
_TABLE = re.compile(r"^\[transport\]\n.*?(?=^\[|\Z)", re.S | re.M)


def transport_type(home: Path, partner_id: str) -> str:
    """The ``[transport] type`` of a partner file of the instance."""
    with open(home / "partners" / f"{partner_id}.toml", "rb") as fh:
        return tomllib.load(fh).get("transport", {}).get("type", "")


def sftp_table(keys: DemoKeys, port: int) -> dict:
    """acme's transport: the embedded SFTP server, its host key pinned, our key by file."""
    return {"type": "sftp", "host": "127.0.0.1", "port": port, "username": SFTP_USER,
            "key_file": _relative(keys, keys.sftp_client.private_file),
            "host_keys": [keys.sftp_host.public_line],
            "outbox_dir": "/to-supplier", "inbox_dir": "/from-supplier",
            "after_fetch": "archive", "archive_dir": "/fetched",
            "connect_timeout": 5, "timeout": 10}


def as2_table(keys: DemoKeys, url: str) -> dict:
    """initech's transport: its AS2 station, signed, encrypted, with a synchronous MDN."""
    return {"type": "as2", "url": url, "our_as2_id": keys.hub_as2.as2_id,
            "partner_as2_id": keys.initech_as2.as2_id,
            "key_file": _relative(keys, keys.hub_as2.key_file),
            "partner_cert_file": _relative(keys, keys.initech_as2.cert_file),
            "mdn_mode": "sync", "timeout": 10}


def write_transport(path: Path, table: dict, how: str) -> None:
    """Replace the ``[transport]`` table of the partner file at ``path``; ``how`` for its comment."""
    text = path.read_text(encoding="utf-8")
    lines = "".join(f"{key} = {_toml(value)}\n" for key, value in table.items())
    text, found = _TABLE.subn(lambda _m: f"[transport]\n{lines}\n", text, count=1)
    if not found:
        text = text.rstrip("\n") + f"\n\n[transport]\n{lines}"
    # The first comment says how the supplier is reached: keep it true.
    text = re.sub(r"\A(#[^\n]*?)over [^\n,:]*?(\s*\(demo\))", rf"\1over {how}\2", text, count=1)
    path.write_text(text, encoding="utf-8")


def _relative(keys: DemoKeys, path: Path) -> str:
    # Partner files name key files relative to the instance folder: the folder can move.
    return path.relative_to(keys.folder.parent).as_posix()


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)      # a JSON string, number or list of strings is TOML too
