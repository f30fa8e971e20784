#!/usr/bin/env python3
"""Consistency check for armtrace reference data (data/countries, data/reference).

Checks:
  (a) every supplier/recipient name in the SIPRI files resolves (ISO names, historic_states
      names, or aliases.csv), using the resolver rules: case-insensitive, trimmed, exact match
      on ISO 3166-1 name/official_name/common_name, ISO 3166-3 name, historic_states name,
      then aliases.csv alias;
  (b) every alias target exists (ISO alpha-3, ISO 3166-3 alpha_4, historic_states code,
      actor:KEY in actors.csv, or "unknown");
  (c) no alias appears twice with different targets;
  (d) every weapon_models.csv category maps to exactly one categories.csv row, and no
      alias/name value is used by two category rows;
  plus: country values in weapon_models.csv / factory_codes.csv resolve, codes used in
  validity.csv, historic_states.csv successors and actors.csv country exist.

Source data are read from $ARMTRACE_SHARED_DATA, else <repo>/../shared/data. If that folder
is absent the check is skipped (exit 0) with a message.
Usage: python3 data/tools/check_reference.py
"""
import csv
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)                      # <repo>/data
REPO = os.path.dirname(DATA)
SHARED = os.environ.get("ARMTRACE_SHARED_DATA") or os.path.join(REPO, "..", "shared", "data")
SHARED = os.path.normpath(SHARED)

SIPRI_OLD = [
    "sipri/sipri_trade_register_all_years_generated_2025-03-13.csv",
    "sipri/sipri_trade_register_1950-2024_generated_2024-10-13.csv",
]
SIPRI_NEW = "sipri/sipri_transfers_newformat_2000-2030_generated_2025-01-03.csv"

errors = []


def err(msg):
    errors.append(msg)
    print("ERROR:", msg)


def norm(s):
    return s.strip().lower()


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def expect_header(path, header):
    with open(path, newline="", encoding="utf-8") as f:
        got = next(csv.reader(f))
    if got != header:
        err("%s: header %r, expected %r" % (path, got, header))


def sipri_old_names(path):
    """Recipient (col 0) and Supplier (col 1); cp1252, header on line 12, no quoting;
    continuation lines of split records start with ','."""
    names = []
    with open(path, encoding="cp1252", newline="") as f:
        lines = f.read().replace("\r\n", "\n").split("\n")
    if not lines[11].startswith("Recipient,Supplier,"):
        err("%s: unexpected header line 12: %r" % (path, lines[11][:60]))
    for ln in lines[12:]:
        if not ln.strip() or ln.startswith(","):
            continue
        fields = ln.split(",")
        names.append(("recipient", fields[0]))
        names.append(("supplier", fields[1]))
    return names


def sipri_new_names(path):
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines()
    rows = list(csv.reader(lines[11:]))
    hdr = rows[0]
    si, ri = hdr.index("Supplier"), hdr.index("Recipient")
    names = []
    for r in rows[1:]:
        if not r:
            continue
        names.append(("supplier", r[si]))
        names.append(("recipient", r[ri]))
    return names, hdr.index("Armament category"), rows[1:]


