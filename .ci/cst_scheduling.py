#!/usr/bin/env python3
"""caldav-server-tester's RFC 6638 scheduling checks with a second account.

Usage: cst_scheduling.py --out DIR URL USER PASS USER2 PASS2

The scheduling rows (free-busy query to another user, inbox delivery,
auto-schedule, Schedule-Tag and its stability over a PARTSTAT reply) need a
second principal, which the shared harness (run_cst.py) does not pass. This
writes a caldav config file with that account as section `second`, runs the
scheduling checks with `--config-section second`, grades the rows the way
run_cst.py does, and prints

    cst-scheduling: N passed, M failed, K skipped
"""

import argparse
import json
import os
import sys

CHECKS = ["CheckFreeBusyQueryRFC6638", "CheckScheduleTag", "CheckSchedulingInboxDelivery", "CheckScheduleTagStablePartstat"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=".")
    ap.add_argument("--shared", required=True, help="the shared/conformance directory (for run_cst.py)")
    ap.add_argument("url")
    ap.add_argument("user")
    ap.add_argument("password")
    ap.add_argument("user2")
    ap.add_argument("password2")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    sys.path.insert(0, a.shared)
    import run_cst

    config = os.path.join(a.out, "caldav-second.json")
    with open(config, "w") as f:
        json.dump({"second": {"caldav_url": a.url, "caldav_username": a.user2, "caldav_password": a.password2}}, f)
    os.environ["CALDAV_CONFIG_FILE"] = config
    extra = ["--config-section", "second"]
    for c in CHECKS:
        extra += ["--run-checks", c]
    hints, out, err, rc, secs = run_cst.run_tester(a.url, a.user, a.password, extra, 600, a.out)
    with open(os.path.join(a.out, "cst-scheduling-hints.txt"), "w") as f:
        f.write(out)
    with open(os.path.join(a.out, "cst-scheduling-stderr.log"), "w") as f:
        f.write(err)
    if not hints:
        tail = " | ".join(err.strip().splitlines()[-3:])
        print(f"cst-scheduling: no report (rc={rc}, {secs:.1f}s): {tail}")
        print("cst-scheduling: 0 passed, 1 failed, 0 skipped")
        return 1
    rows = [r for r in run_cst.grade(hints) if r["feature"].startswith("scheduling") and r["verdict"] != "info"]
    for r in rows:
        print(f"  {r['verdict']:<5} {r['feature']:<45} {r['level']:<12} {r['behaviour']}")
    cnt = {v: sum(r["verdict"] == v for r in rows) for v in ("pass", "fail", "skip")}
    print(f"cst-scheduling: {cnt['pass']} passed, {cnt['fail']} failed, {cnt['skip']} skipped")
    return 0 if cnt["fail"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
