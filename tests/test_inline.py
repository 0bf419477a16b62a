"""The inline-code layer: markers out, complete balanced markup back, whatever the model does."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kztranslate.document import InlineCode
from kztranslate.inline import (
    MARKER,
    TOKEN,
    Claim,
    Mark,
    Repair,
    decode,
    encode,
    encode_pieces,
    propose,
)
from kztranslate.markup import parents, set_parents, tree

TEXT = "Астана қаласында <жаңа> мектеп ашылды. Толығырақ сілтемеде & т.б."
CODES = [
    InlineCode(1, "a", 0, 16, {"href": "https://baq.kz/?a=1&b=2", "title": "Сілтеме"}),
    InlineCode(2, "strong", 0, 6),
    InlineCode(3, "br", 38, 38),
    InlineCode(4, "em", 39, 48, {"class": "x"}),
]


def shape(codes):
    """Tag, attributes and parent id of each code, by id (what must survive translation)."""
    up = parents(codes)
    return {c.id: (c.tag, c.attrs, codes[up[k]].id if up[k] is not None else None) for k, c in enumerate(codes)}


def test_encode_numbers_markers_and_escapes_text():
    encoded = encode(TEXT, CODES)
    assert encoded == ("<1><2>Астана</2> қаласында</1> &lt;жаңа&gt; мектеп ашылды.<3/> "
                       "<4>Толығырақ</4> сілтемеде & т.б.")
    assert "href" not in encoded and "baq.kz" not in encoded  # attributes never reach the model


def test_decode_of_untouched_encoding_is_identity():
    text, codes, problems = decode(encode(TEXT, CODES), CODES, TEXT)
    assert (text, [c.to_dict() for c in codes], problems) == (TEXT, [c.to_dict() for c in CODES], [])


def test_escapes_are_reversible_and_never_markers():
    text = "1 < 2 > 0, &lt; is literal, <1> too"
    encoded = encode(text, [])
    assert not MARKER.search(encoded)
    assert decode(encoded, [], text)[0] == text


def test_reordered_siblings_are_kept_and_reported_as_info():
    text, codes, problems = decode("<4>More</4> and <1><2>Astana</2> city</1>.<3/>", CODES, TEXT)
    assert [(c.id, text[c.start:c.end]) for c in codes] == [(4, "More"), (1, "Astana city"), (2, "Astana"), (3, "")]
    assert [p.code for p in problems] == ["inline-reordered"]
    assert problems[0].severity == "info"


def test_dropped_code_is_put_back_and_flagged():
    text, codes, problems = decode("<1><2>Astana</2> city</1> new school. More in the link", CODES, TEXT)
    assert shape(codes) == shape(CODES)
    flagged = {p.meta["marker"] for p in problems if p.code == "inline-repaired"}
    assert flagged == {3, 4}
    em = next(c for c in codes if c.id == 4)
    assert text[em.start:em.end] in {"More", "in", "the", "link"}  # one word, as in the source


def test_model_markup_stays_text_and_unknown_markers_are_dropped():
    text, codes, problems = decode("<script>x</script> <1><2>A</2></1> <7>b</7><3/><4>c</4>", CODES, TEXT)
    assert text.startswith("<script>x</script>")
    assert sorted(c.id for c in codes) == [1, 2, 3, 4]
    assert [p.code for p in problems] == ["inline-invented", "inline-invented"]


def test_a_span_across_a_sentence_cut_reaches_both_pieces():
    text = "Бірінші сөйлем. Екінші сөйлем."
    codes = [InlineCode(1, "em", 8, 22), InlineCode(2, "br", 16, 16)]
    pieces = encode_pieces(text, codes, ["Бірінші сөйлем. ", "Екінші сөйлем."])
    assert pieces == ["Бірінші <1>сөйлем. ", "<2/>Екінші</1> сөйлем."]
    assert "".join(pieces) == encode(text, codes)
    assert decode("".join(pieces), codes, text)[1] == codes


def test_empty_code_at_the_end_of_a_span_keeps_its_parent():
    inside = [InlineCode(1, "b", 0, 1), InlineCode(2, "br", 1, 1, meta={"parent": 1})]
    outside = [InlineCode(1, "b", 0, 1), InlineCode(2, "br", 1, 1)]
    assert encode("x", inside) == "<1>x<2/></1>"
    assert encode("x", outside) == "<1>x</1><2/>"
    _text, codes, _ = decode("<1>y<2/></1>", inside, "x")
    assert parents(codes) == [None, 0] and codes[1].meta == {"parent": 1}


# -- property: any model behaviour gives back every source code exactly once, balanced -------
TAGS = ["a", "strong", "em", "b", "i", "span", "sup", "sub", "abbr"]
_text = st.text(alphabet="әғқңөұүһіӘҚабв <>&.;/1 ", min_size=0, max_size=8)
_attrs = st.dictionaries(st.sampled_from(["href", "class", "title", "data-x"]), st.text(max_size=5), max_size=2)


@st.composite
def markup(draw, depth=0):
    nodes = []
    for _ in range(draw(st.integers(0, 3 if depth < 3 else 0))):
        kind = draw(st.sampled_from(["text", "span", "void"]))
        if kind == "text":
            nodes.append(draw(_text))
        elif kind == "void":
            nodes.append(("br", draw(_attrs), None))
        else:
            nodes.append((draw(st.sampled_from(TAGS)), draw(_attrs), draw(markup(depth + 1))))
    return nodes


def flatten(nodes):
    """Nested nodes → (text, codes in document order) the way a reader builds them."""
    text, codes, wanted = [], [], []

    def walk(items, parent):
        for item in items:
            if isinstance(item, str):
                text.append(item)
                continue
            tag, attrs, kids = item
            start = len("".join(text))
            code = InlineCode(len(codes) + 1, tag, start, start, dict(attrs))
            codes.append(code)
            wanted.append(parent)
            if kids is not None:
                walk(kids, len(codes) - 1)
            code.end = len("".join(text))

    walk(nodes, None)
    set_parents(codes, wanted)
    return "".join(text), codes


OPS = st.lists(
    st.tuples(st.sampled_from(["drop", "swap", "dup", "script", "invent", "text"]),
              st.integers(0, 50), st.integers(0, 50)),
    max_size=6,
)


def misbehave(encoded: str, ops) -> str:
    tokens = []
    last = 0
    for m in TOKEN.finditer(encoded):
        tokens += [encoded[last:m.start()], m.group()]
        last = m.end()
    tokens.append(encoded[last:])
    for op, i, j in ops:
        if not tokens:
            break
        i, j = i % len(tokens), j % len(tokens)
        if op == "drop":
            del tokens[i]
        elif op == "swap":
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "dup":
            tokens.insert(j, tokens[i])
        elif op == "script":
            tokens.insert(i, "<script>alert(1)</script>")
        elif op == "invent":
            tokens.insert(i, f"<{40 + j}>")
        else:
            tokens[i] = tokens[i].upper() if not MARKER.fullmatch(tokens[i]) else tokens[i]
    return "".join(tokens)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup(), OPS)
def test_every_source_code_comes_back_once_balanced(nodes, ops):
    source_text, source_codes = flatten(nodes)
    encoded = encode(source_text, source_codes)
    assert decode(encoded, source_codes, source_text)[1] == source_codes
    text, codes, problems = decode(misbehave(encoded, ops), source_codes, source_text)
    # every code exactly once, with its tag, attributes and parent
    assert sorted(c.id for c in codes) == sorted(c.id for c in source_codes)
    assert shape(codes) == shape(source_codes)
    assert all(0 <= c.start <= c.end <= len(text) for c in codes)
    # balanced and well nested: rendering and reading back changes nothing
    again = encode(text, codes)
    assert decode(again, codes, text) == (text, codes, [])
    # nothing new: the only markers are the source's; model markup is plain text
    assert sorted(int(m.group(2)) for m in MARKER.finditer(again) if not m.group(1)) == list(range(1, len(codes) + 1))
    if ops == []:
        assert problems == []


def test_tree_nests_spans():
    nodes = tree(TEXT, CODES)
    assert nodes[0].code.tag == "a" and nodes[0].children[0].code.tag == "strong"


@settings(max_examples=200, deadline=None)
@given(markup(), st.lists(st.integers(0, 60), max_size=4))
def test_pieces_cut_where_the_sentences_are_cut(nodes, raw_cuts):
    text, codes = flatten(nodes)
    cuts = sorted({c for c in raw_cuts if 0 < c < len(text)})
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
    encoded = encode_pieces(text, codes, pieces)
    assert len(encoded) == len(pieces) and "".join(encoded) == encode(text, codes)
    for piece, plain in zip(encoded, pieces):
        assert decode(re.sub(MARKER.pattern, "", piece), [], None)[0] == plain  # same text as the sentence
        assert not re.match(r"</\d+>", piece) or not plain  # closing markers stay with the sentence before


# -- properties of the codec on its own -------------------------------------------------------
def _plain(model_text: str) -> str:
    """The model's text with markers left out and escapes read back: what decode must keep."""
    return TOKEN.sub(lambda m: {"lt": "<", "gt": ">", "amp": "&"}[m.group(4)] if m.group(4) else "", model_text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup(), st.booleans())
