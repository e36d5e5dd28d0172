#!/usr/bin/env python3
"""ipyparallel side of the ipx benchmark (driven by scripts/bench.ts).

Protocol: one JSON object per line on stdin, one JSON reply per line on the *original* stdout
(everything else this process or ipyparallel prints goes to stderr). Every request has a
"cmd"; every reply has "ok" and either the result fields or "error". Timings are measured here
with time.perf_counter(), so the figures are what an ipyparallel user would see from Python.

Commands:
  hello                                  -> versions
  start      {name, n, timeout}          -> {seconds, ids, pids}   (start_and_connect)
  stop       {name}                      -> {}
  apply_rtt  {name, n}                   -> {seconds}   n sequential apply_sync on engine 0
  apply_all  {name, n}                   -> {seconds}   n sequential apply_sync on all engines
  execute_all {name, n}                  -> {seconds}   n sequential execute on all engines
  lb_map     {name, n, chunksize}        -> {seconds}   lview.map(identity, range(n))
  lb_apply   {name, n}                   -> {seconds}   burst of n lview.apply_async
  pushpull   {name, mb, kind, times}     -> {push, pull, bytes}   kind: numpy | bytes; totals of `times` cycles
  scatter_gather {name, n, kind}         -> {seconds, scatter, gather}  kind: list | numpy
  rss        {name}                      -> {engines: [{pid, rss_kb, tree_kb}]}
  quit
"""

import json
import atexit
import logging
import os
import shutil
import sys
import tempfile
import time
import traceback

# Keep the protocol channel clean: anything printed by us or by ipyparallel goes to stderr.
_proto = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
sys.stdout = sys.stderr

_base = tempfile.mkdtemp(prefix="ipx-bench-ipp-")
# the profile dirs, logs and connection files of the clusters this driver started
atexit.register(shutil.rmtree, _base, ignore_errors=True)
os.environ["IPYTHONDIR"] = os.path.join(_base, "ipython")

import ipyparallel as ipp  # noqa: E402

try:
    import numpy as np  # noqa: E402
except ImportError:  # numpy is optional: the numpy variants then report an error
    np = None

clusters = {}


def _identity(x):
    return x


def _one():
    return 1


