#!/usr/bin/env python3
"""Check Flink CDC 3 pipeline definitions (YAML) against scripts/flink-cdc-pipeline-schema.json.

Usage: check-flink-cdc-pipeline.py [--schema FILE] [--default-parallelism N] [FILE_OR_DIR ...]
       check-flink-cdc-pipeline.py --self-test
Directories are searched for *.yaml and *.yml (default: result/). Exit 1 on any error, 0
otherwise (also when there is no YAML file: nothing to check), 2 on a usage or schema problem.

The schema holds the keys apache/flink-cdc release-3.6.0 reads (YamlPipelineDefinitionParser,
PipelineOptions, MySqlDataSourceFactory, StarRocksDataSinkFactory). Checks: top-level, source,
sink, route, transform and pipeline keys (unknown / missing / null), value types and ranges,
`tables` / `tables.exclude` / `transform[].source-table` patterns as Flink CDC's Selectors split
them (unescaped `,` and `.`, `\\.` = regex any-char, 1-3 parts, each part a full-match regex),
`route[].source-table` as TableIdRouter rewrites it, `sink-table` replacement groups and
`db.table` shape, the chunk-key-column list (`db.table_regex:col;...`), server-id width >=
pipeline parallelism (when `pipeline.parallelism` is absent the CLI's shipped
conf/flink-cdc.yaml gives 4: --default-parallelism), schema-change event tags, metadata columns
in projections.

YAML: no PyYAML. A small parser reads the subset the generator writes and rejects the rest
with a clear message: block mappings, block sequences (of mappings or scalars), one-line flow
sequences of scalars (`[a, b]`), plain / 'single' / "double" quoted one-line scalars, comments,
a leading `---`. Not supported (reported as errors): anchors/aliases (`&`, `*`), tags (`!`),
block scalars (`|`, `>`), flow mappings, multi-line scalars, tabs in indentation, duplicate keys.
Plain scalars that YAML 1.1 (Jackson/SnakeYAML, what Flink CDC uses) would turn into something
else are errors too: null (`~`, `null`, empty), yes/no/on/off, numbers with leading zeros, `0x`,
`_`, exponents: quote them.
"""

import importlib.util
import json
import os
import re
import sys
import glob

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "flink-cdc-pipeline-schema.json")


