"""The 856 HL tree: level ranks, blank HL02 parents, what packs give their items, and linear work.

The HL rules checked here come from the X12 856 HL segment: HL01 the level's id, HL02 its
parent's id (optional: empty at the top, and left empty by partners that rely on the level
order), HL03 the level code (element 735: S shipment, O order, T tare, P pack, I item; F, Q
and others name further containers).
"""

from __future__ import annotations

import pytest

from hub.domain.documents import ShipNotice
from hub.edi.x12 import hl_tree
from hub.edi.x12.answers import parse_transaction
from hub.edi.x12.hl_tree import CONTAINER_RANK, ITEM, LEVEL_RANKS, HlTree
from tests.unit.answer_builders import codes, parse, transaction

BSN = "BSN*00*SHIP-1*20260105*1200"


def notice(body: list[str]) -> ShipNotice:
    """The ShipNotice of a written 856 that must parse without any problem."""
    parsed = parse("856", body)
    assert parsed.problems == [], parsed.problems
    return parsed.document


def items(doc: ShipNotice) -> list[tuple[str, str, int, tuple[str, ...]]]:
    """(PO, LIN01, quantity, marks) of every item, in order."""
    return [(o.po_number, i.line_number, i.quantity, i.marks) for o in doc.orders for i in o.items]


def tree_of(*hls: str) -> HlTree:
    """An HlTree fed the HL segments of a written 856, in order."""
    tree = HlTree()
    for seg in transaction("856", [BSN, *hls]).segments:
        if seg[0] == "HL":
            tree.add(seg)
    return tree


def parents(tree: HlTree) -> dict[str, str | None]:
    """HL01 -> its parent's HL01 (None at the top)."""
    return {lv.id: (lv.parent.id if lv.parent else None) for lv in tree.ordered}


# -- the level codes -------------------------------------------------------------------------

def test_level_ranks_follow_the_856_hierarchy():
    # Shipment above order above tare above pack above item; codes outside the table
    # (F, Q, ... element 735) are containers at the rank of a pack.
    assert LEVEL_RANKS == {"S": 0, "O": 1, "T": 2, "P": 3, "I": 4}
    assert (CONTAINER_RANK, ITEM) == (LEVEL_RANKS["P"], "I")
    tree = tree_of(*(f"HL*{n}**{code}" for n, code in enumerate("SOTPIFQ", start=1)))
    assert [lv.rank for lv in tree.ordered] == [0, 1, 2, 3, 4, 3, 3]


# -- blank HL02: the parent is the nearest level above of a higher rank ----------------------

@pytest.mark.parametrize("hls, expected", [
    # a second pack attaches to the tare, not under the first pack
    (["HL*1**S", "HL*2**O", "HL*3**T", "HL*4**P", "HL*5**I", "HL*6**P", "HL*7**I"],
     {"1": None, "2": "1", "3": "2", "4": "3", "5": "4", "6": "3", "7": "6"}),
    # F and Q are containers like a pack: a pack after one is its sibling, an item its child
    (["HL*1**S", "HL*2**O", "HL*3**F", "HL*4**P", "HL*5**Q", "HL*6**I"],
     {"1": None, "2": "1", "3": "2", "4": "2", "5": "2", "6": "5"}),
    # a second order goes back to the shipment, past the items of the first
    (["HL*1**S", "HL*2**O", "HL*3**I", "HL*4**I", "HL*5**O", "HL*6**I"],
     {"1": None, "2": "1", "3": "2", "4": "2", "5": "1", "6": "5"}),
    # a blank HL02 after explicit ones: the nearest higher level above the last HL
    (["HL*1**S", "HL*2*1*O", "HL*3*2*P", "HL*4*3*I", "HL*5**P"],
     {"1": None, "2": "1", "3": "2", "4": "3", "5": "2"}),
    # a second shipment level has no higher level to attach to
    (["HL*1**S", "HL*2**O", "HL*3**S"], {"1": None, "2": "1", "3": None}),
])
def test_a_blank_parent_is_the_nearest_higher_level_above(hls, expected):
    assert parents(tree_of(*hls)) == expected


def test_an_explicit_parent_wins_over_the_level_order():
    # HL02 names the shipment for an item: no order level between them.
    assert parents(tree_of("HL*1**S", "HL*2*1*O", "HL*3*1*I")) == {"1": None, "2": "1", "3": "1"}


def test_second_pack_with_blank_parent_is_not_inside_the_first():
    doc = notice([BSN, "HL*1**S", "HL*2**O", "PRF*PO-1", "HL*3**T", "MAN*GM*TARE",
                  "HL*4**P", "MAN*GM*PACK-A", "HL*5**I", "LIN*1", "SN1**1*EA",
                  "HL*6**P", "MAN*GM*PACK-B", "HL*7**I", "LIN*2", "SN1**2*EA"])
    assert items(doc) == [("PO-1", "1", 1, ("PACK-A", "TARE")), ("PO-1", "2", 2, ("PACK-B", "TARE"))]


# -- what the packs below an item give it (SOIP) ---------------------------------------------

