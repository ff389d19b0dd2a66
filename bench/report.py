#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise ktls-bench output (the @@R lines of a guest log).

Writes results.json (metadata, every measurement, the summary), results.csv
(the summary), table.txt (what scripts/bench prints), chart.dat and chart.gp
(gnuplot input for chart.png). Medians over rounds; min and max alongside.

Rows measured with the null cipher (scripts/bench --null-cipher: "crypto"
is "null" in their @@R lines) are a table of their own after the real-cipher
table of the same cipher and version, followed by the kTLS framework cost
per record: microseconds per record (or per write of that size for tcp) at
the median goodput, and what kTLS adds to plain TCP's time for the same
bytes.

Rows of ktls-bench --conns (scripts/bench --conns/--scale: "conns" in their
@@R lines) are tables of their own: per workload, a row per size and
connection count with ours/intree; and the memory per busy connection
(mem-busy) by connection count.
"""
import argparse
import csv
import json
import statistics
import time

IMPLS = ["ours", "intree", "user", "tcp", "aead"]
WORKLOADS = ["tx", "sendfile", "rx"]
MEM_WORKLOADS = ["mem", "mem-busy"]
CRYPTOS = ["real", "null", "cryptd"]
MAX_REC = 16384
# Added to a table's title: how the kernel modules' AEAD was set up.
CRYPTO_TITLE = {"real": "", "null": ", NULL CIPHER",
                "cryptd": ", CRYPTD (gcm(aes) asynchronous through cryptd)"}


def load(path):
    runs, meta = [], {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("@@R "):
                runs.append(json.loads(line[4:]))
            elif line.startswith("@@CPU "):
                meta["guest_cpu"] = line[6:].strip()
            elif line.startswith("@@CRYPTO "):
                meta.setdefault("guest_aead_drivers", []).append(line[9:].strip())
            elif line.startswith("@@CRYPTO-NULL "):
                meta.setdefault("guest_null_aead_drivers", []).append(line[14:].strip())
            elif line.startswith("@@CHECK "):
                meta.setdefault("null_checks", []).append(line[8:].strip())
            elif line.startswith("@@KERNEL "):
                meta["guest_kernel"] = line[9:].strip()
    return runs, meta


KEY = ("workload", "cipher", "version", "size", "impl", "crypto", "conns")


def summarise_mem(s, ok):
    v = [r["bytes_per_socket"] for r in ok]
    p = [r["memfree_bytes_per_socket"] for r in ok]
    s.update(status="ok", bytes_per_socket=statistics.median(v),
             bytes_per_socket_min=min(v), bytes_per_socket_max=max(v),
             memfree_bytes_per_socket=statistics.median(p),
             memfree_bytes_per_socket_min=min(p), memfree_bytes_per_socket_max=max(p))
    if s["workload"] == "mem-busy":
        s.update(queued_tx_bytes=statistics.median(r["queued_tx_bytes"] for r in ok),
                 queued_rx_bytes=statistics.median(r["queued_rx_bytes"] for r in ok))


def summarise(runs):
    """Medians per row; "conns" is None for the one-connection rows (the
    @@R lines without it)."""
    groups = {}
    for r in runs:
        key = (r["workload"], r["cipher"], r["version"], r["size"], r["impl"],
               r.get("crypto", "real"), r.get("conns"))
        groups.setdefault(key, []).append(r)
    out = []
    for key, rs in groups.items():
        ok = [r for r in rs if r["status"] == "ok"]
        s = dict(zip(KEY, key))
        s["rounds"] = len(rs)
        s["ok_rounds"] = len(ok)
        if not ok:
            s["status"] = "n/a"
            s["note"] = rs[0]["note"]
        elif key[0] in MEM_WORKLOADS:
            summarise_mem(s, ok)
        else:
            m = [r["mbps"] for r in ok]
            c = [r["cpu_s_per_gb"] for r in ok]
            sc = [r["side_cpu_s_per_gb"] for r in ok]
            s.update(status="ok", mbps=statistics.median(m), mbps_min=min(m),
                     mbps_max=max(m), cpu_s_per_gb=statistics.median(c),
                     side_cpu_s_per_gb=statistics.median(sc))
            if len(ok) < len(rs):
                s["note"] = "%d of %d rounds failed: %s" % (
                    len(rs) - len(ok), len(rs),
                    next(r["note"] for r in rs if r["status"] != "ok"))
        out.append(s)
    return out


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def diff(a, b):
    return None if a is None or b is None else a - b


NULL_NOTE = "not with the null cipher"
CRYPTD_NOTE = "kernel modules only with cryptd"
SCALE_NOTE = "one connection only"


def skey(s):
    return (s["workload"], s["cipher"], s["version"], s["size"], s["impl"],
            s.get("crypto", "real"), s.get("conns"))


def record_bytes(w, z):
    """Plaintext per record: one record per write, 16 KiB for sendfile."""
    return MAX_REC if w == "sendfile" else min(z, MAX_REC)


def derive_real(mbps, w, c, v, z, crypto="real"):
    """Ratios and efficiency; for cryptd rows only ours/intree measured."""
    ceil_w = "rx" if w == "rx" else "tx"
    ceil = mbps(ceil_w, c, v, MAX_REC if w == "sendfile" else z, "aead", crypto)
    ours, intree, user = (mbps(w, c, v, z, i, crypto) for i in ("ours", "intree", "user"))
    return dict(ours_over_intree=ratio(ours, intree),
                ours_over_user=ratio(ours, user),
                intree_over_user=ratio(intree, user),
                efficiency_ours=ratio(ours, ceil),
                efficiency_intree=ratio(intree, ceil))


def derive_null(mbps, w, c, v, z):
    """The framework cost: time per record against plain TCP's."""
    ours, intree, tcp = (mbps(w, c, v, z, i, "null") for i in ("ours", "intree", "tcp"))
    rec = record_bytes(w, z)
    # MB/s is bytes per microsecond: a record's bytes over it is its time.
    us = {i: ratio(rec, m) for i, m in (("ours", ours), ("intree", intree), ("tcp", tcp))}
    real_ours, real_intree = (mbps(w, c, v, z, i, "real") for i in ("ours", "intree"))
    return dict(ours_over_intree=ratio(ours, intree),
                ours_over_intree_real=ratio(real_ours, real_intree),
                ours_over_tcp=ratio(ours, tcp), intree_over_tcp=ratio(intree, tcp),
                us_per_record_ours=us["ours"], us_per_record_intree=us["intree"],
                us_per_record_tcp=us["tcp"],
                cost_us_per_record_ours=diff(us["ours"], us["tcp"]),
                cost_us_per_record_intree=diff(us["intree"], us["tcp"]))


