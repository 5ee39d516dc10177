"""The shape of server/ as README's "How it works" draws it, read from the code itself.

Each domain package has a core (models, services, rules) and entrances (API routes, pages, the board
socket). Entrances sit on top and may call any domain; the cores depend on each other one way only; no
core imports an entrance or the page plumbing. A domain's reaction to another's change is connected in
server/reactions.py, not by whoever happens to start first."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import server

SERVER = Path(server.__file__).parent
DOMAINS = sorted(
    p.name
    for p in SERVER.iterdir()
    if (p / "__init__.py").exists() and p.name not in {"migrations", "web", "pages"}
)
# Entrances: HTTP routes, pages and their view builders, and the board socket (served by its own protocol
# under `pantau serve`, through ASGI otherwise; opening.py is what both share).
ENTRANCE = re.compile(r"(/|_)(routes|pages|views)\.py$|^realtime/(socket|opening)\.py$")
# The order README draws, lowest first: a core may import only the cores before it.
LAYERS = [
    "realtime",
    "accounts",
    "notifications",
    "calendar",
    "evidence",
    "feedback",
    "projects",
    "performance",
]


def _is_entrance(relative: str) -> bool:
    return relative.startswith("pages/") or ENTRANCE.search(relative) is not None


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return {name for name in names if name.startswith("server.")}


def _core_modules() -> dict[str, set[str]]:
    """Each domain core module (relative path) and the server modules it imports."""
    modules = {}
    for path in sorted(SERVER.rglob("*.py")):
        relative = path.relative_to(SERVER).as_posix()
        if relative.split("/")[0] in DOMAINS and not _is_entrance(relative):
            modules[relative] = _imports(path)
    return modules


def _domain_edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for relative, imports in _core_modules().items():
        source = relative.split("/")[0]
        for name in imports:
            target = name.split(".")[1]
            if target in DOMAINS and target != source:
                edges.setdefault((source, target), []).append(f"{relative} imports {name}")
    return edges


def test_the_layers_name_every_domain():
    assert sorted(LAYERS) == DOMAINS


def _backwards(edges: dict[tuple[str, str], list[str]]) -> list[str]:
    return [
        where
        for (source, target), found in edges.items()
        if LAYERS.index(target) > LAYERS.index(source)
        for where in found
    ]


def test_domain_cores_depend_on_each_other_one_way_only():
    backwards = _backwards(_domain_edges())
    assert backwards == [], "a core imports a domain above it (a cycle in the making):\n" + "\n".join(
        backwards
    )


def test_the_dependency_graph_has_no_cycle():
    graph: dict[str, set[str]] = {domain: set() for domain in DOMAINS}
    for source, target in _domain_edges():
        graph[source].add(target)
    visiting: list[str] = []
    done: set[str] = set()

    def visit(domain: str) -> None:
        assert domain not in visiting, "import cycle: " + " → ".join([*visiting, domain])
        if domain in done:
            return
        visiting.append(domain)
        for target in sorted(graph[domain]):
            visit(target)
        visiting.pop()
        done.add(domain)

    for domain in DOMAINS:
        visit(domain)


def test_no_core_imports_an_entrance_or_the_page_plumbing():
    offending = []
    for relative, imports in _core_modules().items():
        for name in imports:
            parts = name.split(".")
            module = "/".join(parts[1:]) + ".py"
            if parts[1] == "pages" or (parts[1] in DOMAINS and _is_entrance(module)):
                offending.append(f"{relative} imports {name}")
    assert offending == []


def test_the_checker_reports_a_core_importing_a_domain_above_it(tmp_path):
    sample = tmp_path / "service.py"
    sample.write_text("from server.performance.service import recompute\nimport server.feedback.ikm\n")
    imports = _imports(sample)
    assert imports == {
        "server.performance.service",
        "server.performance.service.recompute",
        "server.feedback.ikm",
    }
    edges = {("projects", "performance"): ["projects/service.py imports server.performance.service"]}
    assert _backwards(edges | {("performance", "projects"): ["fine"]}) == edges[("projects", "performance")]


def test_domain_reactions_are_connected_without_an_app_or_a_runtime():
    """Importing only the projects and feedback services (as a script or the CLI would) connects the
    performance domain's reactions: no Runtime has to be created first."""
    code = (
        "from server.projects import changes\n"
        "from server.feedback import service\n"
        "from server.performance.service import on_feedback, on_milestone_closed\n"
        "assert changes.milestone_closed_listeners == [on_milestone_closed], changes.milestone_closed_listeners\n"
        "assert service.feedback_listeners == [on_feedback], service.feedback_listeners\n"
        "import sys; assert 'server.runtime' not in sys.modules and 'server.app' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_every_reaction_is_listed_in_one_module():
    """Only server/reactions.py fills the listener lists."""
    fillers = [
        path.relative_to(SERVER).as_posix()
        for path in SERVER.rglob("*.py")
        if re.search(r"_listeners\.append|listeners\.append", path.read_text(encoding="utf-8"))
    ]
    assert fillers == ["reactions.py"]
