"""A Kubernetes CRD's schema as the API server applies it, for validating generated objects."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml


def strict_crd_schema(path: Path) -> dict[str, Any]:
    """The CRD's first version's openAPIV3Schema, with unknown fields an error (the API
    server prunes them silently) and `metadata` any object."""
    crd = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema = copy.deepcopy(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                node.setdefault("additionalProperties", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    schema["properties"]["metadata"] = {"type": "object"}
    return schema