def _rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children():
    """Map of ppid -> [pid] for every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError):
            continue
        out.setdefault(ppid, []).append(int(entry))
    return out


def _tree(pid, kids):
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(kids.get(p, []))
    return seen


def _get(req):
    c = clusters.get(req.get("name", "main"))
    if c is None:
        raise KeyError(f"no cluster named {req.get('name', 'main')!r}; start it first")
    return c


def cmd_hello(req):
    return {
        "ipyparallel": ipp.__version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__ if np is not None else None,
    }


def cmd_start(req):
    name = req.get("name", "main")
    n = int(req["n"])
    profile_dir = os.path.join(_base, f"profile_{name}_{len(clusters)}_{time.time_ns()}")
    t0 = time.perf_counter()
    cluster = ipp.Cluster(
        n=n,
        profile_dir=profile_dir,
        log_level=logging.WARNING,
        engine_timeout=int(req.get("timeout", 600)),
    )
    rc = cluster.start_and_connect_sync()
    rc.wait_for_engines(n, timeout=int(req.get("timeout", 600)))
    seconds = time.perf_counter() - t0
    pids = rc[:].apply_sync(os.getpid)
    clusters[name] = {
        "cluster": cluster,
        "rc": rc,
        "dv": rc[:],
        "lv": rc.load_balanced_view(),
        "pids": pids,
    }
    return {"seconds": seconds, "ids": list(rc.ids), "pids": pids}


def cmd_stop(req):
    name = req.get("name", "main")
    c = clusters.pop(name, None)
    if c is None:
        return {}
    try:
        c["rc"].close()
    finally:
        c["cluster"].stop_cluster_sync()
    return {}


def cmd_apply_rtt(req):
    c = _get(req)
    view = c["rc"][c["rc"].ids[0]]
    n = int(req["n"])
    t0 = time.perf_counter()
    for _ in range(n):
        view.apply_sync(_one)
    return {"seconds": time.perf_counter() - t0}


def cmd_apply_all(req):
    c = _get(req)
    dv = c["dv"]
    n = int(req["n"])
    t0 = time.perf_counter()
    for _ in range(n):
        r = dv.apply_sync(_one)
    seconds = time.perf_counter() - t0
    assert len(r) == len(c["rc"].ids)
    return {"seconds": seconds}


def cmd_execute_all(req):
    c = _get(req)
    dv = c["dv"]
    n = int(req["n"])
    t0 = time.perf_counter()
    for _ in range(n):
        dv.execute("1 + 1", block=True)
    return {"seconds": time.perf_counter() - t0}


def cmd_lb_map(req):
    c = _get(req)
    n = int(req["n"])
    t0 = time.perf_counter()
    out = c["lv"].map_sync(_identity, range(n), chunksize=int(req.get("chunksize", 1)))
    seconds = time.perf_counter() - t0
    assert len(out) == n
    return {"seconds": seconds}


def cmd_lb_apply(req):
    c = _get(req)
    n = int(req["n"])
    lv = c["lv"]
    t0 = time.perf_counter()
    ars = [lv.apply_async(_one) for _ in range(n)]
    c["rc"].wait(ars)
    seconds = time.perf_counter() - t0
    assert all(a.get() == 1 for a in ars)
    return {"seconds": seconds}


def cmd_pushpull(req):
    c = _get(req)
    dv = c["dv"]
    size = int(req["mb"]) * 1024 * 1024
    kind = req.get("kind", "numpy")
    if kind == "numpy":
        if np is None:
            raise RuntimeError("numpy is not installed (apt-get install python3-numpy)")
        data = np.frombuffer(os.urandom(size), dtype=np.uint8)
    else:
        data = os.urandom(size)
    times = int(req.get("times", 1))
    push = pull = 0.0
    for _ in range(times):
        t0 = time.perf_counter()
        dv.push({"buf": data}, block=True)
        t1 = time.perf_counter()
        back = dv.pull("buf", block=True)
        t2 = time.perf_counter()
        assert all(len(b) == size for b in back)
        push += t1 - t0
        pull += t2 - t1
    return {"push": push, "pull": pull, "bytes": size * len(back) * times}


def cmd_scatter_gather(req):
    c = _get(req)
    dv = c["dv"]
    n = int(req["n"])
    kind = req.get("kind", "list")
    if kind == "numpy":
        if np is None:
            raise RuntimeError("numpy is not installed (apt-get install python3-numpy)")
        data = np.arange(n, dtype=np.float64)
    else:
        data = list(range(n))
    t0 = time.perf_counter()
    dv.scatter("x", data, block=True)
    t1 = time.perf_counter()
    back = dv.gather("x", block=True)
    t2 = time.perf_counter()
    assert len(back) == n
    return {"seconds": t2 - t0, "scatter": t1 - t0, "gather": t2 - t1}


def cmd_rss(req):
    c = _get(req)
    kids = _children()
    engines = []
    for pid in c["pids"]:
        tree = _tree(pid, kids)
        engines.append(
            {"pid": pid, "rss_kb": _rss_kb(pid), "tree_kb": sum(_rss_kb(p) for p in tree)}
        )
    return {"engines": engines}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "quit":
                _proto.write(json.dumps({"ok": True}) + "\n")
                break
            fn = globals().get(f"cmd_{cmd}")
            if fn is None:
                raise ValueError(f"unknown command {cmd!r}")
            reply = {"ok": True, **fn(req)}
        except Exception as e:  # report every failure to the driver, keep serving
            traceback.print_exc()
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        _proto.write(json.dumps(reply) + "\n")
    for name in list(clusters):
        try:
            cmd_stop({"name": name})
        except Exception:
            traceback.print_exc()


if __name__ == "__main__":
    main()
