#!/usr/bin/env python3
"""Check generated Flink SQL (flink-create.*.sql) with Flink's own parser and planner (PyFlink).

Usage: check-flink-sql.py [FILE_OR_DIR ...]   (default: result/)

What it proves, per file, in a fresh TableEnvironment (streaming mode):
  1. every CREATE DATABASE / CREATE TABLE runs as written: syntax, types, options syntax,
     PRIMARY KEY ... NOT ENFORCED, METADATA columns. Without connector jars Flink only registers
     the tables, so this does not validate the connector options themselves.
  2. every table is then re-created with its WITH clause replaced: `_src` tables by
     ('connector'='datagen'), `_sink` tables by ('connector'='blackhole'). datagen has no
     metadata, so `METADATA FROM '...' [VIRTUAL]` is dropped and the column becomes a plain
     physical column of the same type (datagen fills it); what we check is that the INSERT's
     columns and types line up, not where the values come from.
  3. each INSERT is explained (planned): unknown columns, wrong column counts, type mismatches
     and bad CASTs fail here; then all INSERTs of each `EXECUTE STATEMENT SET BEGIN ... END;`
     are added to one statement set and explained, and the block itself is run as
     `EXPLAIN STATEMENT SET BEGIN ... END` so Flink parses that syntax too.
`SET 'key' = 'value'` (sql-client syntax) is checked for its form and applied to the session
configuration. Statements count: each SET, each CREATE as written, each re-created stub table, each INSERT, each block.
Any failure prints the file, the statement and Flink's message, and the exit code is 1.
See reference/environment.md §4 for why sql-client and the real connectors are not used.
"""

import glob
import os
import sys


# ----------------------------------------------------------------------------------------------
# A small SQL tokenizer: enough to split statements and find clauses without being fooled by
# `;`, `(` or keywords inside quotes, backtick identifiers or comments.

def tokenize(sql):
    """Yield (kind, text): kind in ws, comment, sq ('..'), dq (".."), bq (`..`), word, punct."""
    i, n = 0, len(sql)
    out = []
    while i < n:
        c = sql[i]
        if c.isspace():
            j = i
            while j < n and sql[j].isspace():
                j += 1
            out.append(("ws", sql[i:j]))
            i = j
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j + 1
            out.append(("comment", sql[i:j]))
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(("comment", sql[i:j]))
            i = j
        elif c in "'\"`":
            # Quote doubled inside = literal quote character (Flink SQL; no backslash escapes).
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                raise ValueError("unterminated %s quote starting at offset %d" % (c, i))
            kind = {"'": "sq", '"': "dq", "`": "bq"}[c]
            out.append((kind, sql[i:j + 1]))
            i = j + 1
        elif c.isalnum() or c == "_":
            j = i
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            out.append(("word", sql[i:j]))
            i = j
        else:
            out.append(("punct", c))
            i += 1
    return out


def text(tokens):
    return "".join(t for _, t in tokens)


def strip_comments(tokens):
    return [t for t in tokens if t[0] != "comment"]


def words(tokens, k):
    """The first k word tokens, upper-cased (skipping whitespace and comments)."""
    return [t.upper() for kind, t in tokens if kind == "word"][:k]


def split_statements(sql):
    """Split into statements (token lists, without the `;`). An
    `EXECUTE STATEMENT SET BEGIN ... END` block becomes one ('set', [insert token lists])."""
    stmts, cur = [], []
    for tok in tokenize(sql):
        if tok == ("punct", ";"):
            stmts.append(cur)
            cur = []
        else:
            cur.append(tok)
    if text(strip_comments(cur)).strip():
        # sql-client -f needs every statement terminated.
        raise ValueError("text after the last ';' is not terminated by ';': %r" % text(cur).strip()[:80])
    stmts = [s for s in stmts if text(strip_comments(s)).strip()]

    out, i = [], 0
    while i < len(stmts):
        s = stmts[i]
        if words(s, 4) == ["EXECUTE", "STATEMENT", "SET", "BEGIN"]:
            # First INSERT is inside this chunk, after BEGIN.
            toks = strip_comments(s)
            begin = next(k for k, t in enumerate(toks) if t[0] == "word" and t[1].upper() == "BEGIN")
            inserts = [toks[begin + 1:]]
            i += 1
            while i < len(stmts) and words(stmts[i], 1) != ["END"]:
                inserts.append(stmts[i])
                i += 1
            if i >= len(stmts):
                raise ValueError("EXECUTE STATEMENT SET without END")
            out.append(("set", [text(x).strip() for x in inserts if text(strip_comments(x)).strip()]))
            i += 1
        else:
            out.append(("stmt", s))
            i += 1
    return out


