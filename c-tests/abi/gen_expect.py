#!/usr/bin/env python3
"""Generate c-tests/abi/expect.inc from the libuv ABI reference JSON.

    python3 c-tests/abi/gen_expect.py [--json PATH] [--old-include DIR]
                                      [--out PATH] [--cc gcc] [--jobs N]

expect.inc is an X-macro table that c-tests/abi/probe.c expands into run-time
checks.  Each line is one check:

    CHECK_SIZE(T, size)              sizeof(T)
    CHECK_OFFSET(T, path, off)       offsetof(T, path)        (path: a.b.c)
    CHECK_FSIZE(T, path, size)       sizeof(((T *)0)->path)
    CHECK_FTYPE(T, path, type)       the member has exactly this C type
                                     (arrays: path ends in [0], the element)
    CHECK_ALIGN(T, align)            _Alignof(T) / alignof(T)
    CHECK_SAME(T, U)                 typedef T names the same type as U
    CHECK_KIND(T, ENUM|STRUCT|UNION) T is an enum / struct / union type
    CHECK_FUNC(f, pointer type)      &f has exactly this type (prototype)
    CHECK_CONST(NAME, value)         (long long) NAME == value

Every check comes in one of these flavours, decided mechanically by compiling and
running the checks against the libuv 1.44.2 header (Debian's libuv1-dev,
/usr/include/uv.h):

    CHECK_X(...)           holds with both the 1.52.1 and the 1.44.2 header
    CHECK_X_152(...)       does not compile with 1.44.2 (or is false there,
                           for the yes/no checks): 1.52 headers only
    CHECK_X_DIFF(..., v, v144)
                           compiles with 1.44.2 but the value there is v144
    CHECK_CONST_FM(NAME, v, v_gnu, v144, v144_gnu)
                           the value also depends on _GNU_SOURCE (the
                           reference was measured without it; C++ compilers
                           always define it).  Found by evaluating the
                           1.44.2 header in both modes; the 1.52.1
                           _GNU_SOURCE value is taken from 1.44.2, whose
                           header logic for these macros is the same.

The output depends only on the JSON and the 1.44.2 header, so regenerating
is deterministic.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_JSON = "/work/shared/abi/libuv-1.52.1-x86_64-linux-gnu.json"
DEFAULT_OUT = os.path.join(HERE, "expect.inc")

# Checks whose result is a yes/no (expected value 1).
BOOL_KINDS = ("FTYPE", "SAME", "KIND", "FUNC")
# __builtin_classify_type() results (GCC, C front end).
CLASSIFY = {"INTEGER": 1, "STRUCT": 12, "UNION": 13}


class Check:
    __slots__ = ("kind", "args", "value", "tier", "old", "fm")

    def __init__(self, kind, args, value=1):
        self.kind = kind          # SIZE, OFFSET, ...
        self.args = tuple(args)   # macro arguments, value excluded
        self.value = value        # expected value with the 1.52.1 header
        self.tier = "all"         # all | 152 | diff | fm
        self.old = None           # value with the 1.44.2 header
        self.fm = None            # fm tier: (v152 gnu, v144, v144 gnu)

    def c_expr(self):
        """A C11 expression (gcc) computing the check's value."""
        k, a = self.kind, self.args
        if k == "SIZE":
            return "(long long) sizeof(%s)" % a[0]
        if k == "OFFSET":
            return "(long long) offsetof(%s, %s)" % a
        if k == "FSIZE":
            return "(long long) sizeof(((%s *) 0)->%s)" % a
        if k == "FTYPE":
            return "_Generic(((%s *) 0)->%s, %s: 1, default: 0)" % a
        if k == "ALIGN":
            return "(long long) _Alignof(%s)" % a[0]
        if k == "SAME":
            return "_Generic(*(%s *) 0, %s: 1, default: 0)" % a
        if k == "KIND":
            # C cannot tell an enum from its integer type; C++ can (probe.c).
            want = CLASSIFY["INTEGER" if a[1] == "ENUM" else a[1]]
            return "(__builtin_classify_type(*(%s *) 0) == %d)" % (a[0], want)
        if k == "FUNC":
            return "_Generic(&%s, %s: 1, default: 0)" % a
        if k == "CONST":
            return "(long long) (%s)" % a[0]
        raise ValueError(k)

    def line(self):
        args = list(self.args)
        if self.kind not in BOOL_KINDS:
            args.append(str(self.value))
        if self.tier == "diff":
            args.append(str(self.old))
        if self.tier == "fm":
            args.extend(str(v) for v in self.fm)
        suffix = {"all": "", "152": "_152", "diff": "_DIFF",
                  "fm": "_FM"}[self.tier]
        return "CHECK_%s%s(%s)" % (self.kind, suffix, ", ".join(args))