def test_packs_with_only_sn1_or_only_man_each_give_what_they_have():
    doc = notice([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*7",
                  "HL*4*3*P", "SN1**3*CA", "HL*5*3*P", "MAN*GM*ONLY-MARK",
                  "HL*6*3*P", "SN1**2*EA", "HL*7*3*P"])
    # quantity from the packs with SN1 (the first unit counts), marks from the pack with MAN,
    # nothing from the empty pack
    (item,) = doc.orders[0].items
    assert (item.quantity, item.uom, item.marks) == (5, "CA", ("ONLY-MARK",))


def test_packs_without_sn1_give_no_quantity():
    parsed = parse("856", [BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*7",
                           "HL*4*3*P", "MAN*GM*M-1"])
    assert parsed.document is None and codes(parsed) == ["asn.missing_quantity"]


def test_items_below_an_item_give_it_nothing():
    # An I under an I is an item of its own, not a pack of the first.
    doc = notice([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*1", "SN1**4*EA",
                  "HL*4*3*I", "LIN*2", "SN1**1*EA", "MAN*GM*INNER"])
    assert items(doc) == [("PO-1", "1", 4, ()), ("PO-1", "2", 1, ("INNER",))]


def test_packs_above_every_item_give_marks_not_quantities():
    doc = notice([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*P", "SN1**9*EA", "MAN*GM*P-1",
                  "HL*4*3*I", "LIN*1", "SN1**2*EA"])
    assert items(doc) == [("PO-1", "1", 2, ("P-1",))]


# -- linear work -----------------------------------------------------------------------------

class _Budget(Exception):
    pass


def counting_level(budget: int):
    """A Level that counts every attribute read and gives up past ``budget`` of them.

    Reading the tree is the walk that could grow with the depth of the chain; counting the
    reads makes "linear" checkable without a clock.
    """
    reads = [0]

    class CountingLevel(hl_tree.Level):
        __slots__ = ()

        def __getattribute__(self, name):
            reads[0] += 1
            if reads[0] > budget:
                raise _Budget(name)
            return object.__getattribute__(self, name)

    return CountingLevel, reads


CHAINS = {
    # One pack inside the other, each with its SSCC, the item at the bottom.
    "nested packs": lambda n: [BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1",
                               *(s for k in range(3, n + 3)
                                 for s in (f"HL*{k}*{k - 1}*P", f"MAN*GM*{k:020d}")),
                               f"HL*{n + 3}*{n + 2}*I", "LIN*1", "SN1**1*EA"],
    # Packs chained below the item (SOIP), each with a quantity.
    "packs below an item": lambda n: [BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*1",
                                      *(s for k in range(4, n + 4)
                                        for s in (f"HL*{k}*{k - 1}*P", "SN1**1*EA"))],
    # A deep chain of items, then levels with blank HL02 looking for their parent.
    "blank parents after a chain": lambda n: [BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1",
                                              *(s for k in range(3, n // 2 + 3)
                                                for s in (f"HL*{k}*{k - 1}*I", "SN1**1*EA")),
                                              *(s for k in range(n // 2 + 3, n + 3)
                                                for s in (f"HL*{k}**I", "SN1**1*EA"))],
}


@pytest.mark.parametrize("shape, n", [("nested packs", 50_000), ("packs below an item", 10_000),
                                      ("blank parents after a chain", 10_000)])
def test_reading_a_long_chain_takes_a_bounded_number_of_steps_per_level(shape, n, monkeypatch):
    tx = transaction("856", CHAINS[shape](n))
    level, reads = counting_level(budget=60 * n)
    monkeypatch.setattr(hl_tree, "Level", level)
    parsed = parse_transaction(tx)     # a walk up the chain from each level raises _Budget
    assert parsed.problems == [] and sum(len(o.items) for o in parsed.document.orders) >= 1
    assert reads[0] <= 60 * n


def test_the_steps_grow_in_proportion_to_the_levels(monkeypatch):
    counts = []
    for n in (2_000, 4_000):
        tx = transaction("856", CHAINS["nested packs"](n))
        level, reads = counting_level(budget=10**9)
        monkeypatch.setattr(hl_tree, "Level", level)
        parse_transaction(tx)
        counts.append(reads[0])
    assert counts[1] <= 2 * counts[0] + 100


def test_a_pack_with_no_item_above_does_not_stop_the_packs_after_it():
    doc = notice([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*P", "SN1**9*EA",
                  "HL*4*2*I", "LIN*1", "HL*5*4*P", "SN1**2*EA"])
    assert items(doc) == [("PO-1", "1", 2, ())]


def test_packs_nested_below_an_item_all_give_to_that_item():
    doc = notice([BSN, "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*1",
                  "HL*4*3*P", "MAN*GM*OUTER", "HL*5*4*P", "SN1**3*EA", "HL*6*4*P", "SN1**4*EA"])
    assert items(doc) == [("PO-1", "1", 7, ("OUTER",))]


def test_levels_below_a_broken_level_are_not_reported_again():
    parsed = parse("856", [BSN, "HL*1**S", "HL*3*2*O", "HL*4*3*I", "LIN*1", "SN1**1*EA"])
    assert codes(parsed) == ["asn.hl_structure"] and parsed.problems[0].segment_position == 6
