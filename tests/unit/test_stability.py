"""dtrace -v's stability report."""

from pydtrace.stability import minimum, report


def test_minimum_takes_the_weakest_rating_of_each_part() -> None:
    assert minimum([("Stable", "Stable", "Common"), ("Evolving", "Private", "ISA")]) == \
        ("Evolving", "Private", "ISA")


def test_report_format() -> None:
    text = report("description", "BEGIN", ["dtrace"])
    assert text.startswith("\nStability attributes for description BEGIN:\n\n"
                           "\tMinimum Probe Description Attributes\n"
                           "\t\tIdentifier Names: Stable\n")
    assert "\n\tMinimum Statement Attributes\n" in text
    assert report("script", "x.d", ["syscall", "sdt"]).count("Private") == 2
