"""The Python zu's harden rate, for bench/harden_bench.ts: variants replayed per second by zu's own
`harden()` (zu_cli.harden, commit 330cedb) on one agent, loaded once, for about SECONDS seconds.

Usage: python3 bench/zu_harden_rate.py ZU_REPO AGENT_DIR [SECONDS] [--discover-per-variant]

"Loaded once" as on our side: zu's plugin catalog (entry-point discovery, `_catalog()`) is
discovered once and reused, so each variant pays what zu's `replay_offline` does per variant
(`build_registry`, the rebinding, the loop, the bus) and not the scan of every installed
distribution, which on a machine with many packages costs ~0.1–0.5 s per variant. Pass
`--discover-per-variant` to time zu exactly as shipped (discovery on every variant).

ZU_REPO is a checkout of github:k3-mt/zu (its packages/*/src go on sys.path). zu finds its plugins
through entry points, so when the packages are not installed this script writes a throwaway
dist-info (the entry points of every packages/*/pyproject.toml) to a temporary directory first.
Prints one JSON line: {"rate", "variants", "seconds", "per_round", "ok"}.
"""
import asyncio
import json
import sys
import tempfile
import time
import tomllib
from pathlib import Path


def shim_entry_points(repo: Path, into: Path) -> None:
    lines: list[str] = []
    for pyproject in sorted(repo.glob("packages/*/pyproject.toml")):
        eps = tomllib.loads(pyproject.read_text()).get("project", {}).get("entry-points", {})
        for group, entries in eps.items():
            lines.append(f"[{group}]")
            lines += [f"{name} = {target}" for name, target in entries.items()]
            lines.append("")
    info = into / "zu_bench_shim-0.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zu-bench-shim\nVersion: 0.0.0\n")
    (info / "entry_points.txt").write_text("\n".join(lines))


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    per_variant = "--discover-per-variant" in sys.argv
    repo, agent = Path(args[0]), Path(args[1])
    seconds = float(args[2]) if len(args) > 2 else 3.0
    sys.path[:0] = [str(p) for p in sorted(repo.glob("packages/*/src"))]
    shim = tempfile.TemporaryDirectory()
    shim_entry_points(repo, Path(shim.name))
    sys.path.insert(0, shim.name)

    import zu_cli.config as zu_config
    from zu_cli.config import load_agent
    from zu_cli.harden import harden
    from zu_cli.offline import Bundle, bundle_path

    spec, cfg = load_agent(str(agent / "agent.yaml"))
    bundle = Bundle.load(bundle_path(agent))
    if not per_variant:
        catalog = zu_config._catalog()
        zu_config._catalog = lambda: catalog

    async def go() -> dict:
        report = await harden(spec, cfg, bundle)  # warm-up round
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            report = await harden(spec, cfg, bundle)
            n += len(report.variants)
        dt = time.perf_counter() - t0
        ok = sum(v.passed == v.expect_pass for v in report.variants)
        return {"rate": n / dt, "variants": n, "seconds": dt,
                "per_round": len(report.variants), "ok": ok,
                "discovery": "per-variant" if per_variant else "once"}

    print(json.dumps(asyncio.run(go())))


if __name__ == "__main__":
    main()