def table_parts(tokens):
    """For a CREATE TABLE token list: (name text, last name part unquoted, column-list tokens,
    index of the token after the column list's closing paren)."""
    toks = strip_comments(tokens)
    open_i = next(k for k, t in enumerate(toks) if t == ("punct", "("))
    name = text(toks[:open_i])
    # name = CREATE TABLE [IF NOT EXISTS] a.b.c
    name_toks = [t for t in toks[:open_i] if t[0] in ("bq", "word") or t == ("punct", ".")]
    while name_toks and name_toks[0][0] == "word" and name_toks[0][1].upper() in (
            "CREATE", "TABLE", "IF", "NOT", "EXISTS", "TEMPORARY"):
        name_toks = name_toks[1:]
    qualified = text(name_toks)
    last = name_toks[-1][1]
    if last.startswith("`"):
        last = last[1:-1].replace("``", "`")
    depth = 0
    for k in range(open_i, len(toks)):
        if toks[k] == ("punct", "("):
            depth += 1
        elif toks[k] == ("punct", ")"):
            depth -= 1
            if depth == 0:
                return qualified, last, toks[open_i + 1:k], k + 1
    raise ValueError("unbalanced parentheses in CREATE TABLE " + name)


def drop_metadata(col_tokens):
    """Remove `METADATA [FROM '<key>'] [VIRTUAL]` (outside quotes) from column definitions."""
    out, k = [], 0
    while k < len(col_tokens):
        kind, t = col_tokens[k]
        if kind == "word" and t.upper() == "METADATA":
            j = k + 1

            def skip_ws(j):
                while j < len(col_tokens) and col_tokens[j][0] == "ws":
                    j += 1
                return j
            j = skip_ws(j)
            if j < len(col_tokens) and col_tokens[j][0] == "word" and col_tokens[j][1].upper() == "FROM":
                j = skip_ws(j + 1)
                if j < len(col_tokens) and col_tokens[j][0] == "sq":
                    j += 1
            j2 = skip_ws(j)
            if j2 < len(col_tokens) and col_tokens[j2][0] == "word" and col_tokens[j2][1].upper() == "VIRTUAL":
                j = j2 + 1
            # drop trailing whitespace we already emitted
            while out and out[-1][0] == "ws":
                out.pop()
            k = j
            continue
        out.append((kind, t))
        k += 1
    return out


# ----------------------------------------------------------------------------------------------

def fail(path, stmt, err):
    msg = str(err)
    # Py4J wraps the Java exception: keep its message, drop the Java stack trace.
    lines = []
    for l in msg.splitlines():
        if l.startswith("\tat ") or l.strip().startswith("at org.") or l.strip().startswith("at java."):
            break
        if l.strip():
            lines.append(l)
    print("FAIL %s\n--- statement ---\n%s\n--- Flink says ---\n%s\n" % (path, stmt.strip(), "\n".join(lines)))


def parse_set(toks):
    """SET 'key' = 'value' tokens (comments stripped) -> (key, value), else None."""
    sig = [t for t in toks if t[0] != "ws"]
    if len(sig) == 4 and sig[0][0] == "word" and sig[0][1].upper() == "SET" and sig[1][0] == "sq" \
            and sig[2] == ("punct", "=") and sig[3][0] == "sq":
        unq = lambda t: t[1][1:-1].replace("''", "'")
        return unq(sig[1]), unq(sig[3])
    return None


