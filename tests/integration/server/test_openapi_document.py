"""The served OpenAPI document resolves: every `$ref` points at a schema it defines."""

from __future__ import annotations

import re

import orjson

from flagpilot.server.asgi import create_asgi_app
from flagpilot.settings import Settings


def test_openapi_document__every_reference_resolves() -> None:
    document = create_asgi_app(Settings()).openapi()
    text = orjson.dumps(document).decode()
    references = set(re.findall(r'"\$ref":"([^"]+)"', text))
    defined = {f"#/components/schemas/{name}" for name in document["components"]["schemas"]}
    assert references, "the document refers to its schemas"
    assert references - defined == set()
    assert "$defs" not in text


def test_openapi_document__validation_problems_describe_each_field_error() -> None:
    document = create_asgi_app(Settings()).openapi()
    answer = document["paths"]["/api/admin/flags"]["post"]["responses"]["422"]
    schema = answer["content"]["application/problem+json"]["schema"]
    item = schema["properties"]["errors"]["items"]
    assert set(item["properties"]) == {"field", "message"}