def test_untouched_markers_decode_to_the_same_tree(nodes, with_source):
    source_text, source_codes = flatten(nodes)
    for encoded in (encode(source_text, source_codes),
                    "".join(encode_pieces(source_text, source_codes, [source_text]))):
        text, codes, problems = decode(encoded, source_codes, source_text if with_source else None)
        assert (text, codes, problems) == (source_text, source_codes, [])
        assert tree(text, codes) == tree(source_text, source_codes)


_MODEL_TEXT = st.lists(
    st.one_of(
        st.text(alphabet="әғқңөұүһі ӘҚабвxy.,!«»\n&;ltgamp", max_size=6),
        st.from_regex(r"<\s?/?\s?\d{1,2}\s?/?\s?>", fullmatch=True),
        st.sampled_from(["&lt;", "&gt;", "&amp;", "&amp;lt;", "<0>", "</9999>", "<script>", "< >", "<1/ >"]),
    ),
    max_size=14,
).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup(), _MODEL_TEXT, st.booleans())
def test_decode_of_any_text_keeps_every_character_and_every_code(nodes, model_text, with_source):
    source_text, source_codes = flatten(nodes)
    text, codes, problems = decode(model_text, source_codes, source_text if with_source else None)
    assert text == _plain(model_text)  # nothing of the model's text lost, nothing added
    assert shape(codes) == shape(source_codes) and len(codes) == len(source_codes)
    assert all(0 <= c.start <= c.end <= len(text) for c in codes)
    assert [c.start for c in codes] == sorted(c.start for c in codes)  # document order
    assert decode(encode(text, codes), codes, text) == (text, codes, [])
    proposal = propose(model_text, source_codes, source_text if with_source else None)
    assert len(problems) == len(proposal.invented) + len(proposal.repairs)  # every repair reported
    repaired = {r.index for r in proposal.repairs if r.fault != "reordered"}
    for k, start, end in proposal.placed:  # a code not reported is where the model's markers put it
        claim = proposal.claims[k]
        whole = claim.start is not None and claim.end is not None
        assert k in repaired or (whole and (start, end) == (claim.start.at, claim.end.at))


