"""X12 reader benchmark: our tokenizer + envelope checks against pyx12 and a bare split.

Builds, in a temporary directory, a ~10 MB file of ~27,000 850 purchase orders in ONE
functional group (ST, BEG, 2 N1, 5 PO1, CTT, SE: 11 segments each; ISA/GS and each ST..SE
on its own line), then measures:

1. our reader with every envelope check (``check_envelopes``), and the same through
   ``iter_transactions`` (sets built with their segments, as the inbound pipeline uses it);
2. pyx12's X12Reader on the same file (every segment read, errors popped) - target: ours
   at least 5x faster;
3. a bare split of the file (``data.split(b"~")`` then each ``.split(b"*")``, results
   dropped at once) - target: ours at least half its speed;
4. a 1 GB inbound file (100 MB in quick mode), written by streaming transactions to disk and
   read by ``iter_transactions`` in a child process - target: peak memory under 150 MB;
5. garbage of the same size as the valid file, checked the same way: 'ISA*' over and over
   (a header to try every four bytes, cut off after ``MAX_FILE_ERRORS``) and random bytes -
   target: at least the valid file's MB/s.

Run: ``python -m bench.bench_reader [--quick]``.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

from bench.harness import Result, best_time, peak_rss_mb, print_table

ROOT = Path(__file__).resolve().parents[1]
TRANSACTIONS = 27_306
SET = (b"ST*850*%(n)09d~BEG*00*SA*PO%(n)09d**20260115~N1*ST*ACME WAREHOUSE*92*0001~"
       b"N1*BY*ACME BUYING*92*BUY01~"
       + b"".join(b"PO1*%d*%d*EA*%d.25*PE*VP*SKU%05d*UP*01234567890%d~" % (i, 10 * i, i, i, i)
                  for i in range(1, 6))
       + b"CTT*5*150~SE*11*%(n)09d~\n")
HEADER = (b"ISA*00*          *00*          *ZZ*SENDERID       *ZZ*RECEIVERID     *260115*1200*U*"
          b"00401*000000001*0*T*>~\nGS*PO*SENDERID*RECEIVERID*20260115*1200*1*X*004010~\n")


def write_po_file(path: Path, transactions: int) -> int:
    """Write one interchange of ``transactions`` 850s in one group, streaming; return its size."""
    with open(path, "wb") as out:
        out.write(HEADER)
        for n in range(1, transactions + 1):
            out.write(SET % {b"n": n})
        out.write(b"GE*%d*1~\nIEA*1*000000001~\n" % transactions)
    return path.stat().st_size


def ours_check(path: Path) -> int:
    """Tokenize and check every envelope; the count of sets in the group."""
    from hub.edi.x12.envelope import check_envelopes
    with open(path, "rb") as stream:
        envelopes = check_envelopes(stream)
    assert not envelopes.all_errors(), envelopes.all_errors()[:3]
    return envelopes.interchanges[0].groups[0].transaction_count


def ours_transactions(path: Path) -> int:
    """Every set built with its segments, as the inbound pipeline reads a file."""
    from hub.edi.x12.envelope import iter_transactions
    with open(path, "rb") as stream:
        return sum(len(tx.segments) for tx in iter_transactions(stream))


def pyx12_reader(path: Path) -> int:
    """pyx12's tokenizer with its own envelope checks: every segment read, errors popped."""
    import pyx12.x12file
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    count = 0
    with open(path, encoding="latin-1") as stream:
        reader = pyx12.x12file.X12Reader(stream)
        for _ in reader:
            count += 1
            reader.pop_errors()
        reader.cleanup()
        reader.pop_errors()
    return count


def bare_split(path: Path) -> int:
    """The least work that splits the file: terminator, then element separator, nothing kept."""
    data = path.read_bytes()
    count = 0
    for segment in data.split(b"~"):
        count += len(segment.split(b"*"))
    return count