def _load_options_checker():
    spec = importlib.util.spec_from_file_location("check_flink_options", os.path.join(HERE, "check-flink-options.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


OPT = _load_options_checker()   # shared value parsers (Flink's ConfigurationUtils rules)


# ----------------------------------------------------------------------------------------------
# YAML subset parser

class YamlError(Exception):
    def __init__(self, line, msg):
        super().__init__(msg)
        self.line = line


class Node:
    __slots__ = ("kind", "value", "line", "style", "keylines")

    def __init__(self, kind, value, line, style=None):
        self.kind, self.value, self.line, self.style = kind, value, line, style
        self.keylines = {}

    def __repr__(self):
        return "Node(%s,%r)" % (self.kind, self.value)


DQ_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
              "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
              "_": "\xa0", "L": "\u2028", "P": "\u2029"}


def _rest_is_comment(rest, line):
    rest = rest.rstrip()
    if rest and not (rest.startswith("#") or rest.startswith(" #") or re.match(r"\s+#", rest)):
        raise YamlError(line, "unexpected text after a quoted scalar: %r" % rest.strip())


def parse_quoted(text, line):
    """text starts with ' or ". Returns (value, rest)."""
    q = text[0]
    i, out = 1, []
    while True:
        if i >= len(text):
            raise YamlError(line, "unterminated %s-quoted scalar (multi-line scalars are not supported)" % ("single" if q == "'" else "double"))
        c = text[i]
        if q == "'":
            if c == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    out.append("'")
                    i += 2
                    continue
                return "".join(out), text[i + 1:]
            out.append(c)
            i += 1
        else:
            if c == '"':
                return "".join(out), text[i + 1:]
            if c == "\\":
                if i + 1 >= len(text):
                    raise YamlError(line, "a double-quoted scalar cannot continue on the next line here")
                e = text[i + 1]
                if e in DQ_ESCAPES:
                    out.append(DQ_ESCAPES[e])
                    i += 2
                elif e in "xuU":
                    n = {"x": 2, "u": 4, "U": 8}[e]
                    h = text[i + 2:i + 2 + n]
                    if not re.match(r"[0-9A-Fa-f]{%d}\Z" % n, h):
                        raise YamlError(line, "bad \\%s escape in a double-quoted scalar" % e)
                    out.append(chr(int(h, 16)))
                    i += 2 + n
                else:
                    raise YamlError(line, "unknown escape '\\%s' in a double-quoted scalar: YAML rejects it; "
                                    "write the backslash twice (\"\\\\%s\") or use a plain or 'single-quoted' scalar, where \\ is literal" % (e, e))
            else:
                out.append(c)
                i += 1


INDICATORS = {"&": "an anchor", "*": "an alias", "!": "a tag", "|": "a block scalar", ">": "a block scalar",
              "%": "a directive", "@": "reserved", "`": "reserved", "{": "a flow mapping", "}": "a flow mapping",
              "]": "a flow sequence end", ",": "a flow separator", "#": "a comment"}


def plain_scalar(text, line, in_flow=False):
    """Plain scalar up to a comment (' #') or end. Returns the raw text."""
    m = re.search(r"\s#", text)
    raw = (text[:m.start()] if m else text).strip()
    if raw == "":
        return raw
    c = raw[0]
    if c in INDICATORS:
        hint = ""
        if c == "*":
            hint = "; in a projection write \\* (Flink CDC turns \\* into *)"
        raise YamlError(line, "a plain scalar cannot start with '%s' (%s in YAML)%s: quote the value" % (c, INDICATORS[c], hint))
    if c in "-?:" and (len(raw) == 1 or raw[1] == " "):
        raise YamlError(line, "a plain scalar cannot start with '%s ' (YAML indicator): quote the value" % c)
    if ": " in raw or raw.endswith(":"):
        raise YamlError(line, "':' followed by a space inside a plain scalar starts a mapping in YAML: quote the value")
    if in_flow and any(x in raw for x in "[]{},"):
        raise YamlError(line, "flow indicator inside a flow sequence item: quote it")
    return raw


AMBIGUOUS_BOOL = {"y", "n", "yes", "no", "on", "off"}


def resolve_plain(raw, line):
    """Value as Jackson hands it to Map<String,String>; errors for YAML-1.1 surprises."""
    if raw in ("", "~", "null", "Null", "NULL"):
        return None
    if raw.lower() in AMBIGUOUS_BOOL:
        raise YamlError(line, "'%s' is a boolean in YAML 1.1 (Jackson/SnakeYAML): quote it" % raw)
    if raw in ("true", "True", "TRUE"):
        return "true"
    if raw in ("false", "False", "FALSE"):
        return "false"
    if re.match(r"[-+]?(0[0-9]+|0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_]*_[0-9_]*)\Z", raw) or re.match(r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN)\Z", raw):
        raise YamlError(line, "'%s' may be read as a number in another base or form (YAML 1.1): quote it" % raw)
    if re.match(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+\Z", raw) or re.match(r"[-+]?\.[0-9]+\Z", raw) or re.match(r"\+[0-9]", raw):
        raise YamlError(line, "'%s' is a number whose text Jackson would rewrite: quote it" % raw)
    return raw


def parse_inline_value(text, line):
    """Value text after 'key: ' or '- '. Returns a Node."""
    t = text.strip()
    if t.startswith("'") or t.startswith('"'):
        v, rest = parse_quoted(t, line)
        _rest_is_comment(rest, line)
        return Node("scalar", v, line, "single" if t[0] == "'" else "double")
    if t.startswith("["):
        items, i = [], 1
        body = t
        while True:
            while i < len(body) and body[i] == " ":
                i += 1
            if i >= len(body):
                raise YamlError(line, "flow sequence not closed on this line (multi-line flow is not supported)")
            if body[i] == "]":
                _rest_is_comment(body[i + 1:], line)
                return Node("seq", items, line, "flow")
            if body[i] in "'\"":
                v, rest = parse_quoted(body[i:], line)
                items.append(Node("scalar", v, line, "single" if body[i] == "'" else "double"))
                i = len(body) - len(rest)
            else:
                j = i
                while j < len(body) and body[j] not in ",]":
                    j += 1
                raw = plain_scalar(body[i:j], line, in_flow=True)
                if raw == "":
                    raise YamlError(line, "empty item in a flow sequence")
                items.append(Node("scalar", resolve_plain(raw, line), line, "plain"))
                i = j
            while i < len(body) and body[i] == " ":
                i += 1
            if i < len(body) and body[i] == ",":
                i += 1
            elif i < len(body) and body[i] == "]":
                continue
            else:
                raise YamlError(line, "expected ',' or ']' in a flow sequence")
    raw = plain_scalar(t, line)
    return Node("scalar", resolve_plain(raw, line), line, "plain")


def split_key(content, line):
    """'key: rest' -> (key, rest) or None if the content is not a mapping entry."""
    if content.startswith("'") or content.startswith('"'):
        k, rest = parse_quoted(content, line)
        if rest.startswith(":") and (len(rest) == 1 or rest[1] == " "):
            return k, rest[1:]
        return None
    m = re.search(r":( |$)", content)
    if not m:
        return None
    key = content[:m.start()].rstrip()
    if "#" in key and re.search(r"\s#", key):
        return None
    if key == "" or key[0] in INDICATORS or key[0] in "[-?":
        if key.startswith("- ") or key == "-":
            return None
        raise YamlError(line, "unsupported mapping key %r" % key)
    return key, content[m.end() - (1 if m.group(1) == " " else 0):]


def logical_lines(text):
    out = []
    started = False
    for no, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        stripped = line.lstrip(" ")
        lead = line[:len(line) - len(stripped)]
        if stripped.startswith("\t") or "\t" in lead:
            raise YamlError(no, "tab in indentation (YAML allows spaces only)")
        body = stripped.rstrip()
        if body == "" or body.startswith("#"):
            continue
        if re.match(r"---(\s|$)", body) and not lead:
            if started:
                raise YamlError(no, "a second YAML document ('---') is not supported: one pipeline per file")
            started = True
            rest = body[3:].strip()
            if rest and not rest.startswith("#"):
                raise YamlError(no, "content after '---' is not supported")
            continue
        if re.match(r"\.\.\.(\s|$)", body) and not lead:
            break
        if body.startswith("%"):
            raise YamlError(no, "YAML directives are not supported")
        started = True
        out.append([no, len(lead), body])
    return out


def is_seq_item(content):
    return content == "-" or content.startswith("- ")


def parse_yaml(text):
    lines = logical_lines(text)
    if not lines:
        raise YamlError(1, "empty document")
    node, i = parse_node(lines, 0, lines[0][1])
    if i < len(lines):
        raise YamlError(lines[i][0], "unexpected indentation or content")
    return node


def parse_node(lines, i, indent):
    no, ind, content = lines[i]
    if is_seq_item(content):
        return parse_seq(lines, i, ind)
    if split_key(content, no) is not None:
        return parse_map(lines, i, ind)
    raise YamlError(no, "a bare scalar line here is not supported (multi-line scalars are not part of the subset)")


def parse_map(lines, i, n):
    node = Node("map", {}, lines[i][0])
    while i < len(lines):
        no, ind, content = lines[i]
        if ind < n:
            break
        if ind > n:
            raise YamlError(no, "unexpected indentation (a multi-line scalar or a missing key?)")
        if is_seq_item(content):
            raise YamlError(no, "a '- ' item where a 'key: value' line is expected")
        kv = split_key(content, no)
        if kv is None:
            raise YamlError(no, "expected 'key: value'")
        key, rest = kv
        if key in node.value:
            raise YamlError(no, "duplicate key '%s' (first at line %d)" % (key, node.keylines[key]))
        node.keylines[key] = no
        i += 1
        if rest.strip() and not rest.strip().startswith("#"):
            child = parse_inline_value(rest, no)
        elif i < len(lines) and lines[i][1] > n:
            child, i = parse_node(lines, i, lines[i][1])
        elif i < len(lines) and lines[i][1] == n and is_seq_item(lines[i][2]):
            child, i = parse_seq(lines, i, n)
        else:
            child = Node("scalar", None, no, "plain")
        node.value[key] = child
    return node, i


def parse_seq(lines, i, n):
    node = Node("seq", [], lines[i][0])
    while i < len(lines):
        no, ind, content = lines[i]
        if ind < n:
            break
        if ind > n:
            raise YamlError(no, "unexpected indentation in a sequence")
        if not is_seq_item(content):
            break
        after = content[1:]
        rest = after.lstrip(" ")
        col = n + 1 + (len(after) - len(rest))
        if rest == "" or rest.startswith("#"):
            i += 1
            if i < len(lines) and lines[i][1] > n:
                child, i = parse_node(lines, i, lines[i][1])
            else:
                child = Node("scalar", None, no, "plain")
        elif is_seq_item(rest) or split_key(rest, no) is not None:
            lines[i] = [no, col, rest]          # the item's content is a node at column col
            child, i = parse_node(lines, i, col)
        else:
            child = parse_inline_value(rest, no)
            i += 1
        node.value.append(child)
    return node, i


# ----------------------------------------------------------------------------------------------
# Pattern rules (Flink CDC Selectors and TableIdRouter)

def _escaped_split(s, sep):
    """Predicates.RegExSplitterBy{Comma,Dot}: '\\' escapes the next char; returns raw parts."""
    parts, start, i = [], 0, 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 >= len(s):
                raise ValueError("unterminated escape sequence at the end of the pattern")
            i += 2
            continue
        if c == sep:
            parts.append(s[start:i])
            start = i + 1
        i += 1
    parts.append(s[start:])
    return parts


def _java_to_py_regex(rx):
    return re.sub(r"\(\?<(?![=!])", "(?P<", rx)


def regex_problem(rx, flags=0):
    try:
        return None, re.compile(_java_to_py_regex(rx), flags)
    except re.error as e:
        return "'%s' is not a valid regular expression (%s; checked with Python re, close to Java's Pattern)" % (rx, e), None


def selector_problems(value, for_mysql=True):
    """Problems of a Selectors pattern list (tables, tables.exclude, transform source-table)."""
    out = []
    if value is None or value == "":
        return ["empty table pattern (Selectors: 'Invalid table inclusion pattern cannot be null or empty')"]
    try:
        items = _escaped_split(value, ",")
    except ValueError as e:
        return [str(e)]
    for raw in items:
        item = raw.strip().replace("\\,", ",")
        if raw == "":
            continue
        if item == "":
            out.append("empty item in the pattern list %r" % value)
            continue
        try:
            parts = [p.strip().replace("\\.", ".") for p in _escaped_split(item, ".") if p != ""]
        except ValueError as e:
            out.append(str(e))
            continue
        if not 1 <= len(parts) <= 3:
            out.append("'%s' has %d dot-separated parts; Flink CDC accepts 1-3 (write a regex dot as \\.)" % (item, len(parts)))
            continue
        if for_mysql and len(parts) == 1:
            out.append("'%s' has no database part: a 1-part pattern never matches a MySQL table (they are db.table); write db_regex.table_regex" % item)
        if for_mysql and len(parts) == 3:
            out.append("'%s' has 3 parts: MySQL tables have no namespace, so the first part is ignored; write db_regex.table_regex" % item)
        for p in parts:
            for sub in _escaped_split(p, ","):
                sub = sub.strip().replace("\\,", ",")
                if sub == "":
                    continue
                prob, _ = regex_problem(sub, re.IGNORECASE)
                if prob:
                    out.append(prob + (" (a '\\,' inside a part is split again by Predicates#includes)" if "," in p else ""))
    return out


def route_regex(value):
    """TableIdRouter#convertTableListToRegExpPattern."""
    parts = value.split(",")
    while parts and parts[-1] == "":
        parts.pop()
    s = "|".join(p.strip() for p in parts)
    ph = "\0DOT\0"
    return s.replace("\\.", ph).replace(".", "\\.").replace(ph, ".")


def replacement_problems(repl, groups, names):
    """java.util.regex.Matcher#appendReplacement rules for route sink-table."""
    i = 0
    while i < len(repl):
        c = repl[i]
        if c == "\\":
            if i + 1 >= len(repl):
                return "trailing '\\' in sink-table (character to be escaped is missing)"
            i += 2
        elif c == "$":
            if i + 1 >= len(repl):
                return "'$' at the end of sink-table (group index is missing)"
            nxt = repl[i + 1]
            if nxt == "{":
                j = repl.find("}", i)
                if j < 0 or repl[i + 2:j] not in names:
                    return "sink-table refers to a named group '%s' the source-table regex does not define" % repl[i + 2:j if j > 0 else None]
                i = j + 1
            elif nxt.isdigit():
                if int(nxt) > groups:
                    return "sink-table uses $%s but the source-table regex has %d capture group(s) (Matcher: 'No group %s')" % (nxt, groups, nxt)
                i += 2
                while i < len(repl) and repl[i].isdigit() and int(repl[i - 1:i + 1]) <= groups:
                    i += 1
            else:
                return "'$%s' in sink-table is an illegal group reference (a literal $ must be written \\$)" % nxt
        else:
            i += 1
    return None


# ----------------------------------------------------------------------------------------------
# Checker

class Report:
    def __init__(self):
        self.errors, self.warnings = [], []
        self.files = self.keys = 0

    def err(self, f, line, ctx, msg):
        self.errors.append((f, line, "%s:%d: %s: %s" % (f, line, ctx, msg)))

    def warn(self, f, line, ctx, msg):
        self.warnings.append((f, line, "%s:%d: %s: warning: %s" % (f, line, ctx, msg)))

    def lines(self):
        return [m for _, _, m in sorted(self.errors + self.warnings, key=lambda x: (x[0], x[1]))]


def scalar_map(f, node, ctx, rep, allow_lists=()):
    """A mapping whose values must be scalars (Map<String,String>). Returns {key: (value, line)}."""
    out = {}
    if node.kind != "map":
        rep.err(f, node.line, ctx, "must be a mapping of keys to values")
        return out
    for k, v in node.value.items():
        rep.keys += 1
        line = node.keylines[k]
        if k in allow_lists:
            out[k] = (v, line)
            continue
        if v.kind != "scalar":
            rep.err(f, line, ctx, "'%s' must be a scalar: Flink CDC reads %s as Map<String,String>" % (k, ctx.split("[")[0]))
            continue
        if v.value is None:
            rep.err(f, line, ctx, "'%s' is null in YAML (empty, ~ or null): write '' for an empty string" % k)
            continue
        out[k] = (v.value, line)
    return out


def check_value(f, ctx, key, value, line, o, values, rep):
    t = o["type"]
    if t in ("table-patterns",):
        for p in selector_problems(value):
            rep.err(f, line, ctx, "%s: %s" % (key, p))
        return None
    if t == "chunk-key-columns":
        parts = value.split(";")
        while parts and parts[-1] == "":
            parts.pop()
        for part in parts:
            kv = part.split(":")
            while kv and kv[-1] == "":
                kv.pop()
            if len(kv) != 2:
                rep.err(f, line, ctx, "%s: '%s' is not 'db.table_regex:column' (MySqlDataSourceFactory splits on ';' then ':')" % (key, part))
                continue
            for p in selector_problems(kv[0]):
                rep.err(f, line, ctx, "%s: %s" % (key, p))
            if not kv[1].strip():
                rep.err(f, line, ctx, "%s: empty column in '%s'" % (key, part))
        return None
    if t == "metadata-list":
        for m in [x.strip() for x in value.split(",")]:
            if m and m not in o["values"]:
                rep.err(f, line, ctx, "%s: '%s' cannot be found in mysql metadata (%s)" % (key, m, ", ".join(o["values"])))
        return None
    if t == "zone-id" and value == "systemDefault":
        return value
    ok, parsed, msg = OPT.parse_value(o, value)
    if not ok:
        rep.err(f, line, ctx, "%s = '%s': %s (%s)" % (key, value, msg, o["source"]))
        return None
    for c in o.get("constraints", []):
        bad = []
        if "gt" in c and not parsed > c["gt"]:
            bad.append("> %s" % c["gt"])
        if "ge" in c and not parsed >= c["ge"]:
            bad.append(">= %s" % c["ge"])
        if "le" in c and not parsed <= c["le"]:
            bad.append("<= %s" % c["le"])
        if bad:
            rep.err(f, line, ctx, "%s = '%s' must be %s (%s)" % (key, value, " and ".join(bad), c["source"]))
    if "clamp" in o and not o["clamp"][0] <= parsed <= o["clamp"][1]:
        rep.warn(f, line, ctx, "%s = '%s' is clamped to [%d, %d] by the connector" % (key, value, o["clamp"][0], o["clamp"][1]))
    if o.get("charset") == "[-_A-Za-z0-9]" and not re.match(r"[-_A-Za-z0-9]*\Z", value):
        rep.err(f, line, ctx, "%s = '%s': only [-_A-Za-z0-9] allowed" % (key, value))
    return parsed


def check_connector(f, ctx, kind, values, type_line, rep):
    """values: {key: (value, line)} without generic keys. Returns {key: parsed-or-raw}."""
    idx = {}
    for k, o in kind["options"].items():
        idx[k] = (k, o)
        for fk in o.get("fallback_keys", []):
            idx[fk] = (k, o)
    prefixes = kind.get("passthrough_prefixes", {})
    got = {}
    # with scan.binlog.newly-added-table.enabled the mysql source rewrites 'tables' with the route
    # dialect (MySqlDataSourceFactory: convertTableListToRegExpPattern) instead of Selectors
    route_dialect = str(values.get("scan.binlog.newly-added-table.enabled", ("false", 0))[0]).lower() == "true"
    for k, (v, line) in values.items():
        if route_dialect and k in ("tables", "tables.exclude"):
            prob, _ = regex_problem(route_regex(v))
            if prob:
                rep.err(f, line, ctx, "%s (route dialect, scan.binlog.newly-added-table.enabled): %s" % (k, prob))
            got[k] = v
            continue
        if any(k.startswith(p) for p in prefixes):
            got[k] = v
            continue
        if k not in idx:
            import difflib
            near = difflib.get_close_matches(k, list(idx), n=1)
            rep.err(f, line, ctx, "unknown key '%s'%s (%s; prefixes: %s)" % (k, " (did you mean '%s'?)" % near[0] if near else "", kind["factory"], ", ".join(prefixes)))
            continue
        canon, o = idx[k]
        parsed = check_value(f, ctx, k, v, line, o, got, rep)
        got[canon] = parsed if parsed is not None else v
    for k, o in kind["options"].items():
        if o.get("required") and k not in got and not any(fk in values for fk in o.get("fallback_keys", [])):
            rep.err(f, type_line, ctx, "missing required key '%s' (%s)" % (k, kind["factory"]))
    return got


def check_pipeline_doc(f, root, schema, rep, default_par):
    if root.kind != "map":
        rep.err(f, root.line, "top-level", "the pipeline definition must be a mapping")
        return
    top = schema["top_level"]
    for k in root.value:
        if k not in top["required"] + top["optional"]:
            rep.err(f, root.keylines[k], "top-level", "unexpected key '%s' (allowed: %s; Flink settings belong in Flink's config, not here)" % (k, ", ".join(top["required"] + top["optional"])))
    for k in top["required"]:
        if k not in root.value:
            rep.err(f, 1, "top-level", "missing required block '%s'" % k)

    # pipeline first: parallelism and behavior feed the other checks
    pipe = {}
    pnode = root.value.get("pipeline")
    if pnode is not None and not (pnode.kind == "scalar" and pnode.value is None):
        psch = schema["pipeline"]
        if pnode.kind != "map":
            rep.err(f, pnode.line, "pipeline", "must be a mapping")
        else:
            for lk, lsch in psch["list_keys"].items():
                if lk in pnode.value:
                    rep.keys += 1
                    ln = pnode.value[lk]
                    items = ln.value if ln.kind == "seq" else ([ln] if lk == "model" and ln.kind == "map" else None)
                    if items is None:
                        rep.err(f, pnode.keylines[lk], "pipeline", "'%s' must be a list ('- name: ...')" % lk)
                        continue
                    for n, it in enumerate(items):
                        c = "pipeline.%s[%d]" % (lk, n)
                        if it.kind != "map":
                            rep.err(f, it.line, c, "must be a mapping")
                            continue
                        for req in [k for k, v in lsch["item_keys"].items() if v["required"]]:
                            if req not in it.value:
                                rep.err(f, it.line, c, "missing required key '%s' (%s)" % (req, lsch["source"]))
                        if lk == "user-defined-function":
                            for k in it.value:
                                if k not in lsch["item_keys"]:
                                    rep.err(f, it.keylines[k], c, "unexpected key '%s' (allowed: %s)" % (k, ", ".join(lsch["item_keys"])))
            plain = {k: v for k, v in pnode.value.items() if k not in psch["list_keys"]}
            tmp = Node("map", plain, pnode.line)
            tmp.keylines = pnode.keylines
            vals = scalar_map(f, tmp, "pipeline", rep)
            for k, (v, line) in vals.items():
                if k not in psch["options"]:
                    rep.err(f, line, "pipeline", "unknown pipeline key '%s': Flink CDC ignores it silently (PipelineOptions has: %s)" % (k, ", ".join(psch["options"])))
                    continue
                p = check_value(f, "pipeline", k, v, line, psch["options"][k], pipe, rep)
                pipe[k] = (p if p is not None else v, line)
            if "operator.uid.prefix" in pipe and "schema.operator.uid" in pipe:
                rep.err(f, pipe["schema.operator.uid"][1], "pipeline", "operator.uid.prefix and schema.operator.uid cannot both be set (FlinkPipelineComposer#translate)")
    if "parallelism" in pipe and isinstance(pipe["parallelism"][0], int):
        par = pipe["parallelism"][0]
    else:
        par = default_par
        if "parallelism" not in pipe:
            rep.warn(f, pnode.line if pnode is not None else 1, "pipeline", "no pipeline.parallelism: the flink-cdc.sh CLI takes it from $FLINK_CDC_HOME/conf/flink-cdc.yaml (shipped: 4), the code default is 1; set it explicitly (checked with %d)" % par)
    if "schema.change.behavior" not in pipe:
        rep.warn(f, pnode.line if pnode is not None else 1, "pipeline", "no schema.change.behavior: the CLI's shipped conf/flink-cdc.yaml says EVOLVE, the code default is LENIENT; set it explicitly")
    batch = str(pipe.get("execution.runtime-mode", ("STREAMING", 0))[0]).upper() == "BATCH"

    # source
    src_type = None
    snode = root.value.get("source")
    if snode is not None:
        vals = scalar_map(f, snode, "source", rep)
        gen = schema["source"]["generic_keys"]
        if "type" not in vals:
            rep.err(f, snode.line, "source", "missing required key 'type' (%s)" % schema["source"]["source"])
        else:
            src_type = vals["type"][0]
            kind = schema["source"]["types"].get(src_type)
            if kind is None:
                rep.err(f, vals["type"][1], "source", "source type '%s' is not in the schema (%s)" % (src_type, ", ".join(schema["source"]["types"])))
            else:
                opts = {k: v for k, v in vals.items() if k not in gen}
                got = check_connector(f, "source", kind, opts, vals["type"][1], rep)
                check_mysql_source(f, got, opts, vals["type"][1], par, batch, rep)

    # sink
    knode = root.value.get("sink")
    sink_type = None
    if knode is not None:
        ssch = schema["sink"]
        lists = ("include.schema.changes", "exclude.schema.changes")
        vals = scalar_map(f, knode, "sink", rep, allow_lists=lists)
        for lk in lists:
            if lk in vals:
                node, line = vals.pop(lk)
                if node.kind != "seq":
                    rep.err(f, line, "sink", "%s must be a list ([add.column, ...] or '- ' items); Flink CDC silently ignores a scalar here" % lk)
                    continue
                tags = ssch["schema_change_event_types"]
                for it in node.value:
                    if it.kind != "scalar" or it.value is None:
                        rep.err(f, it.line, "sink", "%s: items must be event-type tags" % lk)
                    elif it.value not in tags["tags"] and it.value not in tags["families"]:
                        rep.err(f, it.line, "sink", "%s: unknown tag '%s' matches nothing (tags: %s; families: %s)" % (lk, it.value, ", ".join(tags["tags"]), ", ".join(tags["families"])))
        if "type" not in vals:
            rep.err(f, knode.line, "sink", "missing required key 'type' (%s)" % ssch["source"])
        else:
            sink_type = vals["type"][0]
            kind = ssch["types"].get(sink_type)
            if kind is None:
                rep.err(f, vals["type"][1], "sink", "sink type '%s' is not in the schema (%s)" % (sink_type, ", ".join(ssch["types"])))
            else:
                opts = {k: v for k, v in vals.items() if k not in ssch["generic_keys"]}
                got = check_connector(f, "sink", kind, opts, vals["type"][1], rep)
                if "load-url" in got and isinstance(got["load-url"], list):
                    for item in got["load-url"]:
                        if len(item.split(":")) < 2:
                            rep.err(f, opts["load-url"][1], "sink", "load-url item '%s' is not 'host:port'" % item)
                for k, v in kind["fixed_by_factory"].items():
                    if k in opts:
                        rep.warn(f, opts[k][1], "sink", "%s is overridden by the factory with '%s' (StarRocksDataSinkFactory#buildSinkConnectorOptions)" % (k, v))
                if "table.schema-change.timeout" in got and isinstance(got["table.schema-change.timeout"], (int, float)) and got["table.schema-change.timeout"] % 1000:
                    rep.warn(f, opts["table.schema-change.timeout"][1], "sink", "table.schema-change.timeout is used in whole seconds; the fraction is dropped")

    # route
    rnode = root.value.get("route")
    if rnode is not None:
        rsch = schema["route"]["item_keys"]
        if rnode.kind != "seq":
            rep.err(f, rnode.line, "route", "must be a list: 'route:' then '- source-table: ...' items (YamlPipelineDefinitionParser: 'Perhaps you missed a dash prefix')")
        else:
            for n, it in enumerate(rnode.value):
                ctx = "route[%d]" % n
                vals = scalar_map(f, it, ctx, rep)
                check_item_keys(f, ctx, it, vals, rsch, rep)
                if "source-table" not in vals:
                    continue
                st, sline = vals["source-table"]
                rx = route_regex(st)
                prob, cre = regex_problem(rx)
                if prob:
                    rep.err(f, sline, ctx, "source-table '%s' becomes the regex '%s', which %s" % (st, rx, prob.split("' ", 1)[1]))
                    continue
                if "sink-table" not in vals:
                    continue
                sk, kline = vals["sink-table"]
                sym = vals.get("replace-symbol", (None, 0))[0]
                if sym is not None:
                    if sym == "":
                        rep.err(f, vals["replace-symbol"][1], ctx, "empty replace-symbol")
                        continue
                    if sym not in sk:
                        rep.warn(f, kline, ctx, "replace-symbol '%s' does not occur in sink-table '%s'" % (sym, sk))
                    if re.search(r"\$\d", sk):
                        rep.err(f, kline, ctx, "sink-table uses $n capture groups together with replace-symbol: capture groups are not applied then (DOC-ROUTE)")
                    target = sk.replace(sym, "t")
                else:
                    p = replacement_problems(sk, cre.groups, set(cre.groupindex))
                    if p:
                        rep.err(f, kline, ctx, p)
                        continue
                    target = re.sub(r"\$(\d|\{\w+\})", "x", sk).replace("\\", "")
                parts = target.split(".")
                while parts and parts[-1] == "":
                    parts.pop()
                if sink_type == "starrocks" and len(parts) != 2:
                    rep.err(f, kline, ctx, "sink-table '%s' must name 'database.table' for the starrocks sink (TableId#parse gives %d part(s); StarRocksUtils uses the schema name as the database)" % (sk, len(parts)))
                elif not 1 <= len(parts) <= 3:
                    rep.err(f, kline, ctx, "sink-table '%s' has %d dot-separated parts; TableId#parse accepts 1-3" % (sk, len(parts)))

    # transform
    tnode = root.value.get("transform")
    if tnode is not None:
        tsch = schema["transform"]["item_keys"]
        meta = schema["metadata_columns"]
        if tnode.kind != "seq":
            rep.err(f, tnode.line, "transform", "must be a list: 'transform:' then '- source-table: ...' items")
        else:
            for n, it in enumerate(tnode.value):
                ctx = "transform[%d]" % n
                vals = scalar_map(f, it, ctx, rep)
                check_item_keys(f, ctx, it, vals, tsch, rep)
                if "source-table" in vals:
                    for p in selector_problems(vals["source-table"][0], for_mysql=(src_type == "mysql")):
                        rep.err(f, vals["source-table"][1], ctx, "source-table: %s" % p)
                for k in ("projection", "filter"):
                    if k not in vals:
                        continue
                    for name in sorted(set(re.findall(r"\b__\w+?__\b", vals[k][0]))):
                        if name not in meta["names"]:
                            rep.warn(f, vals[k][1], ctx, "%s uses %s, which is not a metadata column (%s)" % (k, name, ", ".join(meta["names"])))
                        elif name == "__namespace_name__" and src_type == "mysql":
                            rep.warn(f, vals[k][1], ctx, "%s uses __namespace_name__, which is NULL for MySQL: the database is __schema_name__ (%s)" % (k, "MySqlEventDeserializer; TransformE2eITCase"))
                for k in ("primary-keys", "partition-keys"):
                    if k in vals and any(not x.strip() for x in vals[k][0].split(",")):
                        rep.err(f, vals[k][1], ctx, "%s '%s' has an empty column name" % (k, vals[k][0]))
                if "table-options" in vals:
                    delim = vals.get("table-options.delimiter", (",", 0))[0] or ","
                    for item in vals["table-options"][0].split(delim):
                        if len(item.split("=", 1)) != 2:
                            rep.err(f, vals["table-options"][1], ctx, "table-options item '%s' is not key=value (SchemaMetadataTransform)" % item)
                if "converter-after-transform" in vals and vals["converter-after-transform"][0] not in tsch["converter-after-transform"]["values"]:
                    rep.err(f, vals["converter-after-transform"][1], ctx, "converter-after-transform '%s' is not one of %s (PostTransformConverters#of, case-sensitive)"
                            % (vals["converter-after-transform"][0], ", ".join(tsch["converter-after-transform"]["values"])))


def check_item_keys(f, ctx, node, vals, item_keys, rep):
    if node.kind != "map":
        return
    for k in node.value:
        if k not in item_keys:
            rep.err(f, node.keylines[k], ctx, "unexpected key '%s' (allowed: %s)" % (k, ", ".join(item_keys)))
    for k, v in item_keys.items():
        if v["required"] and k not in node.value:
            rep.err(f, node.line, ctx, "missing required key '%s'" % k)


def check_mysql_source(f, got, opts, type_line, par, batch, rep):
    line = lambda k: opts[k][1] if k in opts else type_line
    sid = got.get("server-id")
    if sid is None:
        rep.err(f, type_line, "source", "no server-id: a random id in 5400-6400 is used; set a range of at least the pipeline parallelism (%d)" % par)
    else:
        r, msg = OPT.parse_server_id(str(sid))
        if r is None:
            rep.err(f, line("server-id"), "source", msg)
        elif r[1] - r[0] + 1 < par:
            rep.err(f, line("server-id"), "source", "server-id '%s' holds %d id(s) but the source runs with pipeline parallelism %d: use a range of >= %d ids"
                    % (sid, r[1] - r[0] + 1, par, par))
    mode = str(got.get("scan.startup.mode", "initial")).lower()
    if batch and mode != "snapshot":
        rep.err(f, line("scan.startup.mode"), "source", "execution.runtime-mode = BATCH needs scan.startup.mode = snapshot (MySqlDataSourceFactory)")
    if mode == "specific-offset" and "scan.startup.specific-offset.gtid-set" not in got and not (
            "scan.startup.specific-offset.file" in got and "scan.startup.specific-offset.pos" in got):
        rep.err(f, line("scan.startup.mode"), "source", "specific-offset needs scan.startup.specific-offset.gtid-set or .file and .pos")
    if mode == "timestamp" and "scan.startup.timestamp-millis" not in got:
        rep.err(f, line("scan.startup.mode"), "source", "scan.startup.mode = timestamp needs scan.startup.timestamp-millis")
    if got.get("scan.binlog.newly-added-table.enabled") is True and got.get("scan.newly-added-table.enabled") is True:
        rep.err(f, line("scan.binlog.newly-added-table.enabled"), "source", "scan.binlog.newly-added-table.enabled and scan.newly-added-table.enabled cannot both be true (MySqlDataSourceFactory)")


def check_text(f, text, schema, rep, default_par=4):
    rep.files += 1
    try:
        root = parse_yaml(text)
    except YamlError as e:
        rep.err(f, e.line, "yaml", str(e))
        return
    check_pipeline_doc(f, root, schema, rep, default_par)


# ----------------------------------------------------------------------------------------------
# Self-test

GOOD = r"""# smt-style pipeline
source:
  type: mysql
  name: MySQL shards
  hostname: mysql.internal
  port: 3306
  username: cdc
  password: ''
  tables: shop_\d+.orders_\d+, shop_\d+.items
  tables.exclude: shop_0.orders_tmp\.*
  server-id: 5400-5403          # >= parallelism
  server-time-zone: UTC
  scan.startup.mode: initial
  scan.incremental.snapshot.chunk.size: 8096
  scan.incremental.snapshot.chunk.key-column: shop_\d+.items:item_id
  metadata.list: op_ts
  jdbc.properties.useSSL: 'false'
  debezium.snapshot.locking.mode: none
sink:
  type: starrocks
  name: StarRocks
  jdbc-url: jdbc:mysql://fe1:9030
  load-url: fe1:8030;fe2:8030
  username: root
  password: ""
  sink.label-prefix: orders_merge
  sink.buffer-flush.interval-ms: 5000
  table.create.properties.replication_num: '1'
  table.create.properties.fast_schema_evolution: "true"
  exclude.schema.changes: [drop, truncate.table]
transform:
  - source-table: shop_\d+.orders_\d+
    projection: \*, __schema_name__ AS src_db, __table_name__ AS src_table
    primary-keys: src_db, src_table, id
    description: "keep origin: shard key"
  - source-table: shop_\d+.items
    primary-keys: item_id
    table-options: replication_num=1
route:
  - source-table: shop_\d+.orders_\d+
    sink-table: ods.orders_all
    description: merge all shards into one table
  - source-table: shop_(\d+).items
    sink-table: ods.items_$1
  - source-table: shop_0.\.*
    sink-table: ods0.<>
    replace-symbol: <>
pipeline:
  name: merge order shards
  parallelism: 4
  schema.change.behavior: lenient
  route-mode: FIRST_MATCH
"""


def variant(old, new, count=1):
    assert old in GOOD, old
    return GOOD.replace(old, new, count)


SELF_TESTS = [
    ("good: reference pipeline", GOOD, None),
    ("good: sequence at key indent, flow list, no optional blocks",
     "source:\n  type: mysql\n  hostname: h\n  username: u\n  password: p\n  tables: db.t\n  server-id: '5400'\nsink:\n  type: starrocks\n  jdbc-url: jdbc:mysql://fe:9030\n  load-url: fe:8030\n  username: root\n  password: ''\n  include.schema.changes:\n  - add.column\n  - create\nroute:\n- source-table: db.t\n  sink-table: ods.t\npipeline:\n  parallelism: 1\n  schema.change.behavior: EVOLVE\n", None),
    ("bad: top-level key", GOOD + "flink:\n  parallelism: 2\n", "unexpected key 'flink'"),
    ("bad: missing sink", GOOD.split("sink:")[0] + "pipeline:\n  parallelism: 4\n  schema.change.behavior: lenient\n", "missing required block 'sink'"),
    ("bad: unknown source key", variant("  port: 3306\n", "  port: 3306\n  scan.startup.mod: initial\n"), "unknown key 'scan.startup.mod'"),
    ("bad: missing source key", variant("  hostname: mysql.internal\n", ""), "missing required key 'hostname'"),
    ("bad: unknown sink key", variant("  sink.label-prefix: orders_merge\n", "  sink.semantic: exactly-once\n"), "unknown key 'sink.semantic'"),
    ("bad: unknown pipeline key", variant("  parallelism: 4\n", "  parallelism: 4\n  parallism: 8\n"), "unknown pipeline key 'parallism'"),
    ("bad: null password", variant("  password: ''\n", "  password:\n"), "'password' is null"),
    ("bad: yes as a value", variant("  username: cdc\n", "  username: yes\n"), "boolean in YAML 1.1"),
    ("bad: leading zero", variant("  port: 3306\n", "  port: 03306\n"), "another base"),
    ("bad: int type", variant("  port: 3306\n", "  port: 3306x\n"), "not an int"),
    ("bad: server-id narrower than parallelism", variant("  server-id: 5400-5403", "  server-id: 5400-5402"), "holds 3 id(s) but the source runs with pipeline parallelism 4"),
    ("bad: one server-id, parallelism from the CLI default (4)", variant("  parallelism: 4\n", "").replace("server-id: 5400-5403", "server-id: 5400"), "holds 1 id(s) but the source runs with pipeline parallelism 4"),
    ("bad: server-id syntax", variant("  server-id: 5400-5403", "  server-id: 5400..5403"), "server-id"),
    ("bad: tables 1 part", variant(r"  tables: shop_\d+.orders_\d+, shop_\d+.items", "  tables: orders"), "no database part"),
    ("bad: tables 4 parts", variant(r"  tables: shop_\d+.orders_\d+, shop_\d+.items", "  tables: a.b.c.d"), "4 dot-separated parts"),
    ("bad: tables regex", variant(r"  tables: shop_\d+.orders_\d+, shop_\d+.items", "  tables: shop_(.orders"), "not a valid regular expression"),
    ("bad: tables trailing backslash", variant(r"  tables: shop_\d+.orders_\d+, shop_\d+.items", "  tables: shop.orders\\"), "unterminated escape"),
    ("bad: double-quoted backslash-dot", variant(r"  tables: shop_\d+.orders_\d+, shop_\d+.items", '  tables: "shop.\\.*"'), "unknown escape"),
    ("bad: chunk key format", variant(r"  scan.incremental.snapshot.chunk.key-column: shop_\d+.items:item_id", r"  scan.incremental.snapshot.chunk.key-column: shop_\d+.items"), "not 'db.table_regex:column'"),
    ("bad: metadata.list", variant("  metadata.list: op_ts", "  metadata.list: op_ts, ts_ms"), "'ts_ms' cannot be found"),
    ("bad: interval below bundled connector minimum", variant("  sink.buffer-flush.interval-ms: 5000", "  sink.buffer-flush.interval-ms: 500"), "must be >= 1000"),
    ("bad: load-url item", variant("  load-url: fe1:8030;fe2:8030", "  load-url: fe1:8030;fe2"), "load-url item 'fe2'"),
    ("bad: schema change tag", variant("  exclude.schema.changes: [drop, truncate.table]", "  exclude.schema.changes: [drop, truncate]"), "unknown tag 'truncate'"),
    ("bad: schema change scalar", variant("  exclude.schema.changes: [drop, truncate.table]", "  exclude.schema.changes: drop"), "must be a list"),
    ("bad: route not a list", GOOD.split("route:")[0] + "route:\n  source-table: shop_0.orders\n  sink-table: ods.orders_all\npipeline:" + GOOD.split("pipeline:")[1], "must be a list"),
    ("bad: route missing sink-table", variant("    sink-table: ods.orders_all\n", ""), "missing required key 'sink-table'"),
    ("bad: route unknown key", variant("    sink-table: ods.orders_all\n", "    sink-table: ods.orders_all\n    sink_table: x.y\n"), "unexpected key 'sink_table'"),
    ("bad: route regex", variant("  - source-table: shop_(\\d+).items", "  - source-table: shop_(\\d+.items"), "not a valid regular expression"),
    ("bad: route group number", variant("    sink-table: ods.items_$1", "    sink-table: ods.items_$2"), "has 1 capture group"),
    ("bad: route sink-table parts", variant("    sink-table: ods.orders_all", "    sink-table: orders_all"), "must name 'database.table'"),
    ("bad: replace-symbol with group", variant("    sink-table: ods0.<>", "    sink-table: ods0.<>_$1"), "together with replace-symbol"),
    ("bad: transform unknown key", variant("    primary-keys: item_id\n", "    primary-key: item_id\n"), "unexpected key 'primary-key'"),
    ("bad: transform pattern", variant("  - source-table: shop_\\d+.items\n", "  - source-table: items\n"), "no database part"),
    ("bad: projection bare star", variant(r"    projection: \*, __schema_name__", "    projection: *, __schema_name__"), "cannot start with '*'"),
    ("bad: table-options", variant("    table-options: replication_num=1", "    table-options: replication_num"), "not key=value"),
    ("bad: converter", variant("    primary-keys: item_id\n", "    primary-keys: item_id\n    converter-after-transform: soft_delete\n"), "converter-after-transform 'soft_delete'"),
    ("bad: enum", variant("  schema.change.behavior: lenient", "  schema.change.behavior: relaxed"), "not one of IGNORE"),
    ("bad: parallelism zero", variant("  parallelism: 4", "  parallelism: 0"), "must be >= 1"),
    ("bad: batch needs snapshot", variant("  route-mode: FIRST_MATCH", "  route-mode: FIRST_MATCH\n  execution.runtime-mode: BATCH"), "needs scan.startup.mode = snapshot"),
    ("good: route dialect for tables with binlog newly-added tables", variant(r"  tables: shop_\d+.orders_\d+, shop_\d+.items", "  tables: orders_all\n  scan.binlog.newly-added-table.enabled: true"), None),
    ("bad: duplicate key", variant("  port: 3306\n", "  port: 3306\n  port: 3307\n"), "duplicate key 'port'"),
    ("bad: tab indentation", variant("  port: 3306\n", "\tport: 3306\n"), "tab in indentation"),
    ("bad: anchor", variant("  username: cdc", "  username: &u cdc"), "anchor"),
    ("bad: block scalar", variant("  username: cdc", "  username: |"), "block scalar"),
    ("bad: colon in plain", variant("    description: merge all shards into one table", "    description: merge: all"), "starts a mapping"),
    ("bad: unterminated quote", variant("  password: ''", "  password: 'abc"), "unterminated"),
    ("bad: bad indentation", variant("  port: 3306\n", "  port: 3306\n     extra: 1\n"), "unexpected indentation"),
    ("bad: nested map in source", variant("  port: 3306\n", "  port:\n    value: 3306\n"), "must be a scalar"),
    ("bad: uid options", variant("  route-mode: FIRST_MATCH", "  route-mode: FIRST_MATCH\n  operator.uid.prefix: smt\n  schema.operator.uid: x"), "cannot both be set"),
]


def schema_problems(schema):
    """Every option has a known type and every 'source' names a file of 'files'."""
    out, files, types = [], set(schema["files"]), set(schema["value_types"])
    def cited(x):
        return any(re.search(r"(^|[\s(;,=])%s(#|\b)" % re.escape(k), x) for k in files)
    blocks = [("source." + t, k) for t, k in schema["source"]["types"].items()]
    blocks += [("sink." + t, k) for t, k in schema["sink"]["types"].items()]
    blocks += [("pipeline", schema["pipeline"])]
    for name, b in blocks:
        for k, o in b["options"].items():
            if o["type"] not in types:
                out.append("%s.%s: unknown type %s" % (name, k, o["type"]))
            if not cited(o["source"]):
                out.append("%s.%s: source %r cites no file" % (name, k, o["source"]))
            for c in o.get("constraints", []):
                if not cited(c["source"]):
                    out.append("%s.%s: constraint source %r cites no file" % (name, k, c["source"]))
        for r in b.get("rules", []):
            if not cited(r["source"]):
                out.append("%s rule %s cites no file" % (name, r["id"]))
    return out


def self_test(schema):
    failed = 0
    for p in schema_problems(schema):
        print("FAIL schema: %s" % p)
        failed += 1
    for name, text, expected in SELF_TESTS:
        rep = Report()
        check_text("<%s>" % name, text, schema, rep)
        errs = [m for _, _, m in rep.errors]
        if expected is None:
            ok, why = not errs, "; ".join(errs)
        else:
            ok = any(expected in m for m in errs)
            why = "expected an error containing %r, got: %s" % (expected, "; ".join(errs) or "no errors")
        print("%s %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else "\n     " + why))
        failed += not ok
    good = sum(1 for _, _, e in SELF_TESTS if e is None)
    print("check-flink-cdc-pipeline self-test: %d cases (%d good, %d bad), %d failed" % (len(SELF_TESTS), good, len(SELF_TESTS) - good, failed))
    return 1 if failed else 0


def main(argv):
    args = argv[1:]
    schema_path, par, targets, selftest = DEFAULT_SCHEMA, 4, [], False
    while args:
        a = args.pop(0)
        if a == "--schema" and args:
            schema_path = args.pop(0)
        elif a == "--default-parallelism" and args:
            par = OPT.parse_int(args.pop(0))
            if not par or par < 1:
                print("--default-parallelism needs a positive integer", file=sys.stderr)
                return 2
        elif a == "--self-test":
            selftest = True
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("-"):
            print("unknown argument %s (see --help)" % a, file=sys.stderr)
            return 2
        else:
            targets.append(a)
    try:
        with open(schema_path, encoding="utf-8") as fh:
            schema = json.load(fh)
    except (OSError, ValueError) as e:
        print("cannot read schema %s: %s" % (schema_path, e), file=sys.stderr)
        return 2
    if selftest:
        return self_test(schema)
    files = []
    for t in targets or [os.path.join(os.path.dirname(HERE), "result")]:
        if os.path.isdir(t):
            files.extend(sorted(glob.glob(os.path.join(t, "*.yaml")) + glob.glob(os.path.join(t, "*.yml"))))
        elif os.path.exists(t):
            files.append(t)
        else:
            print("no such file or directory: %s" % t, file=sys.stderr)
            return 2
    rep = Report()
    for f in files:
        with open(f, encoding="utf-8") as fh:
            check_text(os.path.relpath(f), fh.read(), schema, rep, par)
    for line in rep.lines():
        print(line)
    print("check-flink-cdc-pipeline: %d file(s), %d key(s) checked: %d error(s), %d warning(s)"
          % (rep.files, rep.keys, len(rep.errors), len(rep.warnings)))
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
