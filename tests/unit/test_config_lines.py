"""Where an error about a configuration file is: key paths and TOML syntax errors to lines."""

from __future__ import annotations

import pytest

from hub.adapters.config_lines import error_line, key_line, set_top_level_key, toml_key_lines

PARTNER = '''# a comment
id = "acme"
test_mode = true   # until they confirm
name = """two
lines = "not a key"
"""

[x12]
version = "004010"
"receiver_qualifier" = "ZZ"

[transport]
type = "sftp"
host_keys = [
  "ssh-ed25519 AAAA",
  "x = 1",
]
port = 22

[xml.params]
account-number = "1"
'''

MAPPING = '''[document]
transaction = "850"

[[header]]
id = "BEG"
elements = ["00", "DS"]

[[header]]
id = "N1"
elements = ["ST", "{ship_to.name}"]
when = "ship_to.name"

[[line]]
id = "PO1"
'''


def test_every_key_and_table_has_its_line_and_values_spanning_lines_are_skipped():
    lines = toml_key_lines(PARTNER)
    assert lines["id"] == 2 and lines["name"] == 4 and "lines" not in lines
    assert lines["x12"] == 8 and lines["x12.receiver_qualifier"] == 10
    assert lines["transport.host_keys"] == 14 and lines["transport.port"] == 18 and "x" not in lines
    assert lines["xml.params.account-number"] == 21


@pytest.mark.parametrize("where, line", [
    ("x12.receiver_qualifier", 10),           # the key itself
    ("x12.sender_id", 8),                     # missing: its table
    ("transport.host_keys[0]", 14),           # an item of a list: the list
    ("transport.key_file", 12),
    ("xml.params.account-number", 21),
    ("nothing.here", None),
    ("(top level)", None),
])
def test_a_key_path_from_a_partner_file_error_finds_its_line(where, line):
    assert error_line(PARTNER, where, "problem", toml=True) == line


def test_mapping_errors_name_segments_by_their_place_in_each_section():
    lines = toml_key_lines(MAPPING)
    assert key_line(lines, "header[2] (N1)") == 9                  # its id line
    assert key_line(lines, "header[2] (N1) element 2") == 10      # the elements line
    assert key_line(lines, "header[2] (N1) when") == 11
    assert key_line(lines, "header[1].elemnts") == 4               # unknown key: its segment
    assert key_line(lines, "line[1] (PO1)") == 14                  # its id line
    assert key_line(lines, "document.version") == 1


def test_a_key_named_without_its_table_is_found_when_only_one_table_has_it():
    assert key_line(toml_key_lines('[x12]\nmapping = "a"\n'), "mapping") == 2
    assert key_line(toml_key_lines('[x12]\nmapping = "a"\n[xml]\nmapping = "b"\n'), "mapping") is None


def test_syntax_errors_and_xml_errors_carry_their_line():
    assert error_line("a = 1\nb = \n", "", "not valid TOML: Invalid value (at line 2, column 5)", True) == 2
    assert error_line("<x/>", "line 7", "not well-formed XML", False) == 7
    assert error_line("<x/>", "", "cannot compile", False) is None


def test_setting_a_top_level_key_keeps_its_comment_and_everything_else():
    changed = set_top_level_key(PARTNER, "test_mode", "false")
    assert changed.splitlines()[2] == "test_mode = false   # until they confirm"
    assert changed.replace("test_mode = false", "test_mode = true") == PARTNER
    added = set_top_level_key('id = "x"\n\n[x12]\nversion = "004010"\n', "test_mode", "false")
    assert added == 'id = "x"\n\ntest_mode = false\n[x12]\nversion = "004010"\n'
    assert set_top_level_key('id = "x"', "active", "true") == 'id = "x"\nactive = true\n'
    # A key of that name in a table, or inside a multi-line string, is not the top-level one.
    tricky = 'name = """\ntest_mode = true\n"""\n[t]\ntest_mode = 1\n'
    assert set_top_level_key(tricky, "test_mode", "false") == ('name = """\ntest_mode = true\n"""\n'
                                                              'test_mode = false\n[t]\ntest_mode = 1\n')
