"""`python -m bench <name> [options]`: run one benchmark, print its table, update bench/RESULTS.md."""

import sys

BENCHMARKS = {
    "recompute": "bench.recompute",
    "import": "bench.importer",
    "snapshot": "bench.snapshot",
    "ws": "bench.ws",
    "soak": "bench.soak",
    "serialise": "bench.serialise",
    "photos": "bench.photos",
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        sys.exit(f"usage: python -m bench {{{'|'.join(BENCHMARKS)}}} [options]")
    module = __import__(BENCHMARKS[sys.argv[1]], fromlist=["main"])
    module.main(sys.argv[2:])


if __name__ == "__main__":
    main()
