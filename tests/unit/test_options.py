"""The -x option table: value parsing, defaults, errors and the environment."""

from __future__ import annotations

import pytest

from pydtrace.errors import DTraceError
from pydtrace.options import (
    COMPILE,
    DYNAMIC,
    INVALID_NAME,
    INVALID_VALUE,
    RUNTIME,
    TABLE,
    OptionError,
    Options,
    format_rate,
    format_size,
    is_dynamic,
    option_class,
    parse_bool,
    parse_size,
    rate_to_ns,
)

NS = 1_000_000_000


@pytest.mark.parametrize(("text", "expected"), [
    ("0", 0),
    ("256", 256),
    ("1k", 1024),
    ("1K", 1024),
    ("4m", 4 << 20),
    ("4M", 4 << 20),
    ("2g", 2 << 30),
    ("1t", 1 << 40),
    ("0x10", 16),
    ("010", 8),
    ("0x10k", 16 << 10),
    ("+5", 5),
])
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "k", "-1", "4q", "4mb", "1.5m", "m4", "08", "99999999t"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("1hz", NS),
    ("101hz", NS // 101),
    ("5000HZ", NS // 5000),
    ("0hz", 0),
    ("100", 100),  # a bare number is nanoseconds
    ("100ns", 100),
    ("3nsec", 3),
    ("2us", 2000),
    ("2usec", 2000),
    ("10ms", 10_000_000),
    ("10msec", 10_000_000),
    ("1s", NS),
    ("2sec", 2 * NS),
    ("1m", 60 * NS),  # minutes, not milli
    ("1min", 60 * NS),
    ("1h", 3600 * NS),
    ("1hour", 3600 * NS),
    ("1d", 86400 * NS),
    ("1day", 86400 * NS),
    ("1Sec", NS),
])
def test_rate_to_ns(text: str, expected: int) -> None:
    assert rate_to_ns(text) == expected


@pytest.mark.parametrize("text", ["", "hz", "1parsec", "-1s", "1.5s", "1 s"])
def test_rate_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        rate_to_ns(text)


@pytest.mark.parametrize(("text", "expected"), [
    (None, True), ("yes", True), ("enable", True), ("enabled", True), ("true", True),
    ("on", True), ("set", True), ("YES", True), ("1", True),
    # dt_opt_runtime stores a number as is and consumers test it against "unset"
    ("0", True), ("0x0", True), ("00", True), (" 7", True),
    ("", False), ("no", False), ("disable", False), ("disabled", False), ("false", False),
    ("off", False), ("unset", False), ("Off", False), ("UNSET", False),
])
def test_parse_bool(text: str | None, expected: bool) -> None:
    assert parse_bool(text) is expected


def test_parse_bool_rejects_other_words() -> None:
    with pytest.raises(ValueError):
        parse_bool("maybe")


@pytest.mark.parametrize("text", ["-1", "1x", "0x", "9223372036854775808", "y"])
def test_parse_bool_rejects_bad_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bool(text)


@pytest.mark.parametrize("name", ["aggpack", "agghist", "aggzoom", "quiet", "flowindent"])
def test_runtime_boolean_zero_sets(name: str) -> None:
    opts = Options()
    opts.set(name, "0")
    assert opts[name] is True
    opts.set(name, "off")
    assert opts[name] is False


def test_defaults_are_dtrace_1s() -> None:
    opts = Options()
    assert opts["bufsize"] == 4 << 20
    assert opts["aggsize"] == 4 << 20
    assert opts["strsize"] == 256
    assert opts["stackframes"] == 20
    assert opts["ustackframes"] == 20
    assert opts["nspec"] == 1
    assert opts["specsize"] == 32 << 10
    assert opts["dynvarsize"] == 1 << 20
    assert opts["switchrate"] == NS
    assert opts["aggrate"] == NS
    assert opts["statusrate"] == NS
    assert opts["cleanrate"] == NS // 101
    assert opts["stackindent"] == 14
    assert opts["temporal"] is True
    assert opts["quiet"] is False
    assert opts["bufpolicy"] == "switch"
    assert opts["bufresize"] == "auto"
    assert opts["cpu"] is None
    assert opts["define"] == ()
    assert not opts.is_set("bufsize")


# Every name in D-REFERENCE.md section 6.2, plus the [OL]-only list.
REFERENCE_NAMES = """
aggrate aggsize aggsortkey aggsortrev aggsortkeypos aggsortpos aggpack agghist
aggzoom aggpercpu bufpolicy bufresize bufsize cleanrate cpu defaultargs argref destructive
dynvarsize flowindent grabanon jstackframes jstackstrsize nspec specsize quiet rawbytes
stackframes ustackframes stackindent statusrate strsize switchrate temporal zdefs encoding
version libdir syslibdir cpp cpppath cpphdrs define undef incdir stdc errtags droptags empty
knodefs kdefs unodefs udefs nolibs pspec linkmode linktype evaltime lazyload ldpath strip
late iregs tregs pgmax amin ctypes dtypes tree debug core setenv unsetenv zone
bpflog bpflogsize disasm lockmem maxframes modpath noresolve pcapsize preallocate printsize
procfspath quietresize scratchsize sysslice useruid cppargs ctfpath debugassert
dofstashpath linknommap
"""


def test_reference_option_names_are_all_known() -> None:
    names = REFERENCE_NAMES.replace("\n", " ").strip().split(" ")
    assert len(names) > 90
    assert [n for n in names if n not in TABLE] == []


