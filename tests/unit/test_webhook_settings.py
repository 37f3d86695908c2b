"""Webhook transport: settings, signing, event names, Retry-After and URL redaction (no network)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from transports import http
from transports.base import OutboundFile
from transports.errors import PermanentTransportError, TransportConfigError
from transports.http import HttpAnswer, redact_url, retry_after_seconds
from transports.webhook import (WebhookSettings, WebhookTransport, event_for, signature_header,
                                verify_signature)

SECRET = "k" * 31 + "Z"                      # exactly 32 bytes
AUTH = "Bearer t0ken-value"
ENVIRON = {"HOOK_SECRET": SECRET, "HOOK_AUTH": AUTH}
NOW = 1_795_000_000.0


def table(**changes) -> dict:
    m = {"type": "webhook", "url": "https://shop.example/hooks/edihub",
         "secret_env": "HOOK_SECRET"}
    m.update(changes)
    return {k: v for k, v in m.items() if v is not None}


def config_error(m: dict, environ: dict | None = None, base: Path | None = None):
    with pytest.raises(TransportConfigError) as info:
        WebhookSettings.from_mapping(m, ENVIRON if environ is None else environ, base=base)
    return info.value


def ca_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Channel CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


# --- settings ----------------------------------------------------------------------------

def test_minimal_table_gets_defaults():
    s = WebhookSettings.from_mapping(table(), ENVIRON)
    assert (s.url, s.secret_env, s.secret) == ("https://shop.example/hooks/edihub",
                                               "HOOK_SECRET", SECRET.encode())
    assert (s.timeout, s.headers, s.authorization_env, s.authorization, s.tls_ca_file) == (
        10.0, (), None, None, None)


def test_full_table(tmp_path):
    (tmp_path / "ca.pem").write_bytes(ca_pem())
    s = WebhookSettings.from_mapping(table(
        url="http://10.0.0.5:8080/hook?shop=eu", timeout=2.5, headers={"X-Shop-Id": "eu-1"},
        authorization_env="HOOK_AUTH", tls_ca_file="ca.pem"), ENVIRON, base=tmp_path)
    assert (s.url, s.timeout, s.headers) == ("http://10.0.0.5:8080/hook?shop=eu", 2.5,
                                             (("X-Shop-Id", "eu-1"),))
    assert (s.authorization_env, s.authorization) == ("HOOK_AUTH", AUTH)
    assert s.tls_ca_file == tmp_path / "ca.pem"


def test_secrets_stay_out_of_repr():
    s = WebhookSettings.from_mapping(table(authorization_env="HOOK_AUTH"), ENVIRON)
    assert SECRET not in repr(s) and AUTH not in repr(s) and "HOOK_SECRET" in repr(s)


@pytest.mark.parametrize(("key", "value", "words"), [
    ("secret", SECRET, "secret_env"),
    ("authorization", AUTH, "authorization_env"),
    ("retries", 3, "unknown setting"),
    ("type", "as2", '"webhook"'),
])
def test_inline_secrets_and_unknown_keys_are_refused(key, value, words):
    error = config_error(table(**{key: value}))
    assert error.key == key and words in error.problem
    assert SECRET not in str(error) and AUTH not in str(error)


@pytest.mark.parametrize(("url", "words"), [
    (None, "required"),
    ("ftp://shop.example/hook", "http:// or https://"),
    ("https:///hook", "http:// or https://"),
    ("https://user:pw@shop.example/hook", "user name or password"),
    ("https://token@shop.example/hook", "user name or password"),
    ("https://shop.example:99999/hook", "not a valid URL"),
    ("https://shop.example/hook#x", "fragment"),
    ("https://shop.example/ho ok", "spaces"),
    (42, "required"),
])
def test_bad_urls_are_refused(url, words):
    error = config_error(table(url=url))
    assert error.key == "url" and words in error.problem


def test_the_secret_variable_is_required_and_named_properly():
    assert config_error({"url": "https://shop.example/"}).key == "secret_env"
    assert "environment variable" in config_error(table(secret_env="HOOK-SECRET")).problem


@pytest.mark.parametrize(("value", "words"), [
    (None, "is not set"),
    ("", "is not set"),
    ("k" * 31, "shorter than 32 bytes"),
    (" " + SECRET, "white space"),
    (SECRET + "\n", "white space"),
])
def test_a_missing_short_or_padded_secret_is_refused_without_showing_it(value, words):
    environ = {} if value is None else {"HOOK_SECRET": value}
    error = config_error(table(), environ)
    assert error.key == "secret_env" and words in error.problem and "HOOK_SECRET" in error.problem
    assert not value or value.strip() not in str(error)


def test_a_secret_of_multibyte_characters_counts_bytes():
    s = WebhookSettings.from_mapping(table(), {"HOOK_SECRET": "é" * 16})
    assert len(s.secret) == 32


@pytest.mark.parametrize(("environ", "words"), [
    ({"HOOK_SECRET": SECRET}, "is not set"),
    ({**ENVIRON, "HOOK_AUTH": "Bearer a\r\nX-Evil: 1"}, "line break"),
])
def test_authorization_comes_only_from_a_set_variable(environ, words):
    error = config_error(table(authorization_env="HOOK_AUTH"), environ)
    assert error.key == "authorization_env" and words in error.problem
    assert "Bearer" not in str(error)


@pytest.mark.parametrize("value", [0, -1, 301, True, "10", None])
def test_bad_timeouts_are_refused(value):
    m = table()
    m["timeout"] = value
    assert config_error(m).key == "timeout"


@pytest.mark.parametrize(("headers", "key", "words"), [
    ({"Authorization": "Bearer x"}, "headers.Authorization", "authorization_env"),
    ({"proxy-authorization": "x"}, "headers.proxy-authorization", "authorization_env"),
    ({"X-Api-Key": "x"}, "headers.X-Api-Key", "credential"),
    ({"X-Shop-Token": "x"}, "headers.X-Shop-Token", "credential"),
    ({"Content-Type": "text/plain"}, "headers.Content-Type", "set by the webhook"),
    ({"X-Edihub-Signature": "v1=0"}, "headers.X-Edihub-Signature", "set by the webhook"),
    ({"Bad Name": "x"}, "headers.Bad Name", "header name"),
    ({"X-Shop": "a\nb"}, "headers.X-Shop", "one line"),
    ({"X-Shop": 7}, "headers.X-Shop", "one line"),
])
def test_bad_extra_headers_are_refused(headers, key, words):
    error = config_error(table(headers=headers))
    assert error.key == key and words in error.problem


def test_headers_must_be_a_table():
    assert config_error(table(headers=["X-Shop: 1"])).key == "headers"


def test_tls_ca_file_must_exist_and_hold_a_certificate(tmp_path):
    assert "does not exist" in config_error(table(tls_ca_file="nope.pem"), base=tmp_path).problem
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    error = config_error(table(tls_ca_file="junk.pem"), base=tmp_path)
    assert error.key == "tls_ca_file" and "no usable CA certificate" in error.problem


# --- signing -----------------------------------------------------------------------------

BODY = b'{"event":"shipment.recorded","tracking_numbers":["1Z999AA10123456784"]}'


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), b"1795000000." + BODY, hashlib.sha256).hexdigest()
    assert signature_header(SECRET.encode(), "1795000000", BODY) == f"v1={expected}"


def test_a_good_signature_verifies_within_the_window():
    header = signature_header(SECRET.encode(), "1795000000", BODY)
    assert verify_signature(SECRET.encode(), "1795000000", BODY, header, now=NOW)
    assert verify_signature(SECRET.encode(), "1795000000", BODY, header, now=NOW + 300)
    assert verify_signature(SECRET.encode(), "1795000000", BODY, header, now=NOW - 300)


@pytest.mark.parametrize(("secret", "timestamp", "body", "now"), [
    (SECRET.encode(), "1795000000", BODY + b" ", NOW),                    # tampered body
    (SECRET.encode(), "1795000000", BODY.replace(b"84", b"85"), NOW),     # tampered number
    (b"another-secret-of-32-bytes-long!", "1795000000", BODY, NOW),       # wrong secret
    (SECRET.encode(), "1795000000", BODY, NOW + 301),                     # stale: a replay
    (SECRET.encode(), "1795000000", BODY, NOW - 301),                     # from the future
    (SECRET.encode(), "1795000001", BODY, NOW),                           # other timestamp
])
def test_a_signature_does_not_verify_for_anything_else(secret, timestamp, body, now):
    header = signature_header(SECRET.encode(), "1795000000", BODY)
    assert not verify_signature(secret, timestamp, body, header, now=now)


def test_a_wider_tolerance_accepts_an_older_delivery():
    header = signature_header(SECRET.encode(), "1795000000", BODY)
    assert verify_signature(SECRET.encode(), "1795000000", BODY, header, tolerance_s=3600,
                            now=NOW + 1000)


@pytest.mark.parametrize("timestamp", ["", "17950000OO", "-1795000000", "1795000000.5", "１２"])
def test_a_malformed_timestamp_does_not_verify(timestamp):
    header = signature_header(SECRET.encode(), "1795000000", BODY)
    assert not verify_signature(SECRET.encode(), timestamp, BODY, header, now=NOW)


def test_the_header_may_list_several_signatures_and_unknown_schemes():
    good = signature_header(SECRET.encode(), "1795000000", BODY)
    assert verify_signature(SECRET.encode(), "1795000000", BODY, f"v0=abc, v1=00ff,{good}",
                            now=NOW)
    assert not verify_signature(SECRET.encode(), "1795000000", BODY,
                                good.replace("v1=", "v2="), now=NOW)
    for header in ("", "v1=", "garbage", "v1=é"):
        assert not verify_signature(SECRET.encode(), "1795000000", BODY, header, now=NOW)


def test_verification_uses_the_clock_when_no_time_is_given():
    timestamp = str(int(time.time()))
    header = signature_header(SECRET.encode(), timestamp, BODY)
    assert verify_signature(SECRET.encode(), timestamp, BODY, header)
    assert not verify_signature(SECRET.encode(), "1000000000", BODY,
                                signature_header(SECRET.encode(), "1000000000", BODY))


# --- events, transport without network -------------------------------------------------------

def test_the_event_comes_from_the_file_name():
    assert event_for("order.shipped-42.json") == "order.shipped"
    assert event_for("order.backordered-7.json") == "order.backordered"
    assert event_for("shipment-SH000042.json") == "shipment.recorded"   # queued before order events
    for name in ("shipment.json", "invoice-7.json", "shipments-7.json", "order.lost-7.json", "order-7.json"):
        with pytest.raises(PermanentTransportError, match="no webhook event"):
            event_for(name)


def make_transport() -> WebhookTransport:
    return WebhookTransport(WebhookSettings.from_mapping(
        table(url="https://shop.example/hooks?key=abc"), ENVIRON), clock=lambda: NOW)


def test_a_webhook_only_sends():
    t = make_transport()
    assert t.name == "webhook" and t.list_inbox() == []
    with pytest.raises(PermanentTransportError, match="only sends") as caught:
        t.fetch("x.json", io.BytesIO())
    assert "abc" not in str(caught.value)
    with pytest.raises(PermanentTransportError, match="only sends"):
        t.done("x.json")
    t.close()


@pytest.mark.parametrize("name", ["../shipment-1.json", ".shipment-1.json", "shipment-1/x.json"])
def test_an_unsafe_file_name_is_refused_before_anything_is_sent(name):
    with pytest.raises(PermanentTransportError, match="plain file name"):
        make_transport().send(OutboundFile(name, b"{}", "application/json"))


# --- HTTP functions ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), (" 0 ", 0.0), ("9999999999", 86_400.0), (None, None), ("soon", None),
    ("-5", None), ("Wed, 18 Nov 2026 11:08:20 GMT", 100.0),
    ("Wed, 18 Nov 2026 11:00:00 GMT", 0.0), ("Wed, 18 Nov 2026 11:08:20", None),
])
def test_retry_after_in_seconds_or_as_an_http_date(value, seconds):
    # NOW is 2026-11-18 11:06:40 UTC
    assert retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize(("url", "shown"), [
    ("https://shop.example/hooks?key=abc", "https://shop.example/hooks?…"),
    ("http://u:pw@10.0.0.5:8080/h", "http://10.0.0.5:8080/h"),
    ("https://shop.example", "https://shop.example"),
    ("/moved?to=x", "/moved?…"),
])
def test_urls_in_messages_hide_credentials_and_queries(url, shown):
    assert redact_url(url) == shown


def test_an_answer_header_is_found_in_any_case():
    answer = HttpAnswer(429, "Too Many Requests", [("retry-after", "5"), ("Retry-After", "9")],
                        b"")
    assert answer.header("Retry-After") == "5" and answer.header("Location") is None


class TricklingResponse:
    """An answer whose body comes one byte per read, each read taking 0.2 s of a fake clock."""

    length = 10_000

    def __init__(self):
        self.clock = [0.0]

    def read1(self, n: int) -> bytes:
        self.clock[0] += 0.2
        return b"x"

    def isclosed(self) -> bool:
        return False


def test_a_body_trickling_in_is_cut_off_at_the_timeout(monkeypatch):
    response = TricklingResponse()
    monkeypatch.setattr(http.time, "monotonic", lambda: response.clock[0])
    with pytest.raises(TimeoutError):
        http._read_body(response, None, cap=4096, timeout=1.0)
    assert response.clock[0] == pytest.approx(1.0)   # five reads, then the deadline


def test_the_receiver_code_in_the_docs_accepts_our_signature_and_nothing_else():
    docs = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    code = docs.split("### Verifying in Python", 1)[1].split("```python\n", 1)[1].split("```")[0]
    namespace: dict = {}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)
    verify_edihub = namespace["verify_edihub"]
    timestamp = str(int(time.time()))
    headers = {"X-Edihub-Timestamp": timestamp,
               "X-Edihub-Signature": signature_header(SECRET.encode(), timestamp, BODY)}
    assert verify_edihub(SECRET.encode(), headers, BODY)
    assert not verify_edihub(SECRET.encode(), headers, BODY + b"x")
    assert not verify_edihub(b"x" * 32, headers, BODY)
    stale = {"X-Edihub-Timestamp": "1000000000",
             "X-Edihub-Signature": signature_header(SECRET.encode(), "1000000000", BODY)}
    assert not verify_edihub(SECRET.encode(), stale, BODY)
