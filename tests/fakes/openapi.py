"""Validate JSON bodies against a schema of an OpenAPI 3.1 document (the WhatsApp spec).

OpenAPI documents compose objects with ``allOf`` and close each part with
``additionalProperties: false``; plain JSON Schema would then refuse the properties of the other
parts. Like OpenAPI tools do, the parts are merged into one object schema before validating.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

SPECS = Path(__file__).resolve().parent / "specs"
WHATSAPP_SPEC = SPECS / "whatsapp-cloud-api" / "business-messaging-api_v23.0.yaml"


@functools.cache
def _document(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = yaml.load(stream, Loader=yaml.CSafeLoader)
    return loaded


def _resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Inline ``$ref``s and merge ``allOf`` parts (the schemas used here are not recursive)."""
    if depth > 40:
        raise ValueError("schema nesting too deep (a recursive schema?)")
    if isinstance(node, list):
        return [_resolve(document, item, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _resolve(document, target, depth + 1)
    resolved = {
        key: _resolve(document, value, depth + 1)
        for key, value in node.items()
        if key not in {"discriminator", "example", "examples", "description"}
    }
    if "allOf" in resolved:
        return _merge(resolved.pop("allOf"), resolved)
    return resolved


def _merge(parts: list[dict[str, Any]], rest: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    closed = False
    others: list[dict[str, Any]] = []
    for part in [*parts, rest]:
        for name, schema in part.get("properties", {}).items():
            known = merged["properties"].get(name)
            merged["properties"][name] = schema if known is None else {"allOf": [known, schema]}
        merged["required"] += [r for r in part.get("required", []) if r not in merged["required"]]
        closed = closed or part.get("additionalProperties") is False
        extra = {
            k: v
            for k, v in part.items()
            if k not in {"properties", "required", "additionalProperties", "type"}
        }
        if extra:
            others.append(extra)
    if closed:
        merged["additionalProperties"] = False
    if others:
        merged["allOf"] = others
    return merged


@functools.cache
def validator(schema_name: str, path: Path = WHATSAPP_SPEC) -> Draft202012Validator:
    document = _document(path)
    schema = _resolve(document, document["components"]["schemas"][schema_name])
    return Draft202012Validator(schema)


def problems(schema_name: str, body: Any) -> list[str]:
    """What is wrong with ``body`` as a ``schema_name``; empty when it conforms."""
    found = sorted(validator(schema_name).iter_errors(body), key=lambda e: list(e.path))
    return [f"{'/'.join(map(str, e.path)) or '(body)'}: {e.message[:300]}" for e in found]


@functools.cache
def webhook_example_fields(path: Path = WHATSAPP_SPEC) -> dict[str, dict[str, set[str]]]:
    """Per inbound message type, the fields (and the fields of its content object) that the
    spec's own webhook examples carry.

    The spec's ``IncomingMessage`` points at the *outgoing* message schemas (which require
    ``to`` and ``recipient_type``, never present inbound), so inbound message objects are held
    to the examples instead; the envelope around them is validated against the schema."""
    examples = _document(path)["paths"]["/whatsapp/webhooks"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    fields: dict[str, dict[str, set[str]]] = {}
    for example in examples.values():
        for entry in example["value"]["entry"]:
            for change in entry["changes"]:
                for message in change["value"].get("messages", []):
                    kind = fields.setdefault(message["type"], {"": set()})
                    kind[""] |= set(message)
                    content = message.get(message["type"])
                    if isinstance(content, dict):
                        kind.setdefault(message["type"], set()).update(content)
    return fields
