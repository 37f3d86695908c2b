"""AS2 settings from a partner file, certificate dates, and the AS2 pieces that need no network."""

from __future__ import annotations

import email
from datetime import timezone
from io import BytesIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings as hypothesis_settings, strategies as st

from tests.support.as2 import (ENVIRON, OUR_ID, PARTNER_ID, PASSPHRASE, PASSPHRASE_ENV,
                               our_settings, transport_table)
from transports.as2 import (As2Settings, As2Transport, CertificateFileError, HttpAnswer,
                            MdnRefusedError, MdnResult, cert_not_after, check_http_status,
                            mime_bytes)
from transports.as2_receiver import As2Receiver, post_async_mdn
from transports.base import OutboundFile
from transports.errors import (PermanentTransportError, TransientTransportError,
                               TransportConfigError)

URL = "https://as2.supplier.example/as2"


def load(certs, **overrides) -> As2Settings:
    return As2Settings.from_mapping(transport_table(certs, URL, **overrides), certs.folder, ENVIRON)


def refused(certs, environ=ENVIRON, **overrides) -> TransportConfigError:
    with pytest.raises(TransportConfigError) as caught:
        As2Settings.from_mapping(transport_table(certs, URL, **overrides), certs.folder, environ)
    return caught.value


def test_a_full_table_is_read_with_paths_relative_to_base(as2_certs):
    s = load(as2_certs, sign=True, encrypt=True, compress=True, digest_alg="sha512",
             enc_alg="aes_128_cbc", mdn_mode="async", mdn_url="https://hub.example/as2/mdn",
             mdn_digest_alg="sha384", timeout=12.5, content_type="application/edi-x12",
             require_signed=False, require_encrypted=False,
             tls_ca_file=as2_certs.tls_cert_file.name, message_id_domain="as2.hub.example")
    assert (s.url, s.our_as2_id, s.partner_as2_id) == (URL, OUR_ID, PARTNER_ID)
    assert s.key_file == as2_certs.ours.bundle_file.resolve()
    assert s.partner_cert_file == as2_certs.partner.cert_file.resolve()
    assert s.tls_ca_file == as2_certs.tls_cert_file.resolve()
    assert (s.compress, s.digest_alg, s.enc_alg) == (True, "sha512", "aes_128_cbc")
    assert (s.mdn_mode, s.mdn_url, s.mdn_digest_alg) == ("async", "https://hub.example/as2/mdn",
                                                         "sha384")
    assert (s.timeout, s.content_type) == (12.5, "application/edi-x12")
    assert (s.require_signed, s.require_encrypted) == (False, False)
    assert s.key_passphrase == PASSPHRASE and s.key_passphrase_env == PASSPHRASE_ENV
    assert s.identity.domain == "as2.hub.example"


def test_defaults_sign_encrypt_with_aes_256_and_ask_for_a_signed_sync_mdn(as2_certs):
    s = load(as2_certs, timeout=None)
    assert (s.sign, s.encrypt, s.compress) == (True, True, False)
    assert (s.digest_alg, s.enc_alg) == ("sha256", "aes_256_cbc")
    assert (s.mdn_mode, s.mdn_url, s.mdn_digest_alg) == ("sync", None, "sha256")
    assert (s.timeout, s.content_type) == (60.0, "application/octet-stream")
    assert (s.require_signed, s.require_encrypted) == (True, True)
    assert s.tls_ca_file is None and s.partner_ca_pem is None


def test_repr_shows_neither_passphrase_nor_key(as2_certs):
    text = repr(load(as2_certs))
    assert PASSPHRASE not in text and "PRIVATE KEY" not in text and PASSPHRASE_ENV in text


def test_an_unknown_key_is_named(as2_certs):
    assert refused(as2_certs, retries=3).key == "retries"


