"""The pipelined loops' carried state, read from the generated C++: the static II check.

A loop pipelined at II=1 must compute every loop-carried value (a register the next iteration
reads) within one clock cycle from the registers of this one. The HLS core keeps that path
short by construction (templates/hls/fpgagen.cpp.j2): counters with registered next-is-last
flags (hw/fg_count.v) and address chains that multiplex their operands in front of one adder.
This module checks the construction on the code itself, the synthesis branch as Vitis reads it
(g++'s preprocessed output, every macro expanded), with no vendor tool:

1. every loop whose body holds ``#pragma HLS PIPELINE`` is found in fpgagen.cpp's functions;
2. one iteration of its body is evaluated symbolically: every helper function it calls is
   inlined (its by-reference and array parameters are the caller's variables), every loop
   inside it (unrolled) is evaluated once, an ``if`` is a multiplexer for each variable either
   branch assigns, a ``?:`` is one; each value is tracked as the set of registers it comes from,
   and for each the number of multiplexers on its path after the first adder or comparator
   (``+ - * < == ...``: a carry chain), or none yet (logic and multiplexers only). A read of a
   file-scope array (a memory) or a stream ends a path: the memory's read register cuts it;
3. the carried variables are the function's variables (and their struct fields) the body
   assigns; the values they get at the end of the iteration give a graph between them. A
   recurrence is a cycle of that graph (a strongly connected component: a variable and those
   it feeds that feed it back), and every edge on one must pass through at most
   ``MAX_SELECTS`` multiplexers after an adder or comparator. A path outside every cycle (the
   datapath: the requantizer, a memory address) is pipelined by the tool over as many stages
   as it needs and is not held to it.

The count is structural: every ``?:`` and every merging ``if`` counts, whatever the tool later
merges (a priority chain in front of an adder counts nothing). It fails on the loops the HLS
core had before (tests/hls_fixtures/wide_counters: nested if/else counter chains on 32-bit
ints, a compare, an AND and three to five multiplexers per register) and on a small bad loop
(tests/test_hls_gates.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fpgagen.errors import FpgagenError

MAX_SELECTS = 2  # multiplexers after an adder on a recurrence (the bound)

_BUILTIN_TYPES = {"void", "bool", "char", "short", "int", "long", "unsigned", "signed", "float",
                  "double", "size_t", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t",
                  "uint16_t", "uint32_t", "uint64_t"}
_TEMPLATES = {"ap_int", "ap_uint", "ap_fixed", "ap_ufixed", "hls::stream", "hls::axis"}
_QUALIFIERS = {"static", "const", "volatile", "inline", "struct", "register"}

_TOKEN = re.compile(r"""
    (?P<pragma>\#[ \t]*pragma[^\n]*)
  | (?P<marker>\#[^\n]*)
  | (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?)[uUlLfF]*)
  | (?P<name>[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)
  | (?P<op><<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|::|[-+*/%&|^~!<>=?:;,.(){}\[\]])
""", re.X | re.S)

_BINARY = {  # precedence (higher binds tighter)
    "*": 12, "/": 12, "%": 12, "+": 11, "-": 11, "<<": 10, ">>": 10,
    "<": 9, "<=": 9, ">": 9, ">=": 9, "==": 8, "!=": 8, "&": 7, "^": 6, "|": 5,
    "&&": 4, "||": 3,
}
_ARITH = {"+", "-", "*", "/", "%", "<", "<=", ">", ">=", "==", "!="}  # carry chains
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="}


@dataclass(frozen=True)
class Tok:
    kind: str   # name, number, op, pragma
    text: str
    line: int


def tokenize(text: str, line0: int = 1) -> list[Tok]:
    out, line = [], line0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or ""
        s = m.group()
        if kind == "pragma":
            out.append(Tok("pragma", re.sub(r"^#\s*pragma\s*", "", s).strip(), line))
        elif kind in ("name", "number", "op", "string"):
            out.append(Tok(kind, s, line))
        line += s.count("\n")
    return out


# --- the AST ----------------------------------------------------------------------------------

@dataclass
class Expr:
    kind: str                      # name num call index member unary binary cond assign cast
    op: str = ""                   #   post init (a braced list)
    args: list[Expr] = field(default_factory=list)
    text: str = ""                 # name / member field / callee name


@dataclass
class Stmt:
    kind: str                      # block if for while decl expr return pragma jump
    body: list[Stmt] = field(default_factory=list)
    expr: Expr | None = None       # if/while condition, expression, return value
    other: Stmt | None = None      # else branch
    init: Stmt | None = None       # for: init statement
    step: Expr | None = None       # for: step
    decls: list[tuple[str, bool, Expr | None]] = field(default_factory=list)  # name, array, init
    text: str = ""                 # pragma text, loop label
    line: int = 0


@dataclass
class Param:
    name: str
    by_ref: bool   # a reference or an array: the caller's variable itself


@dataclass
class Function:
    name: str
    params: list[Param]
    body: Stmt
    line: int


class _Parser:
    def __init__(self, toks: list[Tok], types: set[str]) -> None:
        self.t, self.i, self.types = toks, 0, types

    # -- tokens
    def peek(self, k: int = 0) -> Tok | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def at(self, text: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.text == text and tok.kind in ("op", "name")

    def take(self, text: str | None = None) -> Tok:
        tok = self.peek()
        if tok is None or (text is not None and tok.text != text):
            where = f"line {tok.line}" if tok else "the end"
            found = tok.text if tok else "nothing"
            raise FpgagenError(f"loop-state check: expected {text!r} at {where} of the "
                               f"preprocessed fpgagen.cpp, found {found!r}")
        self.i += 1
        return tok

    # -- types
    def is_type_at(self, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.kind == "name" and (
            tok.text in self.types or tok.text in _BUILTIN_TYPES or tok.text in _TEMPLATES)

    def skip_type(self) -> None:
        """A type: qualifiers, a name (with template arguments), '*' / '&'."""
        while self.peek() and self.peek().text in _QUALIFIERS:  # type: ignore[union-attr]
            self.i += 1
        name = self.take().text
        if name in _TEMPLATES and self.at("<"):
            self.skip_angles()
        while self.peek() and self.peek().text in _BUILTIN_TYPES:  # type: ignore[union-attr]
            self.i += 1  # unsigned int, long long
        while self.at("*") or self.at("&"):
            self.i += 1

    def skip_angles(self) -> None:
        depth = 0
        while True:
            tok = self.take()
            if tok.text == "<":
                depth += 1
            elif tok.text == ">":
                depth -= 1
            elif tok.text == ">>":
                depth -= 2
            elif tok.text in ("(", "["):
                self.skip_group(tok.text)
            if depth <= 0:
                return

    def skip_group(self, opener: str) -> None:
        closer = {"(": ")", "[": "]", "{": "}"}[opener]
        depth = 1
        while depth:
            tok = self.take()
            if tok.text == opener:
                depth += 1
            elif tok.text == closer:
                depth -= 1

    def declaration_ahead(self) -> bool:
        """A declaration starts here: qualifiers and a type, then a name."""
        k = 0
        while self.peek(k) and self.peek(k).text in _QUALIFIERS:  # type: ignore[union-attr]
            k += 1
        if not self.is_type_at(k):
            return False
        save = self.i
        try:
            self.i += k
            self.skip_type()
            tok = self.peek()
            return tok is not None and tok.kind == "name"
        except FpgagenError:
            return False
        finally:
            self.i = save

    # -- statements
    def statement(self) -> Stmt:
        tok = self.peek()
        assert tok is not None
        if tok.kind == "pragma":
            self.i += 1
            return Stmt("pragma", text=tok.text, line=tok.line)
        if tok.text == "{":
            return self.block()
        if tok.kind == "name" and self.at(":", 1) and not self.at("::", 1):
            self.i += 2  # a label: it names the statement after it
            st = self.statement()
            st.text = st.text or tok.text
            return st
        if tok.text == "if":
            self.take("if")
            self.take("(")
            cond = self.expression()
            self.take(")")
            then = self.statement()
            other = None
            if self.at("else"):
                self.take("else")
                other = self.statement()
            return Stmt("if", body=[then], expr=cond, other=other, line=tok.line)
        if tok.text == "for":
            self.take("for")
            self.take("(")
            init = self.simple(";")
            cond = None if self.at(";") else self.expression()
            self.take(";")
            step = None if self.at(")") else self.expression()
            self.take(")")
            body = self.statement()
            return Stmt("for", body=[body], expr=cond, init=init, step=step, line=tok.line)
        if tok.text == "while":
            self.take("while")
            self.take("(")
            cond = self.expression()
            self.take(")")
            return Stmt("while", body=[self.statement()], expr=cond, line=tok.line)
        if tok.text == "return":
            self.take("return")
            value = None if self.at(";") else self.expression()
            self.take(";")
            return Stmt("return", expr=value, line=tok.line)
        if tok.text in ("continue", "break"):
            self.i += 1
            self.take(";")
            return Stmt("jump", text=tok.text, line=tok.line)
        return self.simple(";")

    def simple(self, end: str) -> Stmt:
        tok = self.peek()
        line = tok.line if tok else 0
        if self.at(end):
            self.take(end)
            return Stmt("block", line=line)
        if self.declaration_ahead():
            self.skip_type()
            decls = []
            while True:
                name = self.take().text
                array = False
                while self.at("["):
                    self.take("[")
                    self.skip_group("[")
                    array = True
                init = None
                if self.at("="):
                    self.take("=")
                    init = self.assignment()
                decls.append((name, array, init))
                if self.at(","):
                    self.take(",")
                    while self.at("*") or self.at("&"):
                        self.take()
                    continue
                break
            self.take(end)
            return Stmt("decl", decls=decls, line=line)
        e = self.expression()
        self.take(end)
        return Stmt("expr", expr=e, line=line)

    def block(self) -> Stmt:
        tok = self.take("{")
        body = []
        while not self.at("}"):
            body.append(self.statement())
        self.take("}")
        return Stmt("block", body=body, line=tok.line)

    # -- expressions
    def expression(self) -> Expr:
        e = self.assignment()
        while self.at(","):
            self.take(",")
            e = Expr("binary", ",", [e, self.assignment()])
        return e

    def assignment(self) -> Expr:
        left = self.conditional()
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text in _ASSIGN:
            self.i += 1
            return Expr("assign", tok.text, [left, self.assignment()])
        return left

    def conditional(self) -> Expr:
        c = self.binary(0)
        if self.at("?"):
            self.take("?")
            a = self.assignment()
            self.take(":")
            b = self.assignment()
            return Expr("cond", "?", [c, a, b])
        return c

    def binary(self, min_prec: int) -> Expr:
        left = self.unary()
        while True:
            tok = self.peek()
            prec = _BINARY.get(tok.text, -1) if tok is not None and tok.kind == "op" else -1
            if prec < 0 or prec < min_prec:
                return left
            self.i += 1
            right = self.binary(prec + 1)
            left = Expr("binary", tok.text, [left, right])  # type: ignore[union-attr]

    def unary(self) -> Expr:
        tok = self.peek()
        if tok is not None and tok.text in ("!", "-", "+", "~", "++", "--", "*", "&"):
            self.i += 1
            return Expr("unary", tok.text, [self.unary()])
        if tok is not None and tok.text == "(" and self.cast_ahead():
            self.take("(")
            self.skip_type()
            self.take(")")
            return Expr("cast", args=[self.unary()])
        return self.postfix(self.primary())

    def cast_ahead(self) -> bool:
        save = self.i
        try:
            self.i += 1
            if not self.is_type_at() and not (self.peek() and self.peek().text in _QUALIFIERS):
                return False
            self.skip_type()
            return self.at(")")
        except FpgagenError:
            return False
        finally:
            self.i = save

    def primary(self) -> Expr:
        tok = self.take()
        if tok.kind == "number":
            return Expr("num", text=tok.text)
        if tok.text == "(":
            e = self.expression()
            self.take(")")
            return e
        if tok.text == "{":
            items = []
            while not self.at("}"):
                items.append(self.assignment())
                if self.at(","):
                    self.take(",")
            self.take("}")
            return Expr("init", args=items)
        if tok.kind == "name":
            if tok.text in _TEMPLATES and self.at("<"):  # ap_int<W>(x): a cast
                self.skip_angles()
                self.take("(")
                arg = self.expression()
                self.take(")")
                return Expr("cast", args=[arg])
            return Expr("name", text=tok.text)
        raise FpgagenError(f"loop-state check: unexpected {tok.text!r} at line {tok.line} of the "
                           "preprocessed fpgagen.cpp")

    def postfix(self, e: Expr) -> Expr:
        while True:
            if self.at("("):
                self.take("(")
                args = []
                while not self.at(")"):
                    args.append(self.assignment())
                    if self.at(","):
                        self.take(",")
                self.take(")")
                e = Expr("call", args=[e, *args])
            elif self.at("["):
                self.take("[")
                idx = self.expression()
                self.take("]")
                e = Expr("index", args=[e, idx])
            elif self.at(".") or self.at("->"):
                self.take()
                e = Expr("member", args=[e], text=self.take().text)
            elif self.at("++") or self.at("--"):
                e = Expr("post", self.take().text, [e])
            else:
                return e


def _parse_functions(toks: list[Tok], types: set[str]) -> dict[str, Function]:
    """The function definitions at file scope (declarations, structs, arrays skipped)."""
    p = _Parser(toks, types)
    out: dict[str, Function] = {}
    while p.peek() is not None:
        tok = p.peek()
        assert tok is not None
        if tok.kind == "pragma" or tok.text == ";":
            p.i += 1
            continue
        # a declarator up to '(' at depth 0, or a statement up to ';'
        start = p.i
        name, j = None, p.i
        while j < len(toks) and toks[j].text not in (";", "{", "=", "("):
            j += 1
        if j < len(toks) and toks[j].text == "(" and toks[j - 1].kind == "name":
            name = toks[j - 1].text
            p.i = j + 1
            params_start = p.i
            p.skip_group("(")
            params = _params(toks[params_start:p.i - 1], types)
            if p.at("{"):
                body = p.block()
                out[name] = Function(name, params, body, toks[start].line)
                continue
        # skip to the end of this declaration (braces included)
        p.i = start
        while p.peek() is not None and not p.at(";"):
            if p.at("{"):
                p.take("{")
                p.skip_group("{")
            else:
                p.i += 1
        p.i += 1
    return out


def _params(toks: list[Tok], types: set[str]) -> list[Param]:
    out, cur, depth = [], [], 0
    for t in [*toks, Tok("op", ",", 0)]:
        if t.text in ("(", "[", "<"):
            depth += 1
        elif t.text in (")", "]", ">"):
            depth -= 1
        if t.text == "," and depth == 0:
            names = [x.text for x in cur if x.kind == "name" and x.text not in types
                     and x.text not in _BUILTIN_TYPES and x.text not in _QUALIFIERS
                     and x.text not in _TEMPLATES]
            if names:
                texts = {x.text for x in cur}
                # a reference or an array (const or not) is the caller's variable
                out.append(Param(names[-1] if "[" not in texts else _array_name(cur),
                                 "&" in texts or "[" in texts))
            cur = []
        else:
            cur.append(t)
    return out


def _array_name(toks: list[Tok]) -> str:
    for k, t in enumerate(toks):
        if t.text == "[":
            return toks[k - 1].text
    return toks[-1].text


# --- the evaluation ---------------------------------------------------------------------------

# a value: register -> multiplexers after the first adder or comparator on its path to here
# (-1: none yet)
Value = dict[str, int]


def _join(*vals: Value) -> Value:
    out: Value = {}
    for v in vals:
        for k, s in v.items():
            if out.get(k, -2) < s:
                out[k] = s
    return out


def _adder(v: Value) -> Value:
    return {k: max(0, s) for k, s in v.items()}


def _select(v: Value) -> Value:
    return {k: s + 1 if s >= 0 else s for k, s in v.items()}


class _Frame:
    """One scope: a name -> the key of its storage (a variable of this call or, for a
    parameter by reference, the caller's)."""

    def __init__(self, names: dict[str, str] | None = None) -> None:
        self.names: dict[str, str] = dict(names or {})


class _Eval:
    def __init__(self, functions: Mapping[str, Function]) -> None:
        self.functions = functions
        self.store: dict[str, Value] = {}
        self.frames: list[_Frame] = []
        self.counter = 0
        self.outer: set[str] = set()     # keys declared outside the loop being checked
        self.assigned: set[str] = set()  # keys assigned in the current branch
        self.stack: list[str] = []
        self.unknown: set[str] = set()   # functions called that are not in the file

    def declare(self, name: str, value: Value) -> str:
        self.counter += 1
        key = f"{name}#{self.counter}"
        self.frames[-1].names[name] = key
        self.store[key] = value
        return key

    def resolve(self, name: str) -> str | None:
        for f in reversed(self.frames):
            if name in f.names:
                return f.names[name]
        return None

    def initial(self, key: str) -> Value:
        """A variable's value before the iteration: an outer one (or a field of one) is its
        own register; a variable of the iteration has none yet."""
        return {key: -1} if key.split(".")[0] in self.outer else {}

    def read(self, key: str) -> Value:
        if key not in self.store:  # a field of an outer struct, first read in the loop
            self.store[key] = self.initial(key)
        return self.store[key]

    def write(self, key: str, value: Value, weak: bool) -> None:
        self.store[key] = _join(self.read(key), value) if weak else value
        self.assigned.add(key)

    # -- lvalues: the key written, and whether only part of it is (an element, a bit range)
    def lvalue(self, e: Expr) -> tuple[str | None, bool, Value]:
        if e.kind == "name":
            return self.resolve(e.text), False, {}
        if e.kind == "member":
            key, weak, idx = self.lvalue(e.args[0])
            return (f"{key}.{e.text}" if key else None), weak, idx
        if e.kind == "index":
            key, _, idx = self.lvalue(e.args[0])
            return key, True, _join(idx, self.expr(e.args[1]))
        if e.kind == "call" and e.args[0].kind == "member":  # x.range(a, b) = v
            key, _, idx = self.lvalue(e.args[0].args[0])
            return key, True, idx
        if e.kind == "cast":
            return self.lvalue(e.args[0])
        return None, True, {}

    def expr(self, e: Expr) -> Value:
        k = e.kind
        if k == "num":
            return {}
        if k == "name":
            key = self.resolve(e.text)
            return dict(self.read(key)) if key else {}  # not a local: a constant or a memory
        if k == "member":
            base = e.args[0]
            key, _, _ = self.lvalue(e)
            if key is not None and base.kind in ("name", "member"):
                return dict(self.read(key))
            return self.expr(base)
        if k == "index":
            base, idx = self.expr(e.args[0]), self.expr(e.args[1])
            key, _, _ = self.lvalue(e.args[0])
            if key is None:  # a file-scope array: a memory, its read register cuts the path
                return {}
            return _join(base, _select(idx) if idx else {})
        if k == "cast":
            return self.expr(e.args[0])
        if k == "init":
            return _join(*(self.expr(a) for a in e.args))
        if k == "unary":
            v = self.expr(e.args[0])
            if e.op in ("++", "--"):
                v = _adder(v)
                self._store_to(e.args[0], v)
                return v
            return _adder(v) if e.op == "-" else v
        if k == "post":
            v = self.expr(e.args[0])
            self._store_to(e.args[0], _adder(v))
            return v
        if k == "binary":
            a, b = self.expr(e.args[0]), self.expr(e.args[1])
            return b if e.op == "," else _binop(e.op, a, b, e.args[1])
        if k == "cond":
            c = self.expr(e.args[0])
            return _select(_join(c, self.expr(e.args[1]), self.expr(e.args[2])))
        if k == "assign":
            value = self.expr(e.args[1])
            if e.op != "=":
                value = _binop(e.op[:-1], self.expr(e.args[0]), value, e.args[1])
            self._store_to(e.args[0], value)
            return value
        if k == "call":
            return self.call(e)
        raise FpgagenError(f"loop-state check: cannot evaluate a {k} expression")

    def _store_to(self, target: Expr, value: Value) -> None:
        key, weak, idx = self.lvalue(target)
        if key is not None:
            self.write(key, _join(value, _select(idx) if idx else {}), weak)

    def call(self, e: Expr) -> Value:
        callee, args = e.args[0], e.args[1:]
        if callee.kind == "member":  # a method: x.range(..), s.read(), v.to_int()
            if callee.text in ("read", "write", "empty", "full"):
                for a in args:
                    self.expr(a)
                return {}
            return _join(self.expr(callee.args[0]), *(self.expr(a) for a in args))
        fn = self.functions.get(callee.text) if callee.kind == "name" else None
        if fn is None or callee.text in self.stack:
            # a function the file does not define: its logic is unknown, so the loop cannot
            # be vouched for (`LoopState.unknown_calls`)
            self.unknown.add(callee.text if callee.kind == "name" else "(an expression)")
            return _join(*(self.expr(a) for a in args))
        frame = _Frame()
        for p, a in zip(fn.params, args, strict=False):
            key = self.lvalue(a)[0] if p.by_ref else None
            if key is None:  # by value: a variable of the call
                self.counter += 1
                key = f"{p.name}#{self.counter}"
                self.store[key] = self.expr(a)
            frame.names[p.name] = key
        self.frames.append(frame)
        self.stack.append(fn.name)
        ret = self.declare("$ret", {})
        self.stmt(fn.body)
        self.stack.pop()
        self.frames.pop()
        return self.store.get(ret, {})

    # -- statements
    def stmt(self, s: Stmt) -> None:
        k = s.kind
        if k == "block":
            self.frames.append(_Frame())
            for b in s.body:
                self.stmt(b)
            self.frames.pop()
        elif k == "decl":
            for name, _array, init in s.decls:
                self.declare(name, self.expr(init) if init is not None else {})
        elif k == "expr":
            assert s.expr is not None
            self.expr(s.expr)
        elif k == "return":
            key = self.resolve("$ret")
            if key is not None and s.expr is not None:
                self.write(key, self.expr(s.expr), False)
        elif k == "if":
            assert s.expr is not None
            cond = self.expr(s.expr)
            before, assigned = dict(self.store), self.assigned
            self.assigned = set()
            self.stmt(s.body[0])
            then, then_set = self.store, self.assigned
            self.store, self.assigned = dict(before), set()
            if s.other is not None:
                self.stmt(s.other)
            other, other_set = self.store, self.assigned
            self.store, self.assigned = dict(before), assigned
            for key in then_set | other_set:
                old = before.get(key, self.initial(key))
                merged = _select(_join(cond, then.get(key, old), other.get(key, old)))
                self.write(key, merged, False)
        elif k in ("for", "while"):  # inside a checked loop: unrolled, evaluated once
            self.frames.append(_Frame())
            if s.init is not None:
                self.stmt(s.init)
            if s.expr is not None:
                self.expr(s.expr)
            self.stmt(s.body[0])
            if s.step is not None:
                self.expr(s.step)
            self.frames.pop()
        # pragmas and jumps: nothing to evaluate


@dataclass(frozen=True)
class Violation:
    """A recurrence edge with too many multiplexers after an adder."""

    loop: str       # function/label
    source: str     # a carried variable
    target: str     # the carried variable it feeds (the same one for a register's own loop)
    selects: int

    def __str__(self) -> str:
        edge = (f"{self.target}'s next value" if self.source == self.target
                else f"{self.source} -> {self.target}")
        return (f"{self.loop}: {edge} goes through {self.selects} multiplexers after an adder "
                f"or comparator (at most {MAX_SELECTS} on a loop-carried cycle)")


@dataclass(frozen=True)
class LoopState:
    """One pipelined loop: its carried variables and the worst recurrence edge."""

    loop: str
    carried: tuple[str, ...]
    worst: int                 # most multiplexers after an adder on a recurrence edge (-1: none)
    violations: tuple[Violation, ...]
    unknown_calls: tuple[str, ...] = ()  # called functions the file does not define

    @property
    def problems(self) -> tuple[str, ...]:
        return (*(str(v) for v in self.violations),
                *(f"{self.loop}: calls {f}, which fpgagen.cpp does not define: its logic "
                  "cannot be checked" for f in self.unknown_calls))


@dataclass(frozen=True)
class RecurrenceCheck:
    loops: tuple[LoopState, ...]

    @property
    def ok(self) -> bool:
        return bool(self.loops) and not any(x.problems for x in self.loops)

    @property
    def violations(self) -> tuple[Violation, ...]:
        return tuple(v for x in self.loops for v in x.violations)

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(p for x in self.loops for p in x.problems)

    def summary(self) -> str:
        if not self.loops:
            return "no pipelined loop found"
        worst = ", ".join(f"{x.loop} {max(x.worst, 0)}" for x in self.loops)
        return (f"{len(self.loops)} pipelined loops, at most {MAX_SELECTS} multiplexers after an "
                f"adder on every loop-carried cycle: " + ("yes" if self.ok else "NO")
                + f" (worst per loop: {worst})")

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "max_selects": MAX_SELECTS,
                "loops": [{"loop": x.loop, "carried": len(x.carried), "worst_selects": x.worst,
                           "violations": list(x.problems)} for x in self.loops]}


def _binop(op: str, a: Value, b: Value, right: Expr) -> Value:
    """A binary operator's value: an adder or comparator starts the count, a shift by a
    run-time amount is a multiplexer tree (counted as one), logic passes values through."""
    if op in _ARITH:
        return _adder(_join(a, b))
    if op in ("<<", ">>") and right.kind != "num" and b:
        return _select(_join(a, b))
    return _join(a, b)


def _pipelined(s: Stmt) -> bool:
    body = s.body[0]
    items = body.body if body.kind == "block" else [body]
    return any(b.kind == "pragma" and re.match(r"HLS\s+PIPELINE\b", b.text, re.I) for b in items)


def _loops(s: Stmt, path: tuple[Stmt, ...] = ()) -> Iterator[tuple[Stmt, tuple[Stmt, ...]]]:
    """Every pipelined loop under ``s``, with the statements enclosing it."""
    if s.kind in ("for", "while") and _pipelined(s):
        yield s, path
        return
    for b in [*s.body, *([s.other] if s.other else [])]:
        yield from _loops(b, (*path, s))


def _sccs(nodes: Sequence[str], edges: Mapping[str, set[str]]) -> dict[str, int]:
    """Tarjan: node -> component id."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    comp: dict[str, int] = {}
    stack: list[str] = []
    counter = [0, 0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            while True:
                w = stack.pop()
                comp[w] = counter[1]
                if w == v:
                    break
            counter[1] += 1

    for n in nodes:
        if n not in index:
            visit(n)
    return comp


def _check_loop(fn: Function, loop: Stmt, path: tuple[Stmt, ...],
                functions: Mapping[str, Function]) -> LoopState:
    ev = _Eval(functions)
    ev.frames.append(_Frame({p.name: f"{p.name}#arg" for p in fn.params}))
    for p in fn.params:
        ev.store[f"{p.name}#arg"] = {}
    # the declarations before the loop, in its enclosing blocks: the registers it may carry
    for outer in path:
        for st in outer.body:
            if _contains(st, loop):
                break
            if st.kind == "decl":
                for name, _, _ in st.decls:
                    ev.declare(name, {})
    if loop.init is not None:
        ev.frames.append(_Frame())
        ev.stmt(loop.init)
    outer_keys = {k for f in ev.frames for k in f.names.values()}
    ev.outer = outer_keys
    for key in outer_keys:
        ev.store[key] = {key: -1}
    ev.assigned = set()
    if loop.expr is not None:
        ev.expr(loop.expr)
    ev.stmt(loop.body[0])
    if loop.step is not None:
        ev.expr(loop.step)
    carried = sorted(k for k in ev.assigned if k.split(".")[0] in outer_keys)
    edges: dict[str, set[str]] = {}
    for v in carried:
        for src in ev.store[v]:
            if src in carried:
                edges.setdefault(src, set()).add(v)
    comp = _sccs(carried, edges)
    name = f"{fn.name}/{loop.text or f'loop at line {loop.line}'}"
    worst, bad = -1, []
    for v in carried:  # an edge inside a component lies on a cycle
        for src, s in ev.store[v].items():
            if src in carried and comp[src] == comp[v]:
                worst = max(worst, s)
                if s > MAX_SELECTS:
                    bad.append(Violation(name, _plain(src), _plain(v), s))
    return LoopState(name, tuple(_plain(c) for c in carried), worst, tuple(bad),
                     tuple(sorted(ev.unknown)))


def _contains(s: Stmt, target: Stmt) -> bool:
    if s is target:
        return True
    return any(_contains(b, target) for b in [*s.body, *([s.other] if s.other else [])])


def _plain(key: str) -> str:
    return re.sub(r"#\w+", "", key)


def user_text(preprocessed: str, root: Path) -> tuple[str, str]:
    """(the main file's text, the text of every file under ``root``) of g++ -E output."""
    main, user, cur = [], [], ""
    for line in preprocessed.splitlines(keepends=True):
        m = re.match(r'^#\s*(?:line\s+)?\d+\s+"([^"]*)"', line)
        if m:
            cur = m.group(1)
            main.append("\n")
            continue
        if cur.endswith("fpgagen.cpp"):
            main.append(line)
        else:
            main.append("\n")
        if cur.startswith(str(root)) or cur.endswith(("fpgagen.cpp", "fpgagen.h")):
            user.append(line)
    return "".join(main), "".join(user)


def type_names(text: str) -> set[str]:
    """Typedef and struct names declared in ``text``."""
    names = set(re.findall(r"\btypedef\b[^;{]*?\b(\w+)\s*;", text))
    names |= set(re.findall(r"\bstruct\s+(\w+)", text))
    return names


def check_source(main: str, types: set[str]) -> RecurrenceCheck:
    """Check every pipelined loop of the functions in ``main`` (fpgagen.cpp's text, macros
    expanded); ``types`` are the type names it may use besides the built-in ones."""
    functions = _parse_functions(tokenize(main), types | _BUILTIN_TYPES)
    out = []
    for fn in functions.values():
        for loop, path in _loops(fn.body):
            out.append(_check_loop(fn, loop, path, functions))
    return RecurrenceCheck(tuple(out))


def check_preprocessed(preprocessed: str, root: Path) -> RecurrenceCheck:
    """The check on g++ -E output of fpgagen.cpp (`fpgagen.hls.synth_branch.preprocess`)."""
    main, user = user_text(preprocessed, root)
    return check_source(main, type_names(user))
