"""TTFT p90 and output tok/s against cache pressure, one line per arm and load (results.json -> PNG)."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

results = json.load(open(sys.argv[1]))["results"]
fig, (ttft, tps) = plt.subplots(1, 2, figsize=(11, 4.2))
arms = sorted({r["arm"] for r in results})
# One colour per arm, one line style per load.
colours = {arm: f"C{i}" for i, arm in enumerate(arms)}
for load, style in (("high", "-"), ("low", "--")):
    for arm in arms:
        rows = sorted((r for r in results if r["arm"] == arm and r["load"] == load), key=lambda r: r["pressure"])
        if not rows:
            continue
        x = [r["pressure"] for r in rows]
        label = f"{arm}, {load} load"
        ttft.plot(x, [r["summary"]["ttftP90Ms"] for r in rows], style, color=colours[arm], marker="o", label=label)
        tps.plot(x, [r["summary"]["outputTokPerS"] for r in rows], style, color=colours[arm], marker="o", label=label)
for ax, title in ((ttft, "TTFT p90 (ms)"), (tps, "output tokens/s")):
    ax.set_xscale("log", base=2)
    ax.set_xlabel("cache pressure (working set / one simulator's KV blocks)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
ttft.legend(fontsize=7)
fig.suptitle("Prefix-aware routing (EPP v1.5.0, platform config) vs round robin, llm-d-inference-sim")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
