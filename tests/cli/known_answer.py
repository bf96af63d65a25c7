"""The comparison with a known answer that the Python tests of
tests/cli share: check() prints one line per value and collects the
failures; finish() ends the test with exit code 1 if any failed."""
import sys

failures = []


def check(name, value, expected, tolerance):
    ok = value is not None and abs(value - expected) <= tolerance
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {value} (expected {expected:.6g} +- {tolerance:g})")
    if not ok:
        failures.append(name)


def finish():
    if failures:
        sys.exit(f"{len(failures)} failed: " + ", ".join(failures))
    print("all checks passed")
