#!/usr/bin/env python3
"""Check the connector options of generated Flink SQL against scripts/flink-connector-options.json.

Usage: check-flink-options.py [--spec FILE] [--parallelism N] [FILE_OR_DIR ...]   (default: result/)
       check-flink-options.py --self-test

Flink's SQL parser (scripts/check-flink-sql.py) cannot see connector options: without the
connector jars a WITH clause is just a map. This script reads every `CREATE TABLE ... WITH (...)`
and checks it against a spec extracted from the connectors' own source (mysql-cdc from
apache/flink-cdc, starrocks from StarRocks/starrocks-connector-for-apache-flink; tags in the spec):

  - unknown keys (not declared by the factory, not under a pass-through prefix) and missing
    required keys, as FactoryUtil's validateExcept would report them;
  - value types (int, long, double, boolean, duration, enum, list) as Flink's ConfigurationUtils
    parses them, and the connectors' own range checks;
  - mysql-cdc: `server-id` syntax ('N' or 'N-M'); with `scan.incremental.snapshot.enabled` =
    false a single integer; per file (= the jobs started together) no two mysql-cdc sources on
    the same host:port share an id, and each range holds at least the job parallelism
    (`SET 'table.exec.resource.default-parallelism'` > 0, else `SET 'parallelism.default'`,
    else --parallelism, default 1); a table without `PRIMARY KEY (...) NOT ENFORCED` needs
    `scan.incremental.snapshot.chunk.key-column` or `scan.incremental.snapshot.enabled` = false;
    METADATA keys; startup-mode companions;
  - starrocks: load-url items, sink.semantic / sink.version values, buffer ranges, merge-commit.

Directories are searched for `flink-create.*.sql` (as check-flink-sql.py does). Output:
`file:line: table: message` per problem (`warning:` lines do not fail), then one summary line.
Exit 1 on any error, 0 otherwise, 2 on a usage or spec problem. --self-test runs built-in good
and bad cases (every bad case must be reported, every good case must pass) so CI can prove the
checker can fail. Stdlib only.
"""

import difflib
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPEC = os.path.join(HERE, "flink-connector-options.json")
INT_MIN, INT_MAX = -2**31, 2**31 - 1
LONG_MIN, LONG_MAX = -2**63, 2**63 - 1


# ----------------------------------------------------------------------------------------------
# Tokenizer with line numbers: enough for WITH clauses, column lists and statement splitting.

class Tok:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line

    def is_word(self, *words):
        return self.kind == "word" and self.text.upper() in words

    def is_punct(self, c):
        return self.kind == "punct" and self.text == c

    def __repr__(self):
        return "Tok(%s,%r,%d)" % (self.kind, self.text, self.line)


class SqlError(Exception):
    def __init__(self, line, msg):
        super().__init__(msg)
        self.line = line


