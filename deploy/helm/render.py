#!/usr/bin/env python3
"""Renders the Helm chart without helm (which cannot be installed everywhere): the subset of Go
templates and Sprig the chart uses — define/include, if/else if/else, range over maps and lists,
with, variables, pipes, and the functions listed in FUNCS. Unknown syntax is an error, so the
chart cannot silently use something this renderer does not understand.

Usage: render.py CHART_DIR [-f VALUES.yaml ...] [--set key.path=value ...] [--name RELEASE]
Prints the manifests as one YAML stream (documents separated by ---), like `helm template`.
"""
import base64
import os
import re
import sys

import yaml


class Fail(Exception):
    pass


# --- parsing ---------------------------------------------------------------------------------

def tokenize(text):
    parts, pos = [], 0
    for m in re.finditer(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", text, re.S):
        before = text[pos:m.start()]
        if m.group(1):
            before = before.rstrip()
        if parts and parts[-1][0] == "action" and parts[-1][2]:
            before = before.lstrip()
        parts.append(("text", before, False))
        parts.append(("action", m.group(2), bool(m.group(3))))
        pos = m.end()
    rest = text[pos:]
    if parts and parts[-1][0] == "action" and parts[-1][2]:
        rest = rest.lstrip()
    parts.append(("text", rest, False))
    return [(kind, body) for kind, body, _ in parts]


def parse(tokens, i=0, stop=("end",)):
    """Returns (nodes, index, terminator)."""
    nodes = []
    while i < len(tokens):
        kind, body = tokens[i]
        i += 1
        if kind == "text":
            nodes.append(("text", body))
            continue
        if body.startswith("/*"):
            continue
        word = body.split(None, 1)[0] if body else ""
        if word in stop or (word == "else" and "else" in stop):
            return nodes, i, body
        if word in ("if", "with"):
            branches, otherwise = [], None
            condition = body[len(word):].strip()
            while True:
                inner, i, term = parse(tokens, i, ("end", "else"))
                branches.append((condition, inner))
                if term == "end":
                    break
                if term.startswith("else if"):
                    condition = term[len("else if"):].strip()
                    continue
                otherwise, i, term = parse(tokens, i, ("end",))
                break
            nodes.append((word, branches, otherwise))
        elif word == "range":
            inner, i, _ = parse(tokens, i, ("end",))
            nodes.append(("range", body[len("range"):].strip(), inner))
        elif word == "define":
            inner, i, _ = parse(tokens, i, ("end",))
            DEFINES[literal(body[len("define"):].strip())] = inner
        else:
            nodes.append(("expr", body))
    return nodes, i, None


def literal(text):
    return yaml.safe_load(text)


# --- evaluation ------------------------------------------------------------------------------

DEFINES = {}


def to_yaml(value):
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=False).rstrip("\n") if value not in (None, {}, []) else ""


FUNCS = {
    "quote": lambda v: '"' + str("" if v is None else v).replace("\\", "\\\\").replace('"', '\\"') + '"',
    "b64enc": lambda v: base64.b64encode(str(v).encode()).decode(),
    "toYaml": to_yaml,
    "nindent": lambda n, v: "\n" + "\n".join((" " * n + line) if line else line for line in str(v).split("\n")),
    "indent": lambda n, v: "\n".join((" " * n + line) if line else line for line in str(v).split("\n")),
    "default": lambda d, v=None: v if v not in (None, "", {}, [], False) else d,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "and": lambda *a: all(a),
    "or": lambda *a: next((x for x in a if x), a[-1]),
    "not": lambda a: not a,
    "int": lambda v: int(v),
    "trunc": lambda n, v: str(v)[:n],
    "trimSuffix": lambda s, v: str(v)[: -len(s)] if s and str(v).endswith(s) else str(v),
    "hasPrefix": lambda p, v: str(v).startswith(p),
    "upper": lambda v: str(v).upper(),
    "printf": lambda f, *a: re.sub(r"%[sdv]", "{}", f).format(*a),
    "required": lambda msg, v: v if v not in (None, "") else (_ for _ in ()).throw(Fail(msg)),
    "fail": lambda msg: (_ for _ in ()).throw(Fail(msg)),
}


def split_outside_quotes(text, separator):
    parts, depth, quote, current = [], 0, None, ""
    for ch in text:
        if quote:
            current += ch
            if ch == quote:
                quote = None
            continue
        if ch in "\"'`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts]


def words(command):
    return [w for w in re.findall(r'"(?:[^"\\]|\\.)*"|\([^()]*(?:\([^()]*\)[^()]*)*\)|\S+', command)]


