"""Text and labels as fastText reads them, shared by the fastText baselines (fasttext_imdb.py and
benchmarks/textclf_vs_fasttext.py). Standard library only: the tests use it without fastText.

Text as the fastText tutorial prepares it (its `sed -e "s/\\([.\\!?,'/()]\\)/ \\1 /g" | tr
"[:upper:]" "[:lower:]"`), after removing HTML `<br />` line breaks: lower case, and the
punctuation . ! ? , ' / ( ) split off as tokens of their own, single spaces (a newline would end
the example early).

Labels: fastText reads `__label__NAME` tokens split on whitespace, so a class name with spaces
cannot be written as it is; label_tokens() maps each class name to a token (whitespace runs become
`_`) and refuses a set of names whose tokens would collide.
"""
import re

LABEL_PREFIX = "__label__"
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PUNCT = re.compile(r"([.!?,'/()])")  # the tutorial's sed class
# What fastText's reader splits words on (src/dictionary.cc readWord): space, \t, \n, \v, \f, \r, \0.
_FT_SPACE = re.compile(r"[ \t\n\v\f\r\0]+")


def normalise(text):
    """One document as fastText's input wants it: lower case, <br /> gone, punctuation split off,
    single spaces."""
    return " ".join(_PUNCT.sub(r" \1 ", _BR.sub(" ", text).lower()).split())


def label_token(name):
    """`__label__NAME` for a class name, whitespace runs in it written as `_`."""
    safe = _FT_SPACE.sub("_", str(name).strip())
    if not safe:
        raise ValueError(f"class name {name!r} is empty: fastText needs a non-empty label")
    return LABEL_PREFIX + safe


def label_tokens(names):
    """{class name: fastText label token} for a set of class names; ValueError when two names map
    to the same token (e.g. `a b` and `a_b`), which would merge two classes."""
    out, seen = {}, {}
    for name in sorted(set(names)):
        tok = label_token(name)
        if tok in seen:
            raise ValueError(f"class names {seen[tok]!r} and {name!r} both map to the fastText label {tok!r}")
        seen[tok] = name
        out[name] = tok
    return out


def label_line(token, text):
    """One fastText training/test line: `__label__X <normalised words>`."""
    return f"{token} {normalise(text)}"