def test_option_classes() -> None:
    assert option_class("zdefs") == COMPILE
    assert option_class("bufsize") == RUNTIME
    assert option_class("quiet") == DYNAMIC
    assert option_class("nonesuch") is None
    assert is_dynamic("switchrate") and is_dynamic("aggsortkey")
    assert not is_dynamic("bufsize")


def test_set_parses_each_kind() -> None:
    opts = Options()
    opts.set("bufsize", "8m")
    opts.set("switchrate", "10hz")
    opts.set("quiet", None)
    opts.set("nspec", "4")
    opts.set("bufpolicy", "ring")
    opts.set("cpppath", "/usr/bin/cpp-12")
    opts.set("linktype", "DOF")
    assert opts["bufsize"] == 8 << 20
    assert opts["switchrate"] == NS // 10
    assert opts["quiet"] is True
    assert opts["nspec"] == 4
    assert opts["bufpolicy"] == "ring"
    assert opts["cpppath"] == "/usr/bin/cpp-12"
    assert opts["linktype"] == "dof"
    assert opts.is_set("bufsize") and not opts.is_set("aggsize")


def test_bool_can_be_unset_again() -> None:
    opts = Options()
    opts.set("quiet", None)
    opts.set("quiet", "no")
    assert opts["quiet"] is False
    opts.set("quiet", "")
    assert opts["quiet"] is False
    opts.set("temporal", "off")
    assert opts["temporal"] is False


def test_list_options_accumulate() -> None:
    opts = Options()
    opts.set("define", "FOO=1")
    opts.set("define", "BAR")
    opts.set("libdir", "/tmp/d")
    assert opts["define"] == ("FOO=1", "BAR")
    assert opts["libdir"] == ("/tmp/d",)


def test_unknown_name_message() -> None:
    with pytest.raises(OptionError) as info:
        Options().set("nonesuch", "1")
    assert info.value.message == "failed to set -x nonesuch: Invalid option name"
    assert info.value.reason == INVALID_NAME
    assert info.value.name == "nonesuch"
    assert isinstance(info.value, DTraceError)


@pytest.mark.parametrize(("name", "value"), [
    ("bufsize", "4q"),
    ("bufsize", "-1"),
    ("switchrate", "fast"),
    ("quiet", "maybe"),
    ("bufpolicy", "lossy"),
    ("bufpolicy", None),
    ("bufresize", "AUTO"),
    ("zdefs", "no"),  # compile-time flags can only be set
    ("zdefs", ""),
    ("nspec", "x"),
    ("nspec", "-2"),
    ("iregs", "0"),
    ("cpppath", None),
    ("define", None),
    ("version", None),  # a malformed version has its own message (test_conformance_sweep3)
    ("stdc", "q"),
])
def test_bad_value_message(name: str, value: str | None) -> None:
    opts = Options()
    with pytest.raises(OptionError) as info:
        opts.set(name, value)
    assert info.value.message == f"failed to set -x {name}: Invalid value for specified option"
    assert info.value.reason == INVALID_VALUE
    assert not opts.is_set(name)


def test_label_overrides_message_prefix() -> None:
    with pytest.raises(OptionError) as info:
        Options().set("bufsize", "4q", label="-b 4q")
    assert info.value.message == "failed to set -b 4q: Invalid value for specified option"


def test_flags_and_missing_values() -> None:
    opts = Options()
    opts.set("zdefs", None)
    opts.set("nspec", None)  # like dt_opt_runtime: no value stores 0
    opts.set("bufsize", None)
    opts.set("version", "1.13")
    assert opts["zdefs"] is True
    assert opts["nspec"] == 0
    assert opts["bufsize"] == 0
    assert opts["version"] == "1.13"


def test_apply_env() -> None:
    opts = Options()
    opts.apply_env({
        "DTRACE_OPT_QUIET": "",
        "DTRACE_OPT_BUFSIZE": "16k",
        "DTRACE_OPT_CPPARGS": "-fno-show-column",
        "DTRACE_OPT_NONESUCH": "1",  # ignored, like dtrace_setoptenv()
        "DTRACE_OPT_NSPEC": "bad",  # ignored
        "DTRACE_OPT_": "x",
        "PATH": "/bin",
    })
    assert opts["quiet"] is True
    assert opts["bufsize"] == 16 << 10
    assert opts["cppargs"] == ("-fno-show-column",)
    assert opts["nspec"] == 1
    assert set(opts.explicit()) == {"quiet", "bufsize", "cppargs"}


def test_copy_is_independent() -> None:
    opts = Options()
    opts.set("quiet", None)
    other = opts.copy()
    other.set("quiet", "no")
    other.set("define", "X")
    assert opts["quiet"] is True
    assert opts["define"] == ()
    assert other != opts
    assert opts.copy() == opts


def test_getitem_unknown_is_keyerror() -> None:
    with pytest.raises(KeyError):
        Options()["nonesuch"]
    assert Options().get("nonesuch", 7) == 7
    assert "quiet" in Options()


@pytest.mark.parametrize(("nbytes", "text"), [
    (2 << 20, "2m"), (512 << 10, "512k"), (1 << 30, "1g"), (1000, "1000 bytes"),
    ((1 << 20) + 1, "1048577 bytes"),
])
def test_format_size(nbytes: int, text: str) -> None:
    assert format_size(nbytes) == text


@pytest.mark.parametrize(("ns", "text"), [
    (NS, "1 hz"), (NS // 100, "100 hz"), (60 * NS, "once every 60 seconds"),
    (NS // 3, "once every 333333333 nanoseconds"),
])
def test_format_rate(ns: int, text: str) -> None:
    assert format_rate(ns) == text
