"""Pantau: performance-based staff management for Bukitintan's civil servants."""

# The domains' reactions to each other (server/reactions.py) are connected as soon as any part of Pantau
# is imported, so that every entrance (the app, the CLI, a test calling a service) behaves the same.
from server import reactions as _reactions  # noqa: F401  (imported for its connections)
