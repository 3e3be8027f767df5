r"""Escaping of every string that reaches a map page.

Three contexts, three functions:

* :func:`html_text` for HTML text and attribute values (names in tables,
  legends, layer names, tooltips and popups built as HTML). Besides ``& < > " '``
  it turns the backtick, ``$`` and braces into character references, so no
  string can open a JavaScript template literal (`` ` `` / ``${``) or a Jinja
  expression (``{{``) when it is later placed in a script or re-read as a
  template (folium re-reads the output of its element templates with Jinja).
* :func:`safe_json` for data embedded in ``<script>``: JSON whose ``< > &``,
  backtick, ``$``, braces inside strings, and the JavaScript line separators
  are ``\uXXXX`` escapes, so a value holding ``</script>`` cannot end the
  script element.
* :func:`inline_script` for whole JavaScript or CSS files inlined in the page.
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

__all__ = ["html_text", "inline_script", "safe_json"]

_HTML_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;", "{": "&#123;", "}": "&#125;"})
_JSON_EXTRA = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "`": "\\u0060",
    "$": "\\u0024",
    "'": "\\u0027",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_CHARS = re.compile("[<>&`$'\u2028\u2029]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACES = str.maketrans({"{": "\\u007b", "}": "\\u007d"})
_END_TAG = re.compile(r"</(?=script|style)", re.IGNORECASE)


def html_text(value: object) -> str:
    """Return ``value`` as text that is safe in HTML text and quoted attributes.

    Parameters
    ----------
    value
        Anything; it is converted with :class:`str` first. ``None`` gives ``""``.

    Returns
    -------
    str
        The text with ``& < > " '`` and `` ` $ { } `` as character references.

    Examples
    --------
    >>> html_text("<b>Tøyen</b> & ${x}")
    '&lt;b&gt;Tøyen&lt;/b&gt; &amp; &#36;&#123;x&#125;'
    """
    if value is None:
        return ""
    return html.escape(str(value), quote=True).translate(_HTML_EXTRA)


def _clean(value: Any) -> Any:
    """Replace NaN and infinities by ``None`` (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def safe_json(value: Any) -> str:
    r"""Return ``value`` as compact JSON that is safe inside a ``<script>`` element.

    NaN and infinite floats become ``null``. Non-ASCII letters stay as they are
    (the page is UTF-8), which keeps Norwegian names short.

    Parameters
    ----------
    value
        A JSON-serialisable structure of dicts, lists, strings and numbers.

    Returns
    -------
    str
        JSON text holding no ``<``, ``>``, ``&``, backtick, ``$`` or quote
        characters and no braces inside strings.

    Examples
    --------
    >>> safe_json({"n": "</script>${1}"})
    '{"n":"\\u003c/script\\u003e\\u0024\\u007b1\\u007d"}'
    """
    text = json.dumps(_clean(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = _JSON_CHARS.sub(lambda m: _JSON_EXTRA[m.group()], text)
    if "{" in text or "}" in text:
        text = _JSON_STRING.sub(lambda m: m.group().translate(_BRACES), text)
    return text


def inline_script(source: str) -> str:
    r"""Return JavaScript or CSS source that cannot end its ``<script>``/``<style>`` early.

    Parameters
    ----------
    source
        The file's text.

    Returns
    -------
    str
        The text with ``</script`` and ``</style`` (any case) written as
        ``<\/script`` and ``<\/style`` (same meaning in JavaScript strings and
        regular expressions) and ``<!--`` broken up.

    Examples
    --------
    >>> inline_script('var s = "</script>";')
    'var s = "<\\/script>";'
    """
    return _END_TAG.sub("<\\\\/", source).replace("<!--", "<\\!--")