def strip_array(name):
    """'reserved[4]' -> ('reserved', True)."""
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)", name)
    if not m:
        raise ValueError("odd field name %r" % name)
    return m.group(1), bool(m.group(2))


def func_pointer_type(ftype):
    """'int (uv_loop_t *, int)' -> 'int (*)(uv_loop_t *, int)'."""
    ftype = ftype.strip()
    assert ftype.endswith(")"), ftype
    depth = 0
    for i in range(len(ftype) - 1, -1, -1):
        c = ftype[i]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                ret, params = ftype[:i].rstrip(), ftype[i:]
                if "(" in ret:
                    raise ValueError("function returning a function pointer: "
                                     + ftype)
                return "%s (*)%s" % (ret, params)
    raise ValueError("unbalanced function type " + ftype)


def build_checks(ref):
    types = ref["types"]
    out = []  # list of (section comment, [checks])

    def tag_type(tag):
        return "%s %s" % (types[tag]["kind"], tag)

    # Structs / unions of libuv: size, and offset/size/type of every member.
    for tag, info in types.items():
        if not tag.startswith("uv"):
            continue
        T = tag_type(tag)
        size = info.get("size")
        if size is None:
            # The reference omits the size of the uv_any_* unions; a union
            # is as large as its largest member (all of these are 8-aligned
            # structs whose sizes are multiples of 8).
            assert info["kind"] == "union", tag
            size = max(f["size"] for f in info["fields"])
            assert size % 8 == 0, tag
            info = dict(info, size=size)
        cs = [Check("SIZE", [T], size)]

        def walk(fields, prefix):
            for f in fields:
                name, is_array = strip_array(f["name"])
                path = prefix + name
                cs.append(Check("OFFSET", [T, path], f["offset"]))
                cs.append(Check("FSIZE", [T, path], f["size"]))
                if "members" in f:
                    walk(f["members"], path + ".")
                else:
                    tpath = path + "[0]" if is_array else path
                    cs.append(Check("FTYPE", [T, tpath, f["type"]]))

        walk(info.get("fields", []), "")
        out.append(("%s (%d bytes%s)" % (
            T, size, "" if "size" in types[tag] else
            "; size derived from the members, absent from the reference"),
            cs))

    # System structs libuv embeds: size only (their layout is glibc's).
    cs = [Check("SIZE", [tag_type(tag)], info["size"])
          for tag, info in types.items() if not tag.startswith("uv")]
    out.append(("system types embedded in libuv structs (size only)", cs))

    # Typedefs: size, alignment, and what they name.
    cs = []
    for name, info in ref["typedefs"].items():
        cs.append(Check("SIZE", [name], info["size"]))
        cs.append(Check("ALIGN", [name], info["align"]))
        ctype = info["c_type"]
        m = re.fullmatch(r"(struct|union|enum) (\w+)", ctype)
        if m:
            kw, tag = m.groups()
            cs.append(Check("KIND", [name, kw.upper()]))
            # For an anonymous struct/enum the reference spells the typedef
            # name as a tag ("struct uv_timespec_t"): no real tag to compare.
            if kw != "enum" and (tag in types or tag != name):
                cs.append(Check("SAME", [name, ctype]))
        else:
            cs.append(Check("SAME", [name, ctype]))
    out.append(("typedefs", cs))

    cs = [Check("SAME", [name, ctype])
          for name, ctype in ref["callback_typedefs"].items()]
    out.append(("callback typedefs", cs))

    cs = [Check("FUNC", [name, func_pointer_type(ftype)])
          for name, ftype in ref["exported_functions"].items()]
    out.append(("exported function prototypes", cs))

    cs = [Check("CONST", [name], value)
          for name, value in ref["constants"].items()]
    out.append(("constants (enum values and integer macros)", cs))
    return out