def test_an_inline_passphrase_is_refused_pointing_to_key_passphrase_env(as2_certs):
    err = refused(as2_certs, key_passphrase=PASSPHRASE)
    assert err.key == "key_passphrase" and "key_passphrase_env" in err.problem
    assert PASSPHRASE not in str(err)


def test_another_transport_type_is_refused(as2_certs):
    assert refused(as2_certs, type="sftp").key == "type"


@pytest.mark.parametrize("key", ["url", "our_as2_id", "partner_as2_id", "key_file",
                                 "partner_cert_file"])
def test_a_missing_required_key_is_named(as2_certs, key):
    table = transport_table(as2_certs, URL)
    del table[key]
    with pytest.raises(TransportConfigError) as caught:
        As2Settings.from_mapping(table, as2_certs.folder, ENVIRON)
    assert caught.value.key == key


@pytest.mark.parametrize("key", ["key_file", "partner_cert_file", "tls_ca_file"])
def test_a_missing_file_is_named_with_its_path(as2_certs, key):
    err = refused(as2_certs, **{key: "missing/nothing.pem"})
    assert err.key == key and str(as2_certs.folder / "missing" / "nothing.pem") in err.problem


def test_an_unset_passphrase_variable_is_named(as2_certs):
    err = refused(as2_certs, environ={})
    assert err.key == "key_passphrase_env" and PASSPHRASE_ENV in err.problem


def test_a_passphrase_variable_name_must_be_a_name(as2_certs):
    assert refused(as2_certs, key_passphrase_env="$HOME/x").key == "key_passphrase_env"


def test_a_wrong_passphrase_is_reported_without_the_passphrase(as2_certs):
    err = refused(as2_certs, environ={PASSPHRASE_ENV: "not it"})
    assert err.key == "key_passphrase_env" and "wrong passphrase" in err.problem
    assert "not it" not in str(err)


def test_an_encrypted_key_needs_a_passphrase_variable(as2_certs):
    err = refused(as2_certs, key_passphrase_env=None)
    assert err.key == "key_passphrase_env" and "encrypted" in err.problem


def test_a_plain_key_with_a_passphrase_variable_is_refused(as2_certs, tmp_path):
    key = serialization.load_pem_private_key(as2_certs.ours.bundle, PASSPHRASE.encode())
    plain = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    (tmp_path / "plain.pem").write_bytes(plain + as2_certs.ours.cert)
    err = refused(as2_certs, key_file=str(tmp_path / "plain.pem"))
    assert err.key == "key_passphrase_env" and "not encrypted" in err.problem
    s = load(as2_certs, key_file=str(tmp_path / "plain.pem"), key_passphrase_env=None)
    assert s.key_passphrase is None and s.identity.organization().sign_key is not None


def test_a_key_file_without_our_certificate_is_refused(as2_certs, tmp_path):
    key_only = as2_certs.ours.bundle.split(b"-----BEGIN CERTIFICATE-----")[0]
    (tmp_path / "key.pem").write_bytes(key_only + as2_certs.partner.cert)
    err = refused(as2_certs, key_file=str(tmp_path / "key.pem"))
    assert err.key == "key_file" and "no certificate for its key" in err.problem


def test_a_certificate_alone_is_not_a_key_file(as2_certs):
    err = refused(as2_certs, key_file=as2_certs.ours.cert_file.name)
    assert err.key == "key_file" and "found 0" in err.problem


def test_the_key_is_paired_with_its_own_certificate_when_the_bundle_has_more(as2_certs, tmp_path):
    # Our certificate first, another after it: pyas2lib alone would pick the last one.
    (tmp_path / "chain.pem").write_bytes(as2_certs.ours.bundle + as2_certs.stranger.cert)
    s = load(as2_certs, key_file=str(tmp_path / "chain.pem"))
    assert s.key_pem.endswith(as2_certs.ours.cert) and as2_certs.stranger.cert not in s.key_pem
    org = s.identity.organization()
    assert org.sign_key[1].asn1.dump() == x509.load_pem_x509_certificate(
        as2_certs.ours.cert).public_bytes(serialization.Encoding.DER)