_HOSTILE_CODE = st.builds(
    InlineCode, st.integers(1, 5), st.sampled_from(["b", "a", "br", "img"]), st.integers(-3, 12), st.integers(-3, 12),
    st.just({}), st.one_of(st.just({}), st.builds(lambda p: {"parent": p}, st.one_of(st.none(), st.integers(0, 6)))),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_HOSTILE_CODE, max_size=6), _MODEL_TEXT, st.one_of(st.none(), st.text(max_size=12)))
def test_decode_never_raises_on_codes_a_reader_would_not_make(source_codes, model_text, source_text):
    """Duplicate ids, offsets out of order or out of range, parents naming nothing: still every code back."""
    text, codes, _ = decode(model_text, source_codes, source_text)
    assert text == _plain(model_text)
    assert sorted(c.id for c in codes) == sorted(c.id for c in source_codes)
    assert all(0 <= c.start <= c.end <= len(text) for c in codes)


def test_the_proposal_says_what_the_model_wrote_and_what_was_repaired():
    codes = [InlineCode(1, "a", 0, 6), InlineCode(2, "br", 7, 7), InlineCode(3, "em", 8, 14)]
    proposal = propose("<1>Astana</1> <1>city</1> news <9> today", codes, "Астана, жаңа мектеп")
    assert proposal.text == "Astana city news  today"
    assert proposal.invented == ["<9>"]
    assert [(m.at, m.order) for m in proposal.marks[0].opens] == [(0, 0), (7, 2)]
    assert proposal.claims[0] == Claim(Mark(0, 0), Mark(11, 3))  # first open to last close
    assert proposal.claims[1] == Claim(None, None) and proposal.claims[2] == Claim(None, None)
    assert proposal.repairs == [Repair(0, "duplicated-span"), Repair(1, "dropped"), Repair(2, "dropped")]
    assert [k for k, _, _ in proposal.placed] == [0, 1, 2]
    _, start, end = proposal.placed[0]
    assert proposal.text[start:end] == "Astana city"


def test_markup_nested_thousands_deep_decodes_without_recursion():
    depth = 3000
    codes = [InlineCode(k + 1, "b", 0, 4) for k in range(depth)]
    assert decode(encode("сөз.", codes), codes, "сөз.") == ("сөз.", codes, [])
    _, back, problems = decode("сөз.", codes, "сөз.")  # every marker dropped
    assert parents(back) == [None, *range(depth - 1)] and len(problems) == depth


def test_decode_time_grows_linearly_with_the_nesting_depth():
    from test_linear_time import assert_linear

    def nested(n: int) -> str:
        return "".join(f"<{k + 1}>" for k in range(n)) + "сөз" + "".join(f"</{k}>" for k in range(n, 0, -1))

    def run(model_text: str) -> object:
        depth = model_text.count("</")
        return decode(model_text, [InlineCode(k + 1, "b", 0, 3) for k in range(depth)], "сөз")

    assert_linear(run, nested, 400)
