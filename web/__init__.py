"""Pantau's web assets: templates/, static/ and the message catalogues in locale/.

Installed as the package `server.web` (pyproject.toml maps it to this folder), so the wheel and the editable
install find these files the same way: server/resources.py, through importlib.resources."""
