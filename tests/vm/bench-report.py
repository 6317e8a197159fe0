#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/vm/bench-report.py - turn tests/vm/bench-guest's output into tables,
JSON and a chart.  Run by tests/vm/bench; standard library only (the chart
needs gnuplot).

    bench-report.py --log GUEST_LOG [--console CONSOLE_LOG] [--krel KREL]
                    [--stamp STAMP] [--elapsed SECS] [--vm-status N]
                    [--outdir DIR] [--strict] [--no-chart]

GUEST_LOG holds the "@@BENCH ..." lines of bench-guest (see its header).
Writes DIR/results-KREL-STAMP.{json,png,txt} and DIR/latest.{json,png,txt}
(DIR defaults to build/bench) and prints the tables on stdout.

Metrics, per row and target, from fio's JSON (group_reporting: one entry for
all jobs): IOPS, bandwidth (MiB/s), mean and p99 completion latency (clat:
from submission to completion, as fio reports it), mean total latency (lat:
slat + clat).  The ratio to null_blk is of IOPS for random rows and of
bandwidth for sequential rows, against null_blk's result in the same boot.

The QD1 latency target compares mean TOTAL latency (lat), not clat: null_blk
with irqmode=0 completes a request inside io_uring_enter(), so its clat is
only the time to reap an already-completed request (about 3 us under TCG)
and a clat ratio would say nothing about the device.

