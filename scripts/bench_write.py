#!/usr/bin/env python3
"""The import's write path against the parser's own speed, on one mixed corpus, in one run.

Builds N distinct copies of real FIT, GPX and TCX files from testdata/ (every timestamp moved back
by a whole number of days per copy, so no copy is a duplicate of another and every file is
written), then measures on those same files:

  parse   the `throughput` example of knots-import: each file parsed in memory, one thread
          (the parser's own speed; MB/s over the whole corpus = bytes / sum of per-format times)
  import  `knots --db NEW.db import DIR --json`, end to end (walk, read, parse, convert, write,
          final sync), pinned to one core with taskset, then on both cores; with the original
          files kept (the default) and with --no-originals

Each configuration runs --repeats times (fresh journal each time); medians are printed as
Markdown, with every run's figure (the machine is shared: look at the spread).

  scripts/bench_write.py --knots target/release/knots --throughput target/release/examples/throughput
                         [--copies 400] [--repeats 5] [--keep DIR]
"""
import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "testdata"
FIT_SOURCES = [
    "Activity.fit",
    "activity-small-fenix2-run.fit",
    "garmin-fenix-5-run.fit",
    "garmin-fenix-5-bike.fit",
    "garmin-fenix-5-walk.fit",
    "sample-activity.fit",
    "2013-02-06-12-11-14.fit",
    "2015-10-13-08-43-15.fit",
    "20170518-191602-1740899583.fit",
    "hrv-activity.fit",
]
GPX_SOURCES = ["cerknicko-jezero.gpx", "track-with-less-sec-time.gpx"]
TCX_SOURCES = ["test.tcx"]
DAY = 86400

# ---------------------------------------------------------------- FIT timestamps

CRC_TABLE = [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
             0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400]


def fit_crc(data: bytes) -> int:
    crc = 0
    for b in data:
        tmp = CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ CRC_TABLE[b & 0xF]
        tmp = CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ CRC_TABLE[(b >> 4) & 0xF]
    return crc


# Date-time fields besides 253 (timestamp): file_id.time_created, session/lap start_time,
# activity.local_timestamp.
DATE_FIELDS = {(0, 4), (18, 2), (19, 2), (34, 5)}


def shift_fit(data: bytes, seconds: int) -> bytes:
    """Every date-time field moved by `seconds` (a multiple of 32, so compressed timestamps,
    which are offsets in 5 bits from the last full one, stay right); CRCs recomputed."""
    assert seconds % 32 == 0
    out = bytearray(data)
    pos = 0
    while pos + 12 <= len(out) and out[pos + 8:pos + 12] == b".FIT":
        hsize = out[pos]
        size = struct.unpack_from("<I", out, pos + 4)[0]
        end = pos + hsize + size
        p = pos + hsize
        defs = {}
        while p < end:
            h = out[p]
            p += 1
            if h & 0x80:  # compressed timestamp header: a data message
                local = (h >> 5) & 0x3
                is_def = False
            else:
                local = h & 0x0F
                is_def = bool(h & 0x40)
            if is_def:
                big = out[p + 1] == 1
                gnum = struct.unpack_from(">H" if big else "<H", out, p + 2)[0]
                n = out[p + 4]
                fields = [(out[p + 5 + 3 * i], out[p + 6 + 3 * i]) for i in range(n)]
                p += 5 + 3 * n
                dev = 0
                if h & 0x20:
                    nd = out[p]
                    dev = sum(out[p + 2 + 3 * i] for i in range(nd))
                    p += 1 + 3 * nd
                defs[local] = (big, gnum, fields, dev)
                continue
            big, gnum, fields, dev = defs[local]
            for num, fsize in fields:
                if fsize == 4 and (num == 253 or (gnum, num) in DATE_FIELDS):
                    fmt = ">I" if big else "<I"
                    v = struct.unpack_from(fmt, out, p)[0]
                    if 0x10000000 <= v < 0xFFFFFFFF:
                        struct.pack_into(fmt, out, p, v + seconds)
                p += fsize
            p += dev
        struct.pack_into("<H", out, end, fit_crc(bytes(out[pos:end])))
        pos = end + 2
    return bytes(out)


TIME_RE = re.compile(rb"(<(?:time|Time|Id|StartTime)>|StartTime=\")(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:\d\d)?")


def shift_xml(data: bytes, seconds: int) -> bytes:
    def shift(m: re.Match) -> bytes:
        t = dt.datetime.fromisoformat(m.group(2).decode()) + dt.timedelta(seconds=seconds)
        return m.group(1) + t.isoformat().encode() + (m.group(3) or b"")
    return TIME_RE.sub(shift, data)