def tokenize(sql):
    """Tokens without whitespace/comments. kinds: sq ('..'), dq, bq (`..`), word, punct."""
    out, i, n, line = [], 0, len(sql), 1
    while i < n:
        c = sql[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            if j < 0:
                raise SqlError(line, "unterminated /* comment")
            line += sql.count("\n", i, j)
            i = j + 2
        elif c in "'\"`":
            j, start = i + 1, line
            while True:
                if j >= n:
                    raise SqlError(start, "unterminated %s quote" % c)
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:  # doubled quote = literal quote
                        j += 2
                        continue
                    break
                j += 1
            raw = sql[i + 1:j]
            out.append(Tok({"'": "sq", '"': "dq", "`": "bq"}[c], raw.replace(c + c, c), start))
            line += raw.count("\n")
            i = j + 1
        elif c.isalnum() or c == "_" or c == "$":
            j = i
            while j < n and (sql[j].isalnum() or sql[j] in "_$"):
                j += 1
            out.append(Tok("word", sql[i:j], line))
            i = j
        else:
            out.append(Tok("punct", c, line))
            i += 1
    return out


def split_statements(tokens):
    stmts, cur = [], []
    for t in tokens:
        if t.is_punct(";"):
            if cur:
                stmts.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        stmts.append(cur)
    return stmts


def matching_paren(toks, open_i):
    depth = 0
    for k in range(open_i, len(toks)):
        if toks[k].is_punct("("):
            depth += 1
        elif toks[k].is_punct(")"):
            depth -= 1
            if depth == 0:
                return k
    raise SqlError(toks[open_i].line, "unbalanced parenthesis")


def split_top_commas(toks):
    parts, cur, depth = [], [], 0
    for t in toks:
        if t.is_punct("(") or t.is_punct("<"):
            depth += 1
        elif t.is_punct(")") or t.is_punct(">"):
            depth -= 1
        if t.is_punct(",") and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        parts.append(cur)
    return parts


def ident(t):
    return t.text if t.kind in ("bq", "word") else None


class Table:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.columns = []          # physical column names
        self.metadata = []         # (column, key, virtual, line)
        self.pk = None             # list of columns or None
        self.options = []          # (key, value, line)


def parse_create_table(stmt):
    """stmt: tokens of one CREATE [TEMPORARY] TABLE statement."""
    k = 1
    while k < len(stmt) and stmt[k].is_word("TEMPORARY", "TABLE", "IF", "NOT", "EXISTS"):
        k += 1
    open_i = next((j for j in range(k, len(stmt)) if stmt[j].is_punct("(")), None)
    if open_i is None:
        return None  # CREATE TABLE ... LIKE / AS without columns: not ours
    parts = [ident(t) for t in stmt[k:open_i] if ident(t) is not None]
    tab = Table(parts[-1] if parts else "?", stmt[0].line)
    close_i = matching_paren(stmt, open_i)
    for elem in split_top_commas(stmt[open_i + 1:close_i]):
        if not elem:
            continue
        head = elem[0]
        if head.is_word("CONSTRAINT", "PRIMARY"):
            p = next((j for j, t in enumerate(elem) if t.is_word("KEY")), None)
            if p is not None and p + 1 < len(elem) and elem[p + 1].is_punct("("):
                e = matching_paren(elem, p + 1)
                tab.pk = [ident(t) for t in elem[p + 2:e] if ident(t) is not None]
            continue
        if head.is_word("WATERMARK"):
            continue
        name = ident(head)
        if name is None:
            continue
        if len(elem) > 1 and elem[1].is_word("AS"):
            continue  # computed column
        words = [t for t in elem[1:]]
        meta = next((j for j, t in enumerate(words) if t.is_word("METADATA")), None)
        if meta is not None:
            key = name
            if meta + 2 < len(words) and words[meta + 1].is_word("FROM") and words[meta + 2].kind == "sq":
                key = words[meta + 2].text
            virtual = any(t.is_word("VIRTUAL") for t in words)
            tab.metadata.append((name, key, virtual, head.line))
            continue
        tab.columns.append(name)
        for j in range(len(words) - 1):
            if words[j].is_word("PRIMARY") and words[j + 1].is_word("KEY"):
                tab.pk = [name]
    w = next((j for j in range(close_i + 1, len(stmt)) if stmt[j].is_word("WITH")), None)
    if w is None or w + 1 >= len(stmt) or not stmt[w + 1].is_punct("("):
        return tab
    wend = matching_paren(stmt, w + 1)
    for item in split_top_commas(stmt[w + 2:wend]):
        if len(item) == 3 and item[0].kind == "sq" and item[1].is_punct("=") and item[2].kind == "sq":
            tab.options.append((item[0].text, item[2].text, item[0].line))
        else:
            line = item[0].line if item else stmt[w].line
            raise SqlError(line, "WITH entry is not 'key' = 'value': %s" % " ".join(t.text for t in item))
    return tab


def parse_set(stmt):
    """SET 'k' = 'v' (or SET k = v). Returns (key, value, line) or None."""
    rest = stmt[1:]
    eq = next((j for j, t in enumerate(rest) if t.is_punct("=")), None)
    if eq is None:
        return None
    def join(ts):
        if len(ts) == 1 and ts[0].kind == "sq":
            return ts[0].text
        return "".join(t.text for t in ts).strip()
    return join(rest[:eq]), join(rest[eq + 1:]), stmt[0].line


# ----------------------------------------------------------------------------------------------
# Value parsing, mirroring Flink's ConfigurationUtils / TimeUtils (see value_types in the spec).

DURATION_UNITS = {}
for _unit, _ms, _labels in (
        ("d", 86400000, ["d", "day", "days"]), ("h", 3600000, ["h", "hour", "hours"]),
        ("min", 60000, ["min", "m", "minute", "minutes"]), ("s", 1000, ["s", "sec", "secs", "second", "seconds"]),
        ("ms", 1, ["ms", "milli", "millis", "millisecond", "milliseconds"]),
        ("us", 0.001, ["µs", "micro", "micros", "microsecond", "microseconds"]),
        ("ns", 0.000001, ["ns", "nano", "nanos", "nanosecond", "nanoseconds"])):
    for _l in _labels:
        DURATION_UNITS[_l] = _ms

JAVA_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
JAVA_DOUBLE_RE = re.compile(r"[+-]?(NaN|Infinity|(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)[fFdD]?)\Z")


def parse_int(v, lo=INT_MIN, hi=INT_MAX):
    if not JAVA_INT_RE.match(v):
        return None
    x = int(v)
    return x if lo <= x <= hi else None


def parse_duration_ms(v):
    t = v.strip()
    m = re.match(r"([0-9]*)(.*)\Z", t, re.S)
    num, unit = m.group(1), m.group(2).strip().lower()
    if not num:
        return None
    if unit == "":
        return int(num)
    if unit not in DURATION_UNITS:
        return None
    return int(num) * DURATION_UNITS[unit]


ZONE_OFFSET_RE = re.compile(r"(Z|[+-]\d{1,2}(:?\d{2}(:?\d{2})?)?|(UTC|GMT|UT)([+-]\d{1,2}(:?\d{2}(:?\d{2})?)?)?)\Z")


def zone_ok(v):
    if ZONE_OFFSET_RE.match(v):
        return True
    try:
        import zoneinfo
        zones = zoneinfo.available_timezones()
    except Exception:  # no tz database: accept Area/City shapes
        zones = set()
    if zones:
        return v in zones
    return bool(re.match(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)+\Z", v))


def parse_value(spec_opt, v):
    """Returns (ok, parsed, message)."""
    t = spec_opt["type"]
    if t in ("string", "server-id"):
        return True, v, None
    if t == "int":
        x = parse_int(v)
        return (x is not None), x, "not an int (Java Integer.parseInt: digits, optional sign, no spaces, 32-bit)"
    if t == "long":
        x = parse_int(v, LONG_MIN, LONG_MAX)
        return (x is not None), x, "not a long (Java Long.parseLong)"
    if t == "double":
        s = v.strip()
        if not JAVA_DOUBLE_RE.match(s):
            return False, None, "not a double (Java Double.parseDouble)"
        s2 = s.rstrip("fFdD") if not s.endswith("Infinity") else s
        return True, float(s2.replace("Infinity", "inf").replace("NaN", "nan")), None
    if t == "boolean":
        if v.upper() == "TRUE":
            return True, True, None
        if v.upper() == "FALSE":
            return True, False, None
        return False, None, "not a boolean: Flink accepts only true or false (case-insensitive)"
    if t == "duration":
        x = parse_duration_ms(v)
        return (x is not None), x, "not a duration: digits and an optional unit (ms default; d, h, min/m, s, ms, µs, ns)"
    if t == "enum":
        vals = spec_opt["values"]
        s = v.strip() if spec_opt.get("trim") else v
        if spec_opt.get("case_sensitive", True):
            ok = s in vals
        else:
            ok = s.lower() in [x.lower() for x in vals]
        return ok, s, "not one of %s%s" % (", ".join(vals), "" if spec_opt.get("case_sensitive", True) else " (case-insensitive)")
    if t == "list":
        return True, v.split(spec_opt.get("separator", ";")), None
    if t == "zone-id":
        return zone_ok(v), v, "not a java.time.ZoneId (e.g. UTC, +08:00, Asia/Shanghai)"
    return False, None, "spec: unknown type %r" % t


def parse_server_id(v):
    """ServerIdRange#from. Returns ((start, end), None) or (None, message)."""
    if "-" in v:
        parts = re.split("-", v)
        while parts and parts[-1] == "":  # Java String.split drops trailing empty strings
            parts.pop()
        if len(parts) != 2:
            return None, "server-id range must be 'N-M' (ServerIdRange#from), got '%s'" % v
        a, b = parse_int(parts[0].strip()), parse_int(parts[1].strip())
        if a is None or b is None:
            return None, "server-id '%s': both ends must be integers (ServerIdRange#parseServerId)" % v
    else:
        a = b = parse_int(v)
        if a is None:
            return None, "server-id '%s' is not an integer (ServerIdRange#parseServerId, no spaces allowed)" % v
    if a < 1 or b < 1:
        return None, "server-id '%s': ids must be >= 1 (MySQL server_id 0 is not a replica id)" % v
    if a > b:
        return None, "server-id range '%s' is reversed: the connector computes a negative id count and fails at runtime (ServerIdRange#getServerId)" % v
    return (a, b), None


def show_range(r):
    return str(r[0]) if r[0] == r[1] else "%d-%d" % r


# ----------------------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.errors, self.warnings = [], []
        self.tables = self.options = self.files = 0

    def err(self, f, line, table, msg):
        self.errors.append((f, line, "%s:%d: %s: %s" % (f, line, table, msg)))

    def warn(self, f, line, table, msg):
        self.warnings.append((f, line, "%s:%d: %s: warning: %s" % (f, line, table, msg)))

    def lines(self):
        """Errors and warnings in file order."""
        return [m for _, _, m in sorted(self.errors + self.warnings, key=lambda x: (x[0], x[1]))]


def java_regex_problem(rx):
    try:
        re.compile(rx)
        return None
    except re.error as e:
        return "not a valid regular expression (%s; checked with Python re, close to Java's Pattern)" % e


def option_index(cspec):
    """key -> (canonical key, option spec, kind) with kind in declared/fallback/deprecated."""
    idx = {}
    for k, o in cspec.get("options", {}).items():
        idx[k] = (k, o, "declared")
        for fk in o.get("fallback_keys", []):
            idx[fk] = (k, o, "fallback")
        for dk in o.get("deprecated_keys", []):
            idx[dk] = (k, o, "deprecated")
    return idx


def check_condition(cond, values, cspec):
    if not cond:
        return True
    key = cond["option"]
    o = cspec["options"][key]
    v = values.get(key)
    if v is None:
        return o.get("default") == cond["is"]
    ok, parsed, _ = parse_value(o, v)
    return ok and parsed == cond["is"]


def check_constraints(o, parsed, values, cspec):
    msgs = []
    for c in o.get("constraints", []):
        if not check_condition(c.get("when"), values, cspec):
            continue
        x = parsed
        bad = []
        if "gt" in c and not x > c["gt"]:
            bad.append("> %s" % c["gt"])
        if "ge" in c and not x >= c["ge"]:
            bad.append(">= %s" % c["ge"])
        if "le" in c and not x <= c["le"]:
            bad.append("<= %s" % c["le"])
        if "gt_ms" in c and not x > c["gt_ms"]:
            bad.append("> %d ms" % c["gt_ms"])
        if bad:
            when = ""
            if c.get("when"):
                when = " when %s = %s" % (c["when"]["option"], str(c["when"]["is"]).lower())
            msgs.append("must be %s%s (%s)" % (" and ".join(bad), when, c["source"]))
    return msgs


def check_table(f, tab, spec, rep):
    """Generic checks of one table; returns (connector name or None, {key: value})."""
    opts = {}
    for k, v, line in tab.options:
        if k in opts:
            rep.err(f, line, tab.name, "duplicate option '%s'" % k)
        opts[k] = v
    lines = {k: line for k, v, line in tab.options}
    rep.options += len(tab.options)
    conn = opts.get("connector")
    if conn is None:
        rep.err(f, tab.line, tab.name, "no 'connector' option")
        return None, opts
    cspec = spec["connectors"].get(conn)
    if cspec is None:
        rep.err(f, lines["connector"], tab.name, "connector '%s' is not in the spec (%s)" % (conn, ", ".join(sorted(spec["connectors"]))))
        return None, opts
    if cspec.get("unchecked"):
        rep.warn(f, lines["connector"], tab.name, "connector '%s' options not checked: %s" % (conn, cspec.get("note", "")))
        return None, opts
    idx = option_index(cspec)
    prefixes = cspec.get("passthrough_prefixes", {})
    framework = set(spec["framework"]["always_allowed_keys"])
    not_registered = cspec.get("declared_not_registered", {})
    values = {}
    for k, v, line in tab.options:
        if k in framework:
            continue
        if any(k.startswith(p) for p in prefixes):
            continue
        if k not in idx:
            if k in not_registered:
                rep.err(f, line, tab.name, "'%s' is declared (%s) but not registered by the %s factory, so Flink rejects it: %s"
                        % (k, not_registered[k], conn, not_registered.get("note", "")))
                continue
            near = difflib.get_close_matches(k, list(idx) + list(prefixes), n=1)
            hint = " (did you mean '%s'?)" % near[0] if near else ""
            rep.err(f, line, tab.name, "unknown option '%s' for connector '%s'%s; allowed: declared keys, prefixes %s (%s)"
                    % (k, conn, hint, ", ".join(prefixes) or "none", cspec["factory"]))
            continue
        canon, o, kind = idx[k]
        if kind != "declared":
            rep.warn(f, line, tab.name, "'%s' is a %s key of '%s'" % (k, kind, canon))
        if canon in values:
            rep.err(f, line, tab.name, "'%s' and another key of the same option '%s' are both set" % (k, canon))
        values[canon] = v
    for k, o in cspec["options"].items():
        if o.get("required") and k not in values:
            rep.err(f, tab.line, tab.name, "missing required option '%s' (%s)" % (k, cspec["factory"]))
    for k, v in values.items():
        o = cspec["options"][k]
        line = next(lines[x] for x in [k] + o.get("fallback_keys", []) + o.get("deprecated_keys", []) if x in lines)
        ok, parsed, msg = parse_value(o, v)
        if not ok:
            rep.err(f, line, tab.name, "'%s' = '%s': %s (%s)" % (k, v, msg, o["source"]))
            continue
        for m in check_constraints(o, parsed, values, cspec):
            rep.err(f, line, tab.name, "'%s' = '%s' %s" % (k, v, m))
        if "clamp" in o and o["type"] in ("int", "long"):
            lo, hi = o["clamp"]
            if not lo <= parsed <= hi:
                rep.warn(f, line, tab.name, "'%s' = '%s' is clamped to [%d, %d] by the connector" % (k, v, lo, hi))
        if o.get("charset") == "[-_A-Za-z0-9]" and not re.match(r"[-_A-Za-z0-9]*\Z", v):
            rep.err(f, line, tab.name, "'%s' = '%s': only [-_A-Za-z0-9] allowed (%s description)" % (k, v, o["source"]))
        if o.get("regex"):
            p = java_regex_problem(v)
            if p:
                rep.err(f, line, tab.name, "'%s' = '%s' is %s" % (k, v, p))
    for k, v in opts.items():
        if any(k.startswith(p) for p in prefixes):
            values[k] = v
    return conn, values


def top_level_alternation(rx):
    """True if rx has a '|' outside parentheses and character classes."""
    depth, i, in_class = 0, 0, False
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if rx[i + 1:i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
        i += 1
    return False


def check_mysql_cdc(f, tab, values, lines, spec, rep, job_par, sources):
    cspec = spec["connectors"]["mysql-cdc"]
    name = tab.name
    for k in ("database-name", "table-name"):
        if k in values and top_level_alternation(values[k]):
            rep.err(f, lines[k], name, "'%s' = '%s' has a top-level '|': mysql-cdc matches '<database-name>\\.<table-name>' as one regex "
                    "(MySqlTableSource#getScanRuntimeProvider tableList), so the alternation swallows the dot; wrap it in (...)" % (k, values[k]))
    inc_raw = values.get("scan.incremental.snapshot.enabled", "true")
    incremental = inc_raw.upper() != "FALSE"
    # metadata columns
    keys = [k for k in cspec["metadata_keys"] if k != "source"]
    for col, key, virtual, line in tab.metadata:
        if key not in keys:
            rep.err(f, line, name, "METADATA key '%s' of column %s is not provided by mysql-cdc (%s)" % (key, col, ", ".join(keys)))
    # chunk key / primary key
    ck = values.get("scan.incremental.snapshot.chunk.key-column")
    if incremental and not tab.pk and ck is None:
        rep.err(f, tab.line, name, "no PRIMARY KEY (...) NOT ENFORCED and no 'scan.incremental.snapshot.chunk.key-column': "
                "mysql-cdc fails with \"'scan.incremental.snapshot.chunk.key-column' is required for table without primary key "
                "when 'scan.incremental.snapshot.enabled' enabled\" (MySqlTableSourceFactory#validatePrimaryKeyIfEnableParallel); "
                "set a non-null (indexed) chunk key column or scan.incremental.snapshot.enabled = false")
    if ck is not None:
        line = lines["scan.incremental.snapshot.chunk.key-column"]
        if ck not in tab.columns:
            similar = [c for c in tab.columns if c.lower() == ck.lower()]
            rep.err(f, line, name, "chunk key column '%s' is not a physical column of this table%s (ChunkUtils#getChunkKeyColumn matches the name exactly)"
                    % (ck, " (case differs: %s)" % similar[0] if similar else ""))
        elif tab.pk and ck not in tab.pk:
            rep.warn(f, line, name, "chunk key column '%s' is not in the primary key (%s): the docs warn of inconsistent snapshots when it is updated"
                     % (ck, ", ".join(tab.pk)))
    # startup mode companions
    mode = values.get("scan.startup.mode", "initial").lower()
    mline = lines.get("scan.startup.mode", tab.line)
    if mode == "specific-offset" and "scan.startup.specific-offset.gtid-set" not in values and not (
            "scan.startup.specific-offset.file" in values and "scan.startup.specific-offset.pos" in values):
        rep.err(f, mline, name, "scan.startup.mode = specific-offset needs scan.startup.specific-offset.gtid-set or .file and .pos (MySqlTableSourceFactory#validateSpecificOffset)")
    if mode == "timestamp" and "scan.startup.timestamp-millis" not in values:
        rep.err(f, mline, name, "scan.startup.mode = timestamp needs scan.startup.timestamp-millis (StartupOptions#timestamp(long) gets null)")
    # server-id
    sid = values.get("server-id")
    if sid is None:
        rep.err(f, tab.line, name, "no 'server-id': the connector picks a random id in 5400-6400 per reader (MySqlSourceOptions#SERVER_ID), "
                "which may collide with other readers; set a range of at least the parallelism (%d)" % job_par)
        return
    line = lines["server-id"]
    r, msg = parse_server_id(sid)
    if r is None:
        rep.err(f, line, name, msg)
        return
    if not incremental and r[0] != r[1]:
        rep.err(f, line, name, "server-id '%s' is a range but scan.incremental.snapshot.enabled = false: the legacy source parses it with "
                "Integer.parseInt and fails (MySqlTableSource#getScanRuntimeProvider); use one id" % sid)
    width = r[1] - r[0] + 1
    if incremental and width < job_par:
        rep.err(f, line, name, "server-id '%s' holds %d id(s) but the source runs with parallelism %d: every reader needs its own id "
                "(start + subtask index, MySqlSourceConfigFactory#createConfig); use a range of >= %d ids"
                % (sid, width, job_par, job_par))
    server = (values.get("hostname", "?"), values.get("port", "3306"))
    for other_name, other_line, other_r, other_server in sources:
        if other_server == server and r[0] <= other_r[1] and other_r[0] <= r[1]:
            rep.err(f, line, name, "server-id %s overlaps %s of %s (line %d) on %s:%s: ids must be unique among all readers of a MySQL server"
                    % (show_range(r), show_range(other_r), other_name, other_line, server[0], server[1]))
    sources.append((name, line, r, server))


def check_starrocks(f, tab, values, lines, spec, rep):
    name = tab.name
    for col, key, virtual, line in tab.metadata:
        if not virtual:
            rep.err(f, line, name, "METADATA column %s on a starrocks sink: the sink cannot write metadata (StarRocksDynamicTableSink)" % col)
    if "load-url" in values:
        for item in values["load-url"].split(";"):
            if len(item.split(":")) < 2:
                rep.err(f, lines["load-url"], name, "load-url item '%s' is not 'host:port' (StarRocksSinkOptions#validateStreamLoadUrl)" % item)
    props = {k[len("sink.properties."):].lower(): v for k, v in values.items() if k.startswith("sink.properties.")}
    plines = {k[len("sink.properties."):].lower(): lines[k] for k in values if k.startswith("sink.properties.")}
    if "format" in props and props["format"].lower() not in ("json", "csv"):
        rep.warn(f, plines["format"], name, "sink.properties.format = '%s': the connector treats anything but json as CSV (StarRocksSinkOptions#getStreamLoadFormat)" % props["format"])
    if props.get("enable_merge_commit", "").lower() == "true" and "merge_commit_interval_ms" not in props:
        rep.err(f, plines["enable_merge_commit"], name, "sink.properties.enable_merge_commit = true needs sink.properties.merge_commit_interval_ms (StarRocksSinkOptions#validateMergeCommit)")


def job_parallelism(settings, default, f, rep):
    """Largest parallelism any job of the file runs with (see module doc)."""
    pars = []
    for key in ("table.exec.resource.default-parallelism", "parallelism.default"):
        for v, line in settings.get(key, []):
            x = parse_int(v)
            if x is None or (key == "parallelism.default" and x < 1):
                rep.err(f, line, "SET", "'%s' = '%s' is not a positive integer" % (key, v))
    tedp = [parse_int(v) for v, _ in settings.get("table.exec.resource.default-parallelism", [])]
    tedp = [x for x in tedp if x is not None and x > 0]
    if tedp:
        return max(tedp)
    pd = [parse_int(v) for v, _ in settings.get("parallelism.default", [])]
    pd = [x for x in pd if x is not None and x > 0]
    return max(pd) if pd else default


def check_text(f, sql, spec, rep, default_par=1):
    rep.files += 1
    try:
        stmts = split_statements(tokenize(sql))
    except SqlError as e:
        rep.err(f, e.line, "-", str(e))
        return
    settings, tables = {}, []
    for st in stmts:
        if st[0].is_word("SET"):
            s = parse_set(st)
            if s:
                settings.setdefault(s[0], []).append((s[1], s[2]))
        elif st[0].is_word("CREATE") and any(t.is_word("TABLE") for t in st[1:4]):
            try:
                tab = parse_create_table(st)
            except SqlError as e:
                rep.err(f, e.line, "-", str(e))
                continue
            if tab is not None:
                tables.append(tab)
    par = job_parallelism(settings, default_par, f, rep)
    sources = []
    for tab in tables:
        rep.tables += 1
        conn, values = check_table(f, tab, spec, rep)
        lines = {k: line for k, v, line in tab.options}
        if conn == "mysql-cdc":
            check_mysql_cdc(f, tab, values, lines, spec, rep, par, sources)
        elif conn == "starrocks":
            check_starrocks(f, tab, values, lines, spec, rep)


def load_spec(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def spec_problems(spec):
    """Self-consistency of the spec: types known, every source names a file of 'files'."""
    out = []
    types = set(spec["value_types"])
    files = set(spec["files"])
    def cited(s):
        return any(re.search(r"(^|[\s(;,=])%s(#|\b)" % re.escape(k), s) for k in files)
    for cname, c in spec["connectors"].items():
        if c.get("unchecked"):
            continue
        if c["factory"] not in files:
            out.append("%s: factory %s not in files" % (cname, c["factory"]))
        for k, o in c["options"].items():
            if o["type"] not in types:
                out.append("%s.%s: type %s unknown" % (cname, k, o["type"]))
            if not cited(o["source"]):
                out.append("%s.%s: source %r cites no file" % (cname, k, o["source"]))
            for con in o.get("constraints", []):
                if not cited(con["source"]):
                    out.append("%s.%s: constraint source %r cites no file" % (cname, k, con["source"]))
        for r in c.get("rules", []):
            if not cited(r["source"]):
                out.append("%s rule %s cites no file" % (cname, r["id"]))
    return out


# ----------------------------------------------------------------------------------------------
# Self-test: (name, sql, expected) with expected None = must pass, else a fragment of an error.

GOOD_SRC = """CREATE TABLE `s` (
  `id` BIGINT NOT NULL,
  `db` STRING NOT NULL METADATA FROM 'database_name' VIRTUAL,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc', 'hostname' = 'h', 'port' = '3306', 'username' = 'u', 'password' = '',
  'database-name' = 'd', 'table-name' = '(t_1|t_2)', 'server-id' = '%s'%s
);
"""
GOOD_SINK = """CREATE TABLE `k` (`id` BIGINT NOT NULL, PRIMARY KEY (`id`) NOT ENFORCED) WITH (
  'connector' = 'starrocks', 'jdbc-url' = 'jdbc:mysql://fe:9030', 'load-url' = 'fe:8030;fe2:8030',
  'database-name' = 'd', 'table-name' = 't', 'username' = 'root', 'password' = ''%s
);
"""
NOPK = """CREATE TABLE n (a INT, b STRING) WITH ('connector' = 'mysql-cdc', 'hostname' = 'h', 'username' = 'u',
  'password' = 'p', 'database-name' = 'd', 'table-name' = 'n', 'server-id' = '%s'%s);
"""


def src(sid="5400-5403", extra=""):
    return GOOD_SRC % (sid, extra)


def sink(extra=""):
    return GOOD_SINK % extra


SELF_TESTS = [
    ("good: source + sink, parallelism 4", "SET 'parallelism.default' = '4';\n" + src() + sink(), None),
    ("good: comments, quotes and passthrough keys", "-- a; comment 'x'\n/* block ; */\n" + src(extra=", 'debezium.snapshot.mode' = 'it''s; fine', 'jdbc.properties.useSSL' = 'false'") + sink(", 'sink.properties.format' = 'json', 'sink.properties.column_separator' = ';'"), None),
    ("good: typed values", src(extra=", 'connect.timeout' = '30 s', 'heartbeat.interval' = '1min', 'scan.startup.mode' = 'LATEST-OFFSET', 'chunk-key.even-distribution.factor.upper-bound' = '2.5', 'scan.incremental.snapshot.enabled' = 'TRUE', 'server-time-zone' = 'Asia/Shanghai'") + sink(", 'sink.buffer-flush.max-rows' = '64000', 'sink.semantic' = 'exactly-once', 'sink.version' = 'v2', 'sink.buffer-flush.interval-ms' = '500'"), None),
    ("good: no PK with chunk key", NOPK % ("5400", ", 'scan.incremental.snapshot.chunk.key-column' = 'a'"), None),
    ("good: no PK, incremental off, one id", "SET 'parallelism.default' = '8';\n" + NOPK % ("5400", ", 'scan.incremental.snapshot.enabled' = 'false'"), None),
    ("good: ranges side by side", "SET 'parallelism.default' = '2';\n" + src("5400-5401") + src("5402-5403"), None),
    ("good: same ids on different servers", src("5400") + src("5400").replace("'hostname' = 'h'", "'hostname' = 'h2'"), None),
    ("good: fallback key", src(extra=", 'split-key.even-distribution.factor.upper-bound' = '5'"), None),
    ("bad: unknown key", src(extra=", 'scan.startup.mod' = 'initial'"), "unknown option 'scan.startup.mod'"),
    ("bad: unknown sink key", sink(", 'sink.buffer-flush.max-row' = '100000'"), "unknown option 'sink.buffer-flush.max-row'"),
    ("bad: not registered sink key", sink(", 'sink.transaction.multi-table.enabled' = 'true'"), "not registered"),
    ("bad: missing required source key", src().replace("'username' = 'u', ", ""), "missing required option 'username'"),
    ("bad: missing required sink key", sink().replace("'load-url' = 'fe:8030;fe2:8030',", ""), "missing required option 'load-url'"),
    ("bad: int type", src(extra=", 'port' = '3306 '"), "'port' = '3306 ': not an int"),
    ("bad: boolean type", src(extra=", 'scan.incremental.snapshot.enabled' = 'yes'"), "not a boolean"),
    ("bad: duration type", src(extra=", 'connect.timeout' = '30 seconds later'"), "not a duration"),
    ("bad: duration range", src(extra=", 'connect.timeout' = '100ms'"), "must be > 250 ms"),
    ("bad: enum", src(extra=", 'scan.startup.mode' = 'latest'"), "not one of initial"),
    ("bad: sink.semantic case-sensitive", sink(", 'sink.semantic' = 'EXACTLY-ONCE'"), "'sink.semantic' = 'EXACTLY-ONCE': not one of"),
    ("bad: sink.version", sink(", 'sink.version' = 'V3'"), "'sink.version' = 'V3'"),
    ("bad: max-rows range", sink(", 'sink.buffer-flush.max-rows' = '1000'"), "must be >= 64000"),
    ("bad: max-bytes range", sink(", 'sink.buffer-flush.max-bytes' = '1048576'"), "must be >= 67108864"),
    ("bad: byte count written as a memory size", sink(", 'sink.buffer-flush.max-bytes' = '64mb'"), "not a long"),
    ("bad: interval range", sink(", 'sink.buffer-flush.interval-ms' = '0'"), "must be > 0"),
    ("bad: chunk size range", src(extra=", 'scan.incremental.snapshot.chunk.size' = '1'"), "must be > 1 when scan.incremental.snapshot.enabled"),
    ("bad: load-url item", sink().replace("fe:8030;fe2:8030", "fe:8030;fe2"), "load-url item 'fe2'"),
    ("bad: label prefix", sink(", 'sink.label-prefix' = 'a.b'"), "only [-_A-Za-z0-9]"),
    ("bad: merge commit", sink(", 'sink.properties.enable_merge_commit' = 'true'"), "merge_commit_interval_ms"),
    ("bad: server-id text", src("54x0"), "is not an integer"),
    ("bad: server-id three parts", src("1-2-3"), "must be 'N-M'"),
    ("bad: server-id reversed", src("5404-5400"), "reversed"),
    ("bad: server-id zero", src("0"), ">= 1"),
    ("bad: server-id missing", src().replace(", 'server-id' = '5400-5403'", ""), "no 'server-id'"),
    ("bad: range narrower than parallelism", "SET 'parallelism.default' = '8';\n" + src("5400-5403"), "holds 4 id(s) but the source runs with parallelism 8"),
    ("bad: one id, parallelism 2", "SET 'parallelism.default' = '2';\n" + src("5400"), "holds 1 id(s)"),
    ("bad: table.exec default parallelism wins", "SET 'parallelism.default' = '1';\nSET 'table.exec.resource.default-parallelism' = '3';\n" + src("5400-5401"), "parallelism 3"),
    ("bad: overlapping ranges", src("5400-5403") + src("5403-5406"), "overlaps 5400-5403"),
    ("bad: same single id twice", src("5400") + src("5400"), "overlaps 5400"),
    ("bad: no PK, no chunk key", NOPK % ("5400", ""), "no PRIMARY KEY"),
    ("bad: no PK, incremental off, range", NOPK % ("5400-5403", ", 'scan.incremental.snapshot.enabled' = 'false'"), "legacy source parses it with Integer.parseInt"),
    ("bad: chunk key not a column", NOPK % ("5400", ", 'scan.incremental.snapshot.chunk.key-column' = 'A'"), "not a physical column"),
    ("bad: metadata key", src().replace("'database_name'", "'db_name'"), "METADATA key 'db_name'"),
    ("bad: sink metadata column", sink().replace("`id` BIGINT NOT NULL,", "`id` BIGINT NOT NULL, `m` STRING METADATA FROM 'x',"), "cannot write metadata"),
    ("bad: specific offset", src(extra=", 'scan.startup.mode' = 'specific-offset', 'scan.startup.specific-offset.file' = 'mysql-bin.000003'"), "specific-offset needs"),
    ("bad: timestamp mode", src(extra=", 'scan.startup.mode' = 'timestamp'"), "needs scan.startup.timestamp-millis"),
    ("bad: regex", src().replace("'(t_1|t_2)'", "'(t_1|t_2'"), "not a valid regular expression"),
    ("bad: top-level alternation", src().replace("'(t_1|t_2)'", "'t_1|t_2'"), "top-level '|'"),
    ("good: alternation in a group or class", src().replace("'(t_1|t_2)'", "'t_[1|2]'"), None),
    ("bad: duplicate key", src(extra=", 'port' = '3307'"), "duplicate option 'port'"),
    ("bad: no connector", "CREATE TABLE x (a INT) WITH ('path' = '/tmp');", "no 'connector'"),
    ("bad: unknown connector", "CREATE TABLE x (a INT) WITH ('connector' = 'mysql_cdc');", "not in the spec"),
    ("bad: unquoted value", "CREATE TABLE x (a INT) WITH ('connector' = starrocks);", "not 'key' = 'value'"),
    ("bad: SET parallelism", "SET 'parallelism.default' = 'four';\n" + src(), "not a positive integer"),
    ("bad: zone id", src(extra=", 'server-time-zone' = 'Mars/Olympus'"), "not a java.time.ZoneId"),
]


def self_test(spec):
    failed = 0
    probs = spec_problems(spec)
    for p in probs:
        print("FAIL spec: %s" % p)
        failed += 1
    for name, sql, expected in SELF_TESTS:
        rep = Report()
        check_text("<%s>" % name, sql, spec, rep)
        if expected is None:
            ok = not rep.errors
            why = "; ".join(m for _, _, m in rep.errors)
        else:
            ok = any(expected in m for _, _, m in rep.errors)
            why = "expected an error containing %r, got: %s" % (expected, "; ".join(m for _, _, m in rep.errors) or "no errors")
        print("%s %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else "\n     " + why))
        failed += not ok
    good = sum(1 for _, _, e in SELF_TESTS if e is None)
    print("check-flink-options self-test: %d cases (%d good, %d bad), %d failed" % (len(SELF_TESTS), good, len(SELF_TESTS) - good, failed))
    return 1 if failed else 0


def main(argv):
    args = argv[1:]
    spec_path, par, targets, selftest = DEFAULT_SPEC, 1, [], False
    while args:
        a = args.pop(0)
        if a == "--spec" and args:
            spec_path = args.pop(0)
        elif a == "--parallelism" and args:
            par = parse_int(args.pop(0))
            if not par or par < 1:
                print("--parallelism needs a positive integer", file=sys.stderr)
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
        spec = load_spec(spec_path)
    except (OSError, ValueError) as e:
        print("cannot read spec %s: %s" % (spec_path, e), file=sys.stderr)
        return 2
    if selftest:
        return self_test(spec)
    files = []
    for t in targets or [os.path.join(os.path.dirname(HERE), "result")]:
        if os.path.isdir(t):
            files.extend(sorted(glob.glob(os.path.join(t, "flink-create.*.sql"))))
        elif os.path.exists(t):
            files.append(t)
        else:
            print("no such file or directory: %s" % t, file=sys.stderr)
            return 2
    if not files:
        print("no flink-create.*.sql files in %s" % ", ".join(targets), file=sys.stderr)
        return 2
    rep = Report()
    for f in files:
        with open(f, encoding="utf-8") as fh:
            check_text(os.path.relpath(f), fh.read(), spec, rep, par)
    for line in rep.lines():
        print(line)
    print("check-flink-options: %d file(s), %d table(s), %d option(s) checked: %d error(s), %d warning(s)"
          % (rep.files, rep.tables, rep.options, len(rep.errors), len(rep.warnings)))
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