def main():
    if not os.path.isdir(SHARED):
        print("check_reference: source data folder %s not found - skipping all checks." % SHARED)
        return 0

    cdir = os.path.join(DATA, "countries")
    rdir = os.path.join(DATA, "reference")
    files = {
        "historic": (os.path.join(cdir, "historic_states.csv"),
                     ["code", "name", "alpha2", "alpha3", "numeric", "valid_from", "valid_to",
                      "successors", "source", "notes"]),
        "validity": (os.path.join(cdir, "validity.csv"), ["code", "valid_from", "valid_to", "source"]),
        "aliases": (os.path.join(cdir, "aliases.csv"), ["alias", "target", "source"]),
        "actors": (os.path.join(rdir, "actors.csv"), ["key", "kind", "name", "country", "source", "notes"]),
        "categories": (os.path.join(rdir, "categories.csv"),
                       ["scheme", "code", "name", "parent", "aliases", "source"]),
    }
    for p, h in files.values():
        expect_header(p, h)
    historic = read_csv(files["historic"][0])
    validity = read_csv(files["validity"][0])
    aliases = read_csv(files["aliases"][0])
    actors = read_csv(files["actors"][0])
    categories = read_csv(files["categories"][0])

    iso1 = json.load(open(os.path.join(SHARED, "countries/iso_3166-1.json"), encoding="utf-8"))["3166-1"]
    iso3 = json.load(open(os.path.join(SHARED, "countries/iso_3166-3.json"), encoding="utf-8"))["3166-3"]

    # ---- code universe
    country_codes = {e["alpha_3"] for e in iso1} | {e["alpha_4"] for e in iso3}
    hist_codes = {r["code"] for r in historic}
    for c in hist_codes:
        if not (len(c) == 4 and c.startswith("X")):
            err("historic_states code %r is not X + 3 letters" % c)
        if c in country_codes:
            err("historic_states code %r collides with an ISO code" % c)
    country_codes |= hist_codes
    actor_keys = {r["key"] for r in actors}
    if len(actor_keys) != len(actors):
        err("duplicate actor keys")
    kinds = {"non_state_armed_group", "organisation", "force_or_unit", "company", "individual", "state"}
    for r in actors:
        if r["kind"] not in kinds:
            err("actor %s: bad kind %r" % (r["key"], r["kind"]))
        if r["country"] and r["country"] not in country_codes:
            err("actor %s: unknown country %r" % (r["key"], r["country"]))

    def target_ok(t):
        if t == "unknown":
            return True
        if t.startswith("actor:"):
            return t[6:] in actor_keys
        return t in country_codes

    # ---- (b) + (c) aliases
    alias_map = {}
    for r in aliases:
        a, t = norm(r["alias"]), r["target"].strip()
        if not target_ok(t):
            err("(b) alias %r -> %r: target does not exist" % (r["alias"], t))
        if a in alias_map and alias_map[a] != t:
            err("(c) alias %r has conflicting targets %r and %r" % (r["alias"], alias_map[a], t))
        alias_map.setdefault(a, t)

    # ---- resolver
    direct = {}
    for e in iso1:
        for k in ("name", "official_name", "common_name"):
            if k in e:
                direct.setdefault(norm(e[k]), e["alpha_3"])
    for e in iso3:
        direct.setdefault(norm(e["name"]), e["alpha_4"])
    for r in historic:
        direct.setdefault(norm(r["name"]), r["code"])
    # aliases that also match a direct name must agree
    for a, t in alias_map.items():
        if a in direct and direct[a] != t:
            err("alias %r -> %r shadowed by direct ISO/historic match -> %r" % (a, t, direct[a]))

    def resolve(name):
        n = norm(name)
        if n in direct:
            return direct[n]
        return alias_map.get(n)

    # ---- (a) SIPRI names
    seen = {}
    for rel in SIPRI_OLD:
        for role, n in sipri_old_names(os.path.join(SHARED, rel)):
            seen.setdefault((n, role), rel)
    new_names, cat_idx, new_rows = sipri_new_names(os.path.join(SHARED, SIPRI_NEW))
    for role, n in new_names:
        seen.setdefault((n, role), SIPRI_NEW)
    unresolved = sorted({n for (n, role) in seen if resolve(n) is None})
    for n in unresolved:
        err("(a) SIPRI name %r does not resolve" % n)
    for n in sorted({n for (n, _) in seen}):
        if n.rstrip().endswith("*") and resolve(n) is not None and not resolve(n).startswith("actor:"):
            err("(a) SIPRI actor name %r resolves to non-actor %r" % (n, resolve(n)))
    distinct = len({n for (n, _) in seen})
    print("(a) SIPRI names: %d distinct, %d unresolved" % (distinct, len(unresolved)))
    print("(b)/(c) aliases: %d rows, %d distinct aliases" % (len(aliases), len(alias_map)))

    # ---- other country values
    wm = read_csv(os.path.join(SHARED, "reference/weapon_models.csv"))
    fc = read_csv(os.path.join(SHARED, "reference/factory_codes.csv"))
    vals = set()
    for r in wm:
        if r["country_of_design"].strip():
            vals.add(r["country_of_design"])
        for p in r["producers"].split(";"):
            if ":" in p:
                vals.add(p.split(":", 1)[0])
    for r in fc:
        if r["country"].strip():
            vals.add(r["country"])
    for v in sorted(vals):
        if resolve(v) is None:
            err("reference country value %r does not resolve" % v)
    print("reference country values: %d distinct checked" % len(vals))
    emb = read_csv(os.path.join(SHARED, "reference/un_arms_embargoes.csv"))
    unres_emb = [r["target"] for r in emb if resolve(r["target"]) is None]
    print("embargo targets: %d, not resolving (non-country or multi-country targets, informational): %s"
          % (len(emb), unres_emb))

    for r in validity:
        if r["code"] not in country_codes:
            err("validity code %r unknown" % r["code"])
    if len({r["code"] for r in validity}) != len(validity):
        err("duplicate codes in validity.csv")
    for r in historic:
        for s in filter(None, r["successors"].split(";")):
            if s.strip() not in country_codes:
                err("historic %s: successor %r unknown" % (r["code"], s))

    # ---- (d) categories
    cat_codes = set()
    label_owner = {}
    for r in categories:
        key = (r["scheme"], r["code"])
        if key in cat_codes:
            err("duplicate category %r" % (key,))
        cat_codes.add(key)
        labels = {norm(r["name"])} | {norm(a) for a in r["aliases"].split(";") if a.strip()}
        for lab in labels:
            if lab in label_owner and label_owner[lab] != key:
                err("(d) category label %r used by %r and %r" % (lab, label_owner[lab], key))
            label_owner.setdefault(lab, key)
    for r in categories:
        if r["parent"] and (r["scheme"], r["parent"]) not in cat_codes:
            err("category %s: parent %r missing" % (r["code"], r["parent"]))
    wcats = sorted({r["category"] for r in wm if r["category"].strip()})
    for c in wcats:
        hits = [r for r in categories
                if norm(c) == norm(r["name"]) or norm(c) in {norm(a) for a in r["aliases"].split(";")}]
        if len(hits) != 1:
            err("(d) weapon_models category %r maps to %d rows" % (c, len(hits)))
        else:
            print("  (d) %-28s -> %s %s" % (c, hits[0]["scheme"], hits[0]["code"]))
    sip_cats = sorted({r[cat_idx] for r in new_rows if r})
    sip_alias = {norm(a) for r in categories if r["scheme"] == "sipri" for a in r["aliases"].split(";")}
    for c in sip_cats:
        if norm(c) not in sip_alias:
            err("SIPRI armament category %r not in sipri aliases" % c)
    print("(d) weapon_models categories: %d; SIPRI armament categories: %d" % (len(wcats), len(sip_cats)))

    if errors:
        print("FAILED: %d error(s)" % len(errors))
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