Exit status: 0 when every target produced every row, the VM and the kernel
log are clean (and, with --strict, every key target is met); 1 otherwise.
"""
import argparse
import base64
import datetime
import gzip
import json
import math
import os
import re
import shutil
import subprocess
import sys

BASELINE = "null_blk"
TARGET_ORDER = ["null_blk", "buse+null", "buse+alt", "buse+null+nopoll",
                "buse+ramdisk", "buse+file", "brd", "nbd"]
KLOG_BAD = re.compile(r"BUG[: ]|WARNING|Oops|hung task|blocked for more than|"
                      r"general protection|Call Trace|soft lockup|rcu.*stall|"
                      r"UBSAN|KASAN")

# Key targets (issue 14): (row, metric, comparison, threshold, description).
# metric "metric" is IOPS (random rows) or bandwidth (sequential rows);
# "lat" is the mean total latency, where lower is better; "brd" compares
# buse+null's ratio to null_blk with brd's in the same boot.
KEY_TARGETS = [
    ("randread-4k-qd32", "metric", ">=", 0.8,
     "buse+null 4k randread QD32 IOPS >= 0.8x null_blk"),
    ("randwrite-4k-qd32", "metric", ">=", 0.7,
     "buse+null 4k randwrite QD32 IOPS >= 0.7x null_blk"),
    ("randread-4k-qd32x2", "metric", ">=", 0.8,
     "buse+null 4k randread QD32 x CPUs jobs >= 0.8x null_blk"),
    ("randread-4k-qd1", "lat", "<=", 3.0,
     "buse+null 4k randread QD1 mean latency <= 3x null_blk"),
    ("randread-4k-qd1-hipri", "lat", "<=", 2.0,
     "buse+null polled 4k randread QD1 latency <= 2x null_blk"),
    ("read-1m-qd4", "brd", ">=", 1.0,
     "buse+null 1M seq read QD4 ratio >= brd's ratio"),
]
NBD_FACTOR = 8.0


def is_seq(rw):
    return rw in ("read", "write")


def row_label(r):
    kind = {"randread": "randread", "randwrite": "randwrite",
            "read": "seq read", "write": "seq write"}.get(r["rw"], r["rw"])
    s = "%s %s QD%s" % (r["bs"], kind, r["qd"])
    if int(r["jobs"]) > 1:
        s += " x%s jobs" % r["jobs"]
    if r["id"].endswith("-hipri"):
        s += " hipri"
    return s


def fio_metrics(doc, rw):
    """The metrics of a fio JSON document (first job, group_reporting)."""
    job = doc["jobs"][0]
    d = job["write" if rw.endswith("write") else "read"]

    def pct(lat, p="99.000000"):
        v = d.get(lat, {}).get("percentile", {}).get(p)
        return v / 1000.0 if v is not None else None

    return {
        "iops": d["iops"],
        "bw_mib_s": d["bw_bytes"] / 1048576.0,
        "clat_mean_us": d["clat_ns"]["mean"] / 1000.0,
        "clat_p99_us": pct("clat_ns"),
        "lat_mean_us": d["lat_ns"]["mean"] / 1000.0,
        "lat_p99_us": pct("lat_ns"),
        "slat_mean_us": d.get("slat_ns", {}).get("mean", 0) / 1000.0,
        "ios": d.get("total_ios"),
        "fio_error": job.get("error", 0),
        "usr_cpu": job.get("usr_cpu"),
        "sys_cpu": job.get("sys_cpu"),
    }


def parse_log(path):
    run = {"meta": {}, "host": {}, "targets": [], "devices": {}, "rows": [],
           "results": {}, "runs": {}, "errors": {}, "klog": [], "end": None,
           "started": set(), "ended": set()}
    row_ids = set()
    with open(path, "r", errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n").replace("\r", "")
            i = line.find("@@BENCH ")
            if i < 0:
                continue
            line = line[i + len("@@BENCH "):]
            kind, _, rest = line.partition(" ")
            if kind == "host":
                for kv in rest.split():
                    k, _, v = kv.partition("=")
                    run["host"][k] = v
            elif kind == "begin":
                for kv in rest.split():
                    k, _, v = kv.partition("=")
                    run["meta"][k] = v
            elif kind == "target-begin":
                t, _, dev = rest.partition(" ")
                run["devices"][t] = dev
                run["started"].add(t)
                if t not in run["targets"]:
                    run["targets"].append(t)
            elif kind == "target-end":
                run["ended"].add(rest.strip())
            elif kind == "target-error":
                t, _, msg = rest.partition(" ")
                run["errors"].setdefault(t, []).append(msg)
                if t not in run["targets"] and t != "buse":
                    run["targets"].append(t)
            elif kind == "result":
                p = rest.split(" ")
                if len(p) < 8:
                    continue
                t, rid, rw, bs, qd, jobs, rc, blob = p[:8]
                busy = hz = None
                if len(p) >= 10:
                    try:
                        busy, hz = int(p[8]), int(p[9])
                    except ValueError:
                        pass
                if rid not in row_ids:
                    row_ids.add(rid)
                    run["rows"].append({"id": rid, "rw": rw, "bs": bs,
                                        "qd": int(qd), "jobs": int(jobs),
                                        "seq": is_seq(rw)})
                if t not in run["targets"]:
                    run["targets"].append(t)
                res = {"fio_rc": int(rc)}
                if blob != "-":
                    try:
                        text = gzip.decompress(base64.b64decode(blob)).decode()
                        # Anything fio printed before the JSON is not JSON.
                        doc = json.loads(text[text.index("{"):])
                        res.update(fio_metrics(doc, rw))
                    except Exception as e:  # noqa: BLE001 - report, go on
                        res["parse_error"] = str(e)
                if busy is not None and hz and res.get("ios"):
                    # The busy time covers ramp + runtime, total_ios the
                    # runtime only: scale the time to the runtime.
                    try:
                        rt = float(run["meta"].get("runtime", "0"))
                        rp = float(run["meta"].get("ramp", "0"))
                        frac = rt / (rt + rp) if rt > 0 else 1.0
                    except ValueError:
                        frac = 1.0
                    res["cpu_us_per_io"] = busy / hz * frac / res["ios"] * 1e6
                run["runs"].setdefault(t, {}).setdefault(rid, []).append(res)
            elif kind == "klog":
                run["klog"].append(rest)
            elif kind == "end":
                run["end"] = rest.strip()
    # With several runs per row and target (--repeat), the median run by the
    # row's metric stands for them (for an even count, the better of the two
    # middle ones); every run is kept in "runs".
    rowmap = {r["id"]: r for r in run["rows"]}
    for t, per in run["runs"].items():
        for rid, runs in per.items():
            good = sorted((r for r in runs if ok(r)),
                          key=lambda r: metric(r, rowmap[rid]))
            if good:
                res = dict(good[len(good) // 2])
                vals = [metric(r, rowmap[rid]) for r in good]
                res["n_runs"] = len(runs)
                res["n_ok_runs"] = len(good)
                res["metric_runs"] = vals
                mid = metric(res, rowmap[rid])
                res["spread"] = (max(vals) - min(vals)) / mid if mid > 0 else None
                if len(good) < len(runs):
                    res["failed_runs"] = [r for r in runs if not ok(r)]
            else:
                res = dict(runs[-1], n_runs=len(runs), n_ok_runs=0)
            run["results"].setdefault(t, {})[rid] = res
    order = {t: i for i, t in enumerate(TARGET_ORDER)}
    run["targets"].sort(key=lambda t: order.get(t, len(order)))
    return run


def console_problems(path):
    """Suspicious kernel log lines of the console log, from /init on."""
    if not path or not os.path.exists(path):
        return []
    out, on = [], False
    with open(path, "r", errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n").replace("\r", "")
            if "Run /init as init process" in line:
                on = True
            if on and KLOG_BAD.search(line):
                out.append(line)
    return out


def ok(res):
    return res is not None and "iops" in res and res["fio_rc"] == 0 \
        and not res.get("fio_error")


def metric(res, row):
    return res["bw_mib_s"] if row["seq"] else res["iops"]


def compute(run):
    rows, results = run["rows"], run["results"]
    base = results.get(BASELINE, {})
    for t, per in results.items():
        for row in rows:
            res = per.get(row["id"])
            if not ok(res):
                continue
            b = base.get(row["id"])
            res["ratio_to_null_blk"] = (metric(res, row) / metric(b, row)
                                        if ok(b) and metric(b, row) > 0 else None)
            res["ratio_metric"] = "bw" if row["seq"] else "iops"

    keys = []
    bn = results.get("buse+null", {})
    rowmap = {r["id"]: r for r in rows}
    for rid, what, cmp, thr, desc in KEY_TARGETS:
        k = {"name": desc, "row": rid, "threshold": thr, "compare": cmp,
             "value": None, "status": "NOT MEASURED", "detail": ""}
        row = rowmap.get(rid)
        a, b = bn.get(rid), base.get(rid)
        if what == "brd":
            c = results.get("brd", {}).get(rid)
            if row is not None and ok(a) and ok(b) and ok(c):
                ra, rc = metric(a, row) / metric(b, row), metric(c, row) / metric(b, row)
                v = ra / rc
                k["detail"] = "buse+null %.3fx, brd %.3fx of null_blk" % (ra, rc)
                k["value"] = v
                k["status"] = "MET" if v >= thr else "NOT MET"
            keys.append(k)
            continue
        if row is not None and ok(a) and ok(b):
            if what == "lat":
                v = a["lat_mean_us"] / b["lat_mean_us"]
                k["detail"] = ("mean total latency %.1f us vs %.1f us; clat "
                               "%.1f us vs %.1f us (%.1fx)" % (
                                   a["lat_mean_us"], b["lat_mean_us"],
                                   a["clat_mean_us"], b["clat_mean_us"],
                                   a["clat_mean_us"] / b["clat_mean_us"]))
            else:
                v = metric(a, row) / metric(b, row)
                unit = "MiB/s" if row["seq"] else "IOPS"
                k["detail"] = "%.0f vs %.0f %s" % (metric(a, row), metric(b, row), unit)
            if a.get("cpu_us_per_io") is not None and b.get("cpu_us_per_io") is not None:
                k["detail"] += "; CPU %.1f vs %.1f us/IO" % (a["cpu_us_per_io"],
                                                            b["cpu_us_per_io"])
            k["value"] = v
            k["status"] = "MET" if (v >= thr if cmp == ">=" else v <= thr) else "NOT MET"
        keys.append(k)

    # buse+null >= 5x NBD on every row.
    nbd = results.get("nbd", {})
    per_row, worst, missing = [], None, []
    for row in rows:
        a, b = bn.get(row["id"]), nbd.get(row["id"])
        if not (ok(a) and ok(b)) or metric(b, row) <= 0:
            missing.append(row["id"])
            continue
        v = metric(a, row) / metric(b, row)
        per_row.append({"row": row["id"], "value": v,
                        "status": "MET" if v >= NBD_FACTOR else "NOT MET"})
        if worst is None or v < worst[1]:
            worst = (row["id"], v)
    k = {"name": "buse+null >= %gx NBD on every row" % NBD_FACTOR,
         "row": "all", "threshold": NBD_FACTOR, "compare": ">=",
         "value": worst[1] if worst else None, "per_row": per_row,
         "status": "NOT MEASURED", "detail": ""}
    if worst:
        nmet = sum(1 for p in per_row if p["status"] == "MET")
        k["status"] = "MET" if nmet == len(per_row) and not missing else "NOT MET"
        k["detail"] = "worst row %s (%.2fx); %d of %d rows met" % (
            worst[0], worst[1], nmet, len(rows))
        if missing:
            k["detail"] += "; not measured: " + ", ".join(missing)
    keys.append(k)
    return keys


def fmt(v, nd=1):
    if v is None:
        return "-"
    if v >= 100000:
        return "%.0f" % v
    return ("%." + str(nd) + "f") % v


def tables(run, keys, info):
    out = []
    m = run["meta"]
    out.append("buse bench: kernel %s, %s vCPUs (qemu TCG), %s, ioengine=io_uring "
               "direct=1, %ss + %ss ramp per row, first %s of each device" % (
                   m.get("krel", info["krel"]), m.get("cpus", "?"),
                   m.get("fio", "fio"), m.get("runtime", "?"), m.get("ramp", "?"),
                   m.get("size", "?")))
    out.append("clat = completion latency (fio clat), lat = total latency "
               "(slat + clat); ratio = IOPS (random) or MiB/s (sequential) / "
               "null_blk's in the same boot")
    if m.get("buse_add_args") or m.get("buse_engine_args") or m.get("buse_engine_wrap"):
        out.append("buse targets: busectl add ... %s; engine %s... %s" % (
            m.get("buse_add_args", "").replace(",", " ") or "(defaults)",
            (m.get("buse_engine_wrap", "").replace(",", " ") + " ").lstrip(),
            m.get("buse_engine_args", "").replace(",", " ") or "(defaults)"))
    h = run["host"]
    if h:
        out.append("host: %s CPUs, load average (1/5/15 min) %s at the start, %s at "
                   "the end; %s other qemu process(es) at the start" % (
                       h.get("nproc", "?"), h.get("load_start", "?"),
                       h.get("load_end", "?"), h.get("qemu_others", "?")))
        try:
            if float(h.get("load_start", "0").split("/")[0]) > 1.0 or \
                    int(h.get("qemu_others", "0")) > 0:
                out.append("WARNING: the host was busy when the bench started: "
                           "numbers are noisy and lower than on an idle host")
        except ValueError:
            pass
    out.append("")
    multi = int(m.get("repeat", "1") or 1) > 1
    if multi:
        out.append("each row ran %s times per target; shown: the median run "
                   "(by IOPS or MiB/s); spread = (max - min) / median" % m["repeat"])
    out.append("CPU = the guest's busy CPU time (all CPUs: user, system, irq) "
               "per I/O while the row ran: a speed-up bought with a spinning "
               "core shows here")
    hdr = "%-26s %-13s %9s %9s %11s %11s %11s %9s %8s" % (
        "workload", "target", "IOPS", "MiB/s", "clat mean", "clat p99",
        "lat mean", "vs null", "CPU") + ("  spread" if multi else "")
    out.append(hdr)
    out.append("%-26s %-13s %9s %9s %11s %11s %11s %9s %8s" % (
        "", "", "", "", "us", "us", "us", "_blk", "us/IO"))
    out.append("-" * len(hdr))
    for row in run["rows"]:
        first = True
        for t in run["targets"]:
            res = run["results"].get(t, {}).get(row["id"])
            label = row_label(row) if first else ""
            first = False
            if not ok(res):
                why = "not run"
                if res is not None:
                    why = "fio status %d%s" % (res["fio_rc"],
                                               ", err=%s" % res.get("fio_error") if res.get("fio_error") else "")
                out.append("%-26s %-13s %s" % (label, t, why))
                continue
            r = res.get("ratio_to_null_blk")
            out.append("%-26s %-13s %9.0f %9.1f %11s %11s %11s %9s %8s" % (
                label, t, res["iops"], res["bw_mib_s"], fmt(res["clat_mean_us"]),
                fmt(res["clat_p99_us"]), fmt(res["lat_mean_us"]),
                ("%.3fx" % r) if r is not None else "-",
                fmt(res.get("cpu_us_per_io")))
                + (("  %5.0f%%" % (100 * res["spread"])) if multi and res.get("spread") is not None else ""))
        out.append("")

    out.append("Key targets (buse+null):")
    for k in keys:
        val = "-" if k["value"] is None else "%.3fx" % k["value"]
        out.append("  %-58s %9s  %-12s %s" % (k["name"], val, k["status"], k["detail"]))
        for p in k.get("per_row", []):
            out.append("      %-54s %9s  %s" % (p["row"], "%.2fx" % p["value"], p["status"]))
    out.append("")

    problems = info["problems"]
    if problems:
        out.append("Problems:")
        for p in problems:
            out.append("  - " + p)
    else:
        out.append("Problems: none (every target ran every row; kernel log clean)")
    if info["klog"]:
        out.append("Kernel log (BUG|WARNING|Oops|hung task|...):")
        for line in info["klog"][:40]:
            out.append("  " + line)
    else:
        out.append("Kernel log: no BUG, WARNING, Oops, hung task, Call Trace, lockup or stall")
    if info.get("elapsed") is not None:
        out.append("Wall time: %d s (build excluded, boot included)" % info["elapsed"])
    return "\n".join(out) + "\n"


def chart(run, png, title):
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not found; no chart"
    others = [t for t in run["targets"] if t != BASELINE]
    if not others or not run["rows"]:
        return "nothing to chart"
    dat = png[:-4] + ".dat"
    with open(dat, "w") as f:
        f.write("row " + " ".join('"%s"' % t for t in others) + "\n")
        for row in run["rows"]:
            vals = []
            for t in others:
                res = run["results"].get(t, {}).get(row["id"])
                r = res.get("ratio_to_null_blk") if ok(res) else None
                vals.append("%.6g" % r if r and r > 0 else "NaN")
            f.write('"%s" %s\n' % (row_label(row), " ".join(vals)))
    vals = [res["ratio_to_null_blk"] for t in others
            for res in run["results"].get(t, {}).values()
            if ok(res) and res.get("ratio_to_null_blk")]
    lo = min(vals + [1.0]) if vals else 0.01
    hi = max(vals + [1.0]) if vals else 10
    ymin = 10 ** math.floor(math.log10(lo) - 0.05)
    ymax = 10 ** math.ceil(math.log10(hi) + 0.05)
    script = """