# The reference was measured in gcc's default (gnu) mode: _DEFAULT_SOURCE,
# not _GNU_SOURCE.  A few UV_FS_O_* macros depend on that difference (they
# expand to O_* flags glibc only defines under _GNU_SOURCE), so the checks
# are evaluated in both modes.
MODES = ("default", "gnu")
PRELUDE = {
    "default": "#define _DEFAULT_SOURCE 1\n",
    "gnu": "#define _GNU_SOURCE 1\n",
}
INCLUDES = """\
#include <uv.h>
#include <stddef.h>
#include <stdio.h>
"""


def eval_source(checks, idxs, mode):
    """C source evaluating checks[i] for i in idxs; returns (src, line->i)."""
    lines = (PRELUDE[mode] + INCLUDES).splitlines()
    lines.append("static long long v[%d];" % max(len(checks), 1))
    lines.append("int main(void) {")
    line_of = {}
    for i in idxs:
        lines.append("  v[%d] = %s;" % (i, checks[i].c_expr()))
        line_of[len(lines)] = i
    for i in idxs:
        lines.append('  printf("%d %%lld\\n", v[%d]);' % (i, i))
    lines.append("  return 0;")
    lines.append("}")
    return "\n".join(lines) + "\n", line_of


def compile_src(cc, include, src, workdir, name, link=True):
    path = os.path.join(workdir, name + ".c")
    exe = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(src)
    cmd = [cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-fmax-errors=0",
           "-I", include, path]
    cmd += ["-o", exe] if link else ["-fsyntax-only"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    return p.returncode == 0, p.stdout, path, exe


def evaluate_old(checks, cc, include, jobs, mode):
    """Run every check against the old header: {i: value}, others failed."""
    with tempfile.TemporaryDirectory(prefix="rsuv-abi-") as wd:
        # Sanity: the header must be 1.44.2, or the table is not reproducible.
        ok, out, _, exe = compile_src(
            cc, include,
            PRELUDE[mode] + INCLUDES + 'int main(void) { printf("%d.%d.%d\\n", UV_VERSION_MAJOR,'
            ' UV_VERSION_MINOR, UV_VERSION_PATCH); return 0; }\n', wd, "ver")
        if not ok:
            sys.exit("gen_expect: cannot compile against %s:\n%s"
                     % (include, out))
        ver = subprocess.check_output([exe], universal_newlines=True).strip()
        if ver != "1.44.2":
            sys.exit("gen_expect: %s/uv.h is libuv %s, expected 1.44.2"
                     % (include, ver))

        # Drop every line gcc complains about until the rest compiles.
        live = list(range(len(checks)))
        dead = set()
        rx = re.compile(r"^(?:.*/)?eval\.c:(\d+):\d+: (?:error|warning)")
        for _round in range(50):
            src, line_of = eval_source(checks, live, mode)
            ok, out, path, exe = compile_src(cc, include, src, wd, "eval",
                                             link=False)
            if ok:
                break
            bad = set()
            for ln in out.splitlines():
                m = rx.match(ln)
                if m and int(m.group(1)) in line_of:
                    bad.add(line_of[int(m.group(1))])
            if not bad:
                sys.exit("gen_expect: unattributable compiler errors:\n" + out)
            dead |= bad
            live = [i for i in live if i not in bad]
        else:
            sys.exit("gen_expect: did not converge")

        # Guard against error cascades: each dropped check must also fail to
        # compile on its own.
        def alone(i):
            src, _ = eval_source(checks, [i], mode)
            ok, out, _, _ = compile_src(cc, include, src, wd, "one%d" % i,
                                        link=False)
            return i, ok

        with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
            for i, ok in ex.map(alone, sorted(dead)):
                if ok:
                    sys.exit("gen_expect: check %s was dropped in the batch "
                             "but compiles alone" % checks[i].line())

        src, _ = eval_source(checks, live, mode)
        ok, out, path, exe = compile_src(cc, include, src, wd, "eval")
        if not ok:
            sys.exit("gen_expect: final eval program fails:\n" + out)
        res = subprocess.check_output([exe], universal_newlines=True)
        values = {}
        for ln in res.splitlines():
            i, v = ln.split()
            values[int(i)] = int(v)
        return values


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=DEFAULT_JSON)
    ap.add_argument("--old-include", default="/usr/include",
                    help="include dir holding the libuv 1.44.2 uv.h")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--cc", default=os.environ.get("CC", "gcc"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 4)
    opts = ap.parse_args()

    with open(opts.json) as f:
        ref = json.load(f)
    sections = build_checks(ref)
    checks = [c for _, cs in sections for c in cs]

    old = evaluate_old(checks, opts.cc, opts.old_include, opts.jobs,
                       "default")
    old_gnu = evaluate_old(checks, opts.cc, opts.old_include, opts.jobs,
                           "gnu")
    for i, c in enumerate(checks):
        if old.get(i) != old_gnu.get(i):
            # Depends on _GNU_SOURCE.  Only seen for UV_FS_O_* macros; the
            # reference holds the default-mode value, and the header logic
            # for these flags is the same in 1.44.2 and 1.52.1, so the
            # _GNU_SOURCE value is taken from 1.44.2 (probe.c validates
            # this against the real 1.52.1 header in C++ mode).
            if c.kind != "CONST" or i not in old or i not in old_gnu:
                sys.exit("gen_expect: %s depends on _GNU_SOURCE"
                         % c.line())
            c.tier = "fm"
            c.fm = (old_gnu[i], old[i], old_gnu[i])
        elif i not in old:
            c.tier = "152"
        elif old[i] != c.value:
            c.old = old[i]
            c.tier = "152" if c.kind in BOOL_KINDS else "diff"

    n152 = sum(c.tier == "152" for c in checks)
    ndiff = sum(c.tier == "diff" for c in checks)
    nfm = sum(c.tier == "fm" for c in checks)
    nall = len(checks) - n152 - ndiff - nfm
    by_kind = {}
    for c in checks:
        by_kind[c.kind] = by_kind.get(c.kind, 0) + 1

    o = []
    o.append("/* Generated by c-tests/abi/gen_expect.py -- DO NOT EDIT.")
    o.append(" *")
    o.append(" * Source: %s" % os.path.basename(opts.json))
    o.append(" *   libuv %s, %s" % (ref["libuv_version"], ref["target"]))
    kinds = ["%s %d" % (k, by_kind[k]) for k in sorted(by_kind)]
    o.append(" * Checks: %d in total (%s," % (len(checks), ", ".join(kinds[:5])))
    o.append(" *   %s);" % ", ".join(kinds[5:]))
    o.append(" *   %d hold unchanged with the libuv 1.44.2 header, %d have another"
             % (nall, ndiff))
    o.append(" *   value there (_DIFF), %d need a 1.52 header (_152), %d depend"
             % (n152, nfm))
    o.append(" *   on _GNU_SOURCE (_FM).")
    o.append(" * See gen_expect.py for the meaning of each CHECK_* macro. */")
    for title, cs in sections:
        o.append("")
        o.append("/* ---- %s ---- */" % title)
        o.extend(c.line() for c in cs)
    text = "\n".join(o) + "\n"

    tmp = opts.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, opts.out)
    print("wrote %s: %d checks = %d unchanged in 1.44.2 + %d _DIFF + %d _FM"
          " + %d _152-only (1.44.2 subset: %d)"
          % (os.path.relpath(opts.out), len(checks), nall, ndiff, nfm, n152,
             len(checks) - n152))


if __name__ == "__main__":
    main()
