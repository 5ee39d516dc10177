"""Where a post's time goes, from a py-spy profile of `python -m bench.ws post-cost` (bench/PROFILE-post.md):

    py-spy record --gil -r 400 -f raw -o post.raw -- python -m bench.ws post-cost --posts 3000 --calls 0
    python -m bench.ws.profile_summary post.raw [function names whose inclusive share to show ...]

Only the posting loop's samples count (not the set-up). Each sample goes to the layer of its innermost frame
that belongs to a known package (a C call counts for the Python frame that made it). SQLAlchemy runs
statements inside greenlets, whose samples py-spy shows without their Pantau callers: they count as
SQLAlchemy, and `Session.execute` and the like have inclusive shares of their own."""

import re
import sys
from collections import Counter

LAYERS = (
    ("sqlalchemy/", "SQLAlchemy"),
    ("greenlet", "SQLAlchemy"),
    ("fastapi/", "FastAPI/Starlette"),
    ("starlette/", "FastAPI/Starlette"),
    ("anyio/", "FastAPI/Starlette"),
    ("pydantic", "pydantic/SQLModel"),
    ("sqlmodel/", "pydantic/SQLModel"),
    ("server/sqlite_driver", "database driver"),
    ("aiosqlite/", "database driver"),
    ("psycopg", "database driver"),
    ("server/", "Pantau"),
    ("jwt/", "PyJWT"),
    ("redis/", "Redis client"),
    ("bench/", "the bench's driver"),
)
SET_UP = ("_arrange", "upgrade", "create_app", "lifespan")


def _file(frame: str) -> str:
    found = re.search(r"\((.*?):\d+\)$", frame)
    return found.group(1) if found else ""


def _layer(path: str) -> str:
    for prefix, name in LAYERS:
        if path.startswith(prefix) or f"/{prefix}" in path:
            return name
    return "stdlib/other"


def summarise(path: str, functions: list[str]) -> str:
    total = 0
    layers: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    with open(path) as lines:
        for line in lines:
            stack, _, count = line.strip().rpartition(" ")
            frames = stack.split(";")
            samples = int(count)
            if any(word in stack for word in SET_UP):
                continue
            if frames[0].startswith("_run_module_as_main") and "AsgiPoster.post" not in stack:
                continue  # outside the posting loop (greenlet samples have no such root)
            total += samples
            name = "stdlib/other"
            for frame in reversed(frames):
                name = _layer(_file(frame))
                if name != "stdlib/other":
                    break
            layers[name] += samples
            for function in {frame.split(" (")[0] for frame in frames}:
                inclusive[function] += samples
    out = [f"samples in the posting loop: {total}"]
    out += [f"  {name:22s} {100 * n / total:5.1f}%" for name, n in layers.most_common()]
    if functions:
        out.append("inclusive:")
        out += [f"  {f:40s} {100 * inclusive[f] / total:5.1f}%" for f in functions]
    return "\n".join(out)


if __name__ == "__main__":
    print(summarise(sys.argv[1], sys.argv[2:]))