set terminal pngcairo size 1500,720 font ",10" noenhanced
set output '{png}'
set title '{title}'
set datafile missing 'NaN'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xrange [-0.6:{nrows}-0.4]
set logscale y
set yrange [{ymin}:{ymax}]
set format y '%g'
set ylabel 'ratio to null_blk (IOPS; MiB/s for sequential rows), log scale'
set grid ytics mytics
set xtics rotate by -25 scale 0
set key outside right top
set bmargin 6
plot for [i=2:{ncol}] '{dat}' using i:xtic(1) title columnheader(i), \\
     1 with lines lc rgb 'black' dt 2 lw 2 title 'null_blk = 1'
""".format(png=png, title=title.replace("'", ""), ymin=ymin, ymax=ymax,
           ncol=len(others) + 1, dat=dat, nrows=len(run["rows"]))
    p = subprocess.run([gp], input=script, text=True, capture_output=True)
    if p.returncode != 0 or not os.path.exists(png):
        return "gnuplot failed: " + p.stderr.strip()
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log", required=True)
    ap.add_argument("--console")
    ap.add_argument("--krel", default="")
    ap.add_argument("--stamp", default=datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    ap.add_argument("--elapsed", type=int)
    ap.add_argument("--vm-status", type=int, default=0)
    ap.add_argument("--outdir")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--no-chart", action="store_true")
    a = ap.parse_args()

    top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    outdir = a.outdir or os.path.join(top, "build", "bench")
    os.makedirs(outdir, exist_ok=True)

    run = parse_log(a.log)
    krel = run["meta"].get("krel") or a.krel or "unknown"
    keys = compute(run)

    problems = []
    if a.vm_status != 0:
        problems.append("the VM run ended with status %d (see %s)" % (a.vm_status, a.log))
    if run["end"] is None:
        problems.append("bench-guest did not finish (no end line): VM crash or timeout?")
    if not run["rows"]:
        problems.append("no results at all")
    for t in run["targets"]:
        for msg in run["errors"].get(t, []):
            problems.append("%s: %s" % (t, msg))
        missing = [r["id"] for r in run["rows"]
                   if not ok(run["results"].get(t, {}).get(r["id"]))]
        if missing and not run["errors"].get(t):
            problems.append("%s: no result for %s" % (t, ", ".join(missing)))
    for msg in run["errors"].get("buse", []):
        problems.append("buse: " + msg)
    klog = list(run["klog"])
    for line in console_problems(a.console):
        if not any(line.strip().endswith(k.strip()[-60:]) for k in klog):
            klog.append(line)
    if klog:
        problems.append("the kernel log has %d suspicious line(s) (below)" % len(klog))

    info = {"krel": krel, "problems": problems, "klog": klog, "elapsed": a.elapsed}
    text = tables(run, keys, info)

    base = os.path.join(outdir, "results-%s-%s" % (krel, a.stamp))
    doc = {
        "krel": krel,
        "stamp": a.stamp,
        "meta": run["meta"],
        "host": run["host"],
        "elapsed_s": a.elapsed,
        "vm_status": a.vm_status,
        "guest_log": os.path.abspath(a.log),
        "console_log": os.path.abspath(a.console) if a.console else None,
        "baseline": BASELINE,
        "targets": run["targets"],
        "devices": run["devices"],
        "rows": [dict(r, label=row_label(r)) for r in run["rows"]],
        "results": run["results"],
        "runs": run["runs"],
        "key_targets": keys,
        "target_errors": run["errors"],
        "kernel_log": klog,
        "problems": problems,
    }
    with open(base + ".json", "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(base + ".txt", "w") as f:
        f.write(text)
    shutil.copyfile(base + ".json", os.path.join(outdir, "latest.json"))
    shutil.copyfile(base + ".txt", os.path.join(outdir, "latest.txt"))

    sys.stdout.write("\n" + text)
    if not a.no_chart:
        title = "buse bench, kernel %s (qemu TCG, %s vCPUs, fio io_uring direct): ratio to null_blk" % (
            krel, run["meta"].get("cpus", "?"))
        err = chart(run, base + ".png", title)
        if err:
            print("chart: " + err)
        else:
            shutil.copyfile(base + ".png", os.path.join(outdir, "latest.png"))
            shutil.copyfile(base + ".dat", os.path.join(outdir, "latest.dat"))
    print("results: %s.json (also latest.json, latest.txt%s in %s)" % (
        base, "" if a.no_chart else ", latest.png", outdir))

    rc = 0 if not problems else 1
    if a.strict and any(k["status"] != "MET" for k in keys):
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