def build(dst: Path, copies: int) -> dict:
    sources = [("fit", TESTDATA / "fit" / n) for n in FIT_SOURCES]
    sources += [("gpx", TESTDATA / "gpx" / n) for n in GPX_SOURCES]
    sources += [("tcx", TESTDATA / "tcx" / n) for n in TCX_SOURCES]
    sizes = {"fit": 0, "gpx": 0, "tcx": 0}
    counts = {"fit": 0, "gpx": 0, "tcx": 0}
    for fmt, src in sources:
        data = src.read_bytes()
        shift = shift_fit if fmt == "fit" else shift_xml
        for i in range(copies):
            # Whole days back per copy, and a different minute per source, so no two collide.
            moved = shift(data, -(i + 1) * DAY)
            (dst / f"{src.stem}-{i:05}.{fmt}").write_bytes(moved)
            sizes[fmt] += len(moved)
            counts[fmt] += 1
    return {"bytes": sizes, "files": counts}


def parse_only(throughput: Path, corpus: Path, repeats: int, total: int) -> dict:
    files = sorted(str(p) for p in corpus.iterdir())
    out = subprocess.run([str(throughput), "--repeats", str(repeats), "--size-mb", "0"] + files,
                         check=True, capture_output=True, text=True).stdout
    results = json.loads(out)["results"]
    seconds = sum(r["corpus_bytes"] / 1e6 / r["mb_per_s"] for r in results)
    used = sum(r["corpus_bytes"] for r in results)
    rejected = [x for r in results for x in r.get("rejected", [])]
    return {"mb_per_s": used / 1e6 / seconds, "per_format": {r["format"]: r["mb_per_s"] for r in results},
            "bytes": used, "rejected": len(rejected), "total": total}


def import_runs(knots: Path, corpus: Path, tmp: Path, pin: list, extra: list, repeats: int) -> list:
    runs = []
    for rep in range(repeats):
        db = tmp / f"bench-{rep}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        rss = tmp / "rss"
        cmd = pin + ["/usr/bin/time", "-f", "%M", "-o", str(rss), str(knots), "--db", str(db), "import"]
        cmd += extra + [str(corpus), "--json"]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "KNOTS_CONFIG": "/nonexistent"})
        secs = time.perf_counter() - t
        summary = json.loads(proc.stdout) if proc.stdout.strip() else {}
        runs.append({"seconds": secs, "imported": summary.get("imported"), "failed": len(summary.get("failed", [])),
                     "rss_mb": int(rss.read_text().split()[-1]) / 1024, "db_mb": db.stat().st_size / 1e6})
    return runs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--knots", type=Path, required=True)
    ap.add_argument("--throughput", type=Path, required=True)
    ap.add_argument("--copies", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    ap.add_argument("--only", choices=["1", "2"], help="only one core count")
    ap.add_argument("--no-originals-too", action="store_true", help="also run with --no-originals")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="knots-bench-write-"))
    corpus = args.keep or (tmp / "corpus")
    try:
        if not (corpus.exists() and any(corpus.iterdir())):
            corpus.mkdir(parents=True, exist_ok=True)
            info = build(corpus, args.copies)
        else:
            info = {"bytes": {}, "files": {}}
            for p in corpus.iterdir():
                info["bytes"][p.suffix[1:]] = info["bytes"].get(p.suffix[1:], 0) + p.stat().st_size
                info["files"][p.suffix[1:]] = info["files"].get(p.suffix[1:], 0) + 1
        total = sum(info["bytes"].values())
        files = sum(info["files"].values())
        print(f"corpus: {files} files, {total / 1e6:.1f} MB ({info['files']}, MB {({k: round(v / 1e6, 1) for k, v in info['bytes'].items()})})")
        load = os.getloadavg()[0]
        parse = parse_only(args.throughput, corpus, args.repeats, total)
        print(f"parse only (one thread, in memory): {parse['mb_per_s']:.0f} MB/s "
              f"({', '.join(f'{k} {v:.0f}' for k, v in parse['per_format'].items())}; rejected {parse['rejected']})")
        configs = []
        for cores, pin in (("1", ["taskset", "-c", "0"]), ("2", [])):
            if args.only and args.only != cores:
                continue
            configs.append((cores, pin, [], "originals kept"))
            if args.no_originals_too:
                configs.append((cores, pin, ["--no-originals"], "--no-originals"))
        print("| cores | originals | median s | MB/s | vs parse-only | runs (s) | imported | peak RSS | journal |")
        print("|---|---|---:|---:|---:|---|---:|---:|---:|")
        medians = {}
        for cores, pin, extra, label in configs:
            runs = import_runs(args.knots, corpus, tmp, pin, extra, args.repeats)
            med = statistics.median(r["seconds"] for r in runs)
            medians[(cores, label)] = med
            mbps = total / 1e6 / med
            print(f"| {cores} | {label} | {med:.3f} | {mbps:.0f} | {mbps / parse['mb_per_s']:.0%} | "
                  f"{', '.join('%.2f' % r['seconds'] for r in runs)} | {runs[-1]['imported']} (failed {runs[-1]['failed']}) | "
                  f"{max(r['rss_mb'] for r in runs):.0f} MB | {runs[-1]['db_mb']:.0f} MB |", flush=True)
        for label in ("originals kept", "--no-originals"):
            if ("1", label) in medians and ("2", label) in medians:
                print(f"2 cores / 1 core ({label}): {medians[('1', label)] / medians[('2', label)]:.2f}x")
        print(f"load average at start {load:.2f}, at end {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
