"""Rate-limit cost of the status grid of the latest 20 runs: first load vs a repeated poll.

Starts the simulator's demo world in-process, signs in as the release manager and loads the
grid (runs, each run's jobs, approvals and pending gates) twice. Goal: the repeated poll, where
nothing changed, costs 0 rate-limit points (every GET answers 304 to its kept ETag).

    python bench/client_bench.py [--runs 20] [--polls 3]
"""

from __future__ import annotations

import argparse
import sys
import time


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--polls", type=int, default=3)
    args = parser.parse_args()

    from releasemgr.config import Config
    from releasemgr.github.service import ReleaseService
    from releasemgr.sim import Simulator

    with Simulator(seed=1, scenario="demo") as sim:
        login = next(login for login, info in sim.users.items() if _role(info) == "release-manager")
        service = ReleaseService.connect(
            api_url=sim.api_url, repository=sim.repository, token=sim.token(login), config=Config()
        )
        service.whoami()
        counters = service.gateway.counters

        def measure() -> tuple[int, int, int, float]:
            before = (counters.requests, counters.points, service.rate_limit().remaining)
            start = time.perf_counter()
            grid = service.status_grid(args.runs)
            elapsed = time.perf_counter() - start
            assert len(grid) == min(args.runs, len(grid))
            return (
                counters.requests - before[0],
                counters.points - before[1],
                before[2] - service.rate_limit().remaining,
                elapsed,
            )

        first = measure()
        print(f"status grid of the latest {args.runs} runs ({sim.repository})")
        print(f"{'':>16} {'requests':>9} {'points':>7} {'limit used':>11} {'seconds':>8}")
        print(f"{'first load':>16} {first[0]:>9} {first[1]:>7} {first[2]:>11} {first[3]:>8.3f}")
        worst = 0
        for n in range(1, args.polls + 1):
            again = measure()
            worst = max(worst, again[1], again[2])
            label = f"repeat poll {n}"
            print(f"{label:>16} {again[0]:>9} {again[1]:>7} {again[2]:>11} {again[3]:>8.3f}")
        ratio = worst / first[1] if first[1] else 0.0
        print(f"repeated poll cost / first load cost: {ratio:.3f} (goal: 0 points)")
        print("goal met" if worst == 0 else "GOAL MISSED: a repeated poll spent rate limit")
        return 0 if worst == 0 else 1


def _role(info: object) -> str:
    if isinstance(info, tuple):
        return str(info[1])
    if isinstance(info, dict):
        return str(info.get("role"))
    return str(getattr(info, "role", ""))


if __name__ == "__main__":
    sys.exit(main())
