"""Partner and mapping files changed through edihub: checked whole, errors at their lines,
saved with versions, refused without a trace, rolled back, compared; paths kept inside."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from hub.adapters import tables as t
from hub.services.audit import ActionRefused
from hub.services.config_files import (MAX_BYTES, Change, ConfigRefused, check, config_path, diff,
                                       history, rollback, save, sha256)

ACME = "partners/acme.toml"
X12_MAP = "mappings/x12/850-4010.toml"

NEW_PARTNER = '''id = "newco"
name = "New Co"
test_mode = true
po_format = "x12"

[x12]
version = "004010"
sender_id = "DEMORETAIL"
receiver_id = "NEWCO"
mapping = "x12/850-4010-newco.toml"

[transport]
type = "folder"
path = "var/suppliers/newco/to-supplier"
'''

EVIL_XSLT = '''<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><x>&secret;</x></xsl:template>
</xsl:stylesheet>
'''


def text(home, rel: str) -> str:
    return (home / rel).read_text()


def rows(hub, table) -> int:
    with hub.uow(readonly=True) as uow:
        return uow.conn.scalar(select(func.count()).select_from(table))


def audits(hub) -> list[tuple]:
    a = t.audit_log
    with hub.uow(readonly=True) as uow:
        return [tuple(r) for r in uow.conn.execute(select(a.c.actor, a.c.action, a.c.target, a.c.partner_id,
                                                          a.c.reason).order_by(a.c.id))]


# -- checking ----------------------------------------------------------------------------------

def test_a_wrong_value_is_located_at_its_key_in_the_text_given(hub, demo_home):
    acme = text(demo_home, ACME).replace('receiver_qualifier = "ZZ"', 'receiver_qualifier = "ZZZ"')
    [problem] = check(hub, {ACME: acme})
    assert (problem.file, problem.line, problem.where) == (ACME, 12, "x12.receiver_qualifier")
    assert acme.splitlines()[11] == 'receiver_qualifier = "ZZZ"'
    assert "two letters or digits" in problem.problem and "'ZZZ'" in problem.problem
    assert str(problem).startswith("partners/acme.toml line 12 (x12.receiver_qualifier): ")


@pytest.mark.parametrize("change, line, words", [
    # an unknown key, with the closest one suggested
    (('sender_qualifier = "ZZ"', 'sender_qualifer = "ZZ"'), 10, "did you mean 'sender_qualifier'"),
    # a wrong type
    (("\nack_hours = 2\n", '\nack_hours = "two"\n'), 39, "must be a number"),
    # TOML syntax: the parser's own line
    (('name = "Acme Supply Co."', 'name = "Acme Supply Co.'), 3, "not valid TOML"),
    # a secret written in the file
    (('[transport]\ntype = "folder"', '[transport]\ntype = "folder"\npassword = "hunter2"'), 27,
     "secrets are never written in partner files"),
])
def test_partner_file_mistakes_are_each_at_their_line(hub, demo_home, change, line, words):
    acme = text(demo_home, ACME)
    assert change[0] in acme
    [problem] = check(hub, {ACME: acme.replace(*change)})
    assert problem.line == line and words in problem.problem, problem


def test_a_mapping_mistake_is_at_its_segment_and_other_partners_using_it_are_checked(hub, demo_home):
    mapping = text(demo_home, X12_MAP).replace('id = "N4"', 'id = "N9X"')
    problems = check(hub, {X12_MAP: mapping})
    assert {p.file for p in problems} == {X12_MAP}
    [n9x] = [p for p in problems if "N9X" in p.problem]
    assert mapping.splitlines()[n9x.line - 1] == 'id = "N9X"'
    # The right version for the mapping, the wrong one for acme: said at document.version.
    newer = text(demo_home, X12_MAP).replace('version = "004010"', 'version = "005010"')
    problems = check(hub, {X12_MAP: newer})
    assert [(p.file, p.line) for p in problems] == [(X12_MAP, 6)]
    assert "partner acme" in problems[0].problem and str(demo_home) in problems[0].problem


def test_a_mapping_no_partner_uses_yet_is_checked_on_its_own(hub):
    assert check(hub, {"mappings/x12/spare.toml": '[document]\ntransaction = "850"\nversion = "004010"\n'
                                                  '[[header]]\nid = "BEG"\nelements = ["00", "DS", '
                                                  '"{po.number}", "", "{po.date}"]\n'
                                                  '[[line]]\nid = "PO1"\nelements = ["{line.number}", '
                                                  '"{line.quantity}", "{line.uom}", "{line.unit_cost}"]\n'}) == []
    problems = check(hub, {"mappings/x12/spare.toml": '[document]\ntransaction = "850"\nversion = "004010"\n'
                                                      '[[header]]\nid = "BEG"\nelements = ["00", "DS", '
                                                      '"{po.numbr}", "", "{po.date}"]\n'})
    assert [(p.line, "unknown field 'po.numbr'" in p.problem) for p in problems][0] == (6, True)
    assert any("PO1" in p.problem for p in problems)     # every problem, not just the first


def test_an_xslt_with_an_external_entity_is_refused_and_never_read(hub, demo_home):
    problems = check(hub, {"mappings/xml/custom-supplier.xsl": EVIL_XSLT})
    assert problems and all("root:" not in p.problem for p in problems)
    assert any("DTD" in p.problem or "entit" in p.problem.lower() for p in problems), problems


def test_an_xslt_that_does_not_compile_names_its_line(hub, demo_home):
    xsl = text(demo_home, "mappings/xml/custom-supplier.xsl")
    broken = xsl.replace('<xsl:param name="timestamp"/>', '<xsl:parm name="timestamp"/>')
    problems = check(hub, {"mappings/xml/custom-supplier.xsl": broken})
    assert problems and problems[0].file == "mappings/xml/custom-supplier.xsl"
    assert broken.splitlines()[problems[0].line - 1].strip() == '<xsl:parm name="timestamp"/>'


# -- saving ------------------------------------------------------------------------------------

def test_a_save_writes_the_file_and_keeps_the_old_and_new_versions_audited(store_hub):
    home = store_hub.settings.home
    before = text(home, ACME)
    result = save(store_hub, [Change(ACME, before.replace("V-10442", "V-777"), sha256(before))], "ann",
                  "new vendor number")
    assert result.versions == {ACME: 2} and "version 2" in result.message
    assert "V-777" in text(home, ACME)
    versions = history(store_hub, ACME)
    assert [(v["number"], v["actor"], v["note"]) for v in versions] == [
        (1, "disk", "as it was on disk before the first change through edihub"),
        (2, "ann", "new vendor number")]
    assert versions[0]["sha256"] == hashlib.sha256(before.encode()).hexdigest()
    assert audits(store_hub) == [("ann", "config.save", ACME, "acme", "new vendor number")]
    # Saving the same text again (a form sent twice) changes nothing.
    again = save(store_hub, [Change(ACME, text(home, ACME), sha256(before))], "ann")
    assert again.versions == {} and "already hold" in again.message
    assert len(history(store_hub, ACME)) == 2


def test_a_broken_file_is_refused_leaving_disk_and_store_as_they_were(hub, demo_home):
    before = (demo_home / ACME).read_bytes()
    with pytest.raises(ConfigRefused) as refused:
        save(hub, [Change(ACME, before.decode().replace('version = "004010"', 'version = "4010"'))], "ann")
    assert refused.value.problems[0].line == 9 and "nothing was changed" in str(refused.value)
    assert (demo_home / ACME).read_bytes() == before
    assert rows(hub, t.config_versions) == 0 and rows(hub, t.audit_log) == 0


def test_a_change_made_on_a_stale_copy_is_refused(hub, demo_home):
    opened = text(demo_home, ACME)
    save(hub, [Change(ACME, opened.replace("V-10442", "V-1"), sha256(opened))], "ann")
    with pytest.raises(ActionRefused, match=r"was changed \(version 2, by ann at .*\) since you opened it"):
        save(hub, [Change(ACME, opened.replace("V-10442", "V-2"), sha256(opened))], "bob")
    assert "V-1\"" in text(demo_home, ACME) and len(history(hub, ACME)) == 2
    # Changed by hand on disk since: the stale copy is refused, and that is said too.
    (demo_home / ACME).write_text(text(demo_home, ACME).replace("V-1", "V-3"))
    with pytest.raises(ActionRefused, match="on disk, outside edihub"):
        save(hub, [Change(ACME, opened, sha256(opened.replace("V-10442", "V-1")))], "bob")


def test_a_hand_edit_is_kept_as_a_version_before_the_next_save(hub, demo_home):
    first = text(demo_home, ACME)
    save(hub, [Change(ACME, first.replace("V-10442", "V-1"))], "ann")
    (demo_home / ACME).write_text(text(demo_home, ACME).replace("V-1", "V-HAND"))
    save(hub, [Change(ACME, text(demo_home, ACME).replace("V-HAND", "V-2"))], "bob")
    assert [(v["actor"], "V-HAND" in v_text) for v, v_text in zip(
        history(hub, ACME), [first, "", "V-HAND", ""], strict=True)] == [
        ("disk", False), ("ann", False), ("disk", True), ("bob", False)]


def test_a_new_partner_and_its_own_mapping_are_saved_together(hub, demo_home):
    mapping = text(demo_home, X12_MAP).replace('"DS"', '"SA"')
    new_map = "mappings/x12/850-4010-newco.toml"
    with pytest.raises(ConfigRefused) as refused:        # the partner alone names a missing mapping
        save(hub, [Change("partners/newco.toml", NEW_PARTNER, "")], "ann")
    assert refused.value.problems[0].line == 10      # x12.mapping
    result = save(hub, [Change("partners/newco.toml", NEW_PARTNER, ""), Change(new_map, mapping, "")],
                  "ann", "onboarding New Co")
    assert result.versions == {"partners/newco.toml": 1, new_map: 1}
    assert text(demo_home, new_map) == mapping
    # Somebody else made the same partner meanwhile: a second "new" is refused.
    with pytest.raises(ActionRefused, match="was created"):
        save(hub, [Change("partners/newco.toml", NEW_PARTNER.replace("New Co", "Other"), "")], "bob")


def test_rollback_brings_an_old_version_back_as_a_new_one(hub, demo_home):
    v1 = text(demo_home, ACME)
    save(hub, [Change(ACME, v1.replace("V-10442", "V-2"))], "ann")
    current = text(demo_home, ACME)
    first_id = history(hub, ACME)[0]["id"]
    result = rollback(hub, first_id, "bob", sha256(current))
    assert result.versions == {ACME: 3} and text(demo_home, ACME) == v1
    assert [v["note"] for v in history(hub, ACME)][-1] == "back to version 1"
    assert audits(hub)[-1][:3] == ("bob", "config.rollback", ACME)
    # A page still showing version 2 rolls back nothing.
    with pytest.raises(ActionRefused, match="since you opened it"):
        rollback(hub, history(hub, ACME)[1]["id"], "carol", sha256(current))
    assert text(demo_home, ACME) == v1 and len(history(hub, ACME)) == 3


def test_diff_shows_what_changed_between_two_versions(hub, demo_home):
    v1 = text(demo_home, ACME)
    save(hub, [Change(ACME, v1.replace('vendor_number = "V-10442"', 'vendor_number = "V-2"'))], "ann")
    old, new = (v["id"] for v in history(hub, ACME))
    lines = diff(hub, old, new)
    assert ("del", '-vendor_number = "V-10442"   # our vendor number at Acme (REF*IA)') in lines
    assert ("add", '+vendor_number = "V-2"   # our vendor number at Acme (REF*IA)') in lines
    assert lines[0] == ("head", "--- partners/acme.toml version 1")
    with pytest.raises(ActionRefused):
        diff(hub, old, 999)


# -- what is refused before anything is looked at ----------------------------------------------

OUTSIDE = ["../edihub.toml", "partners/../edihub.toml", "/etc/passwd", "mappings/x12/../../partners/acme.toml",
           "partners/Acme.toml", "partners/acme.csv", "partners/catalog.toml.csv", "catalog.csv", "mappings/README.md", "edihub.toml",
           "partners\\acme.toml", "mappings/x12/a\x00.toml", "partners/examples/globex.toml", ""]


@pytest.mark.parametrize("path", OUTSIDE)
def test_paths_outside_partner_and_mapping_files_are_refused(path):
    with pytest.raises(ActionRefused):
        config_path(path)


def test_saving_under_a_refused_path_touches_nothing(hub, demo_home):
    before = sorted(p.relative_to(demo_home) for p in demo_home.rglob("*") if "var" not in p.parts)
    for path in OUTSIDE:
        with pytest.raises(ActionRefused):
            save(hub, [Change(path, "id = \"x\"\n")], "ann")
    assert sorted(p.relative_to(demo_home) for p in demo_home.rglob("*") if "var" not in p.parts) == before
    assert rows(hub, t.config_versions) == 0


def test_a_mapping_folder_linked_out_of_the_instance_is_refused(hub, demo_home, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (demo_home / "mappings" / "linked").symlink_to(outside)
    with pytest.raises(ActionRefused, match="outside mappings/"):
        save(hub, [Change("mappings/linked/x.toml", text(demo_home, X12_MAP))], "ann")
    assert list(outside.iterdir()) == []


def test_oversized_and_non_utf8_files_are_refused(hub, demo_home):
    before = text(demo_home, ACME)
    with pytest.raises(ActionRefused, match="at most 1,048,576"):
        save(hub, [Change(ACME, before + "#" * MAX_BYTES)], "ann")
    with pytest.raises(ActionRefused, match="not UTF-8"):
        save(hub, [Change(ACME, before.encode() + b"# \xff\n")], "ann")
    assert text(demo_home, ACME) == before and rows(hub, t.config_versions) == 0


# -- the catalog ---------------------------------------------------------------------------------

CATALOG = "partners/catalog.csv"
STAPLER = "STAPLER-HD,initech,INI-ST-9,7.25,2,10,1,100,true,EA\n"


def test_a_catalog_row_added_routes_the_next_order_to_its_supplier_without_a_restart(hub, demo_home):
    from hub.jobs import Worker
    from hub.services.intake import Submission, accept
    from tests.integration.test_intake import order
    before = text(demo_home, CATALOG)
    worker = Worker(hub)
    assert not hub.context.catalog.knows("STAPLER-HD")
    result = save(hub, [Change(CATALOG, before + STAPLER, sha256(before))], "ann", "initech sells staplers")
    assert result.versions == {CATALOG: 2} and text(demo_home, CATALOG) == before + STAPLER
    assert audits(hub) == [("ann", "config.save", CATALOG, None, "initech sells staplers")]
    assert worker.check_config() is True         # a worker takes it between jobs
    o = order(lines=[{"line_id": "1", "sku": "STAPLER-HD", "quantity": 3, "unit_price": "12.00"}])
    [accepted] = accept(hub.context, [Submission("test", o)])
    with hub.uow(readonly=True) as uow:
        [po] = uow.repo.purchase_orders_of(accepted.order_id)
    assert (po.partner_id, [(ln.sku, ln.supplier_item) for ln in po.lines]) == (
        "initech", [("STAPLER-HD", "INI-ST-9")])


def test_a_broken_catalog_is_refused_listing_every_bad_row_at_its_line(hub, demo_home):
    before = (demo_home / CATALOG).read_bytes()
    n = before.count(b"\n")                                            # the rows below: n + 1...
    assert n == 12
    broken = before.decode() + ("STAPLER-HD,globex,GX-1,1.00,,,,,,\n"      # no such partner
                                "DESK-OAK-120,acme,AC-9,1.00,,,,,,\n"     # acme has a row for it
                                "LAMP-LED-WHT,acme,AC-8,cheap,,,,,,\n"    # a cost that is not one
                                "PEN,acme,=HYPERLINK(\"http://x\"),1,,,,,,\n")  # a formula
    with pytest.raises(ConfigRefused) as refused:
        save(hub, [Change(CATALOG, broken)], "ann")
    assert [(p.file, p.line, p.key) for p in refused.value.problems] == [
        (CATALOG, 13, "column supplier"), (CATALOG, 14, ""), (CATALOG, 15, "column cost"),
        (CATALOG, 16, "column supplier_item")]
    assert str(refused.value.problems[2]) == (
        "partners/catalog.csv line 15 (column cost): must be a price of 0 or more such as 12.50, "
        "got 'cheap'")
    assert "4 problem(s)" in str(refused.value)
    assert (demo_home / CATALOG).read_bytes() == before
    assert rows(hub, t.config_versions) == 0 and rows(hub, t.audit_log) == 0


def test_a_catalog_version_is_brought_back_and_compared(hub, demo_home):
    v1 = text(demo_home, CATALOG)
    v2 = v1.replace("LAMP-LED-WHT,initech,INI-L-300W,14.20", "LAMP-LED-WHT,initech,INI-L-300W,15.90")
    save(hub, [Change(CATALOG, v2)], "ann", "new lamp price")
    assert hub.reload() == [] and hub.context.catalog.entry("LAMP-LED-WHT", "initech").cost == Decimal("15.90")
    first, second = (v["id"] for v in history(hub, CATALOG))
    assert ("add", "+LAMP-LED-WHT,initech,INI-L-300W,15.90,2,10,1,200,true,EA") in diff(hub, first, second)
    result = rollback(hub, first, "bob", sha256(v2))
    assert result.versions == {CATALOG: 3} and text(demo_home, CATALOG) == v1
    assert audits(hub)[-1][:4] == ("bob", "config.rollback", CATALOG, None)
    assert hub.reload() == [] and hub.context.catalog.entry("LAMP-LED-WHT", "initech").cost == Decimal("14.20")


def test_an_oversized_or_non_utf8_catalog_upload_is_refused(hub, demo_home):
    from hub.adapters.partner_files import MAX_CATALOG_BYTES
    before = text(demo_home, CATALOG)
    # larger than a partner file may be is fine for a catalog
    bigger = before + "".join(f"SKU-{n:06d},acme,AC-{n},1.00,,,,,,\n" for n in range(MAX_BYTES // 30))
    assert len(bigger) > MAX_BYTES and check(hub, {CATALOG: bigger}) == []
    with pytest.raises(ActionRefused, match="the catalog may have at most 4,194,304"):
        save(hub, [Change(CATALOG, before + "#" * MAX_CATALOG_BYTES)], "ann")
    with pytest.raises(ActionRefused, match="not UTF-8"):
        save(hub, [Change(CATALOG, before.encode() + "CRÈME,acme,AC-1,1\n".encode("latin-1"))], "ann")
    assert text(demo_home, CATALOG) == before and rows(hub, t.config_versions) == 0