def test_a_partner_certificate_in_der_is_accepted(as2_certs, tmp_path):
    der = x509.load_pem_x509_certificate(as2_certs.partner.cert).public_bytes(
        serialization.Encoding.DER)
    (tmp_path / "partner.cer").write_bytes(der)
    assert load(as2_certs, partner_cert_file=str(tmp_path / "partner.cer")).partner_cert_pem == (
        as2_certs.partner.cert)


def test_a_partner_chain_keeps_the_first_certificate_and_the_rest_as_ca(as2_certs, tmp_path):
    (tmp_path / "chain.pem").write_bytes(as2_certs.partner.cert + as2_certs.stranger.cert)
    s = load(as2_certs, partner_cert_file=str(tmp_path / "chain.pem"))
    assert (s.partner_cert_pem, s.partner_ca_pem) == (as2_certs.partner.cert,
                                                      as2_certs.stranger.cert)


def test_a_partner_certificate_file_without_a_certificate_is_refused(as2_certs, tmp_path):
    (tmp_path / "junk.pem").write_bytes(b"not a certificate")
    err = refused(as2_certs, partner_cert_file=str(tmp_path / "junk.pem"))
    assert err.key == "partner_cert_file" and "no certificate" in err.problem


@pytest.mark.parametrize("url", ["ftp://supplier.example/as2", "supplier.example/as2", "http://",
                                 "https://user:secret@supplier.example/as2",
                                 "http://supplier.example:99999/as2", "http://[::1/as2", 42])
def test_urls_must_be_plain_http_or_https(as2_certs, url):
    err = refused(as2_certs, url=url)
    assert err.key == "url"
    assert "secret" not in str(err)


@pytest.mark.parametrize("key, weak, strong", [("enc_alg", "tripledes_192_cbc", "aes_256_cbc"),
                                               ("enc_alg", "rc2_128_cbc", "aes_256_cbc"),
                                               ("digest_alg", "sha1", "sha256"),
                                               ("mdn_digest_alg", "md5", "sha256")])
def test_weak_algorithms_need_allow_weak_crypto(as2_certs, key, weak, strong):
    err = refused(as2_certs, **{key: weak})
    assert err.key == key and "allow_weak_crypto" in err.problem and strong in err.problem
    assert getattr(load(as2_certs, allow_weak_crypto=True, **{key: weak}), key) == weak


@pytest.mark.parametrize("key, value", [("enc_alg", "aes_512_cbc"), ("digest_alg", "sha3"),
                                        ("mdn_digest_alg", 256), ("enc_alg", None)])
def test_unknown_algorithms_are_refused(as2_certs, key, value):
    table = transport_table(as2_certs, URL)
    table[key] = value
    with pytest.raises(TransportConfigError) as caught:
        As2Settings.from_mapping(table, as2_certs.folder, ENVIRON)
    assert caught.value.key == key


def test_algorithm_names_ignore_case_and_none_asks_for_an_unsigned_mdn(as2_certs):
    s = load(as2_certs, enc_alg="AES_128_CBC", digest_alg="SHA384", mdn_digest_alg="none")
    assert (s.enc_alg, s.digest_alg, s.mdn_digest_alg) == ("aes_128_cbc", "sha384", None)


def test_async_mdn_needs_our_mdn_url(as2_certs):
    err = refused(as2_certs, mdn_mode="async")
    assert err.key == "mdn_url"


def test_mdn_url_with_sync_mdn_is_refused(as2_certs):
    err = refused(as2_certs, mdn_url="https://hub.example/as2/mdn")
    assert err.key == "mdn_url" and "async" in err.problem


@pytest.mark.parametrize("mode", ["SYNC!", "none", True])
def test_mdn_mode_is_sync_or_async(as2_certs, mode):
    assert refused(as2_certs, mdn_mode=mode).key == "mdn_mode"