def check_file(path, make_env):
    """Returns (statements checked, failures)."""
    with open(path, encoding="utf-8") as f:
        sql = f.read()
    try:
        stmts = split_statements(sql)
    except (ValueError, StopIteration) as e:
        fail(path, "<whole file>", "cannot split statements: %s" % e)
        return 0, 1
    t_env = make_env()
    checked, failures = 0, 0
    tables = []  # (qualified name, stubbed DDL)
    sets = []
    for kind, body in stmts:
        if kind == "set":
            sets.append(body)
            continue
        stmt = text(body).strip()
        head = words(body, 2)
        if head[:1] == ["INSERT"]:
            sets.append([stmt])
            continue
        if head[:1] == ["SET"]:
            # sql-client's SET 'key' = 'value' (a session statement TableEnvironment#executeSql
            # does not take): checked for its form and applied to the session configuration,
            # as sql-client does, so later statements are planned with it.
            checked += 1
            kv = parse_set(strip_comments(body))
            if kv is None:
                fail(path, stmt, "not SET 'key' = 'value' (the form sql-client documents)")
                failures += 1
                continue
            try:
                t_env.get_config().set(kv[0], kv[1])
            except Exception as e:  # noqa: BLE001
                fail(path, stmt, e)
                failures += 1
            continue
        checked += 1
        try:
            t_env.execute_sql(stmt)
        except Exception as e:  # noqa: BLE001 - report whatever Flink raised
            fail(path, stmt, e)
            failures += 1
            continue
        if head == ["CREATE", "TABLE"]:
            try:
                qualified, last, cols, _after = table_parts(body)
            except (ValueError, StopIteration) as e:
                fail(path, stmt, e)
                failures += 1
                continue
            if last.endswith("_src"):
                with_clause = "WITH ('connector'='datagen')"
            elif last.endswith("_sink"):
                with_clause = "WITH ('connector'='blackhole')"
            else:
                fail(path, stmt, "table name %r ends neither in _src nor _sink" % last)
                failures += 1
                continue
            stub = "CREATE TABLE %s (%s) %s" % (qualified, text(drop_metadata(cols)), with_clause)
            tables.append((qualified, stub))

    for qualified, stub in tables:
        checked += 1
        try:
            t_env.execute_sql("DROP TABLE %s" % qualified)
            t_env.execute_sql(stub)
        except Exception as e:  # noqa: BLE001
            fail(path, stub, e)
            failures += 1

    for inserts in sets:
        ss = t_env.create_statement_set()
        ok = True
        for ins in inserts:
            checked += 1
            try:
                ss.add_insert_sql(ins)
                t_env.explain_sql(ins)
            except Exception as e:  # noqa: BLE001
                fail(path, ins, e)
                failures += 1
                ok = False
        if ok and inserts:
            # The block as written (EXECUTE -> EXPLAIN), so Flink parses our exact syntax too.
            block = "EXPLAIN STATEMENT SET\nBEGIN\n%s;\nEND" % ";\n".join(inserts)
            checked += 1
            try:
                ss.explain()
                t_env.execute_sql(block).collect().close()
            except Exception as e:  # noqa: BLE001
                fail(path, block, e)
                failures += 1
    return checked, failures


def main(argv):
    targets = argv[1:] or ["result"]
    files = []
    for t in targets:
        if os.path.isdir(t):
            files.extend(sorted(glob.glob(os.path.join(t, "flink-create.*.sql"))))
        else:
            files.append(t)
    if not files:
        print("no flink-create.*.sql files found in %s" % ", ".join(targets))
        return 1

    from pyflink.table import EnvironmentSettings, TableEnvironment

    def make_env():
        return TableEnvironment.create(EnvironmentSettings.in_streaming_mode())

    total, failures = 0, 0
    for path in files:
        n, f = check_file(path, make_env)
        print("%s: %d statements checked, %d failed" % (path, n, f))
        total += n
        failures += f
    print("%d files, %d statements checked, %d failed" % (len(files), total, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