def derive(summary):
    """Ratios and efficiency (real cipher) or framework cost (null cipher)
    per (workload, cipher, version, size, crypto)."""
    idx = {skey(s): s for s in summary}

    def mbps(w, c, v, z, i, crypto):
        s = idx.get((w, c, v, z, i, crypto, None))
        return s.get("mbps") if s else None

    rows = []
    seen = set()
    for s in summary:
        k = skey(s)[:4] + (s["crypto"],)
        if k in seen or s["workload"] in MEM_WORKLOADS or s["conns"] is not None:
            continue
        seen.add(k)
        w, c, v, z, crypto = k
        row = dict(workload=w, cipher=c, version=v, size=z, crypto=crypto)
        if crypto == "null":
            row.update(derive_null(mbps, w, c, v, z))
        else:
            row.update(derive_real(mbps, w, c, v, z, crypto))
        rows.append(row)
    return rows + derive_scale(idx)


def derive_scale(idx):
    """ours/intree per row of the many-connection workloads (MB/s), and of
    the memory per busy connection (MemFree bytes, and slab)."""
    rows = []
    for k in sorted({k[:4] + k[5:] for k in idx if k[6] is not None}, key=str):
        w, c, v, z, crypto, n = k
        ours, intree = (idx.get((w, c, v, z, i, crypto, n)) for i in ("ours", "intree"))

        def get(s, f):
            return s.get(f) if s else None
        row = dict(workload=w, cipher=c, version=v, size=z, crypto=crypto, conns=n)
        if w == "mem-busy":
            row.update(ours_over_intree_memfree=ratio(get(ours, "memfree_bytes_per_socket"),
                                                      get(intree, "memfree_bytes_per_socket")),
                       ours_over_intree_slab=ratio(get(ours, "bytes_per_socket"),
                                                   get(intree, "bytes_per_socket")))
        else:
            row.update(ours_over_intree=ratio(get(ours, "mbps"), get(intree, "mbps")))
        rows.append(row)
    return rows