@pytest.mark.parametrize("key, value", [("timeout", 0), ("timeout", -5), ("timeout", "30"),
                                        ("timeout", True), ("sign", "yes"), ("encrypt", 1),
                                        ("compress", None), ("require_signed", "false"),
                                        ("content_type", "edi"),
                                        ("content_type", "application/edi-x12; charset=utf-8"),
                                        ("content_type", "a/b\r\nX-Evil: 1"),
                                        ("message_id_domain", "not a host")])
def test_malformed_values_are_named(as2_certs, key, value):
    table = transport_table(as2_certs, URL)
    table[key] = value
    with pytest.raises(TransportConfigError) as caught:
        As2Settings.from_mapping(table, as2_certs.folder, ENVIRON)
    assert caught.value.key == key


@pytest.mark.parametrize("name", ["", " EDIHUB", 'ED"HUB', "ED\\HUB", "X" * 129, "EDI\nHUB", 7])
def test_as2_names_are_printable_ascii(as2_certs, name):
    assert refused(as2_certs, our_as2_id=name).key == "our_as2_id"


def test_an_as2_name_with_spaces_is_fine_and_gives_a_host_like_domain(as2_certs):
    s = load(as2_certs, our_as2_id="Acme Retail Ltd.")
    assert s.our_as2_id == "Acme Retail Ltd." and s.identity.domain == "acme-retail-ltd"


# --- certificate expiry ----------------------------------------------------------------------

def test_cert_not_after_reads_a_certificate(as2_certs):
    when = cert_not_after(as2_certs.partner.cert_file)
    assert when == as2_certs.partner.not_after and when.tzinfo == timezone.utc


def test_cert_not_after_reads_our_key_bundle(as2_certs):
    assert cert_not_after(as2_certs.ours.bundle_file) == as2_certs.ours.not_after


def test_cert_not_after_gives_the_earliest_of_several(as2_certs, tmp_path):
    (tmp_path / "two.pem").write_bytes(as2_certs.partner.cert + as2_certs.expired.cert)
    assert cert_not_after(tmp_path / "two.pem") == as2_certs.expired.not_after


def test_cert_not_after_reads_der(as2_certs, tmp_path):
    (tmp_path / "c.der").write_bytes(x509.load_pem_x509_certificate(
        as2_certs.partner.cert).public_bytes(serialization.Encoding.DER))
    assert cert_not_after(tmp_path / "c.der") == as2_certs.partner.not_after


def test_cert_not_after_names_an_unreadable_file(tmp_path):
    with pytest.raises(CertificateFileError, match=r"cannot read certificate file .*gone\.pem"):
        cert_not_after(tmp_path / "gone.pem")


def test_cert_not_after_names_a_file_without_certificate(tmp_path):
    (tmp_path / "junk.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nnope\n")
    with pytest.raises(CertificateFileError, match=r"junk\.pem holds no certificate"):
        cert_not_after(tmp_path / "junk.pem")


# --- pieces that need no network ---------------------------------------------------------------

def test_header_values_cannot_smuggle_headers_into_the_mime_message():
    raw = mime_bytes({"Subject": "hello\r\nAS2-To: EVIL", "Bad Name": "x", "AS2-From": "P"},
                     b"body")
    parsed = email.message_from_bytes(raw)
    assert parsed["AS2-To"] is None and parsed["Bad Name"] is None
    assert parsed["Subject"] == "hello AS2-To: EVIL" and parsed.get_payload() == "body"


@hypothesis_settings(max_examples=200)
@given(st.dictionaries(st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,20}\Z"),
                       st.text(alphabet=st.characters(max_codepoint=255), max_size=40),
                       max_size=6))
def test_every_header_survives_as_exactly_one_header(headers):
    parsed = email.message_from_bytes(mime_bytes(headers, b"payload"))
    assert sorted(k.lower() for k in parsed.keys()) == sorted(k.lower() for k in headers)
    assert parsed.get_payload() == "payload"