def write_garbage(path: Path, kind: str, size: int) -> int:
    """Write ``size`` bytes of garbage: 'isa' ('ISA*' repeated) or 'random'."""
    import random
    data = b"ISA*" * (size // 4) if kind == "isa" else random.Random(7).randbytes(size)
    path.write_bytes(data)
    return len(data)


def garbage_check(path: Path) -> int:
    """check_envelopes on a garbage file; the number of errors it reports."""
    from hub.edi.x12.envelope import check_envelopes
    with open(path, "rb") as stream:
        return len(check_envelopes(stream).all_errors())


CHILD = """
import sys, time
sys.path.insert(0, {root!r})
from hub.edi.x12.envelope import iter_transactions
t0 = time.perf_counter()
sets = segments = 0
with open({path!r}, "rb") as stream:
    walk = iter_transactions(stream)
    for tx in walk:
        sets += 1
        segments += len(tx.segments)
errors = len(walk.all_errors())
print(sets, segments, errors, time.perf_counter() - t0)
"""


def big_file_memory(tmp: Path, size_mb: int) -> Result:
    """Peak memory of a child process reading a ``size_mb`` file with iter_transactions."""
    per_set = len(SET % {b"n": 1})
    path = tmp / "inbound-big.x12"
    size = write_po_file(path, size_mb * 1024 * 1024 // per_set)
    peak, status, out = peak_rss_mb(["-c", CHILD.format(root=str(ROOT), path=str(path))])
    sets, segments, errors, seconds = out.split()
    path.unlink()
    ok = status == 0 and int(errors) == 0 and peak < 150
    return Result(f"{size / 2**20:,.0f} MB inbound file, iter_transactions (child)", peak, None,
                  "MB peak", "< 150 MB peak RSS", ok,
                  f"{int(sets):,} sets, {int(segments):,} segments in {float(seconds):.1f} s "
                  f"({size / 2**20 / float(seconds):.0f} MB/s)")


def run(quick: bool = False) -> list[Result]:
    """Run the measurements; quick mode reads a 100 MB file instead of 1 GB."""
    with tempfile.TemporaryDirectory(prefix="edihub-bench-") as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "po850-one-group.x12"
        mb = write_po_file(path, TRANSACTIONS) / 2**20
        assert ours_check(path) == TRANSACTIONS
        repeat = 3 if quick else 5
        t_check = best_time(lambda: ours_check(path), repeat)
        t_sets = best_time(lambda: ours_transactions(path), repeat)
        t_bare = best_time(lambda: bare_split(path), repeat)
        t_pyx12 = best_time(lambda: pyx12_reader(path), 1)
        rate = lambda t: TRANSACTIONS / t      # noqa: E731 - sets per second
        note = f"{mb:.1f} MB, {TRANSACTIONS:,} sets of 11 segments in one GS"
        results = [
            Result("tokenize + envelope checks vs pyx12 X12Reader", rate(t_check), rate(t_pyx12),
                   "txn/s", ">= 5.0x pyx12", t_pyx12 / t_check >= 5.0, note),
            Result("tokenize + envelope checks vs bare split", rate(t_check), rate(t_bare),
                   "txn/s", ">= 0.5x bare split", t_bare / t_check >= 0.5,
                   f"{mb / t_check:.0f} MB/s; bare split {mb / t_bare:.0f} MB/s"),
            Result("iter_transactions (sets with segments) vs pyx12", rate(t_sets), rate(t_pyx12),
                   "txn/s", ">= 5.0x pyx12", t_pyx12 / t_sets >= 5.0, f"{mb / t_sets:.0f} MB/s"),
        ]
        for kind, label in (("isa", "'ISA*' repeated"), ("random", "random bytes")):
            junk = tmp / f"garbage-{kind}.x12"
            size = write_garbage(junk, kind, path.stat().st_size)
            assert garbage_check(junk) > 0
            t_junk = best_time(lambda: garbage_check(junk), repeat)
            results.append(Result(f"garbage ({label}) vs the valid file, MB/s",
                                  size / 2**20 / t_junk, mb / t_check, "MB/s", ">= 1.0x valid",
                                  t_check / t_junk >= 1.0,
                                  f"{size / 2**20:.1f} MB in {t_junk:.2f} s"))
        results.append(big_file_memory(tmp, 100 if quick else 1024))
        if quick:
            results[-1].note += " (quick mode: 100 MB instead of 1 GB)"
    return results


if __name__ == "__main__":
    print_table(run(quick="--quick" in sys.argv[1:]))