def order(s):
    return (s["cipher"], -float(s["version"]), CRYPTOS.index(s["crypto"]),
            s["conns"] is not None, (WORKLOADS + MEM_WORKLOADS).index(s["workload"]),
            s["size"], s["conns"] or 0, IMPLS.index(s["impl"]))


def fmt(v, spec="%.1f"):
    return "n/a" if v is None else spec % v


def size_label(w, z):
    if w == "sendfile":
        return "file"
    if w in MEM_WORKLOADS:
        return "-"
    return "%dK" % (z // 1024) if z % 1024 == 0 else str(z)


def by_row(rows):
    return sorted(rows, key=lambda d: (WORKLOADS.index(d["workload"]), d["size"]))


def mbps_table(summary, c, v, crypto):
    """MB/s [min-max] and CPU s/GB; a column per implementation measured
    (those that cannot run on the null cipher left out)."""
    mine = [s for s in summary if (s["cipher"], s["version"], s["crypto"]) == (c, v, crypto)
            and s["workload"] not in MEM_WORKLOADS and s["conns"] is None]
    idx = {(s["workload"], s["size"], s["impl"]): s for s in mine}
    cols = [i for i in IMPLS if any(s["impl"] == i and s.get("note") not in (NULL_NOTE, CRYPTD_NOTE)
                                    for s in mine)]
    hdr = "%-9s %5s" % ("workload", "size")
    for i in cols:
        hdr += " | %-22s" % i
    lines = [hdr, "-" * len(hdr)]
    for w, z in sorted({(s["workload"], s["size"]) for s in mine},
                       key=lambda t: (WORKLOADS.index(t[0]), t[1])):
        row = "%-9s %5s" % (w, size_label(w, z))
        row2 = "%-9s %5s" % ("", "cpu")
        for i in cols:
            s = idx.get((w, z, i))
            if w == "sendfile" and i == "aead":
                cell, cell2 = "", ""
            elif not s or s["status"] != "ok":
                cell, cell2 = "n/a", ""
            else:
                cell = "%.1f [%.1f-%.1f]" % (s["mbps"], s["mbps_min"], s["mbps_max"])
                cell2 = "%.1f s/GB" % s["cpu_s_per_gb"]
            row += " | %-22s" % cell
            row2 += " | %-22s" % cell2
        lines += [row, row2]
    return lines


def ratio_table(rows):
    spec = "%-9s %5s | %11s | %9s | %11s | %8s | %11s"
    hdr = spec % ("workload", "size", "ours/intree", "ours/user", "intree/user",
                  "eff ours", "eff intree")
    lines = [hdr, "-" * len(hdr)]
    for d in by_row(rows):
        lines.append(spec % (
            d["workload"], size_label(d["workload"], d["size"]),
            fmt(d["ours_over_intree"], "%.2f"), fmt(d["ours_over_user"], "%.2f"),
            fmt(d["intree_over_user"], "%.2f"), fmt(d["efficiency_ours"], "%.2f"),
            fmt(d["efficiency_intree"], "%.2f")))
    return lines


def cost_table(rows):
    """Null-cipher ratios (the real-cipher ours/intree beside them) and
    microseconds per record: each implementation's, and over plain TCP's."""
    spec = "%-9s %5s | %11s | %11s | %8s | %10s | %17s | %17s"
    hdr = spec % ("workload", "size", "ours/intree", "(real ciph)", "ours/tcp",
                  "intree/tcp", "us/rec ours/in/tcp", "kTLS cost ours/in")
    lines = [hdr, "-" * len(hdr)]
    for d in by_row(rows):
        lines.append(spec % (
            d["workload"], size_label(d["workload"], d["size"]),
            fmt(d["ours_over_intree"], "%.2f"), fmt(d["ours_over_intree_real"], "%.2f"),
            fmt(d["ours_over_tcp"], "%.2f"), fmt(d["intree_over_tcp"], "%.2f"),
            "/".join(fmt(d["us_per_record_" + i]) for i in ("ours", "intree", "tcp")),
            "/".join(fmt(d["cost_us_per_record_" + i]) for i in ("ours", "intree"))))
    lines.append("us/rec: microseconds per record (tcp: per write of the same size) "
                  "at the median MB/s; kTLS cost: us/rec minus tcp's")
    return lines


def mem_lines(summary, c, v):
    lines = []
    for s in sorted((s for s in summary if s["workload"] == "mem" and s["crypto"] == "real"
                     and s["cipher"] == c and s["version"] == v), key=order):
        if s["status"] == "ok":
            lines.append("memory per idle socket (TX+RX keys), %-6s: %.0f B [%.0f-%.0f] in slab objects" % (
                s["impl"], s["bytes_per_socket"], s["bytes_per_socket_min"],
                s["bytes_per_socket_max"]))
        else:
            lines.append("memory per idle socket (TX+RX keys), %-6s: n/a (%s)" % (
                s["impl"], s["note"]))
    return [""] + lines if lines else []


def scale_cell(s):
    if not s:
        return "", ""
    if s["status"] != "ok":
        return "n/a", ""
    return ("%.1f [%.1f-%.1f]" % (s["mbps"], s["mbps_min"], s["mbps_max"]),
            "%.1f s/GB" % s["cpu_s_per_gb"])


def scale_cols(mine):
    """Implementations with a row to show (user's "one connection only"
    and the null cipher's n/a rows left out)."""
    return [i for i in IMPLS if any(s["impl"] == i and s.get("note") not in
                                    (NULL_NOTE, SCALE_NOTE, CRYPTD_NOTE)
                                    for s in mine)]


def scale_table(summary, derived, c, v, crypto, w):
    """One many-connection workload: MB/s [min-max] and CPU s/GB per size
    and connection count, ours/intree of the medians."""
    mine = [s for s in summary if (s["cipher"], s["version"], s["crypto"], s["workload"]) ==
            (c, v, crypto, w) and s["conns"] is not None]
    if not mine:
        return []
    idx = {(s["size"], s["conns"], s["impl"]): s for s in mine}
    rat = {(d["size"], d["conns"]): d.get("ours_over_intree") for d in derived
           if (d["cipher"], d["version"], d["crypto"], d["workload"]) == (c, v, crypto, w)
           and "conns" in d}
    cols = scale_cols(mine)
    hdr = "%-9s %5s %5s" % (w, "size", "conns")
    for i in cols:
        hdr += " | %-22s" % i
    hdr += " | ours/intree"
    lines = ["", hdr, "-" * len(hdr)]
    for z, n in sorted({(s["size"], s["conns"]) for s in mine}):
        row = "%-9s %5s %5d" % ("", size_label(w, z), n)
        row2 = "%-9s %5s %5s" % ("", "", "cpu")
        for i in cols:
            cell, cell2 = scale_cell(idx.get((z, n, i)))
            row += " | %-22s" % cell
            row2 += " | %-22s" % cell2
        lines += [row + " | %11s" % fmt(rat.get((z, n)), "%.2f"), row2.rstrip()]
    return lines


def mem_busy_table(summary, derived, c, v, crypto):
    """Memory per busy connection: slab objects and the MemFree drop, per
    implementation and connection count, ours/intree of each."""
    mine = [s for s in summary if (s["cipher"], s["version"], s["crypto"], s["workload"]) ==
            (c, v, crypto, "mem-busy")]
    if not mine:
        return []
    idx = {(s["conns"], s["impl"]): s for s in mine}
    rat = {d["conns"]: d for d in derived if "conns" in d and d["workload"] == "mem-busy"
           and (d["cipher"], d["version"], d["crypto"]) == (c, v, crypto)}
    cols = [i for i in IMPLS if any(s["impl"] == i for s in mine)]
    hdr = "%-9s %5s" % ("mem-busy", "conns")
    for i in cols:
        hdr += " | %-19s" % (i + " slab/MemFree")
    hdr += " | ours/intree s/M | queued tx/rx"
    lines = ["", "memory per busy connection, KB (both ends; TX+RX keys on one, "
             "data queued both ways and not read)", hdr, "-" * len(hdr)]
    for n in sorted({s["conns"] for s in mine}):
        row = "%-9s %5d" % ("", n)
        queued = ""
        for i in cols:
            s = idx.get((n, i))
            if not s or s["status"] != "ok":
                row += " | %-19s" % "n/a"
                continue
            row += " | %-19s" % ("%.1f / %.1f" % (s["bytes_per_socket"] / 1024,
                                                s["memfree_bytes_per_socket"] / 1024))
            queued = queued or "%.0fK/%.0fK" % (s["queued_tx_bytes"] / 1024,
                                              s["queued_rx_bytes"] / 1024)
        d = rat.get(n, {})
        slab, memfree = d.get("ours_over_intree_slab"), d.get("ours_over_intree_memfree")
        both = "n/a" if slab is None and memfree is None else "%s/%s" % (
            fmt(slab, "%.2f"), fmt(memfree, "%.2f"))
        row += " | %15s | %s" % (both, queued)
        lines.append(row)
    lines.append("slab: live slab objects; MemFree: its drop (pages too; per-CPU page "
                 "lists blur it, few connections mean little)")
    return lines


def scale_tables(summary, derived, c, v, crypto):
    lines = []
    for w in WORKLOADS:
        lines += scale_table(summary, derived, c, v, crypto, w)
    lines += mem_busy_table(summary, derived, c, v, crypto)
    if lines:
        lines = ["", "%s TLS %s%s, MANY CONNECTIONS (--conns: all at once, a thread per "
                 "guest CPU; --mb split across them)" %
                 (c, v, CRYPTO_TITLE[crypto])] + lines
    return lines


def one_conn_tables(summary, derived, c, v, crypto):
    """The one-connection tables of a cipher, version and crypto, if any."""
    if not any((s["cipher"], s["version"], s["crypto"]) == (c, v, crypto)
               and s["conns"] is None and s["workload"] not in MEM_WORKLOADS
               for s in summary):
        return []
    rows = [d for d in derived if (d["cipher"], d["version"], d["crypto"]) == (c, v, crypto)
            and "conns" not in d]
    lines = [""]
    if crypto == "null":
        lines.append("%s TLS %s, NULL CIPHER (bench/null_aead.c: the cipher taken out, "
                     "kTLS framework cost)" % (c, v))
    else:
        lines.append("%s TLS %s%s" % (c, v, CRYPTO_TITLE[crypto]))
    lines += mbps_table(summary, c, v, crypto)
    lines.append("")
    lines += cost_table(rows) if crypto == "null" else ratio_table(rows)
    return lines


def table(summary, derived, meta):
    lines = []
    lines.append("ktls-bench  commit %s  %s  (%s mode, %s)" % (
        meta["commit"], meta["date"], meta["mode"], meta["vm"]))
    lines.append("median MB/s [min-max] over %s round(s); cpu = guest CPU s/GB" % (
        meta.get("rounds", "?")))
    if meta.get("guest_splat"):
        lines.append("WARNING: %s during the run" % meta["guest_splat"])
    combos = sorted({(s["cipher"], s["version"], s["crypto"]) for s in summary},
                    key=lambda t: (t[0], -float(t[1]), CRYPTOS.index(t[2])))
    for c, v, crypto in combos:
        one = one_conn_tables(summary, derived, c, v, crypto)
        mem = mem_lines(summary, c, v) if crypto == "real" else []
        if mem and not one:
            one = ["", "%s TLS %s" % (c, v)]
        lines += one + mem
        lines += scale_tables(summary, derived, c, v, crypto)
    notes = sorted({"%s: %s" % (s["impl"], s["note"]) for s in summary
                    if s["status"] != "ok" and s["workload"] != "mem"
                    and s.get("note") not in (NULL_NOTE, SCALE_NOTE, CRYPTD_NOTE)})
    if notes:
        lines.append("")
        lines.append("n/a reasons:")
        lines.extend("  " + n for n in notes)
    return "\n".join(lines) + "\n"


def chart(summary, meta, out):
    """chart.dat + chart.gp: MB/s by workload/size (and connection count,
    "x16", for --conns rows), one bar per impl, of the first cipher and
    version (real cipher before null)."""
    summary = [s for s in summary if s["workload"] not in MEM_WORKLOADS]
    if not summary:
        return
    c, v, crypto = sorted({(s["cipher"], s["version"], s["crypto"]) for s in summary},
                          key=lambda t: (t[0] != "aes128gcm", -float(t[1]),
                                         CRYPTOS.index(t[2])))[0]
    idx = {(s["workload"], s["size"], s["conns"], s["impl"]): s for s in summary
           if (s["cipher"], s["version"], s["crypto"]) == (c, v, crypto)}
    keys = sorted({k[:3] for k in idx},
                  key=lambda t: (WORKLOADS.index(t[0]), t[1], t[2] or 0))
    with open(out + "/chart.dat", "w") as f:
        f.write("# label " + " ".join("%s %s_min %s_max" % (i, i, i) for i in IMPLS) + "\n")
        for w, z, n in keys:
            f.write('"%s %s%s"' % (w, size_label(w, z), " x%d" % n if n else ""))
            for i in IMPLS:
                s = idx.get((w, z, n, i))
                if s and s["status"] == "ok":
                    f.write(" %.2f %.2f %.2f" % (s["mbps"], s["mbps_min"], s["mbps_max"]))
                else:
                    f.write(" NaN NaN NaN")
            f.write("\n")
    colours = dict(ours="#d62728", intree="#1f77b4", user="#2ca02c",
                   tcp="#ff7f0e", aead="#7f7f7f")
    plots, missing = [], []
    for n, i in enumerate(IMPLS):
        col = 2 + 3 * n
        if not any(s["status"] == "ok" for k, s in idx.items() if k[3] == i):
            missing.append(i)
            continue
        plots.append("'chart.dat' using %d:%d:%d:xtic(1) title '%s' lc rgb '%s'" % (
            col, col + 1, col + 2, i, colours[i]))
    note = "\\n(no data yet: %s)" % ", ".join(missing) if missing else ""
    with open(out + "/chart.gp", "w") as f:
        f.write("""set terminal pngcairo size 1100,560 font 'sans,11'
set output 'chart.png'
set title "kTLS benchmark: %s TLS %s%s, commit %s (QEMU TCG guest; median, bars = min-max)%s" noenhanced
set ylabel 'MB/s (log scale)'
set logscale y
set yrange [1:*]
set grid ytics
set key outside right top
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics noenhanced
set datafile missing 'NaN'
plot %s
""" % (c, v, ", null cipher" if crypto == "null" else "", meta["commit"], note,
       ", \\\n     ".join(plots)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--mode", default="default")
    ap.add_argument("--vm", default="")
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--splat", default="")
    a = ap.parse_args()

    runs, meta = load(a.log)
    if not runs:
        raise SystemExit("report.py: no @@R lines in %s" % a.log)
    meta.update(commit=a.commit, mode=a.mode, vm=a.vm, elapsed_s=a.elapsed,
                guest_splat=a.splat or None,
                date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                rounds=max(r["round"] for r in runs))
    summary = sorted(summarise(runs), key=order)
    derived = derive(summary)
    with open(a.out + "/results.json", "w") as f:
        json.dump(dict(meta=meta, summary=summary, ratios=derived, runs=runs), f, indent=1)
    fields = ["workload", "cipher", "version", "crypto", "size", "conns", "impl", "status",
              "rounds", "ok_rounds", "mbps", "mbps_min", "mbps_max", "cpu_s_per_gb",
              "side_cpu_s_per_gb", "bytes_per_socket", "memfree_bytes_per_socket",
              "queued_tx_bytes", "queued_rx_bytes", "note"]
    with open(a.out + "/results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(summary)
    with open(a.out + "/table.txt", "w") as f:
        f.write(table(summary, derived, meta))
    chart(summary, meta, a.out)


if __name__ == "__main__":
    main()