def lookup(value, path):
    for key in [k for k in path.split(".") if k]:
        if isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def value_of(token, dot, scope):
    if token.startswith("("):
        return evaluate(token[1:-1], dot, scope)
    if token.startswith('"'):
        return literal(token)
    if token == ".":
        return dot
    if token.startswith("."):
        return lookup(dot, token)
    if token.startswith("$"):
        name, _, path = token.partition(".")
        return lookup(scope[name], path) if path else scope[name]
    if token in ("true", "false"):
        return token == "true"
    if re.fullmatch(r"-?\d+", token):
        return int(token)
    raise Fail(f"unsupported token {token!r}")


def command(text, dot, scope):
    tokens = words(text)
    head, args = tokens[0], tokens[1:]
    if head == "include":
        name = literal(args[0])
        return render_nodes(DEFINES[name], value_of(args[1], dot, scope), {"$": scope["$"]}).strip("\n")
    if head in FUNCS:
        return FUNCS[head](*[value_of(a, dot, scope) for a in args])
    if not args:
        return value_of(head, dot, scope)
    raise Fail(f"unsupported command {text!r}")


def command_with_pipe(text, dot, scope, piped):
    tokens = words(text)
    head, args = tokens[0], tokens[1:]
    if head not in FUNCS:
        raise Fail(f"unknown function {head!r}")
    return FUNCS[head](*([value_of(a, dot, scope) for a in args] + [piped]))


def evaluate(text, dot, scope):
    assignment = re.match(r"(\$\w+)\s*:?=\s*(.*)", text, re.S)
    if assignment:
        scope[assignment.group(1)] = evaluate(assignment.group(2), dot, scope)
        return None
    parts = split_outside_quotes(text, "|")
    result = command(parts[0], dot, scope)
    for part in parts[1:]:
        result = command_with_pipe(part, dot, scope, result)
    return result


def truthy(value):
    return value not in (None, False, 0, "", {}, [])


def render_nodes(nodes, dot, scope):
    out = []
    for node in nodes:
        kind = node[0]
        if kind == "text":
            out.append(node[1])
        elif kind == "expr":
            value = evaluate(node[1], dot, scope)
            out.append("" if value is None else ("true" if value is True else "false" if value is False else str(value)))
        elif kind in ("if", "with"):
            for condition, inner in node[1]:
                value = evaluate(condition, dot, scope)
                if truthy(value):
                    out.append(render_nodes(inner, value if kind == "with" else dot, scope))
                    break
            else:
                if node[2] is not None:
                    out.append(render_nodes(node[2], dot, scope))
        elif kind == "range":
            header = node[1]
            m = re.match(r"(\$\w+)\s*,\s*(\$\w+)\s*:=\s*(.*)", header) or re.match(r"(\$\w+)\s*:=\s*(.*)", header)
            if m and m.lastindex == 3:
                key_var, value_var, source = m.group(1), m.group(2), m.group(3)
            elif m:
                key_var, value_var, source = None, m.group(1), m.group(2)
            else:
                key_var, value_var, source = None, None, header
            collection = evaluate(source, dot, scope) or []
            items = sorted(collection.items()) if isinstance(collection, dict) else list(enumerate(collection))
            for key, value in items:
                inner_scope = dict(scope)
                if key_var:
                    inner_scope[key_var] = key
                if value_var:
                    inner_scope[value_var] = value
                out.append(render_nodes(node[2], value, inner_scope))
    return "".join(out)


def merge(base, override):
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def main(argv):
    chart, values_files, sets, name = argv[0], [], [], "jobrunner"
    i = 1
    while i < len(argv):
        if argv[i] == "-f":
            values_files.append(argv[i + 1]); i += 2
        elif argv[i] == "--set":
            sets.append(argv[i + 1]); i += 2
        elif argv[i] == "--name":
            name = argv[i + 1]; i += 2
        else:
            raise SystemExit(f"unknown argument {argv[i]}")
    meta = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
    values = yaml.safe_load(open(os.path.join(chart, "values.yaml"))) or {}
    for path in values_files:
        merge(values, yaml.safe_load(open(path)) or {})
    for assignment in sets:
        key, _, raw = assignment.partition("=")
        target = values
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = yaml.safe_load(raw)
    root = {"Values": values, "Release": {"Name": name, "Namespace": "default", "Service": "Helm"},
            "Chart": {"Name": meta["name"], "Version": meta["version"], "AppVersion": meta.get("appVersion", "")}}
    templates = os.path.join(chart, "templates")
    names = sorted(os.listdir(templates))
    for file in [n for n in names if n.startswith("_")]:
        parse(tokenize(open(os.path.join(templates, file)).read()))
    documents = []
    for file in [n for n in names if n.endswith(".yaml") and not n.startswith("_")]:
        nodes, _, _ = parse(tokenize(open(os.path.join(templates, file)).read()))
        text = render_nodes(nodes, root, {"$": root})
        if text.strip():
            documents.append(f"# Source: {meta['name']}/templates/{file}\n{text.strip()}\n")
    sys.stdout.write("---\n".join(documents))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Fail as error:
        sys.stderr.write(f"Error: execution error: {error}\n")
        sys.exit(1)
