#!/usr/bin/env python3
"""Import-parser throughput: knots against the Python parsers, measured in one run.

Run through `scripts/bench-import`, which builds the Rust side and the venv. Steps:

1. Candidates: testdata/{fit,gpx,tcx}/*. A file is kept when the Python parser reads it without
   error (fitdecode with CRC checks raising, gpxpy, python-tcxparser) and knots parses it
   cleanly (the example drops the rest; for FIT also what the `fitparser` crate cannot read).
2. knots and the `fitparser` crate: `examples/throughput.rs` replicates the kept files in memory
   up to --size-mb per format, times --repeats single-threaded passes and prints the median MB/s.
3. Python, on the same kept files (same bytes, read once into memory): passes over the files,
   one thread, each pass timed, until the bytes parsed reach --size-mb or the time spent reaches
   --python-seconds (whichever comes first; at least one pass); median MB/s over the passes.
4. Optionally (--import-files N > 0): N distinct copies of a GPX file (dates shifted by a day
   per copy) in a temp folder, `knots --db NEW.db import DIR --json`, pinned to one core with
   taskset and then on all cores, --import-repeats times each (fresh journal each time): median
   wall time (process start to exit), files/s, peak RSS.

MB is 10^6 bytes of input. Work per file, "from bytes to an activity summary":
- knots: parse_fit/parse_gpx/parse_tcx (activities with laps, stats and a downsampled stream).
- fitparser: fitparser::from_bytes (every message decoded; no summary).
- fitdecode: FitReader(check_crc=RAISE, error_handling=RAISE) over every frame; the session,
  lap and record messages' main fields read (sport, start, elapsed, distance, heart rate, ...).
- gpxpy: gpxpy.parse, then time bounds, 2D length and uphill/downhill (distance and ascent).
- python-tcxparser: TCXParser, then sport, start, end, distance, duration, heart rate
  (avg/max), cadence, ascent, descent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import fitdecode
import gpxpy
import tcxparser

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- the Python parsers' work


def work_fit(data: bytes) -> int:
    n = 0
    with fitdecode.FitReader(
        io.BytesIO(data),
        check_crc=fitdecode.CrcCheck.RAISE,
        error_handling=fitdecode.ErrorHandling.RAISE,
    ) as fit:
        for frame in fit:
            if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                continue
            name = frame.name
            if name == "record":
                frame.get_value("timestamp", fallback=None)
                frame.get_value("distance", fallback=None)
                frame.get_value("heart_rate", fallback=None)
                frame.get_value("cadence", fallback=None)
                frame.get_value("enhanced_altitude", fallback=None)
                n += 1
            elif name in ("session", "lap"):
                frame.get_value("sport", fallback=None)
                frame.get_value("start_time", fallback=None)
                frame.get_value("total_elapsed_time", fallback=None)
                frame.get_value("total_timer_time", fallback=None)
                frame.get_value("total_distance", fallback=None)
                frame.get_value("avg_heart_rate", fallback=None)
                frame.get_value("max_heart_rate", fallback=None)
                frame.get_value("total_ascent", fallback=None)
                n += 1
    return n


def work_gpx(data: bytes) -> int:
    gpx = gpxpy.parse(io.BytesIO(data))
    gpx.get_time_bounds()
    gpx.length_2d()
    gpx.get_uphill_downhill()
    return len(gpx.tracks)


def work_tcx(data: bytes) -> int:
    t = tcxparser.TCXParser(io.BytesIO(data))
    for attr in (
        "activity_type",
        "started_at",
        "completed_at",
        "distance",
        "duration",
        "hr_avg",
        "hr_max",
        "cadence_avg",
        "ascent",
        "descent",
    ):
        try:
            getattr(t, attr)
        except Exception:  # a file without heart rate raises NoHeartRateDataError
            pass
    return 1


PY_TOOLS = {
    "fit": ("fitdecode", work_fit, f"fitdecode {fitdecode.__version__}"),
    "gpx": ("gpxpy", work_gpx, f"gpxpy {gpxpy.__version__}"),
    "tcx": ("python-tcxparser", work_tcx, "python-tcxparser"),
}


def tool_version(dist: str) -> str:
    try:
        from importlib.metadata import version

        return f"{dist} {version(dist)}"
    except Exception:
        return dist


# ---------------------------------------------------------------- steps


def candidates(testdata: Path) -> list[Path]:
    out = []
    for fmt in ("fit", "gpx", "tcx"):
        out += sorted(p for p in (testdata / fmt).iterdir() if p.suffix.lower() == f".{fmt}")
    return out


def python_accepts(path: Path) -> tuple[bool, str]:
    fmt = path.suffix.lower()[1:]
    _, work, _ = PY_TOOLS[fmt]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            work(path.read_bytes())
        return True, ""
    except Exception as e:  # any error or warning: left out of the corpus
        return False, f"{type(e).__name__}: {e}"[:120]


def bench_python(fmt: str, files: list[str], size_bytes: int, max_seconds: float) -> dict:
    name, work, _ = PY_TOOLS[fmt]
    blobs = [Path(f).read_bytes() for f in files]
    pass_bytes = sum(len(b) for b in blobs)
    rates = []
    done = 0
    start = time.perf_counter()
    while True:
        t = time.perf_counter()
        for b in blobs:
            work(b)
        rates.append(pass_bytes / 1e6 / (time.perf_counter() - t))
        done += pass_bytes
        if done >= size_bytes or time.perf_counter() - start >= max_seconds:
            break
    return {
        "format": fmt,
        "tool": name,
        "mb_per_s": statistics.median(rates),
        "min_mb_per_s": min(rates),
        "max_mb_per_s": max(rates),
        "repeats": len(rates),
        "corpus_bytes": done,
        "seconds": time.perf_counter() - start,
        "capped": done < size_bytes,
    }


def run_knots(exe: Path, files: list[Path], size_mb: float, repeats: int) -> list[dict]:
    cmd = [str(exe), "--fitparser", "--repeats", str(repeats), "--size-mb", str(size_mb)]
    cmd += [str(f) for f in files]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["results"]


TIME_RE = re.compile(rb"<time>([^<]+)</time>")


def shifted_gpx(data: bytes, days: int) -> bytes:
    def shift(m: re.Match) -> bytes:
        s = m.group(1).decode()
        t = dt.datetime.fromisoformat(s.replace("Z", "+00:00")) - dt.timedelta(days=days)
        return b"<time>" + t.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + b"</time>"

    return TIME_RE.sub(shift, data)


def bench_import(knots: Path, source: Path, n: int, repeats: int = 3) -> list[dict]:
    data = source.read_bytes()
    tmp = Path(tempfile.mkdtemp(prefix="knots-bench-import-"))
    results = []
    try:
        src = tmp / "files"
        src.mkdir()
        for i in range(n):
            (src / f"copy-{i:05}.gpx").write_bytes(shifted_gpx(data, i))
        total = n * len(data)
        for label, pin in (("1 core (taskset -c 0)", ["taskset", "-c", "0"]), ("2 cores", [])):
            runs = []
            for rep in range(repeats):
                db = tmp / f"{len(results)}-{rep}.db"
                rss_file = tmp / "rss"
                cmd = pin + ["/usr/bin/time", "-f", "%M", "-o", str(rss_file)]
                cmd += [str(knots), "--db", str(db), "import", str(src), "--json"]
                t = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True)
                secs = time.perf_counter() - t
                summary = json.loads(proc.stdout) if proc.stdout.strip() else {}
                rss = int(rss_file.read_text().split()[-1]) / 1024 if rss_file.exists() else None
                runs.append((secs, summary, proc.returncode, rss))
                db.unlink(missing_ok=True)
            secs = statistics.median(r[0] for r in runs)
            summary, code = runs[-1][1], runs[-1][2]
            rss = max((r[3] for r in runs if r[3] is not None), default=None)
            results.append(
                {
                    "cores": label,
                    "files": n,
                    "bytes": total,
                    "runs": len(runs),
                    "seconds": secs,
                    "all_seconds": [r[0] for r in runs],
                    "files_per_s": n / secs,
                    "mb_per_s": total / 1e6 / secs,
                    "imported": summary.get("imported"),
                    "failed": len(summary.get("failed", [])),
                    "exit": code,
                    "peak_rss_mb": rss,
                }
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


# ---------------------------------------------------------------- report


def table(results: list[dict], notes: dict) -> str:
    by = {(r["format"], r["tool"]): r for r in results}
    lines = [
        "| format | tool | MB/s (median) | passes | MB parsed | ratio vs the Python anchor |",
        "|---|---|---:|---:|---:|---:|",
    ]
    anchors = {"fit": "fitdecode", "gpx": "gpxpy", "tcx": "python-tcxparser"}
    order = {"fit": ["fitdecode", "fitparser", "knots"], "gpx": ["gpxpy", "knots"], "tcx": ["python-tcxparser", "knots"]}
    for fmt in ("fit", "gpx", "tcx"):
        anchor = by.get((fmt, anchors[fmt]))
        for tool in order[fmt]:
            r = by.get((fmt, tool))
            if r is None:
                continue
            ratio = (
                f"{r['mb_per_s'] / anchor['mb_per_s']:,.0f}×"
                if anchor and tool != anchors[fmt]
                else ("1× (anchor)" if tool == anchors[fmt] else "—")
            )
            if fmt == "fit" and tool == "knots" and (fmt, "fitparser") in by:
                ratio += f" ({r['mb_per_s'] / by[(fmt, 'fitparser')]['mb_per_s']:.0f}× fitparser)"
            label = notes.get(tool, tool)
            mbps = f"{r['mb_per_s']:.2f}" if r["mb_per_s"] < 10 else f"{r['mb_per_s']:,.0f}"
            capped = " (time cap)" if r.get("capped") else ""
            lines.append(
                f"| {fmt.upper()} | {label} | {mbps} | {r['repeats']} | "
                f"{r['corpus_bytes'] / 1e6:,.1f}{capped} | {ratio} |"
            )
    return "\n".join(lines)


def import_table(rows: list[dict]) -> str:
    lines = [
        "| `knots import` of a folder | files | wall time (median of runs) | files/s | MB/s | peak RSS | imported |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rss = f"{r['peak_rss_mb']:.0f} MB" if r["peak_rss_mb"] is not None else "?"
        lines.append(
            f"| {r['cores']} | {r['files']:,} | {r['seconds']:.2f} s (median of {r['runs']}; {', '.join(f'{x:.2f}' for x in r['all_seconds'])}) | {r['files_per_s']:,.0f} | "
            f"{r['mb_per_s']:.1f} | {rss} | {r['imported']} (failed {r['failed']}, exit {r['exit']}) |"
        )
    if len(rows) == 2 and rows[0]["seconds"] > 0:
        lines.append("")
        lines.append(f"2 cores / 1 core: {rows[0]['seconds'] / rows[1]['seconds']:.2f}×")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--throughput", type=Path, default=ROOT / "target/release/examples/throughput")
    ap.add_argument("--knots", type=Path, default=ROOT / "target/release/knots")
    ap.add_argument("--testdata", type=Path, default=ROOT / "testdata")
    ap.add_argument("--size-mb", type=float, default=100.0, help="corpus size per format (default 100)")
    ap.add_argument("--repeats", type=int, default=5, help="timed passes on the Rust side (default 5)")
    ap.add_argument(
        "--python-seconds",
        type=float,
        default=60.0,
        help="time cap per Python parser; it stops after the pass that crosses it (default 60)",
    )
    ap.add_argument("--import-files", type=int, default=1000, help="0 skips the end-to-end import")
    ap.add_argument("--import-repeats", type=int, default=3, help="runs per core count (default 3)")
    ap.add_argument(
        "--import-source", type=Path, default=None, help="GPX file to copy (default testdata/gpx/cerknicko-jezero.gpx)"
    )
    ap.add_argument("--json", type=Path, help="also write every measurement here")
    args = ap.parse_args()
    size_bytes = int(args.size_mb * 1e6)

    print(f"# {platform.node()}: {os.cpu_count()} cpus, {platform.python_implementation()} {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    files = []
    for p in candidates(args.testdata):
        ok, why = python_accepts(p)
        if ok:
            files.append(p)
        else:
            print(f"  left out (the Python parser refuses it): {p.relative_to(args.testdata)}: {why}", file=sys.stderr)

    print(f"# knots + fitparser: {args.size_mb:g} MB per format, {args.repeats} passes", file=sys.stderr)
    results = run_knots(args.throughput, files, args.size_mb, args.repeats)
    for r in results:
        for rej in r.get("rejected", []):
            print(f"  left out: {Path(rej['path']).relative_to(args.testdata)}: {rej['reason'][:120]}", file=sys.stderr)

    for r in [r for r in results if r["tool"] == "knots"]:
        fmt = r["format"]
        print(f"# {PY_TOOLS[fmt][0]}: {len(r['files'])} files, up to {args.size_mb:g} MB or "
              f"{args.python_seconds:g} s", file=sys.stderr)
        results.append(bench_python(fmt, r["files"], size_bytes, args.python_seconds))

    notes = {
        "knots": "knots",
        "fitparser": "`fitparser` 0.11 (Rust crate)",
        "fitdecode": f"{tool_version('fitdecode')} (CRC checks on)",
        "gpxpy": tool_version("gpxpy"),
        "python-tcxparser": f"{tool_version('python-tcxparser')} (lxml {tool_version('lxml').split()[-1]})",
    }
    out = {"results": results}
    print()
    print(table(results, notes))
    print()
    for r in [r for r in results if r["tool"] == "knots"]:
        names = ", ".join(Path(f).name for f in r["files"])
        print(f"{r['format'].upper()} files ({len(r['files'])}, {r['distinct_bytes'] / 1e6:.2f} MB): {names}")

    if args.import_files > 0:
        source = args.import_source or args.testdata / "gpx/cerknicko-jezero.gpx"
        print(f"# knots import: {args.import_files} copies of {source.name}", file=sys.stderr)
        rows = bench_import(args.knots, source, args.import_files, args.import_repeats)
        out["import"] = rows
        print()
        print(import_table(rows))

    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