@pytest.mark.parametrize("status, error", [(200, None), (202, None),
                                           (500, TransientTransportError),
                                           (503, TransientTransportError),
                                           (408, TransientTransportError),
                                           (429, TransientTransportError),
                                           (404, PermanentTransportError),
                                           (401, PermanentTransportError),
                                           (302, PermanentTransportError)])
def test_http_statuses_are_classified(status, error):
    answer = HttpAnswer(status, "Reason", [], b"")
    if error is None:
        check_http_status(answer, URL, "a message")
        return
    with pytest.raises(error) as caught:
        check_http_status(answer, URL, "a message")
    assert type(caught.value) is error and f"HTTP {status}" in str(caught.value)


def test_an_mdn_result_raises_what_it_means():
    MdnResult("m1", "processed", "processed").raise_for_error()
    with pytest.raises(TransientTransportError):
        MdnResult(None, "error", "no MDN", error="no MDN", transient=True).raise_for_error()
    with pytest.raises(MdnRefusedError) as caught:
        MdnResult("m2", "error", "processed/Error: decryption-failed",
                  error="refused").raise_for_error()
    assert isinstance(caught.value, PermanentTransportError)
    assert (caught.value.disposition, caught.value.message_id) == (
        "processed/Error: decryption-failed", "m2")
    assert MdnResult("m3", "duplicate", "processed/Warning: duplicate-document").already_present


def test_the_transport_has_no_inbox_and_says_where_files_arrive(as2_certs):
    transport = As2Transport(our_settings(as2_certs))
    assert transport.list_inbox() == []
    for call in (lambda: transport.fetch("x.edi", BytesIO()), lambda: transport.done("x.edi")):
        with pytest.raises(PermanentTransportError, match="/as2 endpoint"):
            call()
    transport.close()


def test_an_unsafe_file_name_is_refused_before_anything_is_sent(as2_certs):
    transport = As2Transport(our_settings(as2_certs))
    with pytest.raises(PermanentTransportError, match="unsafe file name"):
        transport.send(OutboundFile("../850.edi", b"ISA~"))


def test_a_request_without_as2_headers_is_answered_400(as2_certs):
    s = our_settings(as2_certs)
    receiver = As2Receiver({OUR_ID: s.identity}, {PARTNER_ID: s})
    result = receiver.receive({"Content-Type": "text/plain", "AS2-From": PARTNER_ID}, b"hello",
                              lambda mid, pid: False)
    assert result.status == "error" and "AS2-To, Message-ID" in result.error
    assert result.mdn_response[0] == 400 and result.payload is None


@pytest.mark.parametrize("url", ["ftp://partner.example/mdn", "mailto:as2@partner.example", None])
def test_an_async_mdn_goes_only_to_http_urls(url):
    with pytest.raises(PermanentTransportError, match="not an http"):
        post_async_mdn(url, {}, b"mdn")


def test_oscrypto_loads_and_re_search_is_restored():
    import re

    # Imported here, not at the top: oscrypto must only load after transports.oscrypto_fix.
    from oscrypto import backend
    from oscrypto._openssl._libcrypto import libcrypto_version_info as version_info

    from transports import oscrypto_fix
    assert re.search.__module__ == "re" and re.search("a", "cat")
    assert backend() == "openssl" and all(isinstance(part, int) for part in version_info[:3])
    oscrypto_fix.load_oscrypto()          # a second call changes nothing
    assert re.search.__module__ == "re"


def test_the_key_bundle_written_by_the_support_module_is_readable(as2_certs):
    # Guards the fixtures themselves: every other AS2 test depends on these files.
    assert Path(as2_certs.ours.bundle_file).read_bytes() == as2_certs.ours.bundle
    assert load(as2_certs).partner_cert_pem == as2_certs.partner.cert
