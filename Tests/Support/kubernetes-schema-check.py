#!/usr/bin/env python3
"""Checks Kubernetes objects against the API's schema (the models of the official Python client,
generated from the Kubernetes OpenAPI document of its version: 31.x = Kubernetes 1.31).

Usage: kubernetes-schema-check.py FILE.json — a JSON list of objects (each with `kind`).
Every field must be one the schema has, of its type (strings, integers, booleans, lists, maps,
nested objects), required fields present and enumerated values allowed. Prints one line per
problem ("Job spec.template.spec.containers[0].securityContxt: unknown field") and exits 1 if
there was any, else prints "ok N" and exits 0.
"""
import json
import sys

import kubernetes.client as models
from kubernetes.client.configuration import Configuration

PRIMITIVES = {"str": str, "bool": bool, "float": (int, float), "date": str, "datetime": str}


def check(value, kind, path, problems):
    if kind.startswith("list["):
        if not isinstance(value, list):
            return problems.append(f"{path}: expected a list, got {type(value).__name__}")
        for index, item in enumerate(value):
            check(item, kind[5:-1], f"{path}[{index}]", problems)
    elif kind.startswith("dict("):
        if not isinstance(value, dict):
            return problems.append(f"{path}: expected a map, got {type(value).__name__}")
        inner = kind[5:-1].split(",", 1)[1].strip()
        for key, item in value.items():
            check(item, inner, f"{path}.{key}", problems)
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{path}: expected an integer, got {json.dumps(value)}")
    elif kind == "object":
        pass  # IntOrString, RawExtension: anything
    elif kind in PRIMITIVES:
        if not isinstance(value, PRIMITIVES[kind]) or (kind == "float" and isinstance(value, bool)):
            problems.append(f"{path}: expected {kind}, got {json.dumps(value)}")
    else:
        model = getattr(models, kind)
        if not isinstance(value, dict):
            return problems.append(f"{path}: expected an object ({kind}), got {type(value).__name__}")
        by_json = {json_name: attribute for attribute, json_name in model.attribute_map.items()}
        present = {}
        for key, item in value.items():
            attribute = by_json.get(key)
            if attribute is None:
                problems.append(f"{path}.{key}: unknown field of {kind}")
                continue
            check(item, model.openapi_types[attribute], f"{path}.{key}", problems)
            present[attribute] = item
        # The model's own validation: required fields, enumerations.
        configuration = Configuration()
        configuration.client_side_validation = True
        try:
            model(local_vars_configuration=configuration, **present)
        except ValueError as error:
            problems.append(f"{path}: {error}")


def main():
    objects = json.load(open(sys.argv[1]))
    problems = []
    for obj in objects:
        kind = obj.get("kind", "?")
        model = {"Job": "V1Job", "ConfigMap": "V1ConfigMap", "Pod": "V1Pod"}.get(kind)
        if model is None:
            problems.append(f"{kind}: not a kind this check knows")
            continue
        check(obj, model, kind, problems)
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print(f"ok {len(objects)}")


main()
