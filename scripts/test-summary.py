#!/usr/bin/env python3
"""Print one closing line 'N passed, N failed, N skipped' from Meson's test logs.

Usage: test-summary.py BUILDDIR...   Reads BUILDDIR/meson-logs/testlog*.json (one JSON
object per line, field 'result'), prints each failure, then the closing line. Exit 1 if
anything failed or no test ran at all."""
import glob
import json
import os
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}

def main(dirs):
    passed = failed = skipped = 0
    for d in dirs:
        for log in sorted(glob.glob(os.path.join(d, "meson-logs", "testlog*.json"))):
            setup = os.path.basename(log)[len("testlog"):-len(".json")].lstrip("-") or "default"
            with open(log) as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    t = json.loads(line)
                    r = t.get("result")
                    if r in PASS:
                        passed += 1
                    elif r in SKIP:
                        skipped += 1
                    else:
                        failed += 1
                        print(f"FAILED: {d} [{setup}] {t.get('name')} ({r})")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
