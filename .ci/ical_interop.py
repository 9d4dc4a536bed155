#!/usr/bin/env python3
"""Read what slotdav's iCalendar writer wrote with python `icalendar`.

The ignored integration test `ical_interop` (tests/it/ical_interop.rs)
writes tricky objects into DIR: each NAME.ics comes with NAME.json, a list
of checks {component, property, kind, value, params?, index?, match_value?,
match_param?}. Every NAME.ics must parse with `icalendar.Calendar.from_ical`
and every check must read back exactly:

- kind "text": the property is TEXT and its unescaped value is `value`;
- kind "raw": the value as icalendar writes it back (dates, addresses);
- kind "periods": the FREEBUSY periods (of the FBTYPE in `params`),
  comma-joined.

Which property a check looks at: the `index`-th of that name, or the one
whose value is `value` (`match_value`), or those whose parameter
`match_param` has the expected value, else the first. Parameters listed in
`params` must read back exactly. Prints `ical-interop: N passed, N failed`.

usage: ical_interop.py DIR
"""
import json
import pathlib
import sys

import icalendar


def find_component(cal, name):
    for c in cal.walk():
        if c.name == name:
            return c
    return None


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def raw(p):
    return p.to_ical().decode("utf-8") if hasattr(p, "to_ical") else str(p)


def run_check(cal, check):
    comp = find_component(cal, check["component"])
    if comp is None:
        return f"no {check['component']}"
    props = as_list(comp.get(check["property"]))
    if not props:
        return f"no {check['property']} in {check['component']}"
    params = check.get("params", {})
    if "index" in check:
        if check["index"] >= len(props):
            return f"only {len(props)} {check['property']}"
        chosen = [props[check["index"]]]
    elif check.get("match_value"):
        chosen = [p for p in props if str(p) == check["value"]][:1]
        if not chosen:
            return f"no {check['property']} with value {check['value']!r}: {[str(p) for p in props]}"
    elif "match_param" in check:
        key = check["match_param"]
        chosen = [p for p in props if p.params.get(key) == params.get(key)]
        if not chosen:
            return f"no {check['property']} with {key}={params.get(key)!r}"
    else:
        chosen = props[:1]

    kind = check["kind"]
    if kind == "text":
        if not isinstance(chosen[0], icalendar.vText) and not check["property"].startswith("X-"):
            return f"{check['property']} was not read as TEXT but as {type(chosen[0]).__name__}"
        got = str(chosen[0])
    elif kind == "raw":
        got = raw(chosen[0])
    elif kind == "periods":
        got = ",".join(raw(p) for p in chosen)
    else:
        return f"unknown kind {kind!r}"
    if got != check["value"]:
        return f"{check['property']}: got {got!r}, want {check['value']!r}"
    for key, want in params.items():
        have = chosen[0].params.get(key)
        if have != want:
            return f"{check['property']};{key}: got {have!r}, want {want!r}"
    return None


def main():
    root = pathlib.Path(sys.argv[1])
    passed = failed = 0
    files = sorted(root.glob("*.ics"))
    if not files:
        print(f"FAIL no .ics files in {root}")
        failed += 1
    for ics in files:
        spec = ics.with_suffix(".json")
        try:
            cal = icalendar.Calendar.from_ical(ics.read_bytes())
        except Exception as e:  # noqa: BLE001 - any parse error is a failure
            print(f"FAIL {ics.name}: icalendar could not parse it: {e}")
            failed += 1
            continue
        checks = json.loads(spec.read_text(encoding="utf-8")) if spec.exists() else []
        if not checks:
            print(f"FAIL {ics.name}: no checks in {spec.name}")
            failed += 1
            continue
        bad = 0
        for check in checks:
            problem = run_check(cal, check)
            if problem:
                print(f"FAIL {ics.name}: {problem}")
                bad += 1
        passed += len(checks) - bad
        failed += bad
        print(f"{'ok  ' if bad == 0 else 'FAIL'} {ics.name}: {len(checks) - bad}/{len(checks)} values read back")
    print(f"ical-interop: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
