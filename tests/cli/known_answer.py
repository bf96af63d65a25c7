"""The comparison with a known answer that the Python tests of
tests/cli share: check() (a value) and expect() (a condition) each print
one line and collect the failures; finish() ends the test with exit code
1 if any failed."""
import sys

failures = []


def check(name, value, expected, tolerance):
    ok = value is not None and abs(value - expected) <= tolerance
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {value} (expected {expected:.6g} +- {tolerance:g})")
    if not ok:
        failures.append(name)


def expect(name, condition, detail=""):
    """check() of a condition: @p detail is printed if it fails."""
    print(f"{'ok  ' if condition else 'FAIL'} {name}{': ' + detail if detail and not condition else ''}")
    if not condition:
        failures.append(name)


def finish():
    if failures:
        sys.exit(f"{len(failures)} failed: " + ", ".join(failures))
    print("all checks passed")
