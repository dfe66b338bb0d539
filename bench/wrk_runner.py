"""Run wrk (a C load generator: on a 2-core machine a Python client would mostly measure itself) with
a Lua script whose ``done`` hook writes one line ``WRK {json}``; return that JSON."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from typing import Any

#: Lua ``done`` hook shared by the benches: latency percentiles and counts as one parsable line.
DONE_HOOK = """
done = function(summary, latency, requests)
  io.write(string.format('WRK {"p50_us": %d, "p99_us": %d, "requests": %d, "duration_us": %d, "non2xx": %d}',
    latency:percentile(50), latency:percentile(99), summary.requests, summary.duration, summary.errors.status))
  io.write("\\n")
end
"""


def run_wrk(script: str, url: str, *, connections: int, seconds: int, timeout_s: int = 30) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script + DONE_HOOK)
    try:
        cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", f"{timeout_s}s",
               "-s", fh.name, url]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    finally:
        os.unlink(fh.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    return dict(json.loads(line[4:]))
